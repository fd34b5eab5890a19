"""Reference statistics: the features of a reference image set in one extractor's space, with their protocol
(:class:`ReferenceStats`), computed by :func:`reference_stats`, saved by :func:`save_stats` (``ganzoo stats``) and
read by :func:`load_stats` (``ganzoo eval --ref``): one safetensors file, the protocol in its metadata.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ganzoo.imageio import read_image_set
from ganzoo.io import atomic_write_bytes

from .extractors import EXTRACTORS, Extractor, _extractor_for, pad_for_fmnist

STATS_FORMAT = "ganzoo-reference-statistics"
STATS_VERSION = "1"


class ReferenceStats:
    """Features of a reference image set in one extractor's space, with their protocol: what
    ``ganzoo stats`` saves (:func:`save_stats`) and ``ganzoo eval --ref`` reads (:func:`load_stats`).

    ``features``: float32 ``(n, D)``; ``protocol``: extractor, weights_sha256, feature_dim, resize, resolution
    (C, H, W of the images), n, source. FID needs only the mean and covariance (:meth:`mean_cov`); KID and
    precision/recall/density/coverage need the features themselves, so they are kept.
    """

    def __init__(self, features: Tensor, protocol: dict[str, Any]):
        self.features, self.protocol = features, dict(protocol)

    @property
    def n(self) -> int:
        return len(self.features)

    def mean_cov(self) -> tuple[Tensor, Tensor]:
        """The features' mean and covariance (``N - 1`` normalisation) in float64, as torchmetrics' FID takes them."""
        f = self.features.double()
        return f.mean(0), torch.cov(f.T)

    def check_extractor(self, extractor: str | None, weights_sha256: str | None = None) -> None:
        """Refuse an extractor (or its weights) other than the one these features were computed with."""
        mine, where = self.protocol["extractor"], self.protocol.get("path") or self.protocol.get("source")
        if extractor is not None and extractor != mine:
            raise ValueError(f"reference statistics {where} are in the {mine!r} extractor's features, not "
                             f"{extractor!r}: evaluate with extractor {mine!r} or compute the statistics again "
                             f"with extractor {extractor!r} (ganzoo stats --extractor {extractor})")
        if weights_sha256 is not None and weights_sha256 != self.protocol["weights_sha256"]:
            raise ValueError(f"reference statistics {where} were computed with other {mine} weights (sha256 "
                             f"{self.protocol['weights_sha256'][:12]}..., these are {weights_sha256[:12]}...); "
                             "compute them again with these weights")


def reference_stats(
    images: Any, *, extractor: str | None = None, weights_path: str | os.PathLike | None = None,
    device: str | torch.device = "cpu", n: int | None = None, name: str = "images", progress: bool = False,
) -> ReferenceStats:
    """Reference statistics of ``images`` (anything :func:`read_image_set` reads): their features in the
    ``extractor``'s space (default ``"fmnist"`` for 1x32x32 images, and 1x28x28 ones padded to 32x32 as by
    :func:`pad_for_fmnist`, which the protocol's ``"notes"`` then say; others need ``"inception"`` and
    ``weights_path``) with the protocol."""
    if extractor is not None and extractor not in EXTRACTORS:
        raise ValueError(f"extractor must be one of {EXTRACTORS}, got {extractor!r}")
    x, desc = read_image_set(images, name=name, channels=1 if extractor == "fmnist" else None, n=n)
    note = None
    if extractor in (None, "fmnist"):
        x, note = pad_for_fmnist(x, name)
        desc += ", padded from 28x28 to 32x32" if note else ""
    extractor = extractor or _extractor_for(tuple(x.shape[1:]))
    ex = Extractor(extractor, weights_path, device)
    feats, _ = ex.extract(x, progress=progress)
    return ReferenceStats(feats, {
        "extractor": ex.name, "weights_sha256": ex.weights_sha256, "feature_dim": int(feats.shape[1]),
        "resize": ex.resize, "resolution": list(x.shape[1:]), "n": len(x), "source": desc,
        **({"notes": [note]} if note else {}),
    })


def save_stats(stats: ReferenceStats, path: str | os.PathLike) -> None:
    """Write ``stats`` as safetensors (atomically): ``features`` float32 (n, D), ``mu`` float64 (D,), ``sigma``
    float64 (D, D), and the protocol in the metadata (one JSON value per key). Size: 4 n D + 8 D^2 bytes: 5.2 MB
    for 10,000 images with the fmnist extractor (D = 128), 115 MB with Inception (D = 2048)."""
    from safetensors.torch import save

    path = Path(path)
    if path.suffix != ".safetensors":
        raise ValueError(f"out: statistics are written as .safetensors, got {path}")
    mu, sigma = stats.mean_cov()
    meta = {"format": STATS_FORMAT, "format_version": STATS_VERSION,
            **{k: json.dumps(v) for k, v in stats.protocol.items() if k != "path"}}
    tensors = {"features": stats.features.float().contiguous(), "mu": mu.contiguous(), "sigma": sigma.contiguous()}
    atomic_write_bytes(path, save(tensors, metadata=meta))


def load_stats(path: str | os.PathLike, *, name: str = "reference") -> ReferenceStats:
    """Read statistics written by :func:`save_stats` (``ganzoo stats``); safetensors only. The protocol gains
    ``"path"``."""
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    if path.suffix != ".safetensors":
        raise ValueError(f"{name}: reference statistics are .safetensors files written by `ganzoo stats`, got {path}")
    if not path.is_file():
        raise FileNotFoundError(f"{name}: no file {path}")
    try:
        with safe_open(str(path), "pt") as f:
            meta = f.metadata() or {}
            if meta.get("format") != STATS_FORMAT:
                raise ValueError(f"{name}: {path} is not a ganzoo statistics file (no format={STATS_FORMAT!r} "
                                 "in its metadata); write one with `ganzoo stats`")
            if meta.get("format_version") != STATS_VERSION:
                raise ValueError(f"{name}: {path} has statistics format version {meta.get('format_version')}, "
                                 f"this ganzoo reads version {STATS_VERSION}")
            if "features" not in f.keys():
                raise ValueError(f"{name}: {path} has no 'features' tensor")
            feats = f.get_tensor("features")
            protocol = {k: json.loads(v) for k, v in meta.items() if k not in ("format", "format_version")}
    except (SafetensorError, OSError, json.JSONDecodeError) as e:
        raise ValueError(f"{name}: {path} is not a readable safetensors file ({e})") from None
    missing = [k for k in ("extractor", "weights_sha256", "feature_dim", "resolution", "n") if k not in protocol]
    if missing:
        raise ValueError(f"{name}: {path} lacks protocol fields {missing}")
    if feats.dim() != 2 or feats.shape[1] != protocol["feature_dim"] or len(feats) != protocol["n"]:
        raise ValueError(f"{name}: {path} has features of shape {tuple(feats.shape)}, its protocol says "
                         f"({protocol['n']}, {protocol['feature_dim']})")
    return ReferenceStats(feats.float(), {**protocol, "path": str(path)})
