"""Image datamodules: Fashion-MNIST, Stacked Fashion-MNIST, MNIST, CIFAR-10, CelebA and any folder of images.

Every datamodule yields training batches ``(x, y)``: ``x`` float32 ``(B, C, H, W)`` in [-1, 1], ``y`` int64 class
labels (zeros for unlabelled data, whose ``num_classes`` is 0). ``data_shape``, ``num_classes``, ``class_names``
and ``dataset_name`` are known right after construction, and bad input (a missing folder, absent or corrupt
files, images of the wrong size or channel count) fails in the constructor or in ``setup``, before training.

Exact resume: the order of epoch ``e`` is a permutation drawn from its own generator (``seed``, ``e``), not the
global RNG, and the datamodule counts the batches it hands to the model, so a run resumed from any checkpoint
sees the same batches as an uninterrupted one (``state_dict``: epoch, batches consumed, and the settings the batches
depend on, :meth:`ImageDataModule.batch_settings`: batch size, seed, world size, and a subclass's own).

Under DDP each rank reads its own disjoint part of every global batch (:class:`EpochSampler`): ``world_size``
ranks with ``batch_size`` each read, together, what one process reads with ``batch_size * world_size``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from ganzoo.checks import check_int

from .idx import FASHION_MNIST_CLASSES, default_fashion_mnist_dir, find_idx_pair, load_idx_split

MNIST_CLASSES = tuple(str(i) for i in range(10))
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
CIFAR10_MD5 = "c32a1d4ab5d03f1284b67883e8d87530"
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp")
LIMIT_SEED = 0  # the subset of a datamodule's ``limit``: a property of the dataset and N, not of a run's seed


def data_root() -> Path:
    """Where datasets are downloaded: ``$GANZOO_DATA`` or ``~/.cache/ganzoo/datasets``."""
    return Path(os.environ.get("GANZOO_DATA", Path.home() / ".cache" / "ganzoo" / "datasets"))


def to_unit(x: Tensor) -> Tensor:
    """uint8 images to float32 in [-1, 1] (0 -> -1, 255 -> 1)."""
    return x.float().div_(127.5).sub_(1.0)


def _identity(batch: Any) -> Any:  # the datasets below return whole batches
    return batch


class ArrayImages(Dataset):
    """Images held in memory as uint8 ``(N, C, H, W)`` with int64 labels; fetched a batch at a time."""

    def __init__(self, images: Tensor, labels: Tensor):
        self.images, self.labels = images, labels

    def __len__(self) -> int:
        return len(self.images)

    def __getitems__(self, idx: Sequence[int]) -> tuple[Tensor, Tensor]:
        i = torch.as_tensor(idx, dtype=torch.long)
        return to_unit(self.images[i]), self.labels[i]

    def __getitem__(self, i: int) -> tuple[Tensor, Tensor]:
        return to_unit(self.images[i]), self.labels[i]


class FileImages(Dataset):
    """Images decoded from files on demand (CelebA, image folders): ``(path, label)`` pairs, a crop/resize mode and
    a channel count; fetched a batch at a time."""

    def __init__(self, items: Sequence[tuple[Path, int]], resolution: int, channels: int, resize: str,
                 crop: int | None = None):
        self.items, self.resolution, self.channels = list(items), resolution, channels
        self.resize, self.crop = resize, crop

    def __len__(self) -> int:
        return len(self.items)

    def load(self, i: int) -> Tensor:
        from PIL import Image

        path = self.items[i][0]
        with Image.open(path) as im:
            im = im.convert("L" if self.channels == 1 else "RGB")
            w, h = im.size
            if self.crop is not None:  # fixed-size centre crop (CelebA), then resize
                c = min(self.crop, w, h)
                im = im.crop(((w - c) // 2, (h - c) // 2, (w - c) // 2 + c, (h - c) // 2 + c))
            elif self.resize == "center_crop":
                c = min(w, h)
                im = im.crop(((w - c) // 2, (h - c) // 2, (w - c) // 2 + c, (h - c) // 2 + c))
            if im.size != (self.resolution, self.resolution):
                im = im.resize((self.resolution, self.resolution), Image.BICUBIC)
            arr = np.asarray(im, dtype=np.uint8)
        arr = arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)
        return torch.from_numpy(arr.copy())

    def __getitems__(self, idx: Sequence[int]) -> tuple[Tensor, Tensor]:
        x = torch.stack([self.load(i) for i in idx])
        return to_unit(x), torch.tensor([self.items[i][1] for i in idx], dtype=torch.long)

    def __getitem__(self, i: int) -> tuple[Tensor, Tensor]:
        x, y = self.__getitems__([i])
        return x[0], y[0]


class Subset(Dataset):
    """The images ``indices`` of ``base`` (an :class:`ArrayImages`, :class:`FileImages` or another dataset with
    ``__getitems__``), read in batches."""

    def __init__(self, base: Dataset, indices: Tensor):
        self.base, self.indices = base, indices.tolist()

    def __len__(self) -> int:
        return len(self.indices)

    def __getitems__(self, idx: Sequence[int]) -> tuple[Tensor, Tensor]:
        return self.base.__getitems__([self.indices[i] for i in idx])

    def __getitem__(self, i: int) -> tuple[Tensor, Tensor]:
        return self.base[self.indices[i]]


class EpochSampler(DistributedSampler):
    """This rank's indices of a permutation drawn per epoch from ``torch.Generator().manual_seed(seed + 1_000_003 *
    epoch)``, for a ``DataLoader`` that cuts them into batches of ``batch_size`` (``drop_last``).

    The epoch's permutation is read in global batches of ``batch_size * world_size`` indices; rank ``r`` takes the
    ``r``-th ``batch_size`` of each, so the ranks' batches are disjoint and, side by side, are the batches one process
    reads with ``batch_size * world_size`` (the same permutation). Each ``iter()`` is the next epoch; it starts
    ``skip`` batches in (set when resuming mid-epoch) and tells the datamodule which epoch it is serving.

    A ``DistributedSampler`` subclass so that Lightning uses it as it is under DDP (it replaces any other sampler
    with its own, which knows neither the epochs' seeds nor the resume position); ``set_epoch`` is ignored, the
    sampler counts its epochs itself.
    """

    def __init__(self, dm: ImageDataModule, n: int, batch_size: int, seed: int, epoch: int = 0, skip: int = 0,
                 rank: int = 0, world_size: int = 1):
        super().__init__(range(n), num_replicas=world_size, rank=rank, shuffle=False, seed=seed, drop_last=True)
        self.dm, self.n, self.batch_size = dm, n, batch_size
        self.next_epoch, self.skip = epoch, skip

    def batches(self) -> int:
        """Batches per epoch (the same on every rank)."""
        return self.n // (self.batch_size * self.num_replicas)

    def __len__(self) -> int:
        return self.batches() * self.batch_size

    def set_epoch(self, epoch: int) -> None:
        pass

    def indices(self, epoch: int, skip: int = 0) -> Iterator[int]:
        """This rank's indices of epoch ``epoch`` from batch ``skip`` on."""
        perm = torch.randperm(self.n, generator=torch.Generator().manual_seed(self.seed + 1_000_003 * epoch))
        b, w, r = self.batch_size, self.num_replicas, self.rank
        for k in range(skip, self.batches()):
            yield from perm[(k * w + r) * b: (k * w + r + 1) * b].tolist()

    def __iter__(self) -> Iterator[int]:
        epoch, skip = self.next_epoch, self.skip
        self.dm._epoch, self.dm._consumed = epoch, skip
        out = self.indices(epoch, skip)
        self.next_epoch, self.skip = epoch + 1, 0
        return out


class ImageDataModule(L.LightningDataModule):
    """Base class: subclasses set ``data_shape``, ``num_classes``, ``class_names``, ``dataset_name`` in ``__init__``
    and implement ``_load(split) -> Dataset`` (an :class:`ArrayImages` or :class:`FileImages`).

    ``limit``: train on ``limit`` images of the training split only (small-data training: ``data: {init_args:
    {limit: 1000}}`` in a recipe). The subset is drawn with a fixed seed, so every run, seed and DDP rank trains on
    the same images (:meth:`limit_indices`); the exported generator's config records it, and evaluation still
    compares with the whole split.

    Example:
        >>> from ganzoo.data import FashionMNISTDataModule
        >>> dm = FashionMNISTDataModule(limit=1000)
        >>> len(dm.training_set()), len(dm.dataset("train")), dm.limit_indices()[:3].tolist()
        (1000, 60000, [1, 111, 125])
    """

    dataset_name = "images"
    held_out_test = True  # the "test" split holds images the training split does not (the copy check's held-out set)
    class_names: tuple[str, ...] = ()
    sampler_class: type[EpochSampler] = EpochSampler

    def __init__(self, batch_size: int = 64, num_workers: int = 0, seed: int = 0, limit: int | None = None):
        super().__init__()
        check_int("batch_size", batch_size)
        check_int("num_workers", num_workers, 0)
        check_int("seed", seed, 0)
        if limit is not None:
            check_int("limit", limit)
        self.batch_size, self.num_workers, self.seed, self.limit = batch_size, num_workers, seed, limit
        self._datasets: dict[str, Dataset] = {}
        self._epoch, self._consumed = 0, 0
        self._resume: tuple[int, int] | None = None

    # ---------------------------------------------------------------- subclass interface
    def _load(self, split: str) -> Dataset:
        raise NotImplementedError

    def dataset(self, split: str = "train") -> Dataset:
        """The split's dataset (``"train"`` or ``"test"``), loaded once."""
        if split not in self._datasets:
            self._datasets[split] = self._load(split)
        return self._datasets[split]

    def limit_indices(self) -> Tensor | None:
        """The training images a run with ``limit`` trains on: ``limit`` indices into the training split, drawn
        once with a fixed seed (the same images for every run, seed and rank), sorted; ``None`` without a limit."""
        if self.limit is None:
            return None
        n = len(self.dataset("train"))
        if self.limit > n:
            raise ValueError(f"limit={self.limit} is more than the {n} images of {type(self).__name__}'s "
                             "training split")
        return torch.randperm(n, generator=torch.Generator().manual_seed(LIMIT_SEED))[: self.limit].sort().values

    def training_set(self) -> Dataset:
        """What the training batches are drawn from: the training split, or its ``limit`` images. Evaluation's
        reference images (:meth:`reference_images`) stay the whole split."""
        idx = self.limit_indices()
        return self.dataset("train") if idx is None else Subset(self.dataset("train"), idx)

    def setup(self, stage: str | None = None) -> None:
        ds = self.training_set()
        world = self._rank()[1]
        if len(ds) < self.batch_size * world:
            ranks = f" x {world} ranks" if world > 1 else ""
            raise ValueError(
                f"{type(self).__name__}: {len(ds)} training images is fewer than batch_size={self.batch_size}{ranks}"
            )

    # ---------------------------------------------------------------- loading
    def train_dataloader(self) -> DataLoader:
        ds = self.training_set()
        epoch, skip = self._resume or (0, 0)
        self._resume = None
        rank, world = self._rank()
        sampler = self.sampler_class(self, len(ds), self.batch_size, self.seed, epoch, skip, rank, world)
        return DataLoader(ds, batch_size=self.batch_size, sampler=sampler, drop_last=True, collate_fn=_identity,
                          num_workers=self.num_workers, persistent_workers=self.num_workers > 0)

    def _rank(self) -> tuple[int, int]:
        """``(global rank, world size)`` of the trainer this datamodule serves (``(0, 1)`` without one)."""
        trainer = getattr(self, "trainer", None)
        return (trainer.global_rank, trainer.world_size) if trainer is not None else (0, 1)

    def on_before_batch_transfer(self, batch: Any, dataloader_idx: int) -> Any:
        trainer = self._trainer if hasattr(self, "_trainer") else None
        if trainer is None or trainer.training:
            self._consumed += 1  # counted here, not when the loader prefetches it
        return batch

    def reference_images(self, split: str = "train", n: int | None = None) -> tuple[Tensor, Tensor]:
        """The first ``n`` (all if ``None``) images of ``split`` in [-1, 1] ``(N, C, H, W)`` and their labels."""
        ds = self.dataset(split)
        n = len(ds) if n is None else n
        check_int("n", n)
        if n > len(ds):
            raise ValueError(f"{type(self).__name__}: asked for {n} {split} images, the split has {len(ds)}")
        xs, ys = zip(*(ds.__getitems__(range(i, min(i + 1000, n))) for i in range(0, n, 1000)))
        return torch.cat(xs), torch.cat(ys)

    # ---------------------------------------------------------------- resume
    def batch_settings(self) -> dict[str, Any]:
        """The settings the batches depend on besides the position (epoch, batches consumed): saved in checkpoints,
        and a resume with other values is refused. Subclasses whose data has its own settings extend it."""
        return {"batch_size": self.batch_size, "seed": self.seed, "world_size": self._rank()[1], "limit": self.limit}

    def state_dict(self) -> dict[str, Any]:
        return {"epoch": self._epoch, "consumed": self._consumed, **self.batch_settings()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        here = self.batch_settings()
        for key, value in here.items():
            saved = state.get(key, 1 if key == "world_size" else None)  # older checkpoints: 1 process, no limit
            if saved != value:
                raise ValueError(
                    f"cannot resume {type(self).__name__}: the checkpoint was made with {key}={saved} but "
                    f"this run has {key}={value}; the batches would differ"
                )
        epoch, consumed = int(state["epoch"]), int(state["consumed"])
        per_epoch = len(self.training_set()) // (self.batch_size * here["world_size"])
        self._resume = (epoch + 1, 0) if consumed >= per_epoch else (epoch, consumed)
        self._epoch, self._consumed = epoch, consumed


def _pad_or_resize(images: np.ndarray, resolution: int, resize: str, path: Path) -> Tensor:
    """uint8 ``(N, H, W)`` -> uint8 ``(N, 1, resolution, resolution)``: zero-pad (``"pad"``) or bilinear resize."""
    x = torch.from_numpy(images)[:, None]
    h, w = x.shape[-2:]
    if resize == "pad":
        if resolution < max(h, w) or (resolution - h) % 2 or (resolution - w) % 2:
            raise ValueError(f"resize='pad' cannot pad {h}x{w} images from {path} to {resolution}x{resolution}; "
                             "use resize='resize'")
        ph, pw = (resolution - h) // 2, (resolution - w) // 2
        return F.pad(x, (pw, pw, ph, ph))
    out = [F.interpolate(x[i: i + 5000].float(), size=(resolution, resolution), mode="bilinear", antialias=True,
                         align_corners=False).round_().clamp_(0, 255).to(torch.uint8) for i in range(0, len(x), 5000)]
    return torch.cat(out)


class _IDXDataModule(ImageDataModule):
    """IDX-format 28x28 grey-scale datasets (Fashion-MNIST, MNIST)."""

    torchvision_name = ""

    def __init__(self, data_dir: str | None, resolution: int, resize: str, download: bool, batch_size: int,
                 num_workers: int, seed: int, limit: int | None = None):
        super().__init__(batch_size, num_workers, seed, limit)
        check_int("resolution", resolution, 8)
        if resize not in ("pad", "resize"):
            raise ValueError(f"resize must be 'pad' or 'resize', got {resize!r}")
        self.resolution, self.resize, self.download = resolution, resize, download
        self.data_shape = (1, resolution, resolution)
        self.num_classes = 10
        self.data_dir = Path(data_dir).expanduser() if data_dir is not None else None
        if self.data_dir is not None:
            if not self.data_dir.is_dir():
                raise FileNotFoundError(f"data_dir {self.data_dir} does not exist. {self._missing_message()}")
            find_idx_pair(self.data_dir, "train")  # names the missing file

    def _system_dir(self) -> Path | None:
        return None

    def _root(self) -> Path:
        if self.data_dir is not None:
            return self.data_dir
        system = self._system_dir()
        if system is not None:
            return system
        raw = data_root() / self.torchvision_name / "raw"
        try:
            find_idx_pair(raw, "train")
            return raw
        except FileNotFoundError:
            if not self.download:
                raise FileNotFoundError(self._missing_message()) from None
        return raw

    def _missing_message(self) -> str:
        return (f"{self.dataset_name} not found: pass data_dir (a folder of its IDX files: train-images-idx3-ubyte, "
                f"train-labels-idx1-ubyte, t10k-..., gzipped or not) or download=True (torchvision's download)")

    def prepare_data(self) -> None:
        root = self._root()
        try:
            find_idx_pair(root, "train")
        except FileNotFoundError:
            import torchvision

            getattr(torchvision.datasets, self.torchvision_name)(str(data_root()), train=True, download=True)
            getattr(torchvision.datasets, self.torchvision_name)(str(data_root()), train=False, download=True)

    def _load(self, split: str) -> Dataset:
        root = self._root()
        images, labels = load_idx_split(root, split)
        return ArrayImages(_pad_or_resize(images, self.resolution, self.resize, root), torch.from_numpy(labels))


class FashionMNISTDataModule(_IDXDataModule):
    """Fashion-MNIST (Xiao et al. 2017), 1 channel, 10 classes, 60k train / 10k test.

    Files: ``data_dir`` (a folder of the standard IDX files, gzipped or not) if given, else Debian's
    ``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist``), else torchvision's download into
    ``$GANZOO_DATA`` (``download=True``). ``resize="pad"`` pads 28x28 to 32x32 with background (the usual GAN
    setting); ``"resize"`` resizes (bilinear, antialiased) to ``resolution``.
    """

    dataset_name = "fashion_mnist"
    class_names = FASHION_MNIST_CLASSES
    torchvision_name = "FashionMNIST"

    def __init__(self, data_dir: str | None = None, resolution: int = 32, resize: str = "pad", download: bool = True,
                 batch_size: int = 64, num_workers: int = 0, seed: int = 0, limit: int | None = None):
        super().__init__(data_dir, resolution, resize, download, batch_size, num_workers, seed, limit)

    def _system_dir(self) -> Path | None:
        return default_fashion_mnist_dir()

    def _missing_message(self) -> str:
        return ("Fashion-MNIST not found: apt-get install dataset-fashion-mnist (Debian/Ubuntu), pass data_dir (a "
                "folder of its IDX files: train-images-idx3-ubyte, ..., gzipped or not), or download=True "
                "(torchvision's download)")


class MNISTDataModule(_IDXDataModule):
    """MNIST, 1 channel, 10 classes; ``data_dir`` (IDX files) or torchvision's download. See Fashion-MNIST."""

    dataset_name = "mnist"
    class_names = MNIST_CLASSES
    torchvision_name = "MNIST"

    def __init__(self, data_dir: str | None = None, resolution: int = 32, resize: str = "pad", download: bool = True,
                 batch_size: int = 64, num_workers: int = 0, seed: int = 0, limit: int | None = None):
        super().__init__(data_dir, resolution, resize, download, batch_size, num_workers, seed, limit)


class StackedImages(Dataset):
    """Triples of 1-channel images stacked as 3 channels: ``images`` uint8 ``(M, 1, H, W)``, ``labels`` ``(M,)``,
    ``triples`` int64 ``(n, 3)`` (indices into ``images``); item ``k`` is the three images of ``triples[k]`` as
    channels 0, 1, 2, in [-1, 1], labelled ``100 * labels[a] + 10 * labels[b] + labels[c]``. Gathered a batch at a
    time (the stacked images are never all held in memory)."""

    def __init__(self, images: Tensor, labels: Tensor, triples: Tensor):
        self.images, self.labels, self.triples = images, labels, triples

    def __len__(self) -> int:
        return len(self.triples)

    def __getitems__(self, idx: Sequence[int]) -> tuple[Tensor, Tensor]:
        t = self.triples[torch.as_tensor(idx, dtype=torch.long)]
        x = self.images[t.reshape(-1)].reshape(len(t), 3, *self.images.shape[2:])
        return to_unit(x), (self.labels[t] * torch.tensor([100, 10, 1])).sum(1)

    def __getitem__(self, i: int) -> tuple[Tensor, Tensor]:
        x, y = self.__getitems__([i])
        return x[0], y[0]


def stacked_triples(m: int, n: int, seed: int) -> Tensor:
    """``(n, 3)`` indices into ``m`` images: the stream of Stacked Fashion-MNIST's triples.

    Pass ``p`` (triples ``p * m`` to ``p * m + m - 1``) takes three fresh permutations of the ``m`` images, one per
    channel, drawn in order (pass 0's three, then pass 1's, ...) from ``torch.Generator().manual_seed(seed)``. So the
    three images of a triple are independent uniform draws, every image appears once per channel in each pass, and
    triple ``k`` depends only on ``(m, seed, k)``: a longer stream begins with the shorter one."""
    check_int("n", n)
    g = torch.Generator().manual_seed(seed)
    passes = -(-n // m)
    perms = torch.stack([torch.stack([torch.randperm(m, generator=g) for _ in range(3)], 1) for _ in range(passes)])
    return perms.reshape(-1, 3)[:n]


class StackedFashionMNISTDataModule(FashionMNISTDataModule):
    """Stacked Fashion-MNIST: three independent Fashion-MNIST images as the three channels of one 3x32x32 image
    (each padded from 28x28 as :class:`FashionMNISTDataModule` pads it), in [-1, 1]; the label of a triple of
    classes ``(c0, c1, c2)`` is ``100 * c0 + 10 * c1 + c2``: 1,000 modes. The mode-collapse benchmark of VEEGAN,
    PacGAN and R3GAN (there with MNIST digits), counted by :mod:`ganzoo.metrics.modes`.

    The triples are fixed per dataset, not drawn per epoch: each split is a seeded list of ``train_triples``
    (60,000) or ``test_triples`` (26,000: the modes protocol's count) index triples into that split's images
    (:func:`stacked_triples`, seed ``2 * triples_seed`` for train, ``2 * triples_seed + 1`` for test), so a split is
    one dataset that every run, seed and reference set shares. ``seed`` orders the batches, as for every image
    datamodule: epochs, exact mid-epoch resume and DDP shards are those of :class:`ImageDataModule`, over the
    triples. Files: as :class:`FashionMNISTDataModule` (``data_dir``, Debian's package, or ``download``).

    Example:
        >>> from ganzoo.data import StackedFashionMNISTDataModule
        >>> dm = StackedFashionMNISTDataModule(batch_size=4)
        >>> dm.data_shape, dm.num_classes, len(dm.dataset("train")), len(dm.dataset("test"))
        ((3, 32, 32), 1000, 60000, 26000)
        >>> x, y = dm.reference_images("test", 2)
        >>> tuple(x.shape), float(x.min()), float(x.max()), y.tolist()
        ((2, 3, 32, 32), -1.0, 1.0, [193, 139])
        >>> dm.class_names[193]
        'Trouser | Ankle boot | Dress'
    """

    dataset_name = "stacked_fashion_mnist"
    class_names = tuple(" | ".join(FASHION_MNIST_CLASSES[int(d)] for d in f"{k:03d}") for k in range(1000))

    def __init__(self, data_dir: str | None = None, download: bool = True, train_triples: int = 60000,
                 test_triples: int = 26000, triples_seed: int = 0, batch_size: int = 64, num_workers: int = 0,
                 seed: int = 0, limit: int | None = None):
        super().__init__(data_dir, 32, "pad", download, batch_size, num_workers, seed, limit)
        check_int("train_triples", train_triples)
        check_int("test_triples", test_triples)
        check_int("triples_seed", triples_seed, 0)
        self.triple_counts = {"train": train_triples, "test": test_triples}
        self.triples_seed = triples_seed
        self.data_shape, self.num_classes = (3, 32, 32), 1000

    def batch_settings(self) -> dict[str, Any]:
        return {**super().batch_settings(), "train_triples": self.triple_counts["train"],
                "triples_seed": self.triples_seed}

    def _load(self, split: str) -> Dataset:
        if split not in self.triple_counts:
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        base = super()._load(split)
        seed = 2 * self.triples_seed + (split == "test")
        return StackedImages(base.images, base.labels, stacked_triples(len(base), self.triple_counts[split], seed))


def read_cifar10_bin(path: Path) -> tuple[Tensor, Tensor]:
    """One file of CIFAR-10's binary version: records of 1 label byte + 3072 pixel bytes (R, G, B planes, 32x32)."""
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size == 0 or raw.size % 3073:
        raise ValueError(f"CIFAR-10 file {path} has {raw.size} bytes, not a positive multiple of 3073: corrupt")
    rec = raw.reshape(-1, 3073)
    labels = rec[:, 0].astype(np.int64)
    if labels.max() > 9:
        raise ValueError(f"CIFAR-10 file {path} has label {labels.max()} > 9: corrupt")
    return torch.from_numpy(rec[:, 1:].reshape(-1, 3, 32, 32).copy()), torch.from_numpy(labels)


class CIFAR10DataModule(ImageDataModule):
    """CIFAR-10, 3x32x32, 10 classes, 50k train / 10k test, read from the *binary* version
    (``cifar-10-batches-bin/``: no pickle is ever loaded). ``data_dir`` is the folder holding
    ``cifar-10-batches-bin`` (or that folder itself); else it is downloaded into ``$GANZOO_DATA`` (``download=True``,
    md5-checked)."""

    dataset_name = "cifar10"
    class_names = CIFAR10_CLASSES
    FILES = {"train": [f"data_batch_{i}.bin" for i in range(1, 6)], "test": ["test_batch.bin"]}

    def __init__(self, data_dir: str | None = None, download: bool = True, batch_size: int = 64,
                 num_workers: int = 0, seed: int = 0, limit: int | None = None):
        super().__init__(batch_size, num_workers, seed, limit)
        self.data_shape, self.num_classes, self.download = (3, 32, 32), 10, download
        self.data_dir = Path(data_dir).expanduser() if data_dir is not None else None
        if self.data_dir is not None and not self.data_dir.is_dir():
            raise FileNotFoundError(f"data_dir {self.data_dir} does not exist. CIFAR-10: pass data_dir (a folder "
                                    "holding cifar-10-batches-bin, the binary version) or download=True")

    def _folder(self) -> Path:
        base = self.data_dir if self.data_dir is not None else data_root()
        return base if base.name == "cifar-10-batches-bin" else base / "cifar-10-batches-bin"

    def prepare_data(self) -> None:
        if (self._folder() / "test_batch.bin").is_file():
            return
        if self.data_dir is not None or not self.download:
            raise FileNotFoundError(f"CIFAR-10 binary files not found in {self._folder()}")
        from torchvision.datasets.utils import download_and_extract_archive

        try:
            download_and_extract_archive(CIFAR10_URL, str(data_root()), md5=CIFAR10_MD5)
        except (OSError, RuntimeError) as e:  # no network (urllib's URLError is an OSError), a bad md5, a full disk
            reason = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
            raise FileNotFoundError(
                f"CIFAR-10 is not in {self._folder()} and could not be downloaded ({reason}); on a machine with "
                f"network (a login node), download {CIFAR10_URL} and extract it into {data_root()} (it holds "
                "cifar-10-batches-bin/), or point data_dir (--data.init_args.data_dir) or $GANZOO_DATA at a folder "
                "holding cifar-10-batches-bin"
            ) from None

    def _load(self, split: str) -> Dataset:
        folder = self._folder()
        missing = [f for f in self.FILES[split] if not (folder / f).is_file()]
        if missing:
            raise FileNotFoundError(f"CIFAR-10 folder {folder} lacks {missing}")
        parts = [read_cifar10_bin(folder / f) for f in self.FILES[split]]
        return ArrayImages(torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts]))


class CelebADataModule(ImageDataModule):
    """CelebA aligned faces, 3 channels, unlabelled: a 178x178 centre crop resized (bicubic) to ``resolution``
    (64 by default). Layout: ``<data_dir>/celeba/img_align_celeba/*.jpg`` and
    ``<data_dir>/celeba/list_eval_partition.txt`` (0 train, 1 valid, 2 test); ``data_dir`` may also be the
    ``celeba`` folder itself. Without ``data_dir`` it is downloaded by torchvision into ``$GANZOO_DATA``
    (needs ``gdown``; Google Drive quotas often block it: download by hand then)."""

    dataset_name = "celeba"
    CROP = 178
    SPLITS = {"train": "0", "valid": "1", "test": "2"}

    def __init__(self, data_dir: str | None = None, resolution: int = 64, download: bool = True, batch_size: int = 64,
                 num_workers: int = 0, seed: int = 0, limit: int | None = None):
        super().__init__(batch_size, num_workers, seed, limit)
        check_int("resolution", resolution, 8)
        self.resolution, self.download = resolution, download
        self.data_shape, self.num_classes = (3, resolution, resolution), 0
        self.data_dir = Path(data_dir).expanduser() if data_dir is not None else None
        if self.data_dir is not None and not self.data_dir.is_dir():
            raise FileNotFoundError(f"data_dir {self.data_dir} does not exist. CelebA: pass data_dir (holding "
                                    "celeba/img_align_celeba/*.jpg, celeba/list_eval_partition.txt) or download=True")

    def _folder(self) -> Path:
        base = self.data_dir if self.data_dir is not None else data_root()
        return base if (base / "img_align_celeba").is_dir() else base / "celeba"

    def prepare_data(self) -> None:
        if (self._folder() / "list_eval_partition.txt").is_file():
            return
        if self.data_dir is not None or not self.download:
            raise FileNotFoundError(
                f"CelebA not found in {self._folder()} (img_align_celeba/, list_eval_partition.txt)"
            )
        import torchvision

        try:
            torchvision.datasets.CelebA(str(data_root()), split="all", target_type=[], download=True)
        except Exception as e:
            raise RuntimeError(
                f"CelebA download failed ({e}); download it by hand into {data_root() / 'celeba'}"
            ) from e

    def _load(self, split: str) -> Dataset:
        folder = self._folder()
        part = folder / "list_eval_partition.txt"
        if not part.is_file():
            raise FileNotFoundError(f"CelebA partition file {part} does not exist")
        if split not in self.SPLITS:
            raise ValueError(f"split must be one of {sorted(self.SPLITS)}, got {split!r}")
        items = []
        for line_no, line in enumerate(part.read_text().splitlines(), 1):
            fields = line.split()
            if len(fields) != 2:
                raise ValueError(f"{part}, line {line_no}: expected '<file> <0|1|2>', got {line!r}")
            if fields[1] == self.SPLITS[split]:
                path = folder / "img_align_celeba" / fields[0]
                if not path.is_file():
                    raise FileNotFoundError(f"CelebA image {path} (listed in {part}) does not exist")
                items.append((path, 0))
        return FileImages(items, self.resolution, 3, "resize", crop=self.CROP)


class ImageFolderDataModule(ImageDataModule):
    """Any folder of images: ``root/<class>/*.png`` (labels = sorted class folder names) or ``root/*.png``
    (unlabelled). Every image's header is checked in the constructor: with ``resize="none"`` an image that is not
    ``resolution`` x ``resolution`` is an error naming it (``"resize"`` resizes, ``"center_crop"`` crops the
    largest centred square, then resizes); an image whose mode does not match ``channels`` (1: grey "L", 3: "RGB")
    is an error naming it.

    A folder has one split. ``holdout=N`` sets ``N`` of its images aside (drawn with a fixed seed, the same for every
    run): they are the test split, which training never sees, and the rest are the training split; the copy check
    (``ganzoo eval --metrics copy``) compares with them. Without it the test split is the training split.

    Example:
        >>> import tempfile
        >>> from PIL import Image
        >>> from ganzoo.data import ImageFolderDataModule
        >>> root = tempfile.mkdtemp()
        >>> for i in range(10):
        ...     Image.new("L", (32, 32), color=i * 20).save(f"{root}/{i}.png")
        >>> dm = ImageFolderDataModule(root, channels=1, holdout=3)
        >>> len(dm.dataset("train")), len(dm.dataset("test")), dm.held_out_test
        (7, 3, True)
    """

    dataset_name = "image_folder"

    def __init__(self, root: str, resolution: int = 32, channels: int = 3, resize: str = "none",
                 batch_size: int = 64, num_workers: int = 0, seed: int = 0, limit: int | None = None,
                 holdout: int = 0):
        super().__init__(batch_size, num_workers, seed, limit)
        check_int("holdout", holdout, 0)
        from PIL import Image, UnidentifiedImageError

        check_int("resolution", resolution, 8)
        if channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, got {channels!r}")
        if resize not in ("none", "resize", "center_crop"):
            raise ValueError(f"resize must be 'none', 'resize' or 'center_crop', got {resize!r}")
        self.root = Path(root).expanduser()
        if not self.root.is_dir():
            raise FileNotFoundError(f"image folder {self.root} does not exist")
        self.resolution, self.channels, self.resize = resolution, channels, resize
        self.data_shape = (channels, resolution, resolution)
        classes = sorted(d.name for d in self.root.iterdir() if d.is_dir() and not d.name.startswith("."))
        loose = [p for p in self.root.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS]
        if classes and not loose:
            self.class_names = tuple(classes)
            items = [(p, k) for k, c in enumerate(classes) for p in sorted((self.root / c).iterdir())
                     if p.suffix.lower() in IMAGE_EXTENSIONS]
        else:
            items = [(p, 0) for p in sorted(loose)]
        self.num_classes = len(self.class_names)
        if not items:
            raise ValueError(f"image folder {self.root} holds no images ({', '.join(IMAGE_EXTENSIONS)})")
        modes = {1: ("L",), 3: ("RGB",)}[channels]
        for path, _ in items:
            try:
                with Image.open(path) as im:
                    size, mode = im.size, im.mode
            except (UnidentifiedImageError, OSError) as e:
                raise ValueError(f"image {path} cannot be read: {e}") from e
            if mode not in modes:
                raise ValueError(f"image {path} has mode {mode!r} but channels={channels} expects {modes[0]!r}; "
                                 f"set channels={1 if mode in ('L', 'LA', 'I', 'I;16') else 3} or convert the images")
            if resize == "none" and size != (resolution, resolution):
                raise ValueError(f"image {path} is {size[0]}x{size[1]} but resolution={resolution}; "
                                 "set resize='resize' or 'center_crop'")
        if holdout >= len(items):
            raise ValueError(f"holdout={holdout} leaves no training images: image folder {self.root} holds "
                             f"{len(items)}")
        self.holdout = holdout
        self.held_out_test = holdout > 0  # otherwise the test split is the training split
        test = set(torch.randperm(len(items), generator=torch.Generator().manual_seed(LIMIT_SEED))[:holdout].tolist())
        self._items = {"train": [it for i, it in enumerate(items) if i not in test or not holdout],
                       "test": [it for i, it in enumerate(items) if i in test or not holdout]}

    def _load(self, split: str) -> Dataset:
        return FileImages(self._items[split], self.resolution, self.channels, self.resize)

    def batch_settings(self) -> dict[str, Any]:
        return {**super().batch_settings(), "holdout": self.holdout}


IMAGE_DATAMODULES = {
    "fashion_mnist": FashionMNISTDataModule, "stacked_fashion_mnist": StackedFashionMNISTDataModule,
    "mnist": MNISTDataModule, "cifar10": CIFAR10DataModule,
    "celeba": CelebADataModule, "image_folder": ImageFolderDataModule,
}


def image_datamodule(name: str, **kwargs: Any) -> ImageDataModule:
    """The image datamodule registered as ``name`` (see ``IMAGE_DATAMODULES``), built with ``kwargs``."""
    if name not in IMAGE_DATAMODULES:
        raise ValueError(f"unknown dataset {name!r}; known: {sorted(IMAGE_DATAMODULES)}")
    if name == "image_folder" and "data_dir" in kwargs:
        kwargs["root"] = kwargs.pop("data_dir")
    return IMAGE_DATAMODULES[name](**kwargs)
