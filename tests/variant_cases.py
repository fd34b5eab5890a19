"""Tiny, fast configurations of every registered variant, derived from the registry (no hand-kept variant list).

``case(name)`` gives a builder and a datamodule factory for the variant registered as ``name``:

- unconditional latent GANs: the paper's toy MLPs made tiny, on 8 Gaussians;
- conditional latent GANs (``Paper.conditional``): tiny conditional DCGAN networks on a small labelled image set;
- translation GANs: 64-px U-Nets with dropout (as the 256-px recipes' noise source) and small PatchGANs on smooth
  random images, paired for pix2pix-style variants and unpaired for CycleGAN-style ones.

A new variant file is picked up by every test that loops over ``ganzoo.list_variants()`` with these cases.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

import ganzoo
from ganzoo.data import Toy2DDataModule
from ganzoo.data.images import ArrayImages, ImageDataModule
from ganzoo.data.pairs import TranslationDataModule
from ganzoo.variants import get_variant, variant_kind

TINY = dict(hidden_dim=16, n_layers=2)
GEN = {"arch": "dcgan_generator", "latent_dim": 8, "channels": 1, "resolution": 32, "width": 8}
CRIT = {"arch": "dcgan_critic", "channels": 1, "resolution": 32, "width": 8, "norm": "none"}
UNET64 = {"arch": "unet_generator", "in_channels": 1, "out_channels": 1, "num_downs": 6, "width": 4,
          "dropout": True}  # 6 downsamplings: one dropout block (the reference's num_downs - 5), as at 256 px


class TinyLabelled(ImageDataModule):
    """64 labelled 1x32x32 images of 3 classes (a bright band per class), with ImageDataModule's resumable
    position."""

    dataset_name = "tiny-labelled"

    def __init__(self, batch_size: int = 8, seed: int = 0):
        super().__init__(batch_size, 0, seed)
        self.data_shape, self.num_classes = (1, 32, 32), 3

    def _load(self, split: str) -> ArrayImages:
        g = torch.Generator().manual_seed(0)
        y = torch.arange(64) % 3
        x = torch.randint(0, 40, (64, 1, 32, 32), generator=g, dtype=torch.uint8)
        for k in range(3):
            x[y == k, :, 8 * k: 8 * k + 8] += 200
        return ArrayImages(x, y)


class TinyPairs(TranslationDataModule):
    """32 smooth random 1x72x72 uint8 images per domain, jittered (random 64-px crops and flips, seeded per batch)
    as the reference recipes; paired (b = 255 - a) or unpaired."""

    shape_a = shape_b = (1, 64, 64)

    def __init__(self, paired, n=32, batch_size=4, seed=0):
        super().__init__(batch_size, 0, seed)
        self.paired, self.dataset_name = paired, "tiny"
        self._check_sizes(72, 64, True)
        g = torch.Generator().manual_seed(7)
        coarse = torch.rand(2 * n, 1, 6, 6, generator=g)
        self.images = (torch.nn.functional.interpolate(coarse, size=72, mode="bilinear") * 255).to(torch.uint8)
        self.n = n

    def _sources(self, split):
        a, b = self.images[:self.n], self.images[self.n:]
        if self.paired:
            return self.n, self.n, (lambda i: (a[i], 255 - a[i])), None
        return self.n, self.n, (lambda i: a[i]), (lambda i: b[i])


@dataclass
class Case:
    cls: type
    kwargs: dict[str, Any]
    data: Callable[[], Any]
    kind: str  # "latent", "conditional", "paired", "unpaired"

    def build(self, **kw: Any):
        return self.cls(**{**self.kwargs, **kw})


def case(name: str) -> Case:
    cls = get_variant(name)
    if variant_kind(cls) == "latent":
        if cls.paper.conditional:
            return Case(cls, dict(generator={**GEN, "num_classes": 3}, critic={**CRIT, "num_classes": 3},
                                  max_gen_iters=6), lambda: TinyLabelled(), "conditional")
        warmup = (cls.paper.schedule or {}).get("warmup")  # 100 critic steps per early generator iteration
        return Case(cls, dict(**TINY, max_gen_iters=3 if warmup else max(10, 20 // cls.paper.n_critic)),
                    lambda: Toy2DDataModule(batch_size=32, seed=3), "latent")
    # translation: CycleGAN-style variants take a pool and a second critic; pix2pix-style ones judge stacked pairs
    unpaired = "pool_size" in inspect.signature(cls).parameters
    if unpaired:  # the pool (3 images, 2 per batch) swaps from the second batch on
        kw = dict(generator=UNET64, critic={"arch": "patch_discriminator", "in_channels": 1, "n_layers": 2, "width": 4,
                                            "norm": "instance"}, pool_size=3, lambda_identity=0)
        data = lambda: TinyPairs(paired=False, n=16, batch_size=2)  # noqa: E731  (8 batches an epoch)
    else:
        kw = dict(generator=UNET64, critic={"arch": "patch_discriminator", "in_channels": 2, "n_layers": 2,
                                            "width": 4})
        data = lambda: TinyPairs(paired=True)  # noqa: E731  (8 batches an epoch)
    # 3 epochs of 8 batches: 1 at the initial LR, 2 decaying (the schedule resumes too)
    return Case(cls, dict(**kw, n_epochs=1, n_epochs_decay=2, lr=1e-3), data, "unpaired" if unpaired else "paired")


def variant_names() -> list[str]:
    return ganzoo.list_variants()
