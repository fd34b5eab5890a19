"""Image datamodules: Fashion-MNIST, Stacked Fashion-MNIST, MNIST, CIFAR-10 and CelebA (read from their files, or
downloaded), and the registry of image datamodules by name (with :mod:`ganzoo.data.folder`'s any folder of images).

Every datamodule yields training batches ``(x, y)``: ``x`` float32 ``(B, C, H, W)`` in [-1, 1], ``y`` int64 class
labels (zeros for unlabelled data, whose ``num_classes`` is 0). ``data_shape``, ``num_classes``, ``class_names``
and ``dataset_name`` are known right after construction, and bad input (a missing folder, absent or corrupt
files, images of the wrong size or channel count) fails in the constructor or in ``setup``, before training.

The base class, its datasets and the seeded, resumable, DDP-sharded batch order are :mod:`ganzoo.data.base`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.data import Dataset

from ganzoo.checks import check_int

from .base import ArrayImages, FileImages, ImageDataModule, given_data_dir, to_unit
from .folder import ImageFolderDataModule
from .idx import FASHION_MNIST_CLASSES, default_fashion_mnist_dir, find_idx_pair, load_idx_split

MNIST_CLASSES = tuple(str(i) for i in range(10))
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
CIFAR10_MD5 = "c32a1d4ab5d03f1284b67883e8d87530"


def data_root() -> Path:
    """Where datasets are downloaded: ``$GANZOO_DATA`` or ``~/.cache/ganzoo/datasets``."""
    return Path(os.environ.get("GANZOO_DATA", Path.home() / ".cache" / "ganzoo" / "datasets"))


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

    def __init__(self, data_dir: str | None = None, resolution: int = 32, resize: str = "pad", download: bool = True,
                 batch_size: int = 64, num_workers: int = 0, seed: int = 0, limit: int | None = None):
        super().__init__(batch_size, num_workers, seed, limit)
        check_int("resolution", resolution, 8)
        if resize not in ("pad", "resize"):
            raise ValueError(f"resize must be 'pad' or 'resize', got {resize!r}")
        self.resolution, self.resize, self.download = resolution, resize, download
        self.data_shape = (1, resolution, resolution)
        self.num_classes = 10
        self.data_dir = given_data_dir(data_dir, self._missing_message())
        if self.data_dir is not None:
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
        self.data_dir = given_data_dir(data_dir, "CIFAR-10: pass data_dir (a folder holding cifar-10-batches-bin, "
                                                 "the binary version) or download=True")

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
        self.data_dir = given_data_dir(data_dir, "CelebA: pass data_dir (holding celeba/img_align_celeba/*.jpg, "
                                                 "celeba/list_eval_partition.txt) or download=True")

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
