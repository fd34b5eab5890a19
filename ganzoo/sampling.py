"""Inference-only sampling (no Lightning import)."""

from __future__ import annotations

import os

import torch
from torch import Tensor, nn


def load(name_or_path: str | os.PathLike, device: str | torch.device = "cpu") -> nn.Module:
    """Load an exported generator from a local folder (config.json + model.safetensors), in eval mode."""
    from ganzoo.hub import load_generator

    return load_generator(name_or_path, device=device)


@torch.no_grad()
def sample(
    model: nn.Module | str | os.PathLike,
    n: int,
    *,
    seed: int | None = None,
    batch_size: int = 256,
    device: str | torch.device | None = None,
) -> Tensor:
    """Draw ``n`` samples ``(n, *output_shape)`` from a generator module or an exported folder.

    Latents for all ``n`` samples are drawn from one stream seeded by ``seed``, so the result does not
    depend on ``batch_size``. 2-D models return points in data coordinates.
    """
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size!r}")
    if not isinstance(model, nn.Module):
        model = load(model, device=device or "cpu")
    device = torch.device(device) if device is not None else next(model.parameters()).device
    gen = torch.Generator().manual_seed(seed) if seed is not None else None
    was_training = model.training
    model.eval()
    try:
        if hasattr(model, "sample_latent"):
            z = model.sample_latent(n, generator=gen, device="cpu")
        else:
            z = torch.randn(n, model.latent_dim, generator=gen)
        out = [model(z[i : i + batch_size].to(device)).cpu() for i in range(0, n, batch_size)]
    finally:
        model.train(was_training)
    return torch.cat(out)
