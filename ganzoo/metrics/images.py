"""FID, KID and IS of image sets through torchmetrics, with cached real features and a recorded protocol.

Images are float tensors ``(N, C, H, W)`` in [0, 1] (what ``ganzoo.sample`` returns; map datamodule images with
``(x + 1) / 2``). An extractor turns them into features (FID, KID) and class logits (IS) once per set; those go
into torchmetrics' ``FrechetInceptionDistance``, ``KernelInceptionDistance`` and ``InceptionScore`` (float64
statistics), so the three metrics share one pass of the network. Extractors:

* ``"fmnist"``: the shipped Fashion-MNIST classifier (128-d features, 10 logits), for 1x32x32 images; offline.
* ``"inception"``: the standard FID InceptionV3 (2048-d pool features, 1008 logits) of torch-fidelity, loaded from
  a local weights file (``weights_path``, torch-fidelity's ``pt_inception-2015-12-05`` format), images resized
  to 299x299 by torchmetrics' bilinear resize with ``antialias=True`` (grey images repeated to 3 channels).

Real features are cached on disk (``cache_dir``, default ``$GANZOO_CACHE`` or ``~/.cache/ganzoo/fid_stats``) in one
safetensors file per (dataset, split, resolution, extractor, weights hash, number of images), written atomically
and checked against its metadata when read.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from ganzoo.checks import check_int
from ganzoo.io import atomic_write_bytes
from ganzoo.io import cache_dir as ganzoo_cache_dir  # not the functions' cache_dir arguments

EXTRACTORS = ("fmnist", "inception")
METRICS = ("fid", "kid", "is", "prdc")  # prdc: precision, recall, density, coverage (ganzoo.metrics.prdc)


def default_cache_dir() -> Path:
    return ganzoo_cache_dir("fid_stats")


class _Precomputed(nn.Module):
    """Identity "extractor": torchmetrics receives features computed once by :class:`Extractor`."""

    def __init__(self, num_features: int):
        super().__init__()
        self.num_features = num_features

    def forward(self, x: Tensor) -> Tensor:
        return x


class Extractor:
    """``extract(images in [0, 1]) -> (features (N, D) float32, logits (N, K) float32)`` plus protocol facts."""

    def __init__(self, name: str, weights_path: str | os.PathLike | None = None, device: str | torch.device = "cpu"):
        if name not in EXTRACTORS:
            raise ValueError(f"extractor must be one of {EXTRACTORS}, got {name!r}")
        self.name, self.device = name, torch.device(device)
        if name == "fmnist":
            from .classifier import load_fmnist_classifier

            self.net = load_fmnist_classifier(weights_path).to(self.device)
            self.weights_sha256 = self.net.weights_sha256
            self.resize = "none (native 32x32; 28x28 padded)"
            self.channels = (1,)
        else:
            self.net = _inception(weights_path).to(self.device)
            from .classifier import sha256

            self.weights_sha256 = sha256(weights_path)
            self.resize = "bilinear to 299x299, antialias=True (torchmetrics NoTrainInceptionV3)"
            self.channels = (1, 3)

    @torch.no_grad()
    def extract(self, images: Tensor, batch_size: int = 250, progress: bool = False) -> tuple[Tensor, Tensor]:
        check_images("images", images)
        if images.shape[1] not in self.channels:
            raise ValueError(f"the {self.name!r} extractor takes images with {self.channels} channel(s), got "
                             f"{tuple(images.shape)}")
        starts = range(0, len(images), batch_size)
        if progress and len(images) > 2 * batch_size:
            from tqdm.auto import tqdm

            starts = tqdm(starts, desc=f"{self.name} features", unit="batch", leave=False)
        feats, logits = [], []
        for s in starts:
            x = images[s: s + batch_size].to(self.device)
            if self.name == "fmnist":
                f = self.net.features(x)
                feats.append(f.float().cpu())
                logits.append(self.net.head(f).float().cpu())
            else:
                x = x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x
                f, lg = self.net._torch_fidelity_forward((x * 255).round().to(torch.uint8))  # both heads, one pass
                feats.append(f.float().cpu())
                logits.append(lg.float().cpu())
        return torch.cat(feats), torch.cat(logits)


def _inception(weights_path: str | os.PathLike | None) -> nn.Module:
    if weights_path is None:
        raise ValueError(
            "extractor='inception' needs weights_path: a local file of the FID Inception weights "
            "(torch-fidelity's weights-inception-2015-12-05-6726825d.pth); they are not downloaded at run time"
        )
    path = Path(weights_path)
    if not path.is_file():
        raise FileNotFoundError(f"weights_path {path} does not exist")
    # torch-fidelity unpickles the file without weights_only; refuse anything that is not plain tensors first
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        raise ValueError(
            f"weights_path {path} is not a plain state dict (torch.load weights_only=True failed: {e})"
        ) from e
    if not isinstance(state, dict) or not all(isinstance(v, Tensor) for v in state.values()):
        raise ValueError(f"weights_path {path} does not hold a state dict of tensors")
    from torchmetrics.image.fid import NoTrainInceptionV3

    return NoTrainInceptionV3(name="inception-v3-compat", features_list=["2048", "logits_unbiased"],
                              feature_extractor_weights_path=str(path), antialias=True)


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
    real: Tensor, extractor: Extractor, *, dataset: str, split: str, cache_dir: str | os.PathLike | None = None,
    progress: bool = False,
) -> tuple[Tensor, bool]:
    """Features of the reference images, from the cache when present; returns ``(features, from_cache)``."""
    from safetensors import safe_open
    from safetensors.torch import save

    fields = {"dataset": dataset, "split": split, "resolution": list(real.shape[1:]), "extractor": extractor.name,
              "weights_sha256": extractor.weights_sha256, "n_real": len(real)}
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


def compute_image_metrics(
    fake: Tensor,
    real: Tensor,
    *,
    metrics: Sequence[str] = ("fid", "kid"),
    extractor: str = "fmnist",
    weights_path: str | os.PathLike | None = None,
    n_fake: int | None = None,
    dataset: str = "unknown",
    split: str = "train",
    cache_dir: str | os.PathLike | None = None,
    kid_subset_size: int = 1000,
    kid_subsets: int = 100,
    is_splits: int = 10,
    device: str | torch.device = "cpu",
    progress: bool = False,
    labels: Tensor | None = None,
) -> dict[str, Any]:
    """FID / KID / IS / precision-recall-density-coverage of ``fake`` against ``real`` (both ``(N, C, H, W)`` in
    [0, 1]), all in the extractor's feature space.

    Returns ``{"fid", "kid_mean", "kid_std", "is_mean", "is_std", "precision", "recall", "density", "coverage"}``
    (those asked for; ``"prdc"`` asks for the last four) and ``"protocol"``; with the Fashion-MNIST extractor also
    ``"class_coverage"`` of the fakes (``ganzoo.metrics.classifier.class_coverage``, from the logits of the same
    forward pass as their features; ``labels``: the classes a conditional generator was asked for). The real
    features come from the cache when it holds this (dataset, split, resolution, extractor, weights, count).
    """
    import torchmetrics
    from torchmetrics.image import FrechetInceptionDistance, InceptionScore, KernelInceptionDistance

    from ganzoo.quiet import install as quiet

    quiet()  # torchmetrics' "will save all extracted features" warning does not apply (see ganzoo.quiet)

    bad = [m for m in metrics if m not in METRICS]
    if bad or not metrics:
        raise ValueError(f"metrics must be a non-empty subset of {METRICS}, got {list(metrics)!r}")
    check_images("fake", fake)
    check_images("real", real)
    if n_fake is not None and n_fake != len(fake):
        raise ValueError(f"n_fake={n_fake} but {len(fake)} fake images were given")
    if fake.shape[1:] != real.shape[1:]:
        raise ValueError(f"fake images {tuple(fake.shape[1:])} and real images {tuple(real.shape[1:])} differ in shape")
    check_int("kid_subset_size", kid_subset_size)
    ex = Extractor(extractor, weights_path, device)
    f_fake, logits = ex.extract(fake, progress=progress)
    f_real, cached = real_features(real, ex, dataset=dataset, split=split, cache_dir=cache_dir, progress=progress)
    out: dict[str, Any] = {}
    if "fid" in metrics:
        fid = FrechetInceptionDistance(feature=_Precomputed(f_real.shape[1]), reset_real_features=False)
        fid.update(f_real, real=True)
        fid.update(f_fake, real=False)
        out["fid"] = float(fid.compute())
    subset = min(kid_subset_size, len(fake), len(real))
    if "kid" in metrics:
        kid = KernelInceptionDistance(feature=_Precomputed(f_real.shape[1]), subsets=kid_subsets, subset_size=subset)
        kid.update(f_real, real=True)
        kid.update(f_fake, real=False)
        with torch.random.fork_rng():  # KID draws its subsets from the global RNG: fixed, and not disturbed
            torch.manual_seed(0)
            mean, std = kid.compute()
        out["kid_mean"], out["kid_std"] = float(mean), float(std)
    if "is" in metrics:
        score = InceptionScore(feature=_Precomputed(logits.shape[1]), splits=is_splits)
        score.update(logits)
        with torch.random.fork_rng():  # IS shuffles before splitting
            torch.manual_seed(0)
            mean, std = score.compute()
        out["is_mean"], out["is_std"] = float(mean), float(std)
    if "prdc" in metrics:
        from .prdc import prdc

        pr = prdc(f_real, f_fake)
        out.update({k: pr[k] for k in ("precision", "recall", "density", "coverage")})
    if ex.name == "fmnist":
        from .classifier import class_coverage

        out["class_coverage"] = class_coverage(logits.argmax(1), labels=labels)
    out["protocol"] = {
        "extractor": ex.name, "weights_sha256": ex.weights_sha256, "feature_dim": int(f_real.shape[1]),
        "resize": ex.resize, "input_range": "[0, 1] float, quantised to uint8 only for inception",
        "n_fake": len(fake), "n_real": len(real), "dataset": dataset, "split": split,
        "resolution": list(real.shape[1:]), "statistics": "float64 (torchmetrics)",
        "kid_subset_size": subset, "kid_subsets": kid_subsets, "kid_seed": 0, "is_splits": is_splits,
        **({"prdc_k_precision_recall": 3, "prdc_k_density_coverage": 5, "prdc_inside": "strict (<)"}
           if "prdc" in metrics else {}),
        "real_features_cached": cached, "torchmetrics": torchmetrics.__version__,
    }
    return out
