"""Pixel-space scores shared by translation (:mod:`ganzoo.metrics.translation`) and projection
(:mod:`ganzoo.projection`). Imports only torch (no Lightning)."""

from __future__ import annotations

import torch
from torch import Tensor

PSNR_CAP_DB = 100.0  # identical images (and any MSE <= 1e-10) score this, not inf: means over a set stay finite


def psnr(x: Tensor, y: Tensor) -> Tensor:
    """Per-image PSNR in dB of ``x`` against ``y`` (``(N, ...)`` images in [0, 1], peak 1):
    ``10 log10(1 / MSE)`` with the MSE of each image computed in float64, capped at :data:`PSNR_CAP_DB` (100 dB,
    an MSE of 1e-10: far beyond any 8-bit image difference, whose smallest nonzero MSE on 32x32 is about
    1.5e-8, 78 dB). Identical images therefore score 100 dB rather than inf, so a mean over a set counts them
    instead of being inf or having to drop them. Returns a float32 ``(N,)`` tensor on the CPU."""
    if x.shape != y.shape:
        raise ValueError(f"psnr: shapes differ, {tuple(x.shape)} vs {tuple(y.shape)}")
    mse = (x.double() - y.double()).pow(2).flatten(1).mean(1)
    return (-10 * torch.log10(mse.clamp_min(10 ** (-PSNR_CAP_DB / 10)))).float().cpu()
