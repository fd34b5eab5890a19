"""Is the generator copying its training images? Nearest-neighbour distances in an extractor's feature space.

For each generated sample, the Euclidean distance from its features to the nearest training image's features; the
same for held-out real images (a test split the generator never saw). A generator of the data distribution puts
its samples as far from the training images as fresh real images are; a generator that memorises puts them closer.

* ``copy_median_ratio``: median nearest-training distance of the samples / the same of the held-out images. About 1
  for samples as novel as fresh real images; well below 1 when the samples sit closer to training images than real
  images do (memorisation); 0 for exact copies.
* ``copy_fraction``: the fraction of samples closer to a training image than all but the closest ``quantile``
  (:data:`COPY_QUANTILE`, 1%) of the held-out images are: the fraction of samples whose nearest-training distance
  is below ``copy_threshold``, the 1st percentile of the held-out images' nearest-training distances. Held-out-like
  samples score about 0.01 by construction; a copier scores 1.
* ``fid_gap``: ``fid_train - fid_test``, the FID of the samples against ``k`` training images minus their FID
  against ``k`` held-out images (the first ``k`` of each, ``k`` the smaller count, so that FID's small-sample bias is
  the same on both sides). About 0 for a generator of the distribution; negative when the samples resemble the
  training images more than the distribution they were drawn from.

:func:`copy_check` computes these from features; :func:`ganzoo.metrics.evaluate.evaluate` (``metrics=("copy",)``,
``ganzoo eval --metrics copy``) from a generator or images and an image datamodule (its training images, or the
``limit`` subset a run trained on, and its test split), and :func:`nearest_grid` draws the samples closest to a
training image beside that image (``ganzoo eval --nearest-grid PATH``).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

COPY_QUANTILE = 0.01  # copy_fraction: samples below this quantile of the held-out images' nearest-training distances
GRID_ROWS = 8  # nearest_grid: rows of (sample | its nearest training image)
QUERY_CHUNK, KEY_CHUNK = 1024, 16384  # a block of torch.cdist: 1024 x 16384 float32 distances, 64 MB


def nearest(queries: Tensor, keys: Tensor) -> tuple[Tensor, Tensor]:
    """The Euclidean distance from each row of ``queries`` ``(N, D)`` to its nearest row of ``keys`` ``(M, D)``, and
    that row's index: ``torch.cdist`` over blocks of :data:`QUERY_CHUNK` queries x :data:`KEY_CHUNK` keys, keeping the
    running minimum (10,000 x 60,000 never held at once). On the queries' device; returns float32 ``(N,)`` and int64
    ``(N,)`` there."""
    if queries.dim() != 2 or keys.dim() != 2 or queries.shape[1] != keys.shape[1]:
        raise ValueError(f"nearest: queries and keys must be (N, D) and (M, D) with the same D, got "
                         f"{tuple(queries.shape)} and {tuple(keys.shape)}")
    if len(keys) == 0:
        raise ValueError("nearest: no keys to search")
    queries, keys = queries.float(), keys.float().to(queries.device)
    dist = torch.empty(len(queries), device=queries.device)
    index = torch.empty(len(queries), dtype=torch.long, device=queries.device)
    for q in range(0, len(queries), QUERY_CHUNK):
        block = queries[q: q + QUERY_CHUNK]
        best = torch.full((len(block),), float("inf"), device=queries.device)
        arg = torch.zeros(len(block), dtype=torch.long, device=queries.device)
        for k in range(0, len(keys), KEY_CHUNK):
            d, i = torch.cdist(block, keys[k: k + KEY_CHUNK]).min(1)
            closer = d < best
            best, arg = torch.where(closer, d, best), torch.where(closer, i + k, arg)
        dist[q: q + QUERY_CHUNK], index[q: q + QUERY_CHUNK] = best, arg
    return dist, index


def copy_scores(d_fake: Tensor, d_heldout: Tensor, quantile: float = COPY_QUANTILE) -> dict[str, float]:
    """The copy scores of the samples' (``d_fake``) and held-out images' (``d_heldout``) nearest-training distances:
    ``copy_median_ratio``, ``copy_fraction`` (strictly below ``copy_threshold``, the ``quantile`` of ``d_heldout``),
    the two medians (``nn_median_fake``, ``nn_median_heldout``) and ``copy_threshold``."""
    if not 0 < quantile < 1:
        raise ValueError(f"quantile must lie in (0, 1), got {quantile!r}")
    if len(d_fake) == 0 or len(d_heldout) == 0:
        raise ValueError(f"copy scores need samples and held-out images, got {len(d_fake)} and {len(d_heldout)}")
    d_fake, d_heldout = d_fake.double().cpu(), d_heldout.double().cpu()
    med_fake, med_held = float(d_fake.median()), float(d_heldout.median())
    threshold = float(torch.quantile(d_heldout, quantile))
    return {
        "copy_median_ratio": med_fake / med_held if med_held > 0 else float("nan"),
        "copy_fraction": float((d_fake < threshold).double().mean()),
        "nn_median_fake": med_fake, "nn_median_heldout": med_held, "copy_threshold": threshold,
    }


def copy_check(fake: Tensor, train: Tensor, heldout: Tensor, *, quantile: float = COPY_QUANTILE) -> dict[str, float]:
    """The copy check of samples' features ``fake`` against training features ``train`` and held-out real features
    ``heldout`` (each ``(N, D)`` in one extractor's space): ``copy_median_ratio``, ``copy_fraction``,
    ``nn_median_fake``, ``nn_median_heldout``, ``copy_threshold`` (:func:`copy_scores`) and ``fid_train``,
    ``fid_test``, ``fid_gap`` (the FID gap at equal counts; see the module's docstring).

    Example:
        Features of real Fashion-MNIST images: "samples" that are training images (a copier) and "samples" that are
        other held-out images (what a generator of the distribution should score):

        >>> from ganzoo.data import FashionMNISTDataModule
        >>> from ganzoo.metrics.copying import copy_check
        >>> from ganzoo.metrics.extractors import Extractor
        >>> dm, extractor = FashionMNISTDataModule(), Extractor("fmnist")
        >>> train = extractor.extract((dm.reference_images("train", 1000)[0] + 1) / 2)[0]
        >>> test = extractor.extract((dm.reference_images("test", 1000)[0] + 1) / 2)[0]
        >>> copier = copy_check(train[500:], train, test[:500])
        >>> round(copier["copy_median_ratio"], 2), copier["copy_fraction"]
        (0.0, 1.0)
        >>> novel = copy_check(test[500:], train, test[:500])
        >>> round(novel["copy_median_ratio"], 2), round(novel["copy_fraction"], 3)
        (1.03, 0.012)
        >>> sorted(novel)  # doctest: +NORMALIZE_WHITESPACE
        ['copy_fraction', 'copy_median_ratio', 'copy_threshold', 'fid_gap', 'fid_test', 'fid_train',
         'nn_median_fake', 'nn_median_heldout']
    """
    return _copy_check(fake, train, heldout, quantile)[0]


def _copy_check(fake: Tensor, train: Tensor, heldout: Tensor,
                quantile: float) -> tuple[dict[str, float], Tensor, Tensor]:
    """:func:`copy_check`'s scores, and the samples' nearest-training distances and indices (for the grid)."""
    from .features import fid_from_features

    d_fake, index = nearest(fake, train)
    d_heldout, _ = nearest(heldout, train)
    out: dict[str, Any] = copy_scores(d_fake, d_heldout, quantile)
    k = min(len(train), len(heldout))
    fid_train, fid_test = (fid_from_features(ref[:k].cpu(), fake.cpu()) for ref in (train, heldout))
    out.update(fid_train=fid_train, fid_test=fid_test, fid_gap=fid_train - fid_test)
    return out, d_fake, index


def nearest_grid(fake: Tensor, train: Tensor, d_fake: Tensor, index: Tensor, rows: int = GRID_ROWS) -> bytes:
    """A PNG of the ``rows`` samples nearest to a training image, closest first, each beside that training image
    (two columns: sample | training image). ``fake`` and ``train`` are images ``(N, C, H, W)`` in [0, 1];
    ``d_fake`` and ``index`` what :func:`nearest` returned for the samples' features against the training images'."""
    from ganzoo.imageio import grid_png

    order = torch.argsort(d_fake.cpu(), stable=True)[:rows]
    pairs = torch.stack([fake[order], train[index.cpu()[order]]], 1)  # (rows, 2, C, H, W)
    return grid_png(pairs.flatten(0, 1), nrow=2)


def training_images(datamodule: Any) -> tuple[Tensor, str, str]:
    """The images a run on ``datamodule`` trained on, in [0, 1]: its training set (the whole training split, or the
    ``limit`` images of it), with a description and the name its features are cached under."""
    from ganzoo.data.base import LIMIT_SEED

    name = getattr(datamodule, "dataset_name", type(datamodule).__name__)
    subset = getattr(datamodule, "training_set", None)
    limit = getattr(datamodule, "limit", None)
    if subset is None:  # a datamodule of another kind: its whole training split
        return (datamodule.reference_images("train")[0] + 1) / 2, f"{name} train split, all images", "train"
    ds = subset()
    x = torch.cat([ds.__getitems__(range(i, min(i + 1000, len(ds))))[0] for i in range(0, len(ds), 1000)])
    if limit is None:
        return (x + 1) / 2, f"{name} train split, all {len(x)} images", "train"
    return ((x + 1) / 2, f"{name} train split, the {len(x)} images of limit={limit} (seed {LIMIT_SEED}) a run "
            "trained on", f"train limit={limit} seed={LIMIT_SEED}")


def check_held_out(datamodule: Any) -> None:
    """Refuse a datamodule whose test split is not held out (an image folder's test split is its training split)."""
    if not getattr(datamodule, "held_out_test", True):
        name = getattr(datamodule, "dataset_name", type(datamodule).__name__)
        raise ValueError(f"metrics: 'copy' compares with held-out images, and the test split of {name} is its "
                         "training split (a folder of images has one split): there are no held-out images; "
                         "train with some set aside (the folder datamodule's holdout=N)")


def check_datamodule(
    f_fake: Tensor, fake: Tensor, datamodule: Any, extractor: Any, *, n_heldout: int, cache_dir: Any = None,
    progress: bool = False, grid: Any = None,
) -> tuple[dict[str, float], dict[str, Any]]:
    """The copy check of samples (images ``fake`` in [0, 1] and their features ``f_fake`` by ``extractor``, an
    :class:`ganzoo.metrics.extractors.Extractor`) against ``datamodule``'s training set (:func:`training_images`) and
    the first ``n_heldout`` images of its test split (at most the split): :func:`copy_check`'s scores and their
    protocol. The features of both real sets come from the cache of :func:`ganzoo.metrics.features.real_features`.
    ``grid``: a path where :func:`nearest_grid` is written."""
    from ganzoo.io import atomic_write_bytes

    from .features import real_features

    check_held_out(datamodule)
    dataset = getattr(datamodule, "dataset_name", None)
    train, train_desc, train_key = training_images(datamodule)
    try:
        size = len(datamodule.dataset("test"))
    except (FileNotFoundError, ValueError, KeyError) as e:
        raise ValueError(f"metrics: 'copy' compares with held-out images, the test split of {dataset}, which cannot "
                         f"be read: {e}") from None
    n_heldout = min(n_heldout, size)
    heldout = (datamodule.reference_images("test", n_heldout)[0] + 1) / 2
    f_train, train_cached = real_features(train, extractor, dataset=dataset, split=train_key, cache_dir=cache_dir,
                                          progress=progress)
    f_heldout, heldout_cached = real_features(heldout, extractor, dataset=dataset, split="test", cache_dir=cache_dir,
                                              progress=progress)
    where = extractor.device
    scores, d_fake, index = _copy_check(f_fake.to(where), f_train.to(where), f_heldout.to(where), COPY_QUANTILE)
    if grid is not None:
        atomic_write_bytes(grid, nearest_grid(fake, train, d_fake, index))
    protocol = {
        "train": train_desc, "n_train": len(train), "heldout": f"{dataset} test split, the first {n_heldout} images",
        "n_heldout": n_heldout, "distance": "Euclidean, in the extractor's features, to the nearest training image",
        "copy_fraction": f"samples nearer than the {COPY_QUANTILE:.0%} quantile of the held-out images' distances",
        "quantile": COPY_QUANTILE, "fid_gap": f"FID against the first {min(len(train), n_heldout)} training images "
        "minus FID against as many held-out images", "fid_gap_n": min(len(train), n_heldout),
        "train_features_cached": train_cached, "heldout_features_cached": heldout_cached,
        **({"nearest_grid": str(grid)} if grid is not None else {}),
    }
    return scores, protocol
