"""Inference-only sampling: ``sample``, ``sample_batches``, ``interpolate`` and ``class_grid``. Imports neither
Lightning nor (for local and zoo models) the Hub client.

The model is anything ``ganzoo.load`` takes (:mod:`ganzoo.loading`) or a module; ``sample`` draws each sample's
latent from a counter-based generator (Philox-4x32-10 keyed by the seed, counter = sample index: :mod:`ganzoo.latents`),
vectorised on the model's device, so results do not depend on batch size, on ``n`` (a prefix of a larger draw is the
smaller draw) or on how the indices are split across devices. Images are written by :mod:`ganzoo.imageio`
(``ganzoo.sampling.grid_png`` is its ``grid_png``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Any, Literal

import numpy as np
import torch
from torch import Tensor, nn

from ganzoo.checks import check_int
from ganzoo.imageio import grid_png, to_pil  # noqa: F401  (grid_png: documented as ganzoo.sampling.grid_png)
from ganzoo.latents import check_truncation, latents
from ganzoo.loading import as_generator

OUTPUT_TYPES = ("tensor", "numpy", "pil")
_LATENT_CHUNK_BLOCKS = 16384  # Philox blocks drawn at once by `sample` (fits in a CPU's L2 cache)


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

    Latents are drawn on the model's device (see ``latents``).

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
                                   truncation=truncation):
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
    run_device = run_device_of(model, device)
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
                                      truncation=psi)
                yield start, _generate(model, z_chunk[start - z_start:stop - z_start], y_of(start, stop))
        finally:
            model.train(was_training)

    return batches()


def run_device_of(model: nn.Module, device: str | torch.device | None) -> torch.device:
    """Where ``model`` samples: ``device``, else its parameters' device (the CPU for a model without any)."""
    params = next(model.parameters(), None)
    run_device = torch.device(device) if device is not None else (params.device if params is not None else "cpu")
    return torch.device(run_device)


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
    ``truncation``), and each frame is generated on its own (a batch of 1), so
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
    run_device = run_device_of(model, device)
    ends = [latents([0], s, model.latent_dim, distribution, device=run_device, truncation=psi)
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

