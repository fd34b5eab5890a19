"""The machinery of the image datamodules: :class:`ImageDataModule` (the base class every image and translation
datamodule derives from), the datasets it serves (:class:`ArrayImages` in memory, :class:`FileImages` decoded on
demand, a :class:`Subset` of either) and the batch order (:class:`EpochSampler`).

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
from torch import Tensor
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from ganzoo.checks import check_int

LIMIT_SEED = 0  # the subset of a datamodule's ``limit``: a property of the dataset and N, not of a run's seed


def to_unit(x: Tensor) -> Tensor:
    """uint8 images to float32 in [-1, 1] (0 -> -1, 255 -> 1)."""
    return x.float().div_(127.5).sub_(1.0)


def _identity(batch: Any) -> Any:  # the datasets below return whole batches
    return batch


def given_data_dir(data_dir: str | os.PathLike | None, how: str = "") -> Path | None:
    """``data_dir`` as a path (``None``: not given), or a ``FileNotFoundError`` that names it, and says ``how`` to
    provide the dataset, when it is not a folder."""
    if data_dir is None:
        return None
    path = Path(data_dir).expanduser()
    if not path.is_dir():
        raise FileNotFoundError(f"data_dir {path} does not exist" + (f". {how}" if how else ""))
    return path


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
