from __future__ import annotations

from ganzoo.objectives import Logistic
from ganzoo.training import AdversarialModule

from ._common import NetSpec, adam, networks


class DCGAN(AdversarialModule):
    """DCGAN (Radford et al. 2016): non-saturating logistic loss, Adam(2e-4, betas=(0.5, 0.999)), n_critic=1."""

    objective_cls = staticmethod(lambda: Logistic(nonsaturating=True))  # variants of the loss override this

    def __init__(
        self,
        data_dim: int = 2,
        latent_dim: int = 2,
        hidden_dim: int = 512,
        n_layers: int = 3,
        generator: NetSpec | None = None,
        critic: NetSpec | None = None,
        n_critic: int = 1,
        lr: float = 2e-4,
        betas: tuple[float, float] = (0.5, 0.999),
        max_gen_iters: int | None = None,
        ema_decay: float | None = None,
        lr_schedule: str = "constant",
        lr_decay_start: int = 0,
    ):
        g, d, shape = networks(
            generator, critic, data_dim=data_dim, latent_dim=latent_dim, hidden_dim=hidden_dim, n_layers=n_layers,
        )
        super().__init__(
            g, d, self.objective_cls(), [], n_critic=n_critic, g_optimizer=adam(lr, betas),
            d_optimizer=adam(lr, betas), max_gen_iters=max_gen_iters, ema_decay=ema_decay, data_shape=shape,
            lr_schedule=lr_schedule, lr_decay_start=lr_decay_start,
        )
        self.save_hyperparameters()
