"""What a latent-GAN paper states (:class:`Paper`): its variant's constructor defaults; the toy MLPs' sizes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ganzoo.registry import NetSpec

TOY = {"data_dim": 2, "latent_dim": 2, "hidden_dim": 512, "n_layers": 3}  # the WGAN-GP toy code's MLPs


@dataclass(frozen=True)
class Paper:
    """What a latent-GAN paper states: the defaults of its variant's constructor (see :class:`LatentGAN`).

    ``critic_out`` is the critic's output size (feature critics: Cramer 256, MMD 16), given to the toy MLP critic
    and to critic specs that do not set ``out_dim``; ``conditional`` requires class-conditional networks.
    ``lr_schedule``, ``lr_end_factor``, ``beta2_end``, ``ema_decay`` and ``ema_rampup``: the paper's optimizer
    schedule and generator average (R3GAN), ``LatentGAN``'s arguments of the same names.
    """

    objective: str | dict[str, Any] = "nonsaturating"
    constraints: tuple[str | dict[str, Any], ...] = ()
    n_critic: int = 1
    schedule: dict[str, Any] | None = None
    optimizer: str = "adam"
    lr: float = 2e-4
    betas: tuple[float, float] | None = (0.5, 0.999)
    generator: NetSpec | None = None
    critic: NetSpec | None = None
    critic_out: int = 1
    conditional: bool = False
    lr_schedule: str = "constant"
    lr_end_factor: float | None = None
    beta2_end: float | None = None
    ema_decay: float | None = None
    ema_rampup: float | None = None

    @property
    def defaults(self) -> dict[str, Any]:
        """The constructor defaults this paper sets (``LatentGAN``'s arguments of the same names)."""
        names = ("objective", "n_critic", "schedule", "optimizer", "lr", "betas", "generator", "critic", "lr_schedule",
                 "lr_end_factor", "beta2_end", "ema_decay", "ema_rampup")
        return {**{k: getattr(self, k) for k in names}, "constraints": list(self.constraints)}
