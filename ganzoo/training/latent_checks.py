"""The latent GAN's construction checks: its settings, its networks against each other and the data, and the
small-data warning. Each raises a one-line ``ValueError`` naming the argument before any training starts."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from ganzoo.augment import Augment
from ganzoo.checks import check_positive
from ganzoo.nets.base import require_generator
from ganzoo.objectives import Objective
from ganzoo.schedules import CriticSchedule

from .optim import LR_SCHEDULES, OptimizerSpec

#: fewer training images than this and no ``augment``: ``fit`` warns (DiffAugment's and ADA's papers show FID
#: degrading well before this size without augmentation: CIFAR-10 at 10-20% of its 50,000 images)
SMALL_DATA = 5000


def check_settings(
    max_gen_iters: int | None,
    generator: nn.Module,
    g_optimizer: OptimizerSpec,
    d_optimizer: OptimizerSpec,
    *,
    augment: Augment | dict[str, Any] | None,
    schedule: CriticSchedule | None,
    ema_decay: float | None,
    ema_rampup: float | None,
    lr_schedule: str,
    lr_decay_start: int,
    lr_end_factor: float | None,
    beta2_end: float | None,
) -> None:
    """Check :class:`~ganzoo.training.LatentGAN`'s settings (arguments of the same names)."""
    if augment is not None and not isinstance(augment, (Augment, dict)):
        raise ValueError(f"augment must be a dict such as {{'policy': 'translation,cutout'}} (DiffAugment) or "
                         f"{{'policy': 'translation,cutout', 'ada_target': 0.6}} (ADA), got {augment!r}")
    if schedule is not None and not isinstance(schedule, CriticSchedule):
        raise ValueError(f"schedule must be a CriticSchedule, got {schedule!r}")
    if ema_decay is not None and not 0 < ema_decay < 1:
        raise ValueError(f"ema_decay must be in (0, 1) or None, got {ema_decay!r}")
    if ema_rampup is not None:
        check_positive("ema_rampup", ema_rampup)
        if ema_decay is None:
            raise ValueError(f"ema_rampup={ema_rampup!r} ramps the generator average up: set ema_decay too")
    require_generator(generator, "generator")
    if lr_schedule not in LR_SCHEDULES:
        raise ValueError(f"lr_schedule must be one of {LR_SCHEDULES}, got {lr_schedule!r}")
    if lr_schedule != "constant" and max_gen_iters is None:
        raise ValueError(f"lr_schedule={lr_schedule!r} ends at max_gen_iters; set max_gen_iters")
    penalty_schedule = (schedule or CriticSchedule()).penalty_schedule
    if penalty_schedule != "constant" and max_gen_iters is None:
        raise ValueError(f"penalty_schedule={penalty_schedule!r} ends at max_gen_iters; set max_gen_iters")
    if not isinstance(lr_decay_start, int) or lr_decay_start < 0 or (
        max_gen_iters is not None and lr_decay_start >= max_gen_iters
    ):
        raise ValueError(f"lr_decay_start must be an integer in [0, max_gen_iters), got {lr_decay_start!r}")
    for name, value in (("lr_end_factor", lr_end_factor), ("beta2_end", beta2_end)):
        if value is not None and lr_schedule == "constant":
            raise ValueError(f"{name}={value!r} is the end of the learning-rate schedule: set lr_schedule to "
                             "'linear' or 'cosine'")
    if lr_end_factor is not None:
        check_positive("lr_end_factor", lr_end_factor, allow_zero=True)
    if beta2_end is not None:
        if g_optimizer.name != "adam" or d_optimizer.name != "adam":
            raise ValueError(f"beta2_end is Adam's beta2; the optimizers are {g_optimizer.name!r} and "
                             f"{d_optimizer.name!r}")
        if isinstance(beta2_end, bool) or not isinstance(beta2_end, (int, float)) or not 0 <= beta2_end < 1:
            raise ValueError(f"beta2_end must be a number in [0, 1), got {beta2_end!r}")


@torch.no_grad()
def output_shape(generator: nn.Module, critic: nn.Module, objective: Objective,
                 data_shape: Sequence[int] | None) -> tuple[int, ...]:
    """The generator's output shape, after one forward pass of two samples through both networks (in eval mode)
    that checks their classes, ``data_shape`` and the critic's output size against what ``objective`` needs."""
    was_training = (generator.training, critic.training)
    generator.eval()
    critic.eval()
    try:
        num_classes = int(generator.num_classes)
        labels = torch.zeros(2, dtype=torch.long) if num_classes else None
        critic_classes = int(getattr(critic, "num_classes", 0) or 0)
        if critic_classes != num_classes:
            raise ValueError(
                f"the generator has num_classes={num_classes} but the critic has num_classes="
                f"{critic_classes}; a conditional GAN needs both conditioned on the same classes"
            )
        z = generator.sample_latent(2, device=torch.device("cpu"))
        fake = generator(z) if labels is None else generator(z, labels)
        out_shape = tuple(fake.shape[1:])
        if data_shape is not None and tuple(data_shape) != out_shape:
            raise ValueError(f"generator output shape {out_shape} does not match data_shape {tuple(data_shape)}")
        out = critic(fake) if labels is None else critic(fake, labels)
        if objective.scalar_critic and out.shape[1:].numel() != 1:
            raise ValueError(
                f"objective {objective.name!r} needs a scalar critic, but the critic outputs "
                f"{tuple(out.shape[1:])} per sample"
            )
    finally:
        generator.train(was_training[0])
        critic.train(was_training[1])
    return out_shape


def check_datamodule(module: Any, dm: Any) -> None:
    """``module``'s output shape and classes against datamodule ``dm``'s (at setup), after the small-data warning."""
    warn_small_data(module, dm)
    shape = getattr(dm, "data_shape", None)
    if shape is not None and tuple(shape) != module.output_shape:
        raise ValueError(
            f"generator output shape {module.output_shape} does not match the data's shape {tuple(shape)} "
            f"(datamodule {type(dm).__name__}); set the model's data_dim (2-D) or the networks' channels "
            "and resolution (images) to match"
        )
    dm_classes = getattr(dm, "num_classes", None)
    if module.num_classes and dm_classes is not None and dm_classes != module.num_classes:
        raise ValueError(
            f"the conditional model has num_classes={module.num_classes} but datamodule {type(dm).__name__} "
            f"has {dm_classes} classes; set the networks' num_classes to {dm_classes}"
            + (" (the data is unlabelled: use an unconditional model)" if dm_classes == 0 else "")
        )


def warn_small_data(module: Any, dm: Any) -> None:
    """One warning (rank 0) when an image datamodule holds fewer than :data:`SMALL_DATA` training images and the
    critic's inputs are not augmented: such a critic memorises the set, and the generator collapses or copies."""
    if module.augment is not None or not hasattr(dm, "training_set") or module.trainer.global_rank != 0:
        return
    n = len(dm.training_set())
    if n < SMALL_DATA:
        warnings.warn(
            f"training on {n:,} images without augmentation: a critic memorises a set this small; set "
            "model.init_args.augment (e.g. {policy: 'translation,cutout', ada_target: 0.6}) and check the result "
            "with `ganzoo eval --metrics copy` (docs: How-to > Train on a few hundred images of your own, "
            "howto/small-data)", UserWarning, stacklevel=3)
