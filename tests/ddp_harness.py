"""Shared by tests/test_ddp.py and the 2-process worker it launches (tests/ddp_worker.py).

To compare a DDP run with a single-process run, all randomness is fixed per *global* batch and each rank
takes its slice: real points, latents and the gradient penalty's interpolation weights. With world size 1
the slice is the whole global batch.
"""

from __future__ import annotations

import lightning as L
import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, IterableDataset

import ganzoo

STEPS = 30  # critic steps (6 generator iterations at n_critic 5)
GLOBAL_BATCH = 64


def world() -> tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def rank_slice(x: torch.Tensor) -> torch.Tensor:
    rank, size = world()
    n = x.shape[0] // size
    return x[rank * n : (rank + 1) * n]


class _Batches(IterableDataset):
    def __init__(self, seed: int):
        self.seed = seed

    def __iter__(self):
        g = torch.Generator().manual_seed(self.seed)
        while True:
            yield rank_slice(torch.randn(GLOBAL_BATCH, 2, generator=g))


class FixedGlobalBatches(L.LightningDataModule):
    """Each critic step's global batch is fixed by the seed; every rank gets its contiguous slice."""

    data_shape = (2,)

    def __init__(self, seed: int = 0):
        super().__init__()
        self.seed = seed

    def train_dataloader(self):
        return DataLoader(_Batches(self.seed), batch_size=None, num_workers=0)


class _GlobalStream:
    """Draws ``draw(n * world_size)`` from its own seeded stream (one seed per call) and keeps this rank's part."""

    def __init__(self, seed: int, draw):
        self.seed, self.draw, self.calls = seed, draw, 0

    def __call__(self, n: int) -> torch.Tensor:
        self.calls += 1
        g = torch.Generator().manual_seed(self.seed * 100_003 + self.calls)
        return rank_slice(self.draw(n * world()[1], g))


class _Pairs(IterableDataset):
    def __init__(self, seed: int):
        self.seed = seed

    def __iter__(self):
        g = torch.Generator().manual_seed(self.seed)
        while True:
            a = torch.rand(GLOBAL_PAIRS, 1, 16, 16, generator=g) * 2 - 1
            yield rank_slice(a), rank_slice(a.flip(-1))


class FixedGlobalPairs(L.LightningDataModule):
    """(a, b) image batches for the translation GANs: each step's global batch is fixed, every rank gets its slice."""

    shape_a = shape_b = (1, 16, 16)
    paired = True

    def __init__(self, seed: int = 0):
        super().__init__()
        self.seed = seed

    def train_dataloader(self):
        return DataLoader(_Pairs(self.seed), batch_size=None, num_workers=0)


GLOBAL_PAIRS = 8
TRANSLATION = ("Pix2Pix", "CycleGAN")


def build_translation(variant: str):
    """A small Pix2Pix / CycleGAN without normalisation, dropout or image pool, so the losses are per-sample means
    and 2 ranks on half batches must match 1 process on the whole batch. (Instance norm is per-sample too, but the
    reference networks keep a conv bias in front of it, which the norm cancels: its gradient is rounding noise
    that Adam scales up, different in every summation order.)"""
    L.seed_everything(0)
    if variant == "Pix2Pix":
        m = ganzoo.Pix2Pix({"arch": "unet_generator", "in_channels": 1, "out_channels": 1, "num_downs": 4, "width": 4,
                            "norm": "none"},
                           {"arch": "patch_discriminator", "in_channels": 2, "n_layers": 1, "width": 4,
                            "norm": "none"}, max_gen_iters=6)
    else:
        m = ganzoo.CycleGAN({"arch": "resnet_translator", "in_channels": 1, "out_channels": 1, "n_blocks": 1,
                             "width": 4, "norm": "none"},
                            {"arch": "patch_discriminator", "in_channels": 1, "n_layers": 1, "width": 4,
                             "norm": "none"}, pool_size=0, max_gen_iters=6)
    m.export_dir = None
    return m


def data_for(variant: str) -> L.LightningDataModule:
    return FixedGlobalPairs() if variant in TRANSLATION else FixedGlobalBatches()


def build(variant: str) -> ganzoo.AdversarialModule:
    """A small model of ``variant`` whose latents and penalty weights are global-batch streams."""
    if variant in TRANSLATION:
        return build_translation(variant)
    L.seed_everything(0)
    cls = getattr(ganzoo, variant)
    kw = dict(hidden_dim=32, n_layers=2, max_gen_iters=STEPS // 5, ema_decay=0.9)
    m = cls(**kw)
    m.export_dir = None
    latents = _GlobalStream(1, lambda n, g: torch.randn(n, m.generator.latent_dim, generator=g))
    m.generator.sample_latent = lambda n, generator=None, device=None: latents(n).to(device)
    eps = _GlobalStream(2, lambda n, g: torch.rand(n, generator=g))
    for c in m.constraints:
        if hasattr(c, "draw_eps"):
            c.draw_eps = lambda real: eps(real.shape[0])
    return m


def trainer(root: str, **kw) -> L.Trainer:
    return L.Trainer(
        accelerator="cpu", max_epochs=-1, logger=False, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False, default_root_dir=root, **kw,
    )
