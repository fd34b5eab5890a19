"""Exponential moving average of the generator's weights (buffers such as BN statistics are copied)."""

from __future__ import annotations

import copy

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
