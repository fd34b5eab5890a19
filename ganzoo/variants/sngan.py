from __future__ import annotations

from ganzoo.constraints import SpectralNorm
from ganzoo.objectives import Hinge
from ganzoo.training import AdversarialModule

from ._common import NetSpec, adam, networks


class SNGAN(AdversarialModule):
    """SN-GAN (Miyato et al. 2018): spectral norm in the critic, hinge loss, Adam(2e-4, betas=(0, 0.9)),
    n_critic (n_dis) = 5."""

    def __init__(
        self,
        data_dim: int = 2,
        latent_dim: int = 2,
        hidden_dim: int = 512,
        n_layers: int = 3,
        generator: NetSpec | None = None,
        critic: NetSpec | None = None,
        n_critic: int = 5,
        lr: float = 2e-4,
        betas: tuple[float, float] = (0.0, 0.9),
        max_gen_iters: int | None = None,
        ema_decay: float | None = None,
        lr_schedule: str = "constant",
        lr_decay_start: int = 0,
    ):
        g, d, shape = networks(
            generator, critic, data_dim=data_dim, latent_dim=latent_dim, hidden_dim=hidden_dim, n_layers=n_layers,
        )
        super().__init__(
            g, d, Hinge(), [SpectralNorm()], n_critic=n_critic, g_optimizer=adam(lr, betas),
            d_optimizer=adam(lr, betas), max_gen_iters=max_gen_iters, ema_decay=ema_decay, data_shape=shape,
            lr_schedule=lr_schedule, lr_decay_start=lr_decay_start,
        )
        self.save_hyperparameters()
