"""The critic/generator schedule, counted in generator iterations."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CriticSchedule:
    """How many critic steps precede generator iteration ``g``.

    ``n_critic`` critic steps per generator step; with ``wgan_warmup`` the original WGAN code's schedule:
    100 critic steps for the first 25 generator iterations and for every 500th one
    (``Diters = 100 if gen_iterations < 25 or gen_iterations % 500 == 0 else n_critic``).
    """

    n_critic: int = 1
    wgan_warmup: bool = False
    warmup_critic_steps: int = 100
    warmup_iters: int = 25
    warmup_every: int = 500

    def __post_init__(self) -> None:
        if not isinstance(self.n_critic, int) or self.n_critic < 1:
            raise ValueError(f"n_critic must be an integer >= 1, got {self.n_critic!r}")

    def critic_steps(self, gen_iter: int) -> int:
        if self.wgan_warmup and (gen_iter < self.warmup_iters or gen_iter % self.warmup_every == 0):
            return self.warmup_critic_steps
        return self.n_critic

    def total_critic_steps(self, gen_iters: int) -> int:
        """Critic steps needed to complete ``gen_iters`` generator iterations."""
        return sum(self.critic_steps(g) for g in range(gen_iters))
