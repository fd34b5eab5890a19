"""``evaluate``: the image metrics of a generator or of images against a dataset, images or reference statistics,
with their protocol; the one entry point behind ``ganzoo eval``, and the copy check's (:mod:`ganzoo.metrics.copying`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ganzoo.checks import check_int
from ganzoo.imageio import ARRAY_SUFFIXES, read_image_set

from .extractors import EXTRACTORS, Extractor, _extractor_for, pad_for_fmnist
from .fid_bias import REFERENCE_N
from .reference import ReferenceStats, load_stats
from .scores import check_metrics, compute_image_metrics


def _is_datamodule(obj: Any) -> bool:
    return callable(getattr(obj, "reference_images", None)) and hasattr(obj, "data_shape")


def evaluate(
    fake: Any,
    reference: Any,
    *,
    metrics: Sequence[str] = ("fid", "kid"),
    n: int | None = None,
    n_real: int | None = None,
    split: str = "train",
    extractor: str | None = None,
    weights_path: str | os.PathLike | None = None,
    seed: int = 0,
    device: str | torch.device | None = None,
    cache_dir: str | os.PathLike | None = None,
    progress: bool = False,
    fake_name: str = "fake",
    reference_name: str = "reference",
    nearest_grid: str | os.PathLike | None = None,
) -> dict[str, Any]:
    """Image metrics of ``fake`` against ``reference``, with their protocol: the one entry point behind
    ``ganzoo eval``.

    ``fake``: a generator (``n`` samples, default 10,000, or 26,000 for Stacked Fashion-MNIST (the modes protocol),
    of seed ``seed``; sample i depends only on (seed, i)), or
    images: a folder (PNG/JPEG/...), a ``.npy``/``.npz`` file, a tensor or an array
    (:func:`~ganzoo.imageio.as_images` says which dtypes and layouts; all images, or the first ``n``).

    ``reference``: an image datamodule (the first ``n_real`` images of ``split``; default ``n`` for a generator, else
    10,000, in both cases at most the whole split), images as for ``fake`` (all, or the first ``n_real``), or
    reference statistics (a ``.safetensors`` file of ``ganzoo stats``, or :class:`ReferenceStats`). ``reference`` is
    the set precision and recall treat as real; the protocol names it under ``"real"``.

    ``extractor``: default the statistics' extractor, else ``"fmnist"`` for 1x32x32 images and ``"fmnist_stacked"``
    for a Stacked Fashion-MNIST datamodule. With ``"fmnist_stacked"`` the result also holds ``"modes"`` (of 1,000)
    and ``"modes_kl"`` of the fake images (:mod:`ganzoo.metrics.modes`), and ``"modes_floor"``: the same of as many
    real stacked test images (:func:`ganzoo.metrics.modes.real_floor`; at most the test split's 26,000). With the
    ``fmnist`` extractor, 1x28x28 images (raw Fashion-MNIST) of ``fake`` or ``reference`` are padded to 32x32 as
    the datamodule pads them (:func:`pad_for_fmnist`); the result's ``"notes"`` say so, one line each. ``fake_name`` and
    ``reference_name`` start the error messages (the command line passes its argument names).

    ``"copy"`` in ``metrics`` (with a datamodule as ``reference``): is the generator copying its training images?
    The samples' distances to their nearest training image in the extractor's features against the same of held-out
    images (the first ``n_real`` images of the test split, as many as the reference, at most the split):
    ``copy_median_ratio``, ``copy_fraction``, and the FID gap ``fid_gap`` = ``fid_train`` - ``fid_test``
    (:mod:`ganzoo.metrics.copying` defines them). The training images are the datamodule's training set: the whole
    split, or the ``limit`` images a run trained on; their features are cached like the reference's.
    ``nearest_grid``: a ``.png`` path where the copy check writes the 8 samples nearest to a training image, each
    beside it (:func:`ganzoo.metrics.copying.nearest_grid`).

    Example:
        200 samples of the DCGAN entry against 200 reference images (here samples of the conditional entry, as
        stand-ins: usually a datamodule, a folder or ``ganzoo stats`` statistics of 10,000 real images). FID of so
        few images is biased upward, and the result says so under ``"warnings"``:

        >>> import ganzoo
        >>> from ganzoo.metrics.images import evaluate
        >>> reference = ganzoo.sample("cgan-fashion_mnist", 200, seed=1)
        >>> scores = evaluate(ganzoo.load("dcgan-fashion_mnist"), reference, metrics=("fid", "prdc"), n=200)
        >>> round(scores["fid"]), len(scores["warnings"])
        (18, 1)
        >>> sorted(k for k in scores if k in ("precision", "recall", "density", "coverage"))
        ['coverage', 'density', 'precision', 'recall']
        >>> scores["protocol"]["extractor"], scores["protocol"]["n_fake"], scores["protocol"]["n_real"]
        ('fmnist', 200, 200)
    """
    from torch import nn

    metrics = check_metrics(metrics)
    if extractor is not None and extractor not in EXTRACTORS:
        raise ValueError(f"extractor must be one of {EXTRACTORS}, got {extractor!r}")
    for value, label in ((n, "n"), (n_real, "n_real")):
        if value is not None:
            check_int(label, value)
    generator = fake if isinstance(fake, nn.Module) else None
    check_path(fake, fake_name, stats_ok=False)
    check_path(reference, reference_name, stats_ok=True)
    copy, main = "copy" in metrics, [m for m in metrics if m != "copy"]
    if copy:
        from .copying import check_held_out

        if not _is_datamodule(reference):
            raise ValueError(f"metrics: 'copy' needs a dataset as the reference (an image datamodule; --data on the "
                             f"command line) for its training images and test split; {reference_name} is images or "
                             "statistics")
        check_held_out(reference)
    if nearest_grid is not None:
        if not copy:
            raise ValueError(f"nearest_grid {nearest_grid}: the grid comes from the copy check; add 'copy' to the "
                             "metrics")
        if Path(nearest_grid).suffix.lower() != ".png":
            raise ValueError(f"nearest_grid: a .png file, got {nearest_grid}")

    # the reference first: it fixes the channel count and shape the fake images are read with
    dataset, notes = None, []
    if isinstance(reference, ReferenceStats):
        real: Tensor | ReferenceStats = reference
    elif isinstance(reference, (str, os.PathLike)) and Path(reference).suffix == ".safetensors":
        real = load_stats(reference, name=reference_name)
    elif _is_datamodule(reference):
        extractor = extractor or _extractor_for(tuple(reference.data_shape), reference.dataset_name)  # first
        dataset = reference.dataset_name
        size = len(reference.dataset(split)) if hasattr(reference, "dataset") else None
        # by default as many as the samples (a generator) or 10,000, and at most the split (a small folder's)
        count = n_real or min((n or _default_n(extractor)) if generator is not None else REFERENCE_N,
                              size or REFERENCE_N)
        x, _ = reference.reference_images(split, count)
        real, ref_count = (x + 1) / 2, count
        real_desc = f"{dataset} {split} split, " + (f"all {count} images" if count == size else
                                                     f"the first {count} images")
    else:
        real, real_desc = read_image_set(reference, name=reference_name, n=n_real)
        if extractor in (None, "fmnist"):  # raw 28x28 Fashion-MNIST: padded as the datamodule pads
            real, note = pad_for_fmnist(real, reference_name)
            if note:
                real_desc, notes = real_desc + ", padded from 28x28 to 32x32", [note]
    if isinstance(real, ReferenceStats):
        if n_real is not None:
            raise ValueError(f"n_real: reference statistics hold {real.n} images; n_real applies to image sets")
        where = real.protocol.get("path")
        real_desc = f"statistics {where}: {real.protocol['source']}" if where else real.protocol["source"]
        extractor = extractor or real.protocol["extractor"]
        real.check_extractor(extractor)
    shape = tuple(real.protocol["resolution"]) if isinstance(real, ReferenceStats) else tuple(real.shape[1:])
    extractor = extractor or _extractor_for(shape)

    labels = None
    if generator is not None:
        from ganzoo.sampling import sample

        out_shape = tuple(getattr(generator, "output_shape", ()))
        if len(out_shape) != 3:
            raise ValueError(f"{fake_name}: not an image generator (output shape {out_shape})")
        if out_shape != shape:
            raise ValueError(f"{fake_name} makes images of shape {out_shape} but the reference's are {shape}")
        count = n or _default_n(extractor)
        params = next(generator.parameters(), None)
        device = device or (params.device if params is not None else "cpu")  # the metrics run where the model is
        fake_images = sample(generator, count, seed=seed)
        classes = int(getattr(generator, "num_classes", 0) or 0)
        labels = torch.arange(count) % classes if classes else None  # sample() cycles through the classes
        fake_desc = f"{count} samples of the generator (seed {seed})"
    else:
        fake_images, fake_desc = read_image_set(fake, name=fake_name, channels=shape[0], n=n)
        if extractor == "fmnist" and shape == (1, 32, 32):
            fake_images, note = pad_for_fmnist(fake_images, fake_name)
            if note:
                fake_desc, notes = fake_desc + ", padded from 28x28 to 32x32", [*notes, note]
    if tuple(fake_images.shape[1:]) != shape:
        hint = (" (ganzoo pads Fashion-MNIST's 28x28 images to 32x32 with 2 black pixels on each side)"
                if shape == (1, 32, 32) and tuple(fake_images.shape[2:]) == (28, 28) else "")
        raise ValueError(f"{fake_name}: images of shape {tuple(fake_images.shape[1:])}, the reference's are "
                         f"{shape}{hint}")
    features, copied = None, None
    if copy:
        from .copying import check_datamodule

        ex = Extractor(extractor, weights_path, device or "cpu")
        features = ex.extract(fake_images, progress=progress)
        copied = check_datamodule(features[0], fake_images, reference, ex, n_heldout=ref_count, cache_dir=cache_dir,
                                  progress=progress, grid=nearest_grid)
    if main:
        out = compute_image_metrics(
            fake_images, real, metrics=tuple(main), extractor=extractor, weights_path=weights_path,
            dataset=dataset, split=split if dataset else None, cache_dir=cache_dir, device=device or "cpu",
            progress=progress, labels=labels, real_name=real_desc, fake_name=fake_desc, fake_features=features,
        )
    else:  # the copy check alone: the protocol of the samples and the extractor
        out = {"protocol": {
            "extractor": ex.name, "weights_sha256": ex.weights_sha256, "feature_dim": int(features[0].shape[1]),
            "resize": ex.resize, "n_fake": len(fake_images), "fake": fake_desc, "dataset": dataset,
            "resolution": list(shape),
        }}
    if copied is not None:
        scores, protocol = copied
        out = {**{k: v for k, v in out.items() if k != "protocol"}, **scores,
               "protocol": {**out["protocol"], "copy": protocol}}
    if "modes" in out:
        floor = _modes_floor(len(fake_images), reference if dataset == "stacked_fashion_mnist" else None)
        if isinstance(floor, str):
            notes.append(floor)
        else:
            out["modes_floor"] = floor
    return {**out, "notes": notes} if notes else out


def _default_n(extractor: str) -> int:
    """Generated images when ``n`` is not given: 26,000 for Stacked Fashion-MNIST (the modes protocol), else 10,000."""
    from .modes import STACKED_N

    return STACKED_N if extractor == "fmnist_stacked" else 10000


def _modes_floor(n: int, datamodule: Any) -> dict[str, Any] | str:
    """:func:`ganzoo.metrics.modes.real_floor` of ``n`` images (at most the test split's), or a note saying why
    there is none."""
    from .modes import real_floor

    try:
        if datamodule is None:
            from ganzoo.data import StackedFashionMNISTDataModule

            datamodule = StackedFashionMNISTDataModule(download=False)
        return real_floor(min(n, len(datamodule.dataset("test"))), datamodule=datamodule)
    except FileNotFoundError as e:
        return f"no real-data floor for the modes: {e}"


def check_path(obj: Any, name: str, *, stats_ok: bool) -> None:
    """A path argument must exist and be of a kind this argument takes: checked before any work."""
    if not isinstance(obj, (str, os.PathLike)):
        return
    path = Path(obj)
    kinds = "a folder of images, a .npy or .npz file" + (", or statistics (.safetensors)" if stats_ok else "")
    if not path.exists():
        raise FileNotFoundError(f"{name}: {path} does not exist ({kinds})")
    if path.is_dir():
        return
    suffix = path.suffix.lower()
    if suffix in ARRAY_SUFFIXES or (stats_ok and suffix == ".safetensors"):
        return
    if suffix == ".safetensors":
        raise ValueError(f"{name}: {path} holds reference statistics, not images; give it as the reference")
    raise ValueError(f"{name}: {path} is not {kinds}")
