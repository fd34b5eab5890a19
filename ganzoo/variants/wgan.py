from __future__ import annotations

from ganzoo.constraints import WeightClipping
from ganzoo.objectives import Wasserstein
from ganzoo.training import AdversarialModule, OptimizerSpec

from ._common import NetSpec, networks


class WGAN(AdversarialModule):
    """WGAN (Arjovsky et al. 2017, Algorithm 1): clip c=0.01, RMSProp(5e-5), n_critic=5, and the reference
    code's warm-up (100 critic steps for the first 25 generator iterations and every 500th)."""

    def __init__(
        self,
        data_dim: int = 2,
        latent_dim: int = 2,
        hidden_dim: int = 512,
        n_layers: int = 3,
        generator: NetSpec | None = None,
        critic: NetSpec | None = None,
        clip: float = 0.01,
        n_critic: int = 5,
        wgan_warmup: bool = True,
        lr: float = 5e-5,
        max_gen_iters: int | None = None,
        ema_decay: float | None = None,
        lr_schedule: str = "constant",
        lr_decay_start: int = 0,
    ):
        g, d, shape = networks(
            generator, critic, data_dim=data_dim, latent_dim=latent_dim, hidden_dim=hidden_dim, n_layers=n_layers,
        )
        rms = OptimizerSpec("rmsprop", lr)
        super().__init__(
            g, d, Wasserstein(), [WeightClipping(clip)], n_critic=n_critic, wgan_warmup=wgan_warmup,
            g_optimizer=rms, d_optimizer=rms, max_gen_iters=max_gen_iters, ema_decay=ema_decay,
            data_shape=shape,
            lr_schedule=lr_schedule, lr_decay_start=lr_decay_start,
        )
        self.save_hyperparameters()
