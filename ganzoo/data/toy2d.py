"""2-D benchmark distributions, built as in Gulrajani et al.'s toy code (``gan_toy.py`` of WGAN-GP).

* ``8gaussians``: centres at radius 2 on the axes and diagonals, noise std 0.02, all divided by 1.414.
* ``25gaussians``: a 5x5 grid at (2i, 2j), i, j in -2..2, noise std 0.05; a fixed set of 100,000 points
  (4,000 per centre), shuffled once and cycled through in order, divided by 2.828.
* ``swissroll``: scikit-learn's ``make_swiss_roll(noise=0.25)``, coordinates (x, z), divided by 7.5.
* ``line``: the WGAN paper's Example 1 (Arjovsky et al. 2017), P_0 = (0, U[0, 1]) (a generator at theta gives
  (theta, U[0, 1])).
"""

from __future__ import annotations

import math

import lightning as L
import torch
from torch import Tensor
from torch.utils.data import DataLoader, IterableDataset

DATASETS = ("8gaussians", "25gaussians", "swissroll", "line")

_S2 = 1.0 / math.sqrt(2.0)
_CENTERS_8 = torch.tensor(
    [(1, 0), (-1, 0), (0, 1), (0, -1), (_S2, _S2), (_S2, -_S2), (-_S2, _S2), (-_S2, -_S2)], dtype=torch.float64
)


def mode_centers(name: str) -> tuple[Tensor, float] | None:
    """Centres ``(K, 2)`` and per-coordinate noise std of a mixture dataset, in data coordinates."""
    if name == "8gaussians":
        return (2.0 * _CENTERS_8 / 1.414).float(), 0.02 / 1.414
    if name == "25gaussians":
        g = torch.arange(-2, 3, dtype=torch.float64)
        c = torch.stack(torch.meshgrid(2 * g, 2 * g, indexing="ij"), -1).reshape(-1, 2)
        return (c / 2.828).float(), 0.05 / 2.828
    return None


def line_samples(theta: float, n: int, generator: torch.Generator | None = None) -> Tensor:
    """``n`` points of P_theta = (theta, U[0, 1])."""
    y = torch.rand(n, generator=generator)
    return torch.stack([torch.full_like(y, float(theta)), y], 1)


def swiss_roll(n: int, noise: float = 0.25, generator: torch.Generator | None = None) -> Tensor:
    """scikit-learn's ``make_swiss_roll`` (x, z) coordinates, divided by 7.5."""
    t = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=generator, dtype=torch.float64))
    pts = torch.stack([t * torch.cos(t), t * torch.sin(t)], 1)
    # make_swiss_roll adds noise to all three coordinates; y is dropped, so only x and z noise matter
    pts = pts + noise * torch.randn(n, 2, generator=generator, dtype=torch.float64)
    return (pts / 7.5).float()


class ToySampler:
    """Draws batches of a named 2-D dataset from its own seeded random stream."""

    def __init__(self, name: str = "8gaussians", seed: int = 0):
        if name not in DATASETS:
            raise ValueError(f"dataset must be one of {DATASETS}, got {name!r}")
        self.name = name
        self.gen = torch.Generator().manual_seed(seed)
        self._pos = 0
        self._grid: Tensor | None = None
        if name == "25gaussians":
            centers, _ = mode_centers(name)
            pts = 2.828 * centers.double().repeat(4000, 1) + 0.05 * torch.randn(100_000, 2, generator=self.gen,
                                                                                  dtype=torch.float64)
            self._grid = (pts[torch.randperm(100_000, generator=self.gen)] / 2.828).float()

    def sample(self, n: int) -> Tensor:
        if self.name == "8gaussians":
            idx = torch.randint(0, 8, (n,), generator=self.gen)
            pts = 2.0 * _CENTERS_8[idx] + 0.02 * torch.randn(n, 2, generator=self.gen, dtype=torch.float64)
            return (pts / 1.414).float()
        if self.name == "25gaussians":
            assert self._grid is not None
            if self._pos + n > len(self._grid):
                self._pos = 0
            out = self._grid[self._pos : self._pos + n]
            self._pos += n
            return out
        if self.name == "swissroll":
            return swiss_roll(n, generator=self.gen)
        return line_samples(0.0, n, generator=self.gen)


def toy_samples(name: str, n: int, seed: int = 0) -> Tensor:
    """``n`` i.i.d. points of dataset ``name`` (a fresh draw for 25gaussians' grid, seeded)."""
    if name == "25gaussians":
        g = torch.Generator().manual_seed(seed)
        centers, std = mode_centers(name)
        idx = torch.randint(0, 25, (n,), generator=g)
        return centers[idx] + std * torch.randn(n, 2, generator=g)
    return ToySampler(name, seed).sample(n)


class _Stream(IterableDataset):
    def __init__(self, sampler: ToySampler, batch_size: int):
        self.sampler, self.batch_size = sampler, batch_size

    def __iter__(self):
        while True:
            yield self.sampler.sample(self.batch_size)


class Toy2DDataModule(L.LightningDataModule):
    """An endless stream of fresh batches ``(batch_size, 2)`` of a 2-D benchmark.

    Each DDP rank draws its own stream (seed + rank). The data position (batches consumed by training) is
    part of checkpoints: a resumed run gets exactly the batches an uninterrupted run would have got.

    Args:
        dataset: one of ``8gaussians``, ``25gaussians``, ``swissroll``, ``line``.
        batch_size: points per batch (one batch per critic step; per rank under DDP).
        seed: seed of the data stream (each DDP rank adds its rank).
    """

    data_shape = (2,)

    def __init__(self, dataset: str = "8gaussians", batch_size: int = 256, seed: int = 0):
        super().__init__()
        if dataset not in DATASETS:
            raise ValueError(f"dataset must be one of {DATASETS}, got {dataset!r}")
        if not isinstance(batch_size, int) or batch_size < 2:
            raise ValueError(f"batch_size must be an integer >= 2, got {batch_size!r}")
        self.dataset, self.batch_size, self.seed = dataset, batch_size, seed
        self.sampler: ToySampler | None = None
        self.consumed = 0  # batches handed to training_step (the loader may have drawn one more ahead)

    def _rank(self) -> int:
        return self.trainer.global_rank if self.trainer is not None else 0

    def train_dataloader(self) -> DataLoader:
        if self.sampler is None:
            self.sampler = ToySampler(self.dataset, self.seed + self._rank())
            for _ in range(self.consumed):  # resume: replay the stream up to the saved position
                self.sampler.sample(self.batch_size)
        return DataLoader(_Stream(self.sampler, self.batch_size), batch_size=None, num_workers=0)

    def on_before_batch_transfer(self, batch: Tensor, dataloader_idx: int) -> Tensor:
        if self.trainer is not None and self.trainer.training:
            self.consumed += 1
        return batch

    def state_dict(self) -> dict:
        return {"consumed": self.consumed, "batch_size": self.batch_size, "seed": self.seed}

    def load_state_dict(self, state: dict) -> None:
        if "consumed" not in state:
            raise ValueError("checkpoint has no 2-D data position (written by an older ganzoo?)")
        if (state["batch_size"], state["seed"]) != (self.batch_size, self.seed):
            raise ValueError(
                f"checkpoint's data stream (batch_size={state['batch_size']}, seed={state['seed']}) differs from "
                f"this datamodule's (batch_size={self.batch_size}, seed={self.seed})"
                "; resume with the same data settings"
            )
        self.consumed = state["consumed"]
        self.sampler = None  # rebuilt and fast-forwarded by train_dataloader
