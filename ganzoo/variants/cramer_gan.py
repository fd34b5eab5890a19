from __future__ import annotations

from ganzoo.constraints import GradientPenalty
from ganzoo.objectives import Energy
from ganzoo.training import AdversarialModule

from ._common import NetSpec, adam, networks


class CramerGAN(AdversarialModule):
    """Cramer GAN (Bellemare et al. 2017, Algorithm 1): critic h with a 256-d output, surrogate critic
    f(x) = ||h(x) - h(x'_g)|| - ||h(x)||, gradient penalty lambda=10 on f, generator loss = energy distance
    with two independent generated batches; n_critic=5 and Adam(1e-4, betas=(0.5, 0.9)) as in the WGAN-GP
    setup the paper builds on."""

    def __init__(
        self,
        data_dim: int = 2,
        latent_dim: int = 2,
        hidden_dim: int = 512,
        n_layers: int = 3,
        generator: NetSpec | None = None,
        critic: NetSpec | None = None,
        feature_dim: int = 256,
        gp_weight: float = 10.0,
        n_critic: int = 5,
        lr: float = 1e-4,
        betas: tuple[float, float] = (0.5, 0.9),
        max_gen_iters: int | None = None,
        ema_decay: float | None = None,
        lr_schedule: str = "constant",
        lr_decay_start: int = 0,
    ):
        g, d, shape = networks(
            generator, critic, data_dim=data_dim, latent_dim=latent_dim, hidden_dim=hidden_dim, n_layers=n_layers,
            critic_out=feature_dim,
        )
        super().__init__(
            g, d, Energy(), [GradientPenalty(gp_weight)], n_critic=n_critic, g_optimizer=adam(lr, betas),
            d_optimizer=adam(lr, betas), max_gen_iters=max_gen_iters, ema_decay=ema_decay, data_shape=shape,
            lr_schedule=lr_schedule, lr_decay_start=lr_decay_start,
        )
        self.save_hyperparameters()
