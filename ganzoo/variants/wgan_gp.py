from __future__ import annotations

from ganzoo.constraints import GradientPenalty
from ganzoo.objectives import Wasserstein
from ganzoo.training import AdversarialModule

from ._common import adam, mlp_pair


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
        gp_weight: float = 10.0,
        one_sided: bool = False,
        n_critic: int = 5,
        lr: float = 1e-4,
        betas: tuple[float, float] = (0.0, 0.9),
        max_gen_iters: int | None = None,
        ema_decay: float | None = None,
    ):
        g, d = mlp_pair(data_dim, latent_dim, hidden_dim, n_layers)
        super().__init__(
            g, d, Wasserstein(), [GradientPenalty(gp_weight, one_sided)], n_critic=n_critic,
            g_optimizer=adam(lr, betas), d_optimizer=adam(lr, betas), max_gen_iters=max_gen_iters,
            ema_decay=ema_decay, data_shape=(data_dim,),
        )
        self.save_hyperparameters()
