"""The latents of the samples: a counter-based generator (Philox-4x32-10 keyed by the seed, counter = sample index),
vectorised on any device, so sample ``i``'s latent depends only on ``(seed, i)`` (:func:`latents`), and the truncation
of the prior (:func:`check_truncation`). Imports neither Lightning nor the Hub client.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ganzoo.checks import check_int

_MASK32 = 0xFFFFFFFF
_PHILOX_M = (0xD2511F53, 0xCD9E8D57)  # Philox-4x32 multipliers (Salmon et al. 2011, Random123)
_PHILOX_W = (0x9E3779B9, 0xBB67AE85)  # Weyl key increments
_TWO_PI = 2 * math.pi


def philox4x32(counter: Sequence[Tensor], key: tuple[int, int], rounds: int = 10) -> tuple[Tensor, ...]:
    """Philox-4x32-``rounds`` of the counters ``(c0, c1, c2, c3)`` under ``key = (k0, k1)``, element-wise.

    ``counter``: four int64 tensors of one shape holding 32-bit words (values in ``[0, 2**32)``), on any
    device; returns the four output words the same way. Torch has no uint32 arithmetic, so the 32x32 -> 64-bit
    products are taken in int64, whose multiply wraps modulo 2**64 on CPU and CUDA: the low 64 bits of the
    product, which hold both halves, are exact (the Random123 known-answer vectors, checked in the tests,
    include the all-ones words, where the product exceeds 2**63).
    """
    c0, c1, c2, c3 = counter
    dev = c0.device
    n = c0.numel()
    # One round: c0' = hi(M1 c2) ^ c1 ^ k0, c1' = lo(M1 c2), c2' = hi(M0 c0) ^ c3 ^ k1, c3' = lo(M0 c0). The
    # xored words are kept in the rows where they meet the products' high words, and the low words are the
    # products themselves (their upper 32 bits are junk until the final mask): 6 tensor ops a round.
    a = torch.stack([c0.reshape(-1), c2.reshape(-1)])  # the multiplied words (c0, c2)
    b = torch.stack([c3.reshape(-1), c1.reshape(-1)])  # the xored words (c3, c1)
    mult = torch.tensor([[_PHILOX_M[0]], [_PHILOX_M[1]]], dtype=torch.int64, device=dev)
    k0, k1 = int(key[0]) & _MASK32, int(key[1]) & _MASK32
    keys = [[(k1 + r * _PHILOX_W[1]) & _MASK32, (k0 + r * _PHILOX_W[0]) & _MASK32] for r in range(rounds)]
    keys_t = torch.tensor(keys, dtype=torch.int64, device=dev).unsqueeze(-1)  # (rounds, 2, 1): (k1, k0)
    p = torch.empty((2, n), dtype=torch.int64, device=dev)
    h = torch.empty_like(p)
    for r in range(rounds):
        torch.mul(a, mult, out=p)                # (c0 M0, c2 M1): the low 64 bits of the products
        b ^= keys_t[r]                           # (c3 ^ k1, c1 ^ k0)
        torch.bitwise_right_shift(p, 32, out=h)  # high words (sign-extended)
        h ^= b                                   # (c2', c0') in the low 32 bits
        torch.bitwise_and(h[1], _MASK32, out=a[0])
        torch.bitwise_and(h[0], _MASK32, out=a[1])
        b, p = p, b                              # (c3', c1') in the low 32 bits
    b &= _MASK32
    shape = c0.shape
    return a[0].view(shape), b[1].view(shape), a[1].view(shape), b[0].view(shape)


def _index_tensor(indices: Sequence[int] | Tensor, device: torch.device) -> Tensor:
    if isinstance(indices, range):
        if indices.step != 1 or (len(indices) and indices.start < 0):
            return _index_tensor(list(indices), device)
        return torch.arange(indices.start, indices.start + len(indices), dtype=torch.int64, device=device)
    if isinstance(indices, Tensor):
        if indices.dtype.is_floating_point or indices.dtype == torch.bool or indices.dim() != 1:
            raise ValueError(f"indices must be a 1-D tensor of integers, got {indices.dtype} {tuple(indices.shape)}")
        idx = indices.to(device=device, dtype=torch.int64)
    else:
        values = [int(i) for i in indices]
        idx = torch.tensor(values, dtype=torch.int64, device=device)
    if idx.numel() and bool((idx < 0).any()):
        raise ValueError("sample indices must be >= 0")
    return idx


def latents(
    indices: Sequence[int] | Tensor,
    seed: int,
    latent_dim: int,
    distribution: str = "normal",
    *,
    device: str | torch.device | None = None,
    truncation: float | None = None,
) -> Tensor:
    """The latents ``(len(indices), latent_dim)`` (float32, on ``device``, default CPU) of samples ``indices``.

    Latent coordinates ``4j .. 4j+3`` of sample ``i`` are the Philox-4x32-10 block
    with key ``(seed mod 2**32, seed >> 32)`` (64-bit seeds) and counter ``(j, 0, i mod 2**32, i >> 32)``,
    computed with vectorised torch integer ops on ``device``; so sample ``i``'s latent depends only on
    ``(seed, i)`` (and its first ``k`` coordinates not on ``latent_dim``). ``"normal"``: Box-Muller on word
    pairs ``(w0, w1)``, ``(w2, w3)``: radius ``sqrt(-2 ln((w0 + 1/2) / 2**32))`` (in float64, so the tails
    reach 6.7 sigma), angle ``2 pi w1 / 2**32``; ``"uniform"``: ``(w + 1/2) / 2**31 - 1`` (exact in float64,
    then rounded once to float32, so in [-1, 1] and bitwise equal on every device). Other devices agree with
    the CPU to float32 rounding of ``log``/``cos``/``sin``. Distinct ``(i, j)`` give distinct Philox words (a
    bijection of the counter), so latents can coincide only through their float32 rounding: among 10**7
    latents of 2 normal coordinates the expected number of coinciding pairs is about 0.01, and with 3 or more
    coordinates it is negligible.

    ``truncation=psi`` (a finite number > 0; ``None``, the default, is off and leaves the latents bitwise as
    above): every coordinate outside ``[-psi, psi]`` is redrawn, the others are kept, so each coordinate is
    exactly the prior restricted to ``[-psi, psi]`` (a truncated normal, not a rescaling). The redraw of
    coordinate ``c = 4j + k`` of sample ``i`` is word ``k`` of the Philox-4x32-10 block with the same key and
    counter ``(j, 1, i mod 2**32, i >> 32)`` (the second counter word, 0 for the latents, is 1), so it too depends
    only on ``(seed, i)``. One redraw suffices, by the inverse CDF: the word gives
    ``u = (w + 1/2) / 2**32``, ``v = min(u, 1 - u)``, and the coordinate is ``-/+ Phi^-1(a + v (1 - 2a))`` for
    ``u <`` / ``>= 1/2``, with ``a = Phi(-psi)`` (``torch.special.ndtr``/``ndtri`` in float64, always from the lower
    tail, so it stays accurate for any psi), clamped to ``[-psi, psi]`` against rounding. Uniform latents
    (on ``[-1, 1]``): the redraw is ``(2u - 1) psi``, uniform on ``[-psi, psi]``; psi >= 1 changes nothing.
    """
    psi = check_truncation(truncation)
    check_int("seed", seed, 0)
    check_int("latent_dim", latent_dim, 1)
    if seed >= 2**64:
        raise ValueError(f"seed must be < 2**64, got {seed!r}")
    if distribution not in ("normal", "uniform"):
        raise ValueError(f"latent distribution must be 'normal' or 'uniform', got {distribution!r}")
    dev = torch.device(device) if device is not None else torch.device("cpu")
    idx = _index_tensor(indices, dev)
    n, blocks = idx.numel(), -(-latent_dim // 4)
    i = idx.unsqueeze(1).expand(n, blocks)
    j = torch.arange(blocks, dtype=torch.int64, device=dev).expand(n, blocks)
    w0, w1, w2, w3 = philox4x32((j, torch.zeros_like(i), i & _MASK32, i >> 32), (seed & _MASK32, seed >> 32))
    if distribution == "normal":
        pairs = ([w0], [w1]) if latent_dim <= 2 else ([w0, w2], [w1, w3])  # 1 or 2 Box-Muller pairs a block
        u = torch.stack(pairs[0]).double().add_(0.5).mul_(2.0**-32)  # (0, 1), never 0
        radius = u.log_().mul_(-2.0).sqrt_()
        angle = torch.stack(pairs[1]).double().mul_(_TWO_PI * 2.0**-32)
        z = torch.stack([radius * angle.cos(), radius.mul_(angle.sin_())], dim=-1)  # (pairs, n, blocks, 2)
        z = z.to(torch.float32).permute(1, 2, 0, 3)  # (n, blocks, pair, cos|sin) -> coordinate 4j + 2 pair + k
    else:
        z = torch.stack([w0, w1, w2, w3], dim=-1).double()  # (n, blocks, 4)
        z = z.add_(0.5).mul_(2.0**-31).sub_(1.0).to(torch.float32)  # exact in float64, then one rounding
    z = z.reshape(n, -1)[:, :latent_dim].contiguous()
    return z if psi is None else _truncate(z, idx, seed, psi, distribution)


def check_truncation(truncation: Any) -> float | None:
    """``truncation`` as a float, or ``None`` (off); anything but a finite number > 0 is a ``ValueError``."""
    if truncation is None:
        return None
    ok = isinstance(truncation, (int, float, np.integer, np.floating)) and not isinstance(truncation, bool)
    if not ok or not math.isfinite(float(truncation)) or truncation <= 0:
        raise ValueError(f"truncation must be a finite number > 0 (latent coordinates are redrawn until they lie "
                         f"within +-truncation) or None, got {truncation!r}")
    return float(truncation)


def _truncate(z: Tensor, idx: Tensor, seed: int, psi: float, distribution: str) -> Tensor:
    """Redraw, in place, the coordinates of ``z`` (rows = samples ``idx``) outside ``[-psi, psi]`` (see ``latents``)."""
    rows, cols = (z.abs() > psi).nonzero(as_tuple=True)
    if rows.numel() == 0:
        return z
    i, j = idx[rows], cols // 4
    words = philox4x32((j, torch.ones_like(j), i & _MASK32, i >> 32), (seed & _MASK32, seed >> 32))
    w = torch.stack(words).gather(0, (cols % 4).unsqueeze(0))[0]
    u = w.double().add_(0.5).mul_(2.0**-32)  # (0, 1), never 0, 1/2 or 1
    if distribution == "normal":
        a = float(torch.special.ndtr(torch.tensor(-psi, dtype=torch.float64)))
        v = torch.minimum(u, 1.0 - u)  # 1 - u is exact in float64
        x = torch.special.ndtri(v.mul_(1.0 - 2.0 * a).add_(a))  # in [-psi, 0]
        x = torch.where(u < 0.5, x, -x)
    else:
        x = u.mul_(2.0).sub_(1.0).mul_(psi)
    z[rows, cols] = x.clamp_(-psi, psi).to(z.dtype)
    return z
