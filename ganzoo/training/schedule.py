"""The critic/generator schedule, counted in generator iterations: a piece of its own, selectable from YAML."""

from __future__ import annotations

from dataclasses import dataclass

from ganzoo.checks import check_int

WARMUPS = (None, "wgan")


@dataclass(frozen=True)
class CriticSchedule:
    """How many critic steps precede each generator step, and on which critic steps the penalties are computed.

    - ``n_critic`` critic steps per generator step.
    - ``warmup="wgan"``: the original WGAN code's schedule, 100 critic steps for the first 25 generator iterations
      and for every 500th one (``Diters = 100 if gen_iterations < 25 or gen_iterations % 500 == 0 else n_critic``).
    - ``lazy_every=k``: lazy regularisation (Karras et al. 2020, StyleGAN2 sec. 3.1): the constraints' penalties
      are computed on every k-th critic step only, with their weight multiplied by k (so their average is kept);
      ``k = 1`` computes them on every step. StyleGAN2 uses k = 16 with R1.
    """

    n_critic: int = 1
    warmup: str | None = None
    lazy_every: int = 1
    warmup_critic_steps: int = 100
    warmup_iters: int = 25
    warmup_every: int = 500

    def __post_init__(self) -> None:
        check_int("n_critic", self.n_critic)
        check_int("lazy_every", self.lazy_every)
        if self.warmup not in WARMUPS:
            raise ValueError(f"schedule warmup must be one of {WARMUPS}, got {self.warmup!r}")

    def critic_steps(self, gen_iter: int) -> int:
        if self.warmup == "wgan" and (gen_iter < self.warmup_iters or gen_iter % self.warmup_every == 0):
            return self.warmup_critic_steps
        return self.n_critic

    def total_critic_steps(self, gen_iters: int) -> int:
        """Critic steps needed to complete ``gen_iters`` generator iterations."""
        return sum(self.critic_steps(g) for g in range(gen_iters))

    def penalty_factor(self, critic_iter: int) -> int:
        """The weight multiplier of the penalties at 0-based critic step ``critic_iter``: 0 (skip) or ``lazy_every``."""
        return self.lazy_every if critic_iter % self.lazy_every == 0 else 0
