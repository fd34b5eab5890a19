"""The latent GAN from pieces built by hand (:class:`AdversarialModule`): nothing built from a config."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import nn

from ganzoo.augment import Augment
from ganzoo.constraints import Constraint
from ganzoo.objectives import Objective
from ganzoo.schedules import CriticSchedule

from .latent_gan import LatentGAN
from .optim import OptimizerSpec


class AdversarialModule(LatentGAN):
    """The latent GAN of :class:`LatentGAN` from pieces built by hand: networks, objective and constraint objects (or
    their names), a :class:`~ganzoo.training.CriticSchedule` and two :class:`~ganzoo.training.OptimizerSpec`. Nothing
    is built from a config, so nothing is saved as hyperparameters: a checkpoint holds the networks' weights.

    Args:
        generator: maps latents ``(B, latent_dim)`` to samples ``(B, *data_shape)``; must expose
            ``latent_dim`` (and optionally ``sample_latent``).
        critic: maps samples to ``(B,)``/``(B, 1)`` (scalar objectives) or ``(B, D)`` (Cramer, MMD).
        objective: the divergence (:mod:`ganzoo.objectives`): an objective, its name or a mapping with arguments.
        constraints: Lipschitz constraints (:mod:`ganzoo.constraints`): constraints, names or mappings.
        schedule: the critic/generator schedule (:class:`~ganzoo.training.CriticSchedule`: n_critic, the WGAN
            warm-up, lazy regularisation).
        g_optimizer, d_optimizer: the generator's and the critic's optimizers.
        data_shape: shape of one data sample; checked against the generator's output now and against
            the datamodule's ``data_shape`` at setup.
        export_dir: the folder, under the trainer's ``default_root_dir``, the generator is exported to at the end of
            fit (``None``: no export).
        check_finite: the divergence guard (:mod:`ganzoo.training.gan_module`).

    The other arguments (``max_gen_iters``, ``ema_decay``, ``ema_rampup``, the learning-rate schedule, ``compile``,
    ``channels_last``, ``augment``, which may also be an :class:`~ganzoo.augment.Augment`) are :class:`LatentGAN`'s.
    """

    def __init__(
        self,
        generator: nn.Module,
        critic: nn.Module,
        objective: Objective | str | dict[str, Any],
        constraints: Sequence[Constraint | str | dict[str, Any]] = (),
        schedule: CriticSchedule | None = None,
        g_optimizer: OptimizerSpec = OptimizerSpec(),
        d_optimizer: OptimizerSpec = OptimizerSpec(),
        max_gen_iters: int | None = None,
        ema_decay: float | None = None,
        data_shape: Sequence[int] | None = None,
        export_dir: str | None = "generator",
        check_finite: bool = True,
        lr_schedule: str = "constant",
        lr_decay_start: int = 0,
        compile: bool = False,
        ema_rampup: float | None = None,
        channels_last: bool = False,
        lr_end_factor: float | None = None,
        beta2_end: float | None = None,
        augment: Augment | dict[str, Any] | None = None,
    ):
        super(LatentGAN, self).__init__(max_gen_iters, export_dir, check_finite)  # GanModule's: no config to build
        self.assemble(generator, critic, objective, constraints, schedule, g_optimizer, d_optimizer,
                      ema_decay=ema_decay, data_shape=data_shape, lr_schedule=lr_schedule,
                      lr_decay_start=lr_decay_start, compile=compile, ema_rampup=ema_rampup,
                      channels_last=channels_last, lr_end_factor=lr_end_factor, beta2_end=beta2_end, augment=augment)
