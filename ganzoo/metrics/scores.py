"""FID, KID, IS and precision/recall/density/coverage of two image sets through torchmetrics
(:func:`compute_image_metrics`): one pass of the extractor (:mod:`ganzoo.metrics.extractors`) per set, the real
features from the cache (:mod:`ganzoo.metrics.features`) or from reference statistics
(:mod:`ganzoo.metrics.reference`), float64 statistics, and the protocol recorded with the scores.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from ganzoo.checks import check_int

from .extractors import Extractor
from .features import LOCAL, _Precomputed, check_images, fid_from_features, real_features
from .fid_bias import SmallSampleWarning, fid_bias_note
from .reference import ReferenceStats

# prdc: precision, recall, density, coverage (ganzoo.metrics.prdc); copy: the copy check against the training images
# (ganzoo.metrics.copying; evaluate with a datamodule as the reference)
METRICS = ("fid", "kid", "is", "prdc", "copy")


def check_metrics(metrics: Sequence[str]) -> list[str]:
    """``metrics`` as a list, if they are a non-empty subset of :data:`METRICS` (else a ``ValueError``)."""
    bad = [m for m in metrics if m not in METRICS]
    if bad or not metrics:
        raise ValueError(f"metrics must be a non-empty subset of {METRICS}, got {list(metrics)!r}")
    return list(metrics)


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
    real_name: str | None = None,
    fake_name: str | None = None,
    fake_features: tuple[Tensor, Tensor] | None = None,
) -> dict[str, Any]:
    """FID / KID / IS / precision-recall-density-coverage of ``fake`` against ``real`` (both ``(N, C, H, W)`` in
    [0, 1]; ``real`` may also be :class:`ReferenceStats`, whose features are used as they are), all in the
    extractor's feature space. ``real`` is the set precision and recall treat as real; ``real_name`` and
    ``fake_name`` describe the two sets in the protocol (``"real"``, ``"fake"``).

    Returns ``{"fid", "kid_mean", "kid_std", "is_mean", "is_std", "precision", "recall", "density", "coverage"}``
    (those asked for; ``"prdc"`` asks for the last four) and ``"protocol"``; with the Fashion-MNIST extractor also
    ``"class_coverage"`` of the fakes (``ganzoo.metrics.classifier.class_coverage``, from the logits of the same
    forward pass as their features; ``labels``: the classes a conditional generator was asked for). The real
    features come from the cache when it holds this (dataset, split, resolution, extractor, weights, count);
    ``dataset=None`` computes them without the cache. With FID and fewer than 2,048 images in either set, a
    :class:`SmallSampleWarning` (also under ``"warnings"``) says how far FID is biased upward at those two counts
    (:func:`~ganzoo.metrics.fid_bias.fid_bias_note`). ``fake_features``: the features and logits of ``fake`` when
    already extracted with this extractor (:meth:`Extractor.extract`). The copy check (``"copy"``) is
    :func:`~ganzoo.metrics.evaluate.evaluate`'s: it needs a dataset's training images and test split.
    """
    import torchmetrics
    from torchmetrics.image import InceptionScore, KernelInceptionDistance

    from ganzoo.quiet import install as quiet

    quiet()  # torchmetrics' "will save all extracted features" warning does not apply (see ganzoo.quiet)

    check_metrics(metrics)
    if "copy" in metrics:
        raise ValueError("metrics: 'copy' compares the samples with a dataset's training images and test split; "
                         "ganzoo.metrics.images.evaluate computes it with an image datamodule as the reference")
    check_images("fake", fake)
    stats = real if isinstance(real, ReferenceStats) else None
    if stats is None:
        check_images("real", real)
    real_shape = tuple(stats.protocol["resolution"]) if stats is not None else tuple(real.shape[1:])
    n_real = stats.n if stats is not None else len(real)
    if n_fake is not None and n_fake != len(fake):
        raise ValueError(f"n_fake={n_fake} but {len(fake)} fake images were given")
    if tuple(fake.shape[1:]) != real_shape:
        raise ValueError(f"fake images {tuple(fake.shape[1:])} and real images {real_shape} differ in shape")
    check_int("kid_subset_size", kid_subset_size)
    if stats is not None:
        stats.check_extractor(extractor)
    ex = Extractor(extractor, weights_path, device)
    if stats is not None:
        stats.check_extractor(ex.name, ex.weights_sha256)
        dataset, split = stats.protocol.get("dataset"), stats.protocol.get("split")
    f_fake, logits = fake_features if fake_features is not None else ex.extract(fake, progress=progress)
    if stats is not None:
        f_real, cached = stats.features, False
    elif dataset is None:
        (f_real, _), cached = ex.extract(real, progress=progress), False
    else:
        f_real, cached = real_features(real, ex, dataset=dataset, split=split, cache_dir=cache_dir,
                                       progress=progress)
    out: dict[str, Any] = {}
    if "fid" in metrics:
        out["fid"] = fid_from_features(f_real, f_fake)
    subset = min(kid_subset_size, len(fake), n_real)
    if "kid" in metrics:
        kid = KernelInceptionDistance(feature=_Precomputed(f_real.shape[1]), subsets=kid_subsets, subset_size=subset,
                                      **LOCAL)
        kid.update(f_real, real=True)
        kid.update(f_fake, real=False)
        with torch.random.fork_rng():  # KID draws its subsets from the global RNG: fixed, and not disturbed
            torch.manual_seed(0)
            mean, std = kid.compute()
        out["kid_mean"], out["kid_std"] = float(mean), float(std)
    if "is" in metrics:
        score = InceptionScore(feature=_Precomputed(logits.shape[1]), splits=is_splits, **LOCAL)
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
    modes_rule = None
    if ex.name == "fmnist_stacked":  # the argmax of the summed log-probabilities: each channel's class
        from .modes import NUM_MODES, RULE, modes_and_kl

        modes = modes_and_kl(torch.bincount(logits.argmax(1), minlength=NUM_MODES))
        out["modes"], out["modes_kl"], modes_rule = modes["modes"], modes["modes_kl"], RULE
    out["protocol"] = {
        "extractor": ex.name, "weights_sha256": ex.weights_sha256, "feature_dim": int(f_real.shape[1]),
        "resize": ex.resize, "input_range": "[0, 1] float, quantised to uint8 only for inception",
        "n_fake": len(fake), "n_real": n_real, "dataset": dataset, "split": split,
        "real": real_name or (f"{dataset} {split} ({n_real} images)" if dataset else f"{n_real} images"),
        "fake": fake_name or f"{len(fake)} images",
        "resolution": list(real_shape), "statistics": "float64 (torchmetrics)",
        "kid_subset_size": subset, "kid_subsets": kid_subsets, "kid_seed": 0, "is_splits": is_splits,
        **({"prdc_k_precision_recall": 3, "prdc_k_density_coverage": 5, "prdc_inside": "strict (<)"}
           if "prdc" in metrics else {}),
        **({"modes": modes_rule} if modes_rule else {}),
        "real_features_cached": cached, "torchmetrics": torchmetrics.__version__,
        **({"reference_statistics": stats.protocol} if stats is not None else {}),
    }
    note = fid_bias_note(len(fake), n_real, ex.name) if "fid" in metrics else None
    if note:
        out["warnings"] = [note]
        warnings.warn(note, SmallSampleWarning, stacklevel=2)
    return out
