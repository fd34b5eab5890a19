"""The optimizers and their learning-rate schedules: :class:`OptimizerSpec` (an optimizer by name), the latent GANs'
schedule (:func:`lr_factor`, per generator iteration) and the pix2pix/CycleGAN reference one
(:func:`reference_lr_factor`, per epoch)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from ganzoo.checks import check_positive
from ganzoo.schedules import ANNEALS, anneal_factor

LR_SCHEDULES = ANNEALS  # "constant", "linear", "cosine"
OPTIMIZERS = {"adam": torch.optim.Adam, "rmsprop": torch.optim.RMSprop, "sgd": torch.optim.SGD}
FUSED = ("adam", "sgd")  # torch has one-kernel ("fused") implementations of these on CPU and CUDA


@dataclass(frozen=True)
class OptimizerSpec:
    """An optimizer by name (``adam``, ``rmsprop``, ``sgd``) and learning rate; ``betas`` are Adam's (default
    ``(0.5, 0.999)``) and refused for the others.

    Adam and SGD run torch's fused implementation (``fused=True``: the same update, one kernel for all
    parameters instead of several per parameter) when every parameter is a floating-point tensor on the CPU or
    a CUDA device: it saves 0.17 ms per Adam step of the 2-D MLP critic on one CPU thread, and on a GPU the
    launches of the per-parameter kernels. A checkpoint restores the implementation it was saved with.
    """

    name: str = "adam"
    lr: float = 2e-4
    betas: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if self.name not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)}, got {self.name!r}")
        check_positive("lr", self.lr)
        if self.betas is None:
            return
        if self.name != "adam":
            raise ValueError(f"betas are Adam's; optimizer {self.name!r} takes none (got betas={self.betas!r})")
        if len(self.betas) != 2 or not all(0 <= b < 1 for b in self.betas):
            raise ValueError(f"betas must be two numbers in [0, 1), got {self.betas!r}")

    @property
    def adam_betas(self) -> tuple[float, float]:
        """Adam's betas as built: ``betas`` or the default ``(0.5, 0.999)``."""
        return tuple(self.betas or (0.5, 0.999))

    def build(self, params) -> torch.optim.Optimizer:
        params = list(params)
        kwargs: dict[str, Any] = {"lr": self.lr}
        if self.name == "adam":
            kwargs["betas"] = self.adam_betas
        if self.name in FUSED and params and all(
            p.is_floating_point() and p.device.type in ("cpu", "cuda") for p in params
        ):
            kwargs["fused"] = True
        return OPTIMIZERS[self.name](params, **kwargs)


def set_adam_beta2(optimizers: Sequence[torch.optim.Optimizer], specs: Sequence[OptimizerSpec], beta2_end: float,
                   t: float) -> None:
    """Set each Adam optimizer's beta2 (Lightning's wrapper or the optimizer) a fraction ``t`` of the way from its
    spec's start to ``beta2_end``."""
    for opt, spec in zip(optimizers, specs, strict=True):
        beta1, beta2 = spec.adam_betas
        for group in getattr(opt, "optimizer", opt).param_groups:
            group["betas"] = (beta1, beta2 + (beta2_end - beta2) * t)


def lr_factor(gen_iter: int, start: int, end: int, shape: str = "linear", end_factor: float = 0.0) -> float:
    """LR factor of the ``shape`` schedule: 1 until generator iteration ``start``, then to ``end_factor`` at ``end``
    (linearly, or along half a cosine; :func:`~ganzoo.schedules.anneal_factor`)."""
    return anneal_factor(shape, gen_iter, start, end, end_factor)


def reference_lr_factor(epoch: int, n_epochs: int, n_epochs_decay: int) -> float:
    """LR factor of the pix2pix/CycleGAN reference ``linear`` policy for 0-based ``epoch``.

    ``1 - max(0, epoch + 1 - n_epochs) / (n_epochs_decay + 1)``: 1 for the first ``n_epochs`` epochs, then a
    linear decay whose last epoch (``n_epochs + n_epochs_decay - 1``) trains at ``1 / (n_epochs_decay + 1)``; 0
    after that.
    """
    return max(0.0, 1.0 - max(0, epoch + 1 - n_epochs) / float(n_epochs_decay + 1))
