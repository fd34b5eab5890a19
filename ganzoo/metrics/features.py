"""The reference images' features, cached on disk, and the FID of two feature sets: shared by the image metrics
(:mod:`ganzoo.metrics.scores`), the modes count (:mod:`ganzoo.metrics.modes`) and the copy check
(:mod:`ganzoo.metrics.copying`)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from torch import Tensor, nn

from ganzoo.io import atomic_write_bytes
from ganzoo.io import cache_dir as ganzoo_cache_dir  # not the functions' cache_dir arguments


def default_cache_dir() -> Path:
    return ganzoo_cache_dir("fid_stats")


class _Precomputed(nn.Module):
    """Identity "extractor": torchmetrics receives features computed once by :class:`Extractor`."""

    def __init__(self, num_features: int):
        super().__init__()
        self.num_features = num_features

    def forward(self, x: Tensor) -> Tensor:
        return x


def check_images(name: str, images: Any) -> None:
    """``images`` must be a float tensor ``(N, C, H, W)`` with values in [0, 1]."""
    if not isinstance(images, Tensor) or images.dim() != 4 or not images.dtype.is_floating_point:
        raise ValueError(f"{name} must be a float tensor (N, C, H, W) in [0, 1], got "
                         f"{tuple(images.shape) if isinstance(images, Tensor) else type(images).__name__}")
    if len(images) and (float(images.min()) < 0 or float(images.max()) > 1):
        raise ValueError(f"{name} must lie in [0, 1], got values in [{float(images.min()):.3g}, "
                         f"{float(images.max()):.3g}] (datamodule images in [-1, 1]: pass (x + 1) / 2)")


def cache_key(**fields: Any) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:24]


def real_features(
    real: Tensor, extractor: Any, *, dataset: str, split: str, cache_dir: str | os.PathLike | None = None,
    progress: bool = False,
) -> tuple[Tensor, bool]:
    """Features of the reference images, from the cache when present; returns ``(features, from_cache)``."""
    from safetensors import safe_open
    from safetensors.torch import save

    # keyed by the images' content too: a name such as "image_folder" does not say which images (two folders of
    # one size and name would share an entry); hashing 60,000 32x32 images costs a fraction of extracting them
    content = hashlib.sha256(real.detach().cpu().contiguous().numpy().tobytes()).hexdigest()[:24]
    fields = {"dataset": dataset, "split": split, "resolution": list(real.shape[1:]), "extractor": extractor.name,
              "weights_sha256": extractor.weights_sha256, "n_real": len(real), "content": content}
    meta = {k: json.dumps(v) for k, v in fields.items()}
    path = Path(cache_dir if cache_dir is not None else default_cache_dir()) / f"real_{cache_key(**fields)}.safetensors"
    if path.is_file():
        try:
            with safe_open(str(path), "pt") as f:
                if f.metadata() == meta:
                    return f.get_tensor("features"), True
        except Exception:  # a damaged cache file is recomputed and replaced
            pass
    feats, _ = extractor.extract(real, progress=progress)
    atomic_write_bytes(path, save({"features": feats.contiguous()}, metadata=meta))
    return feats, False


# The metrics are computed from features this process holds (under DDP: rank 0 alone, at the end of fit or in the
# evaluation callback). torchmetrics would otherwise gather its states from every rank on ``compute()`` when
# torch.distributed is initialised: a collective the other ranks never enter, which hung 2-process training.
LOCAL = {"sync_on_compute": False}


def fid_from_features(f_real: Tensor, f_fake: Tensor) -> float:
    """FID between two feature sets ``(N, D)``: torchmetrics' ``FrechetInceptionDistance`` on precomputed features
    (means and covariances in float64)."""
    from torchmetrics.image import FrechetInceptionDistance

    fid = FrechetInceptionDistance(feature=_Precomputed(f_real.shape[1]), reset_real_features=False, **LOCAL)
    fid.update(f_real, real=True)
    fid.update(f_fake, real=False)
    return float(fid.compute())
