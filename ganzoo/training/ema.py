"""Exponential moving average of the generator's weights, its warm-up, and the batch-norm statistics of the average."""

from __future__ import annotations

import copy
import math

import torch
from torch import Tensor, nn


def make_ema(module: nn.Module) -> nn.Module:
    """A frozen copy of ``module`` to hold the moving average."""
    ema = copy.deepcopy(module)
    ema.requires_grad_(False)
    ema.eval()
    return ema


@torch.no_grad()
def update_ema(ema: nn.Module, module: nn.Module, decay: float, finite: Tensor | None = None) -> None:
    """ema <- decay * ema + (1 - decay) * module for parameters; buffers (BN running stats) are copied.

    ``finite`` (a 0-dim bool tensor, on the device: are ``module``'s weights finite?) masks the update without a
    host sync: when it is false the EMA keeps its values (``lerp`` towards itself), so non-finite weights never
    reach it. When it is true the result is bitwise the unmasked update.
    """
    pairs = list(zip(ema.parameters(), module.parameters(), strict=True))
    targets = [p.detach() if finite is None else torch.where(finite, p.detach(), pe) for pe, p in pairs]
    if pairs:  # one multi-tensor op (torch.optim.swa_utils' way)
        torch._foreach_lerp_([pe for pe, _ in pairs], targets, 1.0 - decay)
    for be, b in zip(ema.buffers(), module.buffers(), strict=True):
        be.copy_(b if finite is None or not b.is_floating_point() else torch.where(finite, b, be))


def ema_decay_at(decay: float, rampup: float, gen_iter: int) -> float:
    """StyleGAN2-ADA's EMA warm-up (Karras et al. 2020, ``ema_rampup``): the decay at generator iteration
    ``gen_iter`` (1-based) whose half-life is ``min(half-life of decay, rampup * gen_iter)`` iterations.

    >>> round(ema_decay_at(0.999, 0.05, 100), 4)  # half-life 5 iterations at iteration 100
    0.8706
    >>> ema_decay_at(0.999, 0.05, 100_000) == 0.999  # the ramp ends at the decay's own half-life (693 iterations)
    True
    """
    half_life = math.log(0.5) / math.log(decay)
    ramped = rampup * gen_iter
    if ramped >= half_life:
        return decay
    return 0.5 ** (1.0 / max(ramped, 1e-8))


BATCH_NORMS = (nn.modules.batchnorm._BatchNorm,)


def has_batch_norm(module: nn.Module) -> bool:
    return any(isinstance(m, BATCH_NORMS) for m in module.modules())


@torch.no_grad()
def refresh_bn_stats(module: nn.Module, latents, n: int = 4096, batch_size: int = 256, seed: int = 0) -> None:
    """Recompute the batch-norm running statistics of a generator average for its own weights.

    The running statistics a generator collects in training belong to its raw weights, not to their average, so
    the average's are recomputed (as ``torch.optim.swa_utils.update_bn`` does for SWA): the average runs in train
    mode on ``n`` latents from ``latents(n, seed) -> (z, labels or None)``, ``batch_size`` at a time, with each
    batch-norm layer's momentum set to ``None`` (the exact mean of the batches' statistics); then the layers'
    momenta and eval mode are restored. Deterministic for a given ``seed``.
    """
    bns = [m for m in module.modules() if isinstance(m, BATCH_NORMS)]
    if not bns:
        return
    momenta = [m.momentum for m in bns]
    was_training = module.training
    z, labels = latents(n, seed)
    try:
        for m in bns:
            m.reset_running_stats()
            m.momentum = None
        module.train()
        for i in range(0, n, batch_size):
            zi = z[i: i + batch_size]
            module(zi) if labels is None else module(zi, labels[i: i + batch_size])
    finally:
        for m, mom in zip(bns, momenta):
            m.momentum = mom
        module.train(was_training)


def to_channels_last(module: nn.Module) -> nn.Module:
    """Store ``module``'s 4-D parameters and buffers (convolution weights) in channels-last memory format, in place
    (values unchanged; state dicts and exports are written contiguous)."""
    return module.to(memory_format=torch.channels_last)
