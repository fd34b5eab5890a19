"""The two offline translation demos built from Fashion-MNIST in memory (no download beyond Fashion-MNIST's files):
the paired "edges -> garment" (:class:`EdgesToFashionDataModule`, A the :func:`edge_map` of B) and the unpaired
"sneaker <-> ankle boot" (:class:`SneakerToBootDataModule`). Batches, splits and evaluation are those of the
translation datamodules (:class:`ganzoo.data.pairs.TranslationDataModule`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.data import Dataset

from .base import to_unit
from .idx import default_fashion_mnist_dir, load_idx_split
from .pairs import TranslationDataModule

SOBEL_THRESHOLD = 1.0


def edge_map(images01: Tensor, threshold: float = SOBEL_THRESHOLD) -> Tensor:
    """Binary edges of images ``(N, 1, H, W)`` in [0, 1]: 1 where the Sobel gradient magnitude exceeds ``threshold``.

    The Sobel kernels weigh a 3x3 neighbourhood ([1, 2, 1] x [-1, 0, 1]), so a full black-to-white step gives a
    magnitude of 4; the default 1.0 marks changes of a quarter of the range. Zero padding: a garment touching the
    border is outlined there. Returns float ``(N, 1, H, W)`` in {0, 1}.
    """
    kx = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    k = torch.stack([kx, kx.T])[:, None]
    g = F.conv2d(images01.float(), k, padding=1)
    return (g.pow(2).sum(1, keepdim=True).sqrt() > threshold).float()


def _fmnist(data_dir: str | None, split: str) -> tuple[Tensor, Tensor]:
    folder = Path(data_dir).expanduser() if data_dir is not None else default_fashion_mnist_dir()
    if folder is None:
        raise FileNotFoundError("Fashion-MNIST IDX files not found: apt-get install dataset-fashion-mnist, or pass "
                                "data_dir (a folder of the standard IDX files)")
    if not folder.is_dir():
        raise FileNotFoundError(f"data_dir {folder} does not exist")
    x, y = load_idx_split(folder, split)
    return F.pad(torch.from_numpy(x)[:, None], (2, 2, 2, 2)), torch.from_numpy(y).long()  # uint8 (N, 1, 32, 32)


class _FashionDemo(TranslationDataModule):
    def __init__(self, data_dir: str | None, batch_size: int, num_workers: int, seed: int):
        super().__init__(batch_size, num_workers, seed)
        self.data_dir = data_dir
        self.shape_a = self.shape_b = self.data_shape = (1, 32, 32)
        self.num_classes = 0
        self._cache: dict[str, tuple[Tensor, Tensor]] = {}
        self._labels: dict[str, Tensor] = {}
        self._arrays("train")  # fails now, naming what is missing

    def _arrays(self, split: str) -> tuple[Tensor, Tensor]:
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        if split not in self._cache:
            x, y = _fmnist(self.data_dir, split)
            self._labels[split] = y
            self._cache[split] = self._build(x, y)
        return self._cache[split]

    def _build(self, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        raise NotImplementedError


class EdgesToFashionDataModule(_FashionDemo):
    """Paired demo "edges -> garment": A = :func:`edge_map` of the garment (white edges on black), B = the garment;
    Fashion-MNIST 28x28 padded to 32x32, 60,000 training and 10,000 test pairs, built in memory."""

    dataset_name = "edges2fashion"

    def __init__(self, data_dir: str | None = None, batch_size: int = 64, num_workers: int = 0, seed: int = 0,
                 flip: bool = False):
        super().__init__(data_dir, batch_size, num_workers, seed)
        self.flip = bool(flip)

    def _build(self, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        edges = torch.cat([edge_map(x[i:i + 5000].float() / 255) for i in range(0, len(x), 5000)])
        return (edges * 255).to(torch.uint8), x

    def labels(self, split: str = "train") -> Tensor:
        """Fashion-MNIST classes of the split's pairs (for analysis)."""
        self._arrays(split)
        return self._labels[split]

    def _sources(self, split: str):
        a, b = self._arrays(split)
        return len(a), len(b), (lambda i: (a[i], b[i])), None

    def _load(self, split: str) -> Dataset:
        if split == "train" and not self.flip:  # 32 px: no jitter; flips optional
            return _ArrayPairs(self, *self._arrays(split))
        return super()._load(split)


class _ArrayPairs(Dataset):
    """In-memory uint8 pairs, fetched a batch at a time; optional identical flips."""

    def __init__(self, dm: TranslationDataModule, a: Tensor, b: Tensor):
        self.dm, self.a, self.b = dm, a, b

    def __len__(self) -> int:
        return len(self.a)

    def __getitems__(self, idx: Sequence[int]) -> tuple[Tensor, Tensor]:
        i = torch.as_tensor(list(idx), dtype=torch.long) % len(self.a)  # training indices carry the epoch
        return to_unit(self.a[i]), to_unit(self.b[i])

    def __getitem__(self, i: int) -> tuple[Tensor, Tensor]:
        a, b = self.__getitems__([i])
        return a[0], b[0]


class SneakerToBootDataModule(_FashionDemo):
    """Unpaired demo "sneaker <-> ankle boot": A = Fashion-MNIST sneakers (class 7), B = ankle boots (class 9), 32x32;
    6,000 + 6,000 training and 1,000 + 1,000 test images. ``target_class`` names each domain's class for the
    classifier-based score."""

    paired = False
    dataset_name = "sneaker2boot"
    target_class = {"A": 7, "B": 9}

    def __init__(self, data_dir: str | None = None, batch_size: int = 64, num_workers: int = 0, seed: int = 0):
        super().__init__(data_dir, batch_size, num_workers, seed)

    def _build(self, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        return x[y == 7], x[y == 9]

    def _sources(self, split: str):
        a, b = self._arrays(split)
        return len(a), len(b), (lambda i: a[i]), (lambda i: b[i])
