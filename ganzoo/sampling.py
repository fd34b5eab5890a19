"""Inference-only loading and sampling. Imports neither Lightning nor (for local and zoo models) the Hub client.

``load`` resolves a local folder, a zoo name or a Hub repository id; ``sample`` draws each sample's latent
from its own random stream, so results do not depend on batch size, on ``n`` (a prefix of a larger draw is
the smaller draw) or on how the indices are split across devices.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch import Tensor, nn

from ganzoo.checks import check_int
from ganzoo.serialization import load_generator

OUTPUT_TYPES = ("tensor", "numpy", "pil")
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


def latents(
    indices: Sequence[int] | Tensor,
    seed: int,
    latent_dim: int,
    distribution: str = "normal",
) -> Tensor:
    """The latents ``(len(indices), latent_dim)`` of samples ``indices`` under ``seed`` (float32, CPU).

    Sample ``i`` draws from its own counter-based stream (Philox-4x64 with key ``seed`` and counter
    ``(0, i, 0, 0)``), so its latent depends only on ``(seed, i)``. ``distribution`` is ``"normal"`` (standard
    normal) or ``"uniform"`` (uniform on [-1, 1]).
    """
    check_int("seed", seed, 0)
    check_int("latent_dim", latent_dim, 1)
    if distribution not in ("normal", "uniform"):
        raise ValueError(f"latent distribution must be 'normal' or 'uniform', got {distribution!r}")
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
) -> Any:
    """Draw ``n`` samples from a generator module, a folder, a zoo name or a Hub repo id (see ``load``).

    Returns a CPU tensor ``(n, *output_shape)`` (``output_type="tensor"``), the same as a NumPy array
    (``"numpy"``), or a list of ``n`` PIL images (``"pil"``, image models only). Image models give values in
    [0, 1] (their ``output_range`` is mapped there); 2-D models give points in data coordinates.

    ``seed`` (a non-negative int; ``None`` draws one from torch's global generator) fixes the samples: sample
    ``i`` depends only on ``(seed, i)``, whatever ``batch_size``, ``n`` or device. ``labels`` (an int or ``n``
    ints in ``[0, num_classes)``) picks classes of a conditional model; without them sample ``i`` gets class
    ``i % num_classes``. A module is moved to ``device`` when one is given.
    """
    check_int("n", n, 1)
    check_int("batch_size", batch_size, 1)
    if seed is not None:
        check_int("seed", seed, 0)
    if output_type not in OUTPUT_TYPES:
        raise ValueError(f"output_type must be one of {OUTPUT_TYPES}, got {output_type!r}")
    if not isinstance(model, nn.Module):
        model = load(model, device=device or "cpu")
    elif device is not None:
        model = model.to(device)
    latent_dim = getattr(model, "latent_dim", None)
    if latent_dim is None:
        raise ValueError(f"model ({type(model).__name__}) has no latent_dim; is it a ganzoo generator?")
    num_classes = int(getattr(model, "num_classes", 0) or 0)
    out_shape = tuple(getattr(model, "output_shape", ()) or ())
    out_range = getattr(model, "output_range", None)
    is_image = len(out_shape) == 3
    if output_type == "pil" and not (is_image and out_shape[0] in (1, 3) and out_range is not None):
        raise ValueError(f"output_type='pil' needs an image generator with 1 or 3 channels; this one outputs "
                         f"{out_shape or 'unknown shape'}")
    y = _labels(labels, n, num_classes)
    if seed is None:
        seed = int(torch.randint(0, 2**62, (1,)).item())
    params = next(model.parameters(), None)
    run_device = torch.device(device) if device is not None else (params.device if params is not None else "cpu")
    distribution = getattr(model, "latent_distribution", "normal")
    was_training = model.training
    model.eval()
    chunks = []
    try:
        for start in range(0, n, batch_size):
            idx = range(start, min(start + batch_size, n))
            z = latents(idx, seed, latent_dim, distribution).to(run_device)
            x = model(z, y[start: start + len(idx)].to(run_device)) if num_classes else model(z)
            if out_shape and tuple(x.shape[1:]) != out_shape:
                raise ValueError(f"model output has shape {tuple(x.shape[1:])}, expected output_shape {out_shape}")
            chunks.append(x.float().cpu())
    finally:
        model.train(was_training)
    out = torch.cat(chunks)
    if out_range is not None:
        lo, hi = float(out_range[0]), float(out_range[1])
        out = ((out - lo) / (hi - lo)).clamp_(0.0, 1.0)
    if output_type == "numpy":
        return out.numpy()
    if output_type == "pil":
        return to_pil(out)
    return out


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
