from __future__ import annotations

from ganzoo.constraints import make_constraint
from ganzoo.objectives import make_objective
from ganzoo.training import AdversarialModule

from ._common import NetSpec, adam, build_net

# Miyato & Koyama (2018), CIFAR-10: SN-GAN ResNets with conditional batch norm and a projection critic
DEFAULT_GENERATOR: NetSpec = {"arch": "resnet_generator", "channels": 3, "resolution": 32, "num_classes": 10}
DEFAULT_CRITIC: NetSpec = {"arch": "resnet_critic", "channels": 3, "resolution": 32, "num_classes": 10}


class CGAN(AdversarialModule):
    """Class-conditional GAN with a projection discriminator (Miyato & Koyama 2018): a generator with conditional
    batch norm, a critic ``f(x, y) = psi(phi(x)) + <embed(y), phi(x)>``, hinge loss, spectral norm in the critic,
    n_dis=5, Adam(2e-4, betas=(0, 0.9)).

    Any core objective (``ganzoo.objectives.OBJECTIVES``: ``"nonsaturating"``, ``"wasserstein"``, ...) and
    constraints (``ganzoo.constraints.CONSTRAINTS``: ``"gradient_penalty"``, ...) can replace the defaults. Both
    networks must be conditional on the same ``num_classes`` as the data; batches are ``(images, labels)``.
    Sample classes with ``ganzoo.sample(model, n, labels=...)``.
    """

    def __init__(
        self,
        generator: NetSpec | None = None,
        critic: NetSpec | None = None,
        objective: str = "hinge",
        constraints: list[str] | None = None,
        n_critic: int = 5,
        lr: float = 2e-4,
        betas: tuple[float, float] = (0.0, 0.9),
        max_gen_iters: int | None = None,
        ema_decay: float | None = None,
        lr_schedule: str = "constant",
        lr_decay_start: int = 0,
    ):
        g = build_net(generator if generator is not None else DEFAULT_GENERATOR, "generator")
        d = build_net(critic if critic is not None else DEFAULT_CRITIC, "critic")
        if not getattr(g, "num_classes", 0):
            raise ValueError("CGAN needs a conditional generator: set num_classes in the generator spec")
        names = ["spectral_norm"] if constraints is None else list(constraints)
        super().__init__(
            g, d, make_objective(objective), [make_constraint(n) for n in names], n_critic=n_critic,
            g_optimizer=adam(lr, betas), d_optimizer=adam(lr, betas), max_gen_iters=max_gen_iters,
            ema_decay=ema_decay, lr_schedule=lr_schedule, lr_decay_start=lr_decay_start,
        )
        self.save_hyperparameters()
