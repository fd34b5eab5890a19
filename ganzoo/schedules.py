"""The schedule piece: how many critic steps precede each generator step, when the penalties are computed, and how
a hyperparameter anneals over the run (the learning rates, Adam's beta2, the penalties' weights), all counted in
generator iterations. A piece beside the objectives and the constraints, set from YAML through a latent variant's
``n_critic`` and ``schedule``."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ganzoo.checks import check_int, check_positive

WARMUPS = (None, "wgan")
ANNEALS = ("constant", "linear", "cosine")


def anneal(shape: str, t: int, start: int, end: int) -> float:
    """How far a hyperparameter has moved from its start value to its end value at generator iteration ``t``, in
    [0, 1]: 0 up to iteration ``start``, then, with ``s = (t - start) / (end - start)``, ``s`` (``"linear"``) or
    ``(1 - cos(pi s)) / 2`` (``"cosine"``, the R3GAN code's ``cosine_decay_with_warmup`` without warm-up), and 1 from
    ``end`` on; always 0 for ``"constant"``. The value at ``t`` is ``start_value + (end_value - start_value) * anneal``.

    Example:
        >>> from ganzoo.schedules import anneal
        >>> [round(anneal("cosine", t, 0, 100), 4) for t in (0, 25, 50, 100, 150)]
        [0.0, 0.1464, 0.5, 1.0, 1.0]
        >>> anneal("linear", 75, 50, 100), anneal("constant", 75, 50, 100)
        (0.5, 0.0)
    """
    if shape not in ANNEALS:
        raise ValueError(f"a schedule's shape must be one of {ANNEALS}, got {shape!r}")
    if shape == "constant" or t <= start:
        return 0.0
    s = min(1.0, (t - start) / max(1, end - start))
    return s if shape == "linear" else 0.5 * (1.0 - math.cos(math.pi * s))


def anneal_factor(shape: str, t: int, start: int, end: int, end_factor: float) -> float:
    """A multiplier that is 1 up to iteration ``start`` and ``end_factor`` from ``end`` on, moving along ``shape``
    (:func:`anneal`) in between: the learning rates' and the penalties' schedules."""
    return 1.0 + (end_factor - 1.0) * anneal(shape, t, start, end)


@dataclass(frozen=True)
class CriticSchedule:
    """How many critic steps precede each generator step, and on which critic steps the penalties are computed.

    - ``n_critic`` critic steps per generator step.
    - ``warmup="wgan"``: the original WGAN code's schedule, 100 critic steps for the first 25 generator iterations
      and for every 500th one (``Diters = 100 if gen_iterations < 25 or gen_iterations % 500 == 0 else n_critic``).
    - ``lazy_every=k``: lazy regularisation (Karras et al. 2020, StyleGAN2 sec. 3.1): the constraints' penalties
      are computed on every k-th critic step only, with their weight multiplied by k (so their average is kept);
      ``k = 1`` computes them on every step. StyleGAN2 uses k = 16 with R1.
    - ``penalty_schedule`` (``"constant"``, ``"linear"``, ``"cosine"``) with ``penalty_end_factor``: the penalties'
      weights move from their constraints' values (factor 1) to ``penalty_end_factor`` times them at the run's last
      generator iteration (:func:`anneal`). R3GAN: ``"cosine"`` and 0.1, gamma 0.05 -> 0.005 on CIFAR-10.
    """

    n_critic: int = 1
    warmup: str | None = None
    lazy_every: int = 1
    warmup_critic_steps: int = 100
    warmup_iters: int = 25
    warmup_every: int = 500
    penalty_schedule: str = "constant"
    penalty_end_factor: float = 1.0

    def __post_init__(self) -> None:
        check_int("n_critic", self.n_critic)
        check_int("lazy_every", self.lazy_every)
        if self.warmup not in WARMUPS:
            raise ValueError(f"schedule warmup must be one of {WARMUPS}, got {self.warmup!r}")
        if self.penalty_schedule not in ANNEALS:
            raise ValueError(f"penalty_schedule must be one of {ANNEALS}, got {self.penalty_schedule!r}")
        check_positive("penalty_end_factor", self.penalty_end_factor, allow_zero=True)
        if self.penalty_schedule == "constant" and self.penalty_end_factor != 1:
            raise ValueError(f"penalty_end_factor={self.penalty_end_factor!r} is the end of a penalty schedule: set "
                             "penalty_schedule to 'linear' or 'cosine'")

    def critic_steps(self, gen_iter: int) -> int:
        if self.warmup == "wgan" and (gen_iter < self.warmup_iters or gen_iter % self.warmup_every == 0):
            return self.warmup_critic_steps
        return self.n_critic

    def total_critic_steps(self, gen_iters: int) -> int:
        """Critic steps needed to complete ``gen_iters`` generator iterations."""
        return sum(self.critic_steps(g) for g in range(gen_iters))

    def penalty_factor(self, critic_iter: int, gen_iter: int = 0, total: int | None = None) -> float:
        """The weight multiplier of the penalties at 0-based critic step ``critic_iter``, made during generator
        iteration ``gen_iter`` of ``total`` (the run's ``max_gen_iters``): 0 (lazy regularisation skips the step), or
        ``lazy_every`` times the penalty schedule's factor (1 for a constant schedule)."""
        if critic_iter % self.lazy_every:
            return 0
        if self.penalty_schedule == "constant":
            return self.lazy_every
        if total is None:
            raise ValueError(f"penalty_schedule={self.penalty_schedule!r} ends at the run's last generator iteration: "
                             "set max_gen_iters")
        return self.lazy_every * anneal_factor(self.penalty_schedule, gen_iter, 0, total, self.penalty_end_factor)
