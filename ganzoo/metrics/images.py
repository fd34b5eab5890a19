"""FID, KID and IS of image sets through torchmetrics, with cached real features and a recorded protocol.

Images are float tensors ``(N, C, H, W)`` in [0, 1] (what ``ganzoo.sample`` returns; map datamodule images with
``(x + 1) / 2``). An extractor turns them into features (FID, KID) and class logits (IS) once per set; those go
into torchmetrics' ``FrechetInceptionDistance``, ``KernelInceptionDistance`` and ``InceptionScore`` (float64
statistics), so the three metrics share one pass of the network. Extractors:

* ``"fmnist"``: the shipped Fashion-MNIST classifier (128-d features, 10 logits), for 1x32x32 images; offline.
* ``"fmnist_stacked"``: the same classifier on each channel of 3x32x32 Stacked Fashion-MNIST images
  (:class:`ganzoo.data.StackedFashionMNISTDataModule`): features the three channels' 128-d features concatenated
  (384-d; channel 0's first), logits the 1,000 modes' (``log p0(c0) + log p1(c1) + log p2(c2)`` for mode
  ``100 * c0 + 10 * c1 + c2``, so IS counts modes); offline. The default for that dataset; with it the result also
  has the modes covered and their KL to uniform (:mod:`ganzoo.metrics.modes`), from the same forward pass.
* ``"inception"``: the standard FID InceptionV3 (2048-d pool features, 1008 logits) of torch-fidelity, loaded from
  a local weights file (``weights_path``, torch-fidelity's ``pt_inception-2015-12-05`` format), images resized
  to 299x299 by torchmetrics' bilinear resize with ``antialias=True`` (grey images repeated to 3 channels).

Real features are cached on disk (``cache_dir``, default ``$GANZOO_CACHE`` or ``~/.cache/ganzoo/fid_stats``) in one
safetensors file per (dataset, split, resolution, extractor, weights hash, number of images), written atomically
and checked against its metadata when read.

:func:`evaluate` is the entry point of ``ganzoo eval``: a generator or images (a folder, an ``.npy``/``.npz`` file,
a tensor: :func:`read_image_set`) against a datamodule, images, or reference statistics (:class:`ReferenceStats`,
saved by :func:`save_stats` / ``ganzoo stats`` and read by :func:`load_stats`). Below 2,048 images in either set FID
comes with a :class:`SmallSampleWarning` quoting the bias measured at those two counts (:func:`fid_bias_note`; the
table ships as ``fid_bias.json``). Raw 28x28 Fashion-MNIST images are padded to 32x32 for the ``fmnist`` extractor
(:func:`pad_for_fmnist`).
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from ganzoo.checks import check_int
from ganzoo.io import atomic_write_bytes

from .features import LOCAL, _Precomputed, check_images, fid_from_features, real_features

EXTRACTORS = ("fmnist", "fmnist_stacked", "inception")
# prdc: precision, recall, density, coverage (ganzoo.metrics.prdc); copy: the copy check against the training images
# (ganzoo.metrics.copying; evaluate with a datamodule as the reference)
METRICS = ("fid", "kid", "is", "prdc", "copy")


class Extractor:
    """``extract(images in [0, 1]) -> (features (N, D) float32, logits (N, K) float32)`` plus protocol facts."""

    def __init__(self, name: str, weights_path: str | os.PathLike | None = None, device: str | torch.device = "cpu"):
        if name not in EXTRACTORS:
            raise ValueError(f"extractor must be one of {EXTRACTORS}, got {name!r}")
        self.name, self.device = name, torch.device(device)
        if name in ("fmnist", "fmnist_stacked"):
            from .classifier import load_fmnist_classifier

            self.net = load_fmnist_classifier(weights_path).to(self.device)
            self.weights_sha256 = self.net.weights_sha256
            self.resize = "none (native 32x32; 28x28 padded)"
            self.channels = (1,) if name == "fmnist" else (3,)
            if name == "fmnist_stacked":
                self.resize += "; each channel classified alone, features concatenated"
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
            elif self.name == "fmnist_stacked":  # (B, 3, H, W) -> 3B grey images -> (B, 3 x 128), (B, 1000)
                b = len(x)
                f = self.net.features(x.reshape(b * 3, 1, *x.shape[2:]))
                lp = torch.log_softmax(self.net.head(f).float(), 1).reshape(b, 3, 10)
                feats.append(f.float().reshape(b, -1).cpu())
                logits.append((lp[:, 0, :, None, None] + lp[:, 1, None, :, None] + lp[:, 2, None, None, :])
                              .reshape(b, 1000).cpu())
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
    (:func:`fid_bias_note`). ``fake_features``: the features and logits of ``fake`` when already extracted with
    this extractor (:meth:`Extractor.extract`). The copy check (``"copy"``) is :func:`evaluate`'s: it needs a
    dataset's training images and test split.
    """
    import torchmetrics
    from torchmetrics.image import InceptionScore, KernelInceptionDistance

    from ganzoo.quiet import install as quiet

    quiet()  # torchmetrics' "will save all extracted features" warning does not apply (see ganzoo.quiet)

    bad = [m for m in metrics if m not in METRICS]
    if bad or not metrics:
        raise ValueError(f"metrics must be a non-empty subset of {METRICS}, got {list(metrics)!r}")
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


# ---------------------------------------------------------------- images from files, reference statistics, evaluate

REFERENCE_N = 10000  # reference images drawn from a dataset for an image set (the zoo's protocol: 10,000)
MIN_FID_IMAGES = 2048  # below this many images in either set, FID comes with a bias warning
STATS_FORMAT = "ganzoo-reference-statistics"
STATS_VERSION = "1"
ARRAY_SUFFIXES = (".npy", ".npz")


class SmallSampleWarning(UserWarning):
    """FID of fewer than 2,048 images: biased upward (see :func:`fid_bias_note`)."""


def default_extractor(data_shape: Sequence[int], dataset: str | None = None) -> str | None:
    """The offline feature extractor for images of this shape from ``dataset`` (a datamodule's ``dataset_name``,
    when known): the shipped Fashion-MNIST classifier for 1x32x32 images, the same per channel
    (``"fmnist_stacked"``) for Stacked Fashion-MNIST's 3x32x32, else ``None`` (the Inception extractor needs a
    weights file: pass ``extractor="inception"`` and ``weights_path``)."""
    if tuple(data_shape) == (1, 32, 32):
        return "fmnist"
    if tuple(data_shape) == (3, 32, 32) and dataset == "stacked_fashion_mnist":
        return "fmnist_stacked"
    return None


def as_images(array: Any, name: str = "images") -> Tensor:
    """An array of images as float32 ``(N, C, H, W)`` in [0, 1], C = 1 or 3.

    Values: uint8 in 0..255 (divided by 255) or floats in [0, 1]; any other dtype is refused. Layouts:
    ``(N, C, H, W)``, ``(N, H, W, C)`` (C = 1 or 3; when both axes 1 and 3 could be channels the array is refused
    as ambiguous) or ``(N, H, W)`` (one channel). At least 2 images.
    """
    import numpy as np

    if isinstance(array, np.ndarray):
        if not (array.dtype == np.uint8 or np.issubdtype(array.dtype, np.floating)):
            raise ValueError(f"{name}: images must be uint8 (0..255) or floats in [0, 1], got an array of "
                             f"{array.dtype}")
        array = torch.from_numpy(np.ascontiguousarray(array))
    if not isinstance(array, Tensor):
        raise ValueError(f"{name}: expected images (a tensor, an array, a folder, a .npy or .npz file), got "
                         f"{type(array).__name__}")
    x = array.detach().cpu()
    if not (x.dtype == torch.uint8 or x.dtype.is_floating_point):
        raise ValueError(f"{name}: images must be uint8 (0..255) or floats in [0, 1], got {x.dtype}")
    shape = tuple(x.shape)
    if x.dim() == 3:
        x = x[:, None]
    elif x.dim() == 4:
        first, last = shape[1] in (1, 3), shape[3] in (1, 3)
        if first and last:
            raise ValueError(f"{name}: shape {shape} is ambiguous: axis 1 and axis 3 could both be channels; "
                             "give (N, C, H, W) or (N, H, W, C) with H, W not 1 or 3")
        if last:
            x = x.permute(0, 3, 1, 2)
        elif not first:
            raise ValueError(f"{name}: shape {shape} has no channel axis of size 1 or 3; give (N, C, H, W), "
                             "(N, H, W, C) or (N, H, W)")
    else:
        raise ValueError(f"{name}: images must be (N, C, H, W), (N, H, W, C) or (N, H, W), got shape {shape}")
    if len(x) < 2:
        raise ValueError(f"{name}: {len(x)} image(s); FID and KID need at least 2")
    if x.dtype == torch.uint8:
        return x.float().div_(255).contiguous()
    x = x.float()
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name}: images contain NaN or infinite values")
    lo, hi = float(x.min()), float(x.max())
    if lo < 0 or hi > 1:
        raise ValueError(f"{name}: float images must lie in [0, 1], got values in [{lo:.3g}, {hi:.3g}] "
                         "(images in [-1, 1]: (x + 1) / 2; in 0..255: store them as uint8)")
    return x.contiguous()


def match_channels(images: Tensor, channels: int | None, name: str = "images") -> Tensor:
    """``images`` with ``channels`` channels: 1 -> 3 repeats the grey channel; 3 -> 1 only for grey images stored
    as RGB (all three channels equal), else an error. ``None``: 3 -> 1 for grey-as-RGB images, else unchanged."""
    c = images.shape[1]
    grey = c == 3 and bool((images[:, 0] == images[:, 1]).all() and (images[:, 1] == images[:, 2]).all())
    if channels is None:
        return images[:, :1].contiguous() if grey else images
    if channels == c:
        return images
    if channels == 3 and c == 1:
        return images.expand(-1, 3, -1, -1).contiguous()
    if channels == 1 and grey:
        return images[:, :1].contiguous()
    raise ValueError(f"{name}: images have {c} channels (in colour), the reference has {channels}")


def pad_for_fmnist(images: Tensor, name: str = "images") -> tuple[Tensor, str | None]:
    """1x28x28 images (raw Fashion-MNIST or MNIST) padded to the 1x32x32 the ``fmnist`` extractor takes, with 2 black
    pixels on each side: the rule of ganzoo's Fashion-MNIST and MNIST datamodules (``resize="pad"``,
    ``ganzoo.data.images._pad_or_resize``: 0 in uint8, -1 in [-1, 1]). Returns the images and a one-line note saying
    so, or the images unchanged and ``None`` for any other shape."""
    if tuple(images.shape[1:]) != (1, 28, 28):
        return images, None
    ph = pw = (32 - 28) // 2
    note = (f"{name}: 28x28 images padded to 32x32 with {ph} black pixels on each side, as ganzoo's Fashion-MNIST "
            "datamodule pads them, for the fmnist extractor")
    return torch.nn.functional.pad(images, (pw, pw, ph, ph), value=0.0), note


def read_image_set(source: Any, *, name: str = "images", channels: int | None = None,
                   n: int | None = None) -> tuple[Tensor, str]:
    """Images from a folder (PNG, JPEG, BMP, WebP: ``ganzoo.sampling.read_images``), a ``.npy`` file, a ``.npz``
    file (its only array, or the one named ``images``), a tensor or an array (:func:`as_images`), as float32
    ``(N, C, H, W)`` in [0, 1], and a description naming the source. ``channels`` as in :func:`match_channels`
    (grey images stored as RGB are read as one channel); ``n``: the first ``n`` images. Errors start with ``name``.
    """
    import numpy as np

    desc = "in memory"
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.is_dir():
            from ganzoo.sampling import read_images

            try:
                _, x = read_images(path, 3)
            except ValueError as e:
                raise ValueError(f"{name}: {e}") from None
            desc = f"folder {path}"
        elif path.suffix.lower() in ARRAY_SUFFIXES:
            if not path.is_file():
                raise FileNotFoundError(f"{name}: no file {path}")
            x, key = _load_array(path, name)
            desc = f"array {path}" + (f"[{key!r}]" if key else "")
        elif path.suffix.lower() == ".safetensors":
            raise ValueError(f"{name}: {path} holds reference statistics, not images; give it as the reference")
        elif not path.exists():
            raise FileNotFoundError(f"{name}: {path} does not exist (a folder of images, a .npy or a .npz file)")
        else:
            raise ValueError(f"{name}: {path} is neither a folder of images nor a .npy/.npz file")
        x = as_images(x, name)
    elif isinstance(source, (Tensor, np.ndarray)):
        x = as_images(source, name)
    else:
        raise ValueError(f"{name}: expected a folder, a .npy/.npz file, a tensor or an array, got "
                         f"{type(source).__name__}")
    x = match_channels(x, channels, name)
    total = len(x)
    if n is not None:
        check_int("n", n)
        if n > total:
            raise ValueError(f"{name}: asked for {n} images, {desc} has {total}")
        x = x[:n]
    return x, f"{desc} ({len(x)} images" + (f", the first of {total})" if len(x) < total else ")")


def _load_array(path: Path, name: str) -> tuple[Any, str | None]:
    import numpy as np

    try:
        data = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as e:
        raise ValueError(f"{name}: {path} is not a readable {path.suffix} file ({e})") from None
    if isinstance(data, np.ndarray):
        return data, None
    with data:
        keys = list(data.keys())
        if {"mu", "sigma"} <= set(keys):
            raise ValueError(f"{name}: {path} holds mu/sigma statistics (pytorch-fid's or clean-fid's format), "
                             "not images; ganzoo reads statistics written by `ganzoo stats` (.safetensors)")
        key = "images" if "images" in keys else keys[0] if len(keys) == 1 else None
        if key is None:
            raise ValueError(f"{name}: {path} holds {len(keys)} arrays {keys}; name the images 'images'")
        return data[key], key


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


def _extractor_for(shape: tuple[int, ...], dataset: str | None = None) -> str:
    found = default_extractor(shape, dataset)
    if found is None:
        raise ValueError(f"no offline feature extractor for images of shape {shape} (fmnist takes 1x32x32, or 1x28x28 "
                         "padded; fmnist_stacked Stacked Fashion-MNIST's 3x32x32); use the inception extractor with a "
                         "local weights file (extractor='inception' and weights_path in Python, --extractor inception "
                         "--weights_path FILE on the command line)")
    return found


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


_BIAS_TABLE: dict[str, Any] | None = None


def fid_bias_table() -> dict[str, Any]:
    """The measured FID bias on Fashion-MNIST, shipped with the package as ``ganzoo/metrics/fid_bias.json`` (written
    by the repository's ``bench/quality/fid_bias.py``): ``"series"`` (n images against 10,000) and ``"grid"`` (n images
    against n_ref images)."""
    global _BIAS_TABLE
    if _BIAS_TABLE is None:
        _BIAS_TABLE = json.loads((Path(__file__).parent / "fid_bias.json").read_text())
    return _BIAS_TABLE


def fid_bias(n: int, n_ref: int) -> tuple[float, int, int]:
    """The measured upward bias of FID(``n`` images, ``n_ref`` reference images) over FID(10,000, 10,000) on
    Fashion-MNIST (fmnist extractor), interpolated linearly in 1/n and 1/n_ref between the measured counts of the
    grid; counts outside the measured range are clamped to it. Returns ``(bias, n used, n_ref used)``."""
    rows = fid_bias_table()["grid"]["rows"]
    cell = {(r["n"], r["n_ref"]): r["bias"] for r in rows}

    def bracket(counts: list[int], v: int) -> tuple[int, int, float]:  # (lower, upper, weight of lower)
        v = min(max(v, counts[0]), counts[-1])
        hi = next(c for c in counts if c >= v)
        lo = counts[counts.index(hi) - 1] if hi > v else hi
        return lo, hi, 0.0 if hi == lo else (1 / v - 1 / hi) / (1 / lo - 1 / hi)

    (a0, a1, ta), (b0, b1, tb) = (bracket(sorted({k[i] for k in cell}), v) for i, v in ((0, n), (1, n_ref)))
    bias = ((1 - ta) * ((1 - tb) * cell[a1, b1] + tb * cell[a1, b0])
            + ta * ((1 - tb) * cell[a0, b1] + tb * cell[a0, b0]))
    counts = sorted({k[0] for k in cell})
    return bias, min(max(n, counts[0]), counts[-1]), min(max(n_ref, counts[0]), counts[-1])


def fid_bias_note(n: int, n_ref: int = REFERENCE_N, extractor: str = "fmnist") -> str | None:
    """``None`` when both ``n`` (images) and ``n_ref`` (reference images) are at least 2,048; else a sentence saying
    how far FID is biased upward at these two counts (:func:`fid_bias`: the grid measured on Fashion-MNIST, test
    images against training images, fmnist extractor)."""
    if min(n, n_ref) >= MIN_FID_IMAGES:
        return None
    bias, n_at, ref_at = fid_bias(n, n_ref)

    def measured(asked: int, used: int) -> str:
        return f"{used:,}" + (" (the fewest measured)" if asked < used else
                              " (the most measured)" if asked > used else "")

    fewer = n < n_at or n_ref < ref_at
    how = f"{measured(n, n_at)} images against {measured(n_ref, ref_at)} score {'' if fewer else 'about '}"
    after = ("; fewer images score more" if fewer else
             "; more images score a little less" if (n_at, ref_at) != (n, n_ref) else "")
    full = next(r for r in fid_bias_table()["grid"]["rows"] if r["bias"] == 0 and r["n"] == r["n_ref"])
    other = "" if extractor == "fmnist" else (
        f"; with the {extractor!r} extractor the bias differs, and with fewer images than its feature dimensions "
        "the covariance is singular")
    return (f"FID of {n:,} images against {n_ref:,} reference images is biased upward: on Fashion-MNIST (fmnist "
            f"extractor, test images against training images), {how}{bias:.2f} above {full['n']:,} against "
            f"{full['n_ref']:,} (FID {full['fid_mean']:.2f}){after}; from the table shipped with ganzoo "
            f"(fid_bias.json){other}. "
            f"Use at least {MIN_FID_IMAGES:,} images in both sets, and the same counts for FIDs you compare")


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
    images: a folder (PNG/JPEG/...), a ``.npy``/``.npz`` file, a tensor or an array (:func:`as_images` says which
    dtypes and layouts; all images, or the first ``n``).

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

    metrics = list(metrics)
    bad = [m for m in metrics if m not in METRICS]
    if bad or not metrics:
        raise ValueError(f"metrics must be a non-empty subset of {METRICS}, got {metrics!r}")
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
