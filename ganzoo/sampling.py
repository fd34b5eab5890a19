"""Inference-only loading and sampling. Imports neither Lightning nor (for local and zoo models) the Hub client.

``load`` resolves a local folder, a zoo name or a Hub repository id; ``sample`` draws each sample's latent
from a counter-based generator (Philox-4x32-10 keyed by the seed, counter = sample index), vectorised on the
model's device, so results do not depend on batch size, on ``n`` (a prefix of a larger draw is the smaller
draw) or on how the indices are split across devices.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch import Tensor, nn

from ganzoo.checks import check_int
from ganzoo.nets.base import require_generator
from ganzoo.serialization import SAMPLING_VERSION, load_generator

OUTPUT_TYPES = ("tensor", "numpy", "pil")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")  # what read_images reads
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def load(
    name_or_path: str | os.PathLike,
    revision: str | None = None,
    *,
    device: str | torch.device = "cpu",
    cache_dir: str | os.PathLike | None = None,
    token: str | bool | None = None,
    local_files_only: bool = False,
) -> nn.Module:
    """Load a generator, in eval mode, from a local folder, a zoo name or a Hub repository id (``org/name``).

    * a folder: ``config.json`` + ``model.safetensors`` (see ``ganzoo.serialization.load_generator``);
    * a zoo name (``ganzoo.list_pretrained()``): the copy bundled in the package, without network access;
      with ``revision`` the entry's Hub repository at that revision;
    * a Hub id: downloaded through ``huggingface_hub`` and its cache. Without network (or with
      ``HF_HUB_OFFLINE=1``) the cached copy is used, else the bundled copy of a zoo entry published under that
      id; otherwise the error lists what was tried.

    Example:
        >>> import ganzoo
        >>> g = ganzoo.load("dcgan-fashion_mnist")  # a zoo entry: the copy bundled in the package, no network
        >>> type(g).__name__, g.latent_dim, g.output_shape, g.training
        ('DCGANGenerator', 100, (1, 32, 32), False)
        >>> ganzoo.sample(g, 2, seed=0).shape
        torch.Size([2, 1, 32, 32])
    """
    if isinstance(name_or_path, nn.Module) or not isinstance(name_or_path, (str, os.PathLike)):
        raise TypeError(f"name_or_path must be a folder, zoo name or Hub repo id, got {type(name_or_path).__name__}")
    if revision is not None and not isinstance(revision, str):
        raise TypeError(f"revision must be a string (branch, tag or commit), got {revision!r}")
    path = Path(name_or_path)
    if path.is_dir():
        if revision is not None:
            raise ValueError(f"revision={revision!r} applies to Hub repositories, but {str(path)!r} is a local folder")
        return load_generator(path, device=device)
    if not isinstance(name_or_path, str):
        raise FileNotFoundError(f"name_or_path: {path} is not a folder")
    from ganzoo import zoo

    text = name_or_path
    entry = zoo.get_entry(text)
    if entry is not None and entry.bundled and revision is None:
        return load_generator(entry.folder, device=device)  # type: ignore[arg-type]
    if entry is not None and entry.repo_id:
        repo_id = entry.repo_id
    elif _REPO_ID.match(text):
        repo_id = text
    else:
        names = [e.name for e in zoo.list_pretrained()]
        raise FileNotFoundError(
            f"name_or_path={text!r}: not an existing local folder, not a zoo name (zoo: {names}), and not a Hub "
            "repository id of the form 'org/name'"
        )
    from ganzoo.hub import HubLoadError, download

    try:
        module, _ = download(repo_id, revision, device=device, cache_dir=cache_dir, token=token,
                             local_files_only=local_files_only)
        return module
    except HubLoadError as e:
        fallback = entry or zoo.entry_for_repo(repo_id)
        if fallback is not None and fallback.bundled and revision is None and e.offline:
            warnings.warn(f"{e}; using the copy of zoo entry {fallback.name!r} bundled with ganzoo", stacklevel=2)
            return load_generator(fallback.folder, device=device)  # type: ignore[arg-type]
        tried = [f"local folder {text!r}: does not exist"]
        if entry is not None:
            tried.append(f"zoo entry {entry.name!r}: " + (
                "bundled copy skipped because revision was given" if entry.bundled else "not bundled in the package"))
        elif fallback is None:
            tried.append("zoo: no entry is published under this repository id")
        tried.append(str(e))
        raise HubLoadError(f"could not load {text!r}; tried:\n  - " + "\n  - ".join(tried)) from None


SAMPLING_VERSIONS = (1, 2)  # SAMPLING_VERSION (the current one) is recorded in a generator folder's config.json
_MASK32 = 0xFFFFFFFF
_PHILOX_M = (0xD2511F53, 0xCD9E8D57)  # Philox-4x32 multipliers (Salmon et al. 2011, Random123)
_PHILOX_W = (0x9E3779B9, 0xBB67AE85)  # Weyl key increments
_TWO_PI = 2 * math.pi
_LATENT_CHUNK_BLOCKS = 16384  # Philox blocks drawn at once by `sample` (fits in a CPU's L2 cache)


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
    version: int = SAMPLING_VERSION,
    truncation: float | None = None,
) -> Tensor:
    """The latents ``(len(indices), latent_dim)`` (float32, on ``device``, default CPU) of samples ``indices``.

    Version 2 (the default): latent coordinates ``4j .. 4j+3`` of sample ``i`` are the Philox-4x32-10 block
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

    Version 1 (folders written before sampling version 2): one NumPy Philox-4x64 stream per sample (key
    ``seed``, counter ``(0, i, 0, 0)``), drawn on the CPU, about 20 us per sample.

    ``truncation=psi`` (a finite number > 0; ``None``, the default, is off and leaves the latents bitwise as
    above): every coordinate outside ``[-psi, psi]`` is redrawn, the others are kept, so each coordinate is
    exactly the prior restricted to ``[-psi, psi]`` (a truncated normal, not a rescaling). The redraw of
    coordinate ``c = 4j + k`` of sample ``i`` is word ``k`` of the Philox-4x32-10 block with the same key and
    counter ``(j, 1, i mod 2**32, i >> 32)`` (the second counter word, 0 for the latents, is 1), so it too depends
    only on ``(seed, i)``, in both sampling versions. One redraw suffices, by the inverse CDF: the word gives
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
    if version not in SAMPLING_VERSIONS:
        raise ValueError(f"sampling version must be one of {SAMPLING_VERSIONS}, got {version!r}")
    dev = torch.device(device) if device is not None else torch.device("cpu")
    if version == 1:
        z = _latents_v1(indices, seed, latent_dim, distribution).to(dev)
        return z if psi is None else _truncate(z, _index_tensor(indices, dev), seed, psi, distribution)
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


def _latents_v1(indices: Sequence[int] | Tensor, seed: int, latent_dim: int, distribution: str) -> Tensor:
    idx = [int(i) for i in indices]
    out = np.empty((len(idx), latent_dim), dtype=np.float32)
    for row, i in enumerate(idx):
        rng = np.random.Generator(np.random.Philox(key=int(seed), counter=[0, i, 0, 0]))
        if distribution == "normal":
            out[row] = rng.standard_normal(latent_dim, dtype=np.float32)
        else:
            out[row] = rng.random(latent_dim, dtype=np.float32) * 2 - 1
    return torch.from_numpy(out)


def _labels(labels: Any, n: int, num_classes: int) -> Tensor | None:
    if labels is None:
        return torch.arange(n) % num_classes if num_classes else None
    if not num_classes:
        raise ValueError("labels were given but the model is unconditional (num_classes = 0)")
    if isinstance(labels, (int, np.integer)) and not isinstance(labels, bool):
        t = torch.full((n,), int(labels), dtype=torch.long)
    else:
        t = torch.as_tensor(np.asarray(labels))
        if t.dtype.is_floating_point or t.dtype == torch.bool or t.dim() != 1:
            raise ValueError(f"labels must be an int or a 1-D sequence of ints, got {labels!r}")
        if len(t) != n:
            raise ValueError(f"labels has {len(t)} entries but n is {n}")
        t = t.long()
    bad = (t < 0) | (t >= num_classes)
    if bad.any():
        raise ValueError(f"labels must lie in [0, {num_classes - 1}]; got {sorted(set(t[bad].tolist()))[:10]}")
    return t


def check_pil_output(output_type: str, out_shape: tuple, out_range: Any) -> None:
    """``output_type='pil'`` needs images with 1 or 3 channels and a known output range."""
    if output_type == "pil" and not (len(out_shape) == 3 and out_shape[0] in (1, 3) and out_range is not None):
        raise ValueError(f"output_type='pil' needs an image generator with 1 or 3 channels; this one outputs "
                         f"{out_shape or 'unknown shape'}")


def as_generator(model: Any, device: str | torch.device | None = None) -> nn.Module:
    """A generator module from what the sampling functions take: a generator module (moved to ``device`` when one
    is given), a training module (its exported generator), or a folder, zoo name or Hub repo id (``load``, on
    ``device`` or the CPU)."""
    if not isinstance(model, nn.Module):
        if not isinstance(model, (str, os.PathLike)):
            raise ValueError(f"model must be a generator module, a folder, a zoo name or a Hub repo id, got "
                             f"{type(model).__name__}")
        model = load(model, device=device or "cpu")
    model = require_generator(model)  # a training module: its exported generator
    if device is not None:
        model = model.to(device)
    return model


@torch.no_grad()
def sample(
    model: nn.Module | str | os.PathLike,
    n: int,
    *,
    seed: int | None = None,
    labels: int | Sequence[int] | Tensor | None = None,
    batch_size: int = 256,
    device: str | torch.device | None = None,
    output_type: Literal["tensor", "numpy", "pil"] = "tensor",
    sampling_version: int | None = None,
    truncation: float | None = None,
) -> Any:
    """Draw ``n`` samples from a generator module, a folder, a zoo name or a Hub repo id (see ``load``).

    Returns a CPU tensor ``(n, *output_shape)`` (``output_type="tensor"``), the same as a NumPy array
    (``"numpy"``), or a list of ``n`` PIL images (``"pil"``, image models only). Image models give values in
    [0, 1] (their ``output_range`` is mapped there); 2-D models give points in data coordinates.

    ``seed`` (a non-negative int; ``None`` draws one from torch's global generator) fixes the samples: sample
    ``i`` depends only on ``(seed, i)``, whatever ``batch_size``, ``n`` or device. ``labels`` (an int or ``n``
    ints in ``[0, num_classes)``) picks classes of a conditional model; without them sample ``i`` gets class
    ``i % num_classes``. A module is moved to ``device`` when one is given.

    Latents are drawn on the model's device (see ``latents``). ``sampling_version`` picks the latent sampler;
    by default the one the model's folder records (``config.json``'s ``sampling_version``; a folder written
    before version 2 records none and is sampled with version 1, so its samples and its card's metrics stay
    reproducible), and the current one (2) for a module that was not loaded from a folder.

    ``truncation=psi`` (a number > 0; ``None`` is off) redraws every latent coordinate outside ``[-psi, psi]``
    (a truncated normal: see ``latents``): smaller psi trades diversity for typical samples. The kept coordinates
    are the untruncated ones, and sample ``i`` still depends only on ``(seed, i)``.

    Example:
        >>> import torch
        >>> import ganzoo
        >>> x = ganzoo.sample("dcgan-fashion_mnist", n=4, seed=0)
        >>> x.shape, x.dtype
        (torch.Size([4, 1, 32, 32]), torch.float32)
        >>> bool(x.min() >= 0 and x.max() <= 1)  # images in [0, 1]
        True
        >>> torch.equal(x, ganzoo.sample("dcgan-fashion_mnist", n=4, seed=0, batch_size=1))  # same seed, same samples
        True
        >>> ganzoo.sample("cgan-fashion_mnist", n=3, seed=0, labels=7).shape  # a conditional model: 3 sneakers
        torch.Size([3, 1, 32, 32])
        >>> ganzoo.sample("wgan_gp-8gaussians", n=5, seed=0).shape  # a 2-D model: points in the plane
        torch.Size([5, 2])
        >>> [(im.size, im.mode) for im in ganzoo.sample("dcgan-fashion_mnist", n=2, seed=0, output_type="pil")]
        [((32, 32), 'L'), ((32, 32), 'L')]
    """
    _check_sample_args(n, truncation, batch_size, seed)
    if output_type not in OUTPUT_TYPES:
        raise ValueError(f"output_type must be one of {OUTPUT_TYPES}, got {output_type!r}")
    model = as_generator(model, device)
    check_pil_output(output_type, tuple(model.output_shape), model.output_range)
    out: Tensor | None = None
    for start, x in sample_batches(model, n, seed=seed, labels=labels, batch_size=batch_size, device=device,
                                   sampling_version=sampling_version, truncation=truncation):
        if out is None:
            out = torch.empty((n, *x.shape[1:]), dtype=torch.float32)
        out[start:start + len(x)].copy_(x)
    assert out is not None
    if output_type == "numpy":
        return out.numpy()
    if output_type == "pil":
        return to_pil(out)
    return out


def _check_sample_args(n: Any, truncation: Any, batch_size: Any, seed: Any) -> float | None:
    check_int("n", n, 1)
    psi = check_truncation(truncation)
    check_int("batch_size", batch_size, 1)
    if seed is not None:
        check_int("seed", seed, 0)
    return psi


def sample_batches(
    model: nn.Module | str | os.PathLike,
    n: int,
    *,
    seed: int | None = None,
    labels: int | Sequence[int] | Tensor | None = None,
    batch_size: int = 256,
    device: str | torch.device | None = None,
    sampling_version: int | None = None,
    truncation: float | None = None,
) -> Iterator[tuple[int, Tensor]]:
    """``sample``'s ``n`` samples, ``batch_size`` at a time: yields ``(start, x)`` with ``x`` the samples
    ``start .. start + len(x) - 1`` (float32, on the model's device; images in [0, 1]), so that any number of samples
    can be streamed to disk in constant memory. The arguments and the samples are ``sample``'s (sample ``i`` depends
    only on ``(seed, i)``); ``sample`` is this iterator collected into one tensor. The arguments are checked, and
    the model loaded, when it is called, before the first batch is asked for."""
    psi = _check_sample_args(n, truncation, batch_size, seed)
    model = as_generator(model, device)
    latent_dim, num_classes = model.latent_dim, int(model.num_classes)
    single = labels is None or (isinstance(labels, (int, np.integer)) and not isinstance(labels, bool))
    if single:  # one class, or class i % num_classes for sample i: made per batch, not n at once
        _labels(labels, 1, num_classes)  # checks the class and the model
        y_all = None
    else:
        y_all = _labels(labels, n, num_classes)
    if seed is None:
        seed = int(torch.randint(0, 2**62, (1,)).item())
    version, run_device = _version_and_device(model, sampling_version, device)
    distribution = model.latent_distribution

    def y_of(start: int, stop: int) -> Tensor | None:
        if y_all is not None:
            y = y_all[start:stop]
        elif labels is not None:
            y = torch.full((stop - start,), int(labels), dtype=torch.long)
        else:
            y = torch.arange(start, stop) % num_classes if num_classes else None
        return None if y is None else y.to(run_device)

    @torch.no_grad()
    def batches() -> Iterator[tuple[int, Tensor]]:
        was_training = model.training
        model.eval()
        # Latents are drawn for several batches at once when they are small (a few hundred KiB of Philox state):
        # the sampler's cost is mostly per call, and sample i's latent does not depend on how indices are grouped.
        chunk = batch_size * max(1, _LATENT_CHUNK_BLOCKS // (batch_size * -(-latent_dim // 4)))
        z_chunk, z_start = None, 0
        try:
            for start in range(0, n, batch_size):
                stop = min(start + batch_size, n)
                if start % chunk == 0:
                    z_start, z_stop = start, min(start + chunk, n)
                    z_chunk = latents(range(z_start, z_stop), seed, latent_dim, distribution, device=run_device,
                                      version=version, truncation=psi)
                yield start, _generate(model, z_chunk[start - z_start:stop - z_start], y_of(start, stop))
        finally:
            model.train(was_training)

    return batches()


def _version_and_device(model: nn.Module, sampling_version: int | None,
                        device: str | torch.device | None) -> tuple[int, torch.device]:
    version = (model.sampling_version or SAMPLING_VERSION) if sampling_version is None else sampling_version
    if version not in SAMPLING_VERSIONS:
        raise ValueError(f"sampling_version must be one of {SAMPLING_VERSIONS}, got {version!r}")
    params = next(model.parameters(), None)
    run_device = torch.device(device) if device is not None else (params.device if params is not None else "cpu")
    return version, torch.device(run_device)


def _generate(model: nn.Module, z: Tensor, y: Tensor | None) -> Tensor:
    """One batch: the model's outputs for latents ``z`` (and labels ``y``), float32, images mapped to [0, 1]."""
    x = model(z, y) if y is not None else model(z)
    out_shape, out_range = tuple(model.output_shape), model.output_range
    if out_shape and tuple(x.shape[1:]) != out_shape:
        raise ValueError(f"model output has shape {tuple(x.shape[1:])}, expected output_shape {out_shape}")
    x = x.float()
    if out_range is not None:
        lo, hi = float(out_range[0]), float(out_range[1])
        x = ((x - lo) / (hi - lo)).clamp_(0.0, 1.0)  # on the model's device, before the copy
    return x


INTERPOLATION_METHODS = ("slerp", "lerp")


@torch.no_grad()
def interpolate(
    model: nn.Module | str | os.PathLike,
    seed_a: int,
    seed_b: int,
    steps: int = 8,
    method: Literal["slerp", "lerp"] = "slerp",
    labels: int | None = None,
    truncation: float | None = None,
    device: str | torch.device | None = None,
) -> Tensor:
    """``steps`` outputs along a path in latent space from sample 0 of ``seed_a`` to sample 0 of ``seed_b``.

    Returns a CPU tensor ``(steps, C, H, W)`` in [0, 1] for image models (``(steps, *output_shape)`` otherwise).
    ``model`` is a module or anything ``load`` takes. The end latents are those of ``sample`` (with the same
    ``truncation`` and the model's sampling version), and each frame is generated on its own (a batch of 1), so
    the first frame is bitwise ``sample(model, 1, seed=seed_a, labels=labels, truncation=truncation)`` and the
    last the same with ``seed_b``. Between them, at ``t = k / (steps - 1)``:

    * ``"slerp"`` (spherical, the default; normal latents only): ``sin((1-t) w) / sin(w) a + sin(t w) / sin(w) b``
      with ``w`` the angle between the end latents ``a`` and ``b``: the path keeps the norm of a typical normal
      latent, where a straight line through the middle would be atypically short (White 2016);
    * ``"lerp"`` (linear): ``(1 - t) a + t b``; it stays within ``[-psi, psi]`` when truncated, slerp may not.

    ``labels``: one class (an int) for the whole path of a conditional model; ``None`` is class 0, the class
    ``sample`` gives sample 0. Unconditional models take no labels.

    Example:
        >>> import torch
        >>> import ganzoo
        >>> g = ganzoo.load("dcgan-fashion_mnist")
        >>> frames = ganzoo.interpolate(g, seed_a=0, seed_b=1, steps=5)
        >>> frames.shape
        torch.Size([5, 1, 32, 32])
        >>> torch.equal(frames[0], ganzoo.sample(g, 1, seed=0)[0])  # the ends are the seeds' first samples
        True
        >>> torch.equal(frames[-1], ganzoo.sample(g, 1, seed=1)[0])
        True
    """
    check_int("seed_a", seed_a, 0)
    check_int("seed_b", seed_b, 0)
    check_int("steps", steps, 2)
    if method not in INTERPOLATION_METHODS:
        raise ValueError(f"method must be one of {INTERPOLATION_METHODS}, got {method!r}")
    psi = check_truncation(truncation)
    if labels is not None and (not isinstance(labels, (int, np.integer)) or isinstance(labels, bool)):
        raise ValueError(f"labels must be one int (one class for the whole path) or None, got {labels!r}")
    model = as_generator(model, device)
    distribution = model.latent_distribution
    if method == "slerp" and distribution != "normal":
        raise ValueError(f"method='slerp' follows the shell of a normal prior, but this model's latents are "
                         f"{distribution!r}; use method='lerp'")
    y = _labels(labels, 1, int(model.num_classes))
    version, run_device = _version_and_device(model, None, device)
    ends = [latents([0], s, model.latent_dim, distribution, device=run_device, version=version, truncation=psi)
            for s in (seed_a, seed_b)]
    a, b = (e[0].double() for e in ends)
    t = torch.linspace(0.0, 1.0, steps, dtype=torch.float64, device=run_device).unsqueeze(1)
    omega = torch.arccos((a @ b / (a.norm() * b.norm())).clamp(-1.0, 1.0))
    if method == "lerp" or float(omega) < 1e-6:  # (anti)parallel ends: slerp's weights are 0/0
        path = (1 - t) * a + t * b
    else:
        path = (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / torch.sin(omega)
    path = path.to(torch.float32)
    path[0], path[-1] = ends[0][0], ends[1][0]  # bitwise the sampled latents
    if y is not None:
        y = y.to(run_device)
    was_training = model.training
    model.eval()
    try:
        frames = [_generate(model, path[k: k + 1], y).cpu() for k in range(steps)]
    finally:
        model.train(was_training)
    return torch.cat(frames)


@torch.no_grad()
def class_grid(
    model: nn.Module | str | os.PathLike,
    n_per_class: int = 8,
    *,
    seed: int = 0,
    truncation: float | None = None,
    batch_size: int = 256,
    device: str | torch.device | None = None,
) -> Tensor:
    """Samples of a conditional model for a grid with one column per class: ``(n_per_class * num_classes, ...)``,
    row-major, so ``grid_png(x, nrow=num_classes)`` draws it. Row ``r`` is sample ``r``'s latent (as
    ``sample(model, n_per_class, seed=seed, labels=k)`` draws it) in every class ``k``: along a row only the class
    changes. An unconditional model is a ``ValueError``."""
    check_int("n_per_class", n_per_class, 1)
    model = as_generator(model)
    num_classes = int(model.num_classes)
    if not num_classes:
        raise ValueError("class grids need a conditional model; this one is unconditional (num_classes = 0)")
    cols = [sample(model, n_per_class, seed=seed, labels=k, truncation=truncation, batch_size=batch_size,
                   device=device) for k in range(num_classes)]
    return torch.stack(cols, dim=1).reshape(n_per_class * num_classes, *cols[0].shape[1:])


def to_pil(images: Tensor) -> list:
    """``(n, C, H, W)`` images in [0, 1] (C = 1 or 3) to a list of ``n`` PIL images (mode "L" or "RGB")."""
    from PIL import Image

    if images.dim() != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"images must be (n, 1 or 3, H, W), got {tuple(images.shape)}")
    arr = (images.clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
    return [Image.fromarray(a[..., 0], "L") if a.shape[-1] == 1 else Image.fromarray(a, "RGB") for a in arr]


def image_grid(images: Tensor, nrow: int | None = None, padding: int = 2, pad_value: float = 1.0) -> Tensor:
    """Tile ``(n, C, H, W)`` images in [0, 1] into one ``(C, H', W')`` image, ``nrow`` per row (default √n)."""
    if images.dim() != 4:
        raise ValueError(f"images must be (n, C, H, W), got {tuple(images.shape)}")
    n, c, h, w = images.shape
    nrow = nrow or max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / nrow)
    grid = torch.full((c, rows * (h + padding) + padding, nrow * (w + padding) + padding), pad_value)
    for k in range(n):
        r, col = divmod(k, nrow)
        top, left = padding + r * (h + padding), padding + col * (w + padding)
        grid[:, top: top + h, left: left + w] = images[k]
    return grid


def grid_png(images: Tensor, nrow: int | None = None) -> bytes:
    """``(n, C, H, W)`` images in [0, 1] tiled into one PNG (bytes)."""
    import io

    buf = io.BytesIO()
    to_pil(image_grid(images, nrow=nrow)[None])[0].save(buf, format="PNG")
    return buf.getvalue()


def read_images(folder: Path, channels: int) -> tuple[list[str], Tensor]:
    """The images of ``folder`` (``IMAGE_SUFFIXES``; all must share one size) as ``(N, channels, H, W)`` in [0, 1],
    and their stems. Errors name the folder or the file."""
    from PIL import Image, UnidentifiedImageError

    files = sorted(f for f in folder.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ValueError(f"{folder}: no images ({', '.join(IMAGE_SUFFIXES)})")
    arrays = []
    for f in files:
        try:
            with Image.open(f) as im:
                arr = np.asarray(im.convert("L" if channels == 1 else "RGB"), dtype=np.uint8)
        except (UnidentifiedImageError, OSError) as e:
            raise ValueError(f"{f}: not a readable image ({e})") from None
        if arrays and arr.shape != arrays[0].shape:
            raise ValueError(f"{f}: size {arr.shape[1]}x{arr.shape[0]} differs from {files[0]} "
                             f"({arrays[0].shape[1]}x{arrays[0].shape[0]}); resize the inputs to one size")
        arrays.append(arr)
    x = torch.from_numpy(np.stack(arrays)).float().div(255)
    x = x[:, None] if channels == 1 else x.permute(0, 3, 1, 2)
    return [f.stem for f in files], x.contiguous()
