"""Modes of Stacked Fashion-MNIST (:class:`ganzoo.data.StackedFashionMNISTDataModule`): how many of its 1,000 modes
a generator covers, and how evenly.

The protocol of VEEGAN (Srivastava et al. 2017), PacGAN (Lin et al. 2018) and R3GAN (Huang et al. 2024), with
Fashion-MNIST instead of MNIST digits: each channel of ``N`` generated 3x32x32 images (default ``N`` = 26,000) is
classified by the shipped Fashion-MNIST classifier (:mod:`ganzoo.metrics.classifier`); the triple of classes
``(c0, c1, c2)`` is mode ``100 * c0 + 10 * c1 + c2``. A mode is *covered* when at least one image lands in it;
``modes_kl`` is KL(p ‖ q) = Σ p log(p / q) (natural log) of the empirical mode histogram p to the uniform q = 1/1000
(empty modes add nothing): 0 for a perfectly even histogram, log(1000/k) for k equally used modes, log 1000 = 6.91
for a generator of one mode.

The real-data floor, :func:`real_floor`, is the same protocol on ``N`` real stacked *test* images;
:func:`ganzoo.metrics.evaluate.evaluate` reports it beside a stacked generator's modes (``"modes_floor"``). The
classifier is 92.2% accurate on Fashion-MNIST's test images, so it reads about 0.922³ = 78% of real triples
correctly, but its errors are nearly symmetric (shirts, T-shirts, pullovers and coats swapped both ways) and barely
move the histogram: at 26,000 images the floor is 1,000 modes and KL 0.0205 (``bench/results/stacked_floor.json``),
and 26,000 draws from 1,000 equally likely modes alone have KL about 999 / (2 × 26,000) = 0.019 on average. So no
generator scores much below KL 0.02 at 26,000 images. With fewer images the floor is lower (1,000 images: about 620
modes, KL 0.58): compare a result with the floor at its own count, as ``evaluate`` does.
"""

from __future__ import annotations

import json
import os
from typing import Any

import torch
from torch import Tensor

from ganzoo.checks import check_int

NUM_MODES = 1000
STACKED_N = 26000  # images per evaluation: the standard protocol (VEEGAN, PacGAN, R3GAN)
RULE = "a mode is covered by at least one image; modes_kl = KL(mode histogram || uniform over 1000), natural log"


def triple_labels(images: Tensor, classifier: Any = None, batch_size: int = 500) -> Tensor:
    """The mode ``100 * c0 + 10 * c1 + c2`` ``(N,)`` of stacked images ``(N, 3, 32, 32)`` in [0, 1], ``c`` the shipped
    classifier's class of each channel (:func:`ganzoo.metrics.classifier.predict`)."""
    from .classifier import predict
    from .features import check_images

    check_images("images", images)
    if images.shape[1] != 3:
        raise ValueError(f"images must be stacked Fashion-MNIST images (N, 3, 32, 32), got {tuple(images.shape)}")
    n, _, h, w = images.shape
    classes = predict(images.reshape(n * 3, 1, h, w), classifier, batch_size).reshape(n, 3)
    return classes @ torch.tensor([100, 10, 1], dtype=classes.dtype) if n else classes[:, 0]


def modes_and_kl(counts: Tensor) -> dict[str, Any]:
    """Modes covered and KL(histogram ‖ uniform) of a mode histogram ``counts`` ``(1000,)`` (images per mode).

    Example:
        >>> import math, torch
        >>> from ganzoo.metrics.modes import modes_and_kl
        >>> modes_and_kl(torch.full((1000,), 26))  # every mode equally often
        {'modes': 1000, 'modes_kl': 0.0, 'n': 26000, 'num_modes': 1000}
        >>> half = torch.zeros(1000, dtype=torch.long)
        >>> half[:500] = 52  # 500 modes, evenly: log(1000 / 500)
        >>> out = modes_and_kl(half)
        >>> out["modes"], math.isclose(out["modes_kl"], math.log(2))
        (500, True)
    """
    counts = torch.as_tensor(counts)
    if counts.shape != (NUM_MODES,) or counts.dtype.is_floating_point or bool((counts < 0).any()):
        raise ValueError(f"counts must be {NUM_MODES} non-negative integer counts, got a {counts.dtype} tensor of "
                         f"shape {tuple(counts.shape)}")
    n = int(counts.sum())
    if n == 0:
        raise ValueError("counts: no images (all 1000 counts are 0)")
    p = counts.double() / n
    used = p > 0
    kl = float((p[used] * torch.log(p[used] * NUM_MODES)).sum())
    return {"modes": int(used.sum()), "modes_kl": max(kl, 0.0), "n": n, "num_modes": NUM_MODES}


def stacked_modes(images: Tensor, classifier: Any = None) -> dict[str, Any]:
    """:func:`modes_and_kl` of stacked images ``(N, 3, 32, 32)`` in [0, 1] (every channel classified:
    :func:`triple_labels`). For a generator, :func:`ganzoo.metrics.evaluate.evaluate` does this with FID and the
    real-data floor (``ganzoo eval``).

    Example:
        A collapsed "generator", one image repeated, covers one mode, KL log(1000):

        >>> import torch
        >>> from ganzoo.data import StackedFashionMNISTDataModule
        >>> from ganzoo.metrics.modes import stacked_modes
        >>> x, _ = StackedFashionMNISTDataModule().reference_images("test", 1)
        >>> out = stacked_modes(((x + 1) / 2).expand(50, -1, -1, -1))
        >>> out["modes"], round(out["modes_kl"], 4), out["n"]
        (1, 6.9078, 50)
    """
    labels = triple_labels(images, classifier)
    if not len(labels):
        raise ValueError("images: no images")
    return modes_and_kl(torch.bincount(labels, minlength=NUM_MODES))


_FLOORS: dict[str, dict[str, Any]] = {}


def real_floor(n: int = STACKED_N, *, datamodule: Any = None, split: str = "test",
               cache_dir: str | os.PathLike | None = None) -> dict[str, Any]:
    """The real-data floor: :func:`stacked_modes` of the first ``n`` real stacked images of ``split`` (default the
    test split, 26,000 images) of ``datamodule`` (default ``StackedFashionMNISTDataModule(download=False)``):
    what a generator of the data itself would score. Returns ``{"modes", "modes_kl", "n", "num_modes", "split",
    "images"}``.

    Each distinct Fashion-MNIST image of the triples is classified once (a channel's class is that image's class),
    so the 26,000 test triples cost one pass over the 10,000 test images. The result is cached in memory and in
    ``cache_dir`` (default ``$GANZOO_CACHE/modes``), keyed by the data folder, split, triples seed, ``n`` and the
    classifier's weights hash.

    Example:
        >>> from ganzoo.metrics.modes import real_floor
        >>> floor = real_floor(300)  # 300 real stacked test images; the protocol's count is 26,000
        >>> floor["modes"], round(floor["modes_kl"], 3), floor["split"]
        (263, 1.382, 'test')
    """
    from ganzoo.data.base import to_unit
    from ganzoo.io import atomic_write_bytes
    from ganzoo.io import cache_dir as ganzoo_cache_dir

    from .classifier import load_fmnist_classifier, predict
    from .features import cache_key

    check_int("n", n)
    if datamodule is None:
        from ganzoo.data import StackedFashionMNISTDataModule

        datamodule = StackedFashionMNISTDataModule(download=False)
    if getattr(datamodule, "dataset_name", None) != "stacked_fashion_mnist":
        raise ValueError(f"datamodule must be a StackedFashionMNISTDataModule, got {type(datamodule).__name__}")
    clf = load_fmnist_classifier()
    fields = {"data": str(datamodule._root().resolve()), "split": split, "n": n,
              "triples_seed": datamodule.triples_seed, "weights_sha256": clf.weights_sha256}
    key = cache_key(**fields)
    path = (ganzoo_cache_dir("modes") if cache_dir is None else os.fspath(cache_dir))
    path = os.path.join(path, f"floor_{key}.json")
    if key not in _FLOORS and os.path.isfile(path):
        try:
            saved = json.loads(open(path, encoding="utf-8").read())
            if saved.get("fields") == fields:
                _FLOORS[key] = saved["floor"]
        except (OSError, ValueError, KeyError):  # a damaged cache file is recomputed and replaced
            pass
    if key not in _FLOORS:
        ds = datamodule.dataset(split)
        if n > len(ds):
            raise ValueError(f"n={n}: the {split} split of {type(datamodule).__name__} has {len(ds)} triples")
        triples = ds.triples[:n]
        used, where = torch.unique(triples, return_inverse=True)
        classes = predict((to_unit(ds.images[used]) + 1) / 2, clf)[where]  # as evaluate() maps dataset images
        counts = torch.bincount(classes @ torch.tensor([100, 10, 1], dtype=classes.dtype), minlength=NUM_MODES)
        floor = {**modes_and_kl(counts), "split": split,
                 "images": f"{datamodule.dataset_name} {split} split, the first {n} triples"}
        atomic_write_bytes(path, json.dumps({"fields": fields, "floor": floor}, indent=1).encode())
        _FLOORS[key] = floor
    return dict(_FLOORS[key])
