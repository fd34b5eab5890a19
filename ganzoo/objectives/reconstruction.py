"""Reconstruction terms of the image-to-image GANs (pix2pix, CycleGAN): pure functions of tensors.

pix2pix (Isola et al. 2017, eq. 3):   L_L1(G) = E ||y - G(x)||_1
CycleGAN (Zhu et al. 2017, eq. 2):    L_cyc(G, F) = E ||F(G(x)) - x||_1 + E ||G(F(y)) - y||_1
CycleGAN identity (Sec. 5.2):         L_idt(G, F) = E ||G(y) - y||_1 + E ||F(x) - x||_1
Every L1 term is a mean over pixels and channels, as the reference implementation's ``nn.L1Loss``.
"""

from __future__ import annotations

from torch import Tensor


def l1(a: Tensor, b: Tensor) -> Tensor:
    """Mean absolute difference of two equally shaped tensors."""
    if a.shape != b.shape:
        raise ValueError(f"l1: shapes differ, {tuple(a.shape)} vs {tuple(b.shape)}")
    return (a - b).abs().mean()


def cycle_loss(x: Tensor, x_cycled: Tensor, y: Tensor, y_cycled: Tensor) -> Tensor:
    """L_cyc = ||F(G(x)) - x||_1 + ||G(F(y)) - y||_1 (each a per-pixel mean)."""
    return l1(x_cycled, x) + l1(y_cycled, y)


def identity_loss(x: Tensor, f_of_x: Tensor, y: Tensor, g_of_y: Tensor) -> Tensor:
    """L_idt = ||G(y) - y||_1 + ||F(x) - x||_1: each generator should leave images of its target domain alone."""
    return l1(g_of_y, y) + l1(f_of_x, x)
