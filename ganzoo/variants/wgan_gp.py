from __future__ import annotations

from ganzoo.constraints import GradientPenalty
from ganzoo.objectives import Wasserstein
from ganzoo.training import AdversarialModule

from ._common import NetSpec, adam, networks


class WGANGP(AdversarialModule):
    """WGAN-GP (Gulrajani et al. 2017, Algorithm 1): lambda=10, n_critic=5, Adam(1e-4, betas=(0, 0.9)).

    ``one_sided=True`` penalises only gradient norms above 1.
    """

    def __init__(
        self,
        data_dim: int = 2,
        latent_dim: int = 2,
        hidden_dim: int = 512,
        n_layers: int = 3,
        generator: NetSpec | None = None,
        critic: NetSpec | None = None,
        gp_weight: float = 10.0,
        one_sided: bool = False,
        n_critic: int = 5,
        lr: float = 1e-4,
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
            g, d, Wasserstein(), [GradientPenalty(gp_weight, one_sided)], n_critic=n_critic,
            g_optimizer=adam(lr, betas), d_optimizer=adam(lr, betas), max_gen_iters=max_gen_iters,
            ema_decay=ema_decay, data_shape=shape,
            lr_schedule=lr_schedule, lr_decay_start=lr_decay_start,
        )
        self.save_hyperparameters()
