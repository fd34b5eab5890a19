"""Exponential moving average of the generator's weights (buffers such as BN statistics are copied)."""

from __future__ import annotations

import copy

import torch
from torch import nn


def make_ema(module: nn.Module) -> nn.Module:
    """A frozen copy of ``module`` to hold the moving average."""
    ema = copy.deepcopy(module)
    ema.requires_grad_(False)
    ema.eval()
    return ema


@torch.no_grad()
def update_ema(ema: nn.Module, module: nn.Module, decay: float) -> None:
    """ema <- decay * ema + (1 - decay) * module for parameters; buffers (BN running stats) are copied."""
    for pe, p in zip(ema.parameters(), module.parameters(), strict=True):
        pe.lerp_(p.detach(), 1.0 - decay)
    for be, b in zip(ema.buffers(), module.buffers(), strict=True):
        be.copy_(b)
