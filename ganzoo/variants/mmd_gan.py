from __future__ import annotations

from ganzoo.constraints import GradientPenalty
from ganzoo.objectives import MMD
from ganzoo.training import AdversarialModule

from ._common import NetSpec, adam, networks


class MMDGAN(AdversarialModule):
    """MMD GAN with a gradient penalty on the witness function (Binkowski et al. 2018, "Demystifying MMD
    GANs"): unbiased MMD^2 on 16-d critic features, the rq* kernel (rational-quadratic mixture with
    alphas 0.2, 0.5, 1, 2, 5 plus a linear term), penalty weight 1, n_critic=5, Adam(1e-4, betas=(0.5, 0.9))."""

    def __init__(
        self,
        data_dim: int = 2,
        latent_dim: int = 2,
        hidden_dim: int = 512,
        n_layers: int = 3,
        generator: NetSpec | None = None,
        critic: NetSpec | None = None,
        feature_dim: int = 16,
        kernel: str = "rq",
        linear: bool | None = None,
        gp_weight: float = 1.0,
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
            g, d, MMD(kernel, linear), [GradientPenalty(gp_weight)], n_critic=n_critic,
            g_optimizer=adam(lr, betas), d_optimizer=adam(lr, betas), max_gen_iters=max_gen_iters,
            ema_decay=ema_decay, data_shape=shape,
            lr_schedule=lr_schedule, lr_decay_start=lr_decay_start,
        )
        self.save_hyperparameters()
