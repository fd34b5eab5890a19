"""Image-to-image data: paired (pix2pix) and unpaired (CycleGAN) datamodules; the two offline Fashion-MNIST demos
built on them are :mod:`ganzoo.data.fashion_pairs`.

Batches are ``(a, b)``: float32 ``(B, C, H, W)`` in [-1, 1]. ``shape_a``/``shape_b``, ``paired`` and ``dataset_name``
are known after construction; bad input (a missing folder or split, an empty domain folder, an AB image whose width
is not twice its height, a mismatched channel count, an unknown direction) fails in the constructor, naming the
path or argument.

Training augmentation is the reference "random jitter": both images resized to ``load_size`` (bilinear), cropped
to ``crop_size`` at a random offset and flipped horizontally at random, with the *same* offset and flip for the
two images of a pair (independently for unpaired A and B). Evaluation images are resized to ``crop_size``. The
randomness of a batch comes from a generator seeded by ``seed``, the epoch and the batch's indices (the training
sampler hands the dataset ``epoch * len + i``), so every epoch draws new crops, flips and unpaired partners even
with ``batch_size=1``, while runs repeat exactly, resume exactly and do not depend on the number of workers.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.data import Dataset

from ganzoo.checks import check_direction, check_int
from ganzoo.imageio import IMAGE_EXTENSIONS, image_files, read_image

from .base import EpochSampler, ImageDataModule, given_data_dir

SPLITS_PAIRED = ("train", "val", "test")


def _rng(seed: int, idx: Sequence[int], salt: int = 0) -> torch.Generator:
    key = np.asarray([seed, salt, *idx], dtype=np.int64).tobytes()
    return torch.Generator().manual_seed(zlib.crc32(key))


def _resize(x: Tensor, size: int) -> Tensor:
    """float ``(N, C, H, W)`` -> ``(N, C, size, size)`` (bilinear)."""
    if x.shape[-2:] == (size, size):
        return x
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)


def jitter(images: Sequence[Tensor], load_size: int, crop_size: int, flip: bool, g: torch.Generator) -> list[Tensor]:
    """Resize every tensor ``(N, C, H, W)`` to ``load_size``, crop ``crop_size`` at one random offset per sample and
    flip each sample with probability 1/2 -- the same offset and flip for every tensor (a pair stays aligned)."""
    n = images[0].shape[0]
    out = [_resize(x.float(), load_size) for x in images]
    off = torch.randint(0, load_size - crop_size + 1, (n, 2), generator=g)
    flips = torch.rand(n, generator=g) < 0.5 if flip else torch.zeros(n, dtype=torch.bool)
    res = []
    for x in out:
        crops = torch.stack([x[i, :, off[i, 0]:off[i, 0] + crop_size, off[i, 1]:off[i, 1] + crop_size]
                             for i in range(n)])
        crops[flips] = crops[flips].flip(-1)
        res.append(crops)
    return res


class _EpochTaggedSampler(EpochSampler):
    """:class:`EpochSampler` whose indices carry the epoch: ``epoch * n + i`` (decoded by :class:`_PairData`)."""

    def indices(self, epoch: int, skip: int = 0):
        return (epoch * self.n + i for i in super().indices(epoch, skip))


def _check_mode(path: Path, channels: int) -> None:
    """Read only the header of ``path``: an unreadable file or a grey/colour mismatch is an error naming it."""
    read_image(path, channels, decode=False)


class _PairData(Dataset):
    """A batch-fetching dataset of ``(a, b)``: ``load(i) -> (uint8 a, uint8 b)`` (``b`` from ``load_b(j)`` when
    unpaired), augmented in training."""

    def __init__(self, dm: TranslationDataModule, n_a: int, n_b: int, train: bool, load_a, load_b):
        self.dm, self.n_a, self.n_b, self.train = dm, n_a, n_b, train
        self.load_a, self.load_b = load_a, load_b

    def __len__(self) -> int:
        return max(self.n_a, self.n_b) if not self.dm.paired else self.n_a

    def __getitems__(self, idx: Sequence[int]) -> tuple[Tensor, Tensor]:
        dm = self.dm
        tagged = list(idx)  # training: epoch * len + i
        idx = [i % len(self) for i in tagged]
        g = _rng(dm.seed, tagged)
        if dm.paired:
            pairs = [self.load_a(i) for i in idx]
            a = torch.stack([p[0] for p in pairs]).float()
            b = torch.stack([p[1] for p in pairs]).float()
            if self.train:
                a, b = jitter([a, b], dm.load_size, dm.crop_size, dm.flip, g)
            else:
                a, b = _resize(a, dm.crop_size), _resize(b, dm.crop_size)
        else:
            # A in the permutation's order, B at random (unpaired), as the reference's serial_batches=False
            j = torch.randint(0, self.n_b, (len(idx),), generator=g).tolist() if self.train else idx
            a = torch.stack([self.load_a(i % self.n_a) for i in idx]).float()
            b = torch.stack([self.load_b(k % self.n_b) for k in j]).float()
            if self.train:
                (a,) = jitter([a], dm.load_size, dm.crop_size, dm.flip, g)
                (b,) = jitter([b], dm.load_size, dm.crop_size, dm.flip, _rng(dm.seed, tagged, 1))
            else:
                a, b = _resize(a, dm.crop_size), _resize(b, dm.crop_size)
        return a.div(127.5).sub(1), b.div(127.5).sub(1)

    def __getitem__(self, i: int) -> tuple[Tensor, Tensor]:
        a, b = self.__getitems__([i])
        return a[0], b[0]


class TranslationDataModule(ImageDataModule):
    """Base of the translation datamodules: subclasses set ``shape_a``, ``shape_b``, ``paired``, ``dataset_name``,
    ``load_size``, ``crop_size``, ``flip`` and implement ``_sources(split) -> (n_a, n_b, load_a, load_b)``."""

    paired = True
    load_size = crop_size = 32
    flip = False
    sampler_class = _EpochTaggedSampler

    def _sources(self, split: str) -> tuple[int, int, Any, Any]:
        raise NotImplementedError

    def _load(self, split: str) -> Dataset:
        n_a, n_b, load_a, load_b = self._sources(split)
        return _PairData(self, n_a, n_b, split == "train", load_a, load_b)

    def _eval(self, split: str) -> _PairData:
        n_a, n_b, load_a, load_b = self._sources(split)
        return _PairData(self, n_a, n_b, False, load_a, load_b)

    def test_size(self, split: str = "test") -> int:
        """Images in ``split`` (pairs; for unpaired data the smaller domain)."""
        n_a, n_b, _, _ = self._sources(split)
        return n_a if self.paired else min(n_a, n_b)

    def reference_pairs(self, split: str = "test", n: int | None = None) -> tuple[Tensor, Tensor]:
        """The first ``n`` pairs of ``split`` without augmentation, ``(a, b)`` in [-1, 1]."""
        if not self.paired:
            raise ValueError(f"{type(self).__name__} is unpaired; use reference_domain(split, 'A' or 'B', n)")
        ds = self._eval(split)
        n = len(ds) if n is None else n
        check_int("n", n)
        if n > len(ds):
            raise ValueError(f"{type(self).__name__}: asked for {n} {split} pairs, the split has {len(ds)}")
        parts = [ds.__getitems__(range(i, min(i + 500, n))) for i in range(0, n, 500)]
        return torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])

    def reference_domain(self, split: str = "test", domain: str = "A", n: int | None = None) -> Tensor:
        """The first ``n`` images of domain ``"A"`` or ``"B"`` of ``split`` without augmentation, in [-1, 1]."""
        if domain not in ("A", "B"):
            raise ValueError(f"domain must be 'A' or 'B', got {domain!r}")
        n_a, n_b, load_a, load_b = self._sources(split)
        total = n_a if domain == "A" else n_b
        n = total if n is None else n
        check_int("n", n)
        if n > total:
            raise ValueError(f"{type(self).__name__}: asked for {n} {split} images of domain {domain}, it has {total}")
        if self.paired:
            x = torch.stack([load_a(i)[0 if domain == "A" else 1] for i in range(n)])
        else:
            x = torch.stack([(load_a if domain == "A" else load_b)(i) for i in range(n)])
        return _resize(x.float(), self.crop_size).div(127.5).sub(1)

    def _check_sizes(self, load_size: int, crop_size: int, flip: bool) -> None:
        check_int("load_size", load_size, 8)
        check_int("crop_size", crop_size, 8)
        if crop_size > load_size:
            raise ValueError(f"crop_size={crop_size} must not exceed load_size={load_size}")
        self.load_size, self.crop_size, self.flip = load_size, crop_size, bool(flip)


class PairedImageDataModule(TranslationDataModule):
    """Paired images for pix2pix.

    ``layout="AB"``: the reference layout, ``data_dir/{train,val,test}/*.jpg`` with A in the left half and B in
    the right half of each image (width exactly twice the height). ``layout="folders"``: ``data_dir/<split>/A/`` and
    ``data_dir/<split>/B/`` holding images of the same file names. ``direction="BtoA"`` swaps A and B (facades
    are trained labels -> photo, i.e. BtoA).
    """

    dataset_name = "paired"

    def __init__(self, data_dir: str, layout: str = "AB", direction: str = "AtoB", load_size: int = 286,
                 crop_size: int = 256, flip: bool = True, channels: int = 3, batch_size: int = 1,
                 num_workers: int = 0, seed: int = 0):
        super().__init__(batch_size, num_workers, seed)
        if layout not in ("AB", "folders"):
            raise ValueError(f"layout must be 'AB' or 'folders', got {layout!r}")
        check_direction(direction)
        if channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, got {channels!r}")
        self._check_sizes(load_size, crop_size, flip)
        self.root, self.layout, self.direction, self.channels = given_data_dir(data_dir), layout, direction, channels
        self.dataset_name = self.root.name
        self.shape_a = self.shape_b = self.data_shape = (channels, crop_size, crop_size)
        self.num_classes = 0
        self._items: dict[str, list[tuple[Path, Path | None]]] = {}
        self._scan("train")

    def _scan(self, split: str) -> list[tuple[Path, Path | None]]:
        if split in self._items:
            return self._items[split]
        if split not in SPLITS_PAIRED:
            raise ValueError(f"split must be one of {list(SPLITS_PAIRED)}, got {split!r}")
        folder = self.root / split
        if not folder.is_dir():
            raise FileNotFoundError(f"split folder {folder} does not exist")
        if self.layout == "AB":
            from PIL import Image

            items: list[tuple[Path, Path | None]] = [(p, None) for p in image_files(folder)]
            for p, _ in items:
                _check_mode(p, self.channels)
                with Image.open(p) as im:
                    w, h = im.size
                if w != 2 * h:
                    raise ValueError(f"image {p} is {w}x{h}: an AB image must be twice as wide as high "
                                     "(A left, B right); use layout='folders' for separate A and B images")
        else:
            fa, fb = folder / "A", folder / "B"
            for f in (fa, fb):
                if not f.is_dir():
                    raise FileNotFoundError(f"folder {f} does not exist (layout='folders' needs {split}/A and "
                                            f"{split}/B)")
            items = []
            for p in image_files(fa):
                _check_mode(p, self.channels)
                q = next((fb / (p.stem + s) for s in IMAGE_EXTENSIONS if (fb / (p.stem + s)).is_file()), None)
                if q is None:
                    raise FileNotFoundError(f"image {p} has no partner named {p.stem}.* in {fb}")
                _check_mode(q, self.channels)
                items.append((p, q))
        if not items:
            raise ValueError(f"split folder {folder} holds no images ({', '.join(IMAGE_EXTENSIONS)})")
        self._items[split] = items
        return items

    def _pair(self, split: str, i: int) -> tuple[Tensor, Tensor]:
        pa, pb = self._scan(split)[i]
        if pb is None:
            ab = read_image(pa, self.channels)
            w = ab.shape[-1] // 2
            a, b = ab[..., :w], ab[..., w:]
        else:
            a, b = read_image(pa, self.channels), read_image(pb, self.channels)
            if a.shape != b.shape:
                raise ValueError(f"images {pa} and {pb} of a pair differ in size: {tuple(a.shape)} vs {tuple(b.shape)}")
        return (b, a) if self.direction == "BtoA" else (a, b)

    def _sources(self, split: str):
        n = len(self._scan(split))
        return n, n, (lambda i: self._pair(split, i)), None


class UnpairedImageDataModule(TranslationDataModule):
    """Unpaired images for CycleGAN: ``data_dir/trainA``, ``trainB``, ``testA``, ``testB`` (the reference layout).

    An epoch has ``max(len(A), len(B)) // batch_size`` batches: A in a seeded random order (cycling the smaller
    domain), B drawn at random for each batch. Grey images in an RGB dataset (or the reverse) are an error naming
    the file, checked for every training image in the constructor; RGBA images are read as RGB (alpha dropped).
    """

    paired = False
    dataset_name = "unpaired"

    def __init__(self, data_dir: str, load_size: int = 286, crop_size: int = 256, flip: bool = True,
                 channels: int = 3, batch_size: int = 1, num_workers: int = 0, seed: int = 0):
        super().__init__(batch_size, num_workers, seed)
        if channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, got {channels!r}")
        self._check_sizes(load_size, crop_size, flip)
        self.root, self.channels = given_data_dir(data_dir), channels
        self.dataset_name = self.root.name
        self.shape_a = self.shape_b = self.data_shape = (channels, crop_size, crop_size)
        self.num_classes = 0
        self._files: dict[str, list[Path]] = {}
        for d in ("trainA", "trainB"):
            for f in self._domain(d):  # every training image's header: channels checked before training
                _check_mode(f, channels)

    def _domain(self, name: str) -> list[Path]:
        if name not in self._files:
            folder = self.root / name
            if not folder.is_dir():
                raise FileNotFoundError(f"folder {folder} does not exist (expected trainA, trainB, testA, testB)")
            files = image_files(folder)
            if not files:
                raise ValueError(f"folder {folder} holds no images ({', '.join(IMAGE_EXTENSIONS)})")
            self._files[name] = files
        return self._files[name]

    def _sources(self, split: str):
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        fa, fb = self._domain(f"{split}A"), self._domain(f"{split}B")
        channels = self.channels
        return len(fa), len(fb), (lambda i: read_image(fa[i], channels)), (lambda i: read_image(fb[i], channels))
