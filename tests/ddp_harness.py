"""Shared by tests/test_ddp.py and the 2-process worker it launches (tests/ddp_worker.py).

The DDP ranks run the model as users build it: latents and the gradient penalty's interpolation weights come from
each rank's own stream, which ganzoo seeds at setup (``rng.rank_seed(seed, rank)``). The data is fixed per *global*
batch and each rank takes its slice. The single process it is compared with (:func:`build_concatenated`) draws, at
each call, the concatenation of what the ranks draw from those streams: the reference replaces the sampling, the
DDP run under test does not.
"""

from __future__ import annotations

import lightning as L
import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, IterableDataset

import ganzoo
from ganzoo.training.rng import rank_seed

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

    def train_dataloader(self):  # the loader's own generator: its iterator draws no seed from torch's global RNG
        return DataLoader(_Batches(self.seed), batch_size=None, num_workers=0, generator=torch.Generator())


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
        return DataLoader(_Pairs(self.seed), batch_size=None, num_workers=0, generator=torch.Generator())


class _Images(IterableDataset):
    def __init__(self, seed: int):
        self.seed = seed

    def __iter__(self):
        g = torch.Generator().manual_seed(self.seed)
        while True:
            yield rank_slice(torch.rand(GLOBAL_IMAGES, 1, 16, 16, generator=g) * 2 - 1)


class FixedGlobalImages(FixedGlobalBatches):
    """1x16x16 image batches: each step's global batch fixed, every rank gets its slice."""

    data_shape = (1, 16, 16)

    def train_dataloader(self):
        return DataLoader(_Images(self.seed), batch_size=None, num_workers=0, generator=torch.Generator())


GLOBAL_PAIRS = 8
GLOBAL_IMAGES = 16
TRANSLATION = ("Pix2Pix", "CycleGAN")
# a normalisation-free image model (batch norm would mix a rank's half batch), its critic's inputs augmented by
# DiffAugment's three ops with ADA's adaptive p, moved every critic step so that p changes within the run
AUGMENTED = "R3GAN-augment"
R3 = {"channels": 1, "resolution": 16, "widths": [16, 16, 8], "group_width": 8}


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
    if variant == AUGMENTED:
        return FixedGlobalImages()
    return FixedGlobalPairs() if variant in TRANSLATION else FixedGlobalBatches()


def build_augmented() -> ganzoo.AdversarialModule:
    L.seed_everything(0)
    m = ganzoo.R3GAN({"arch": "r3gan_generator", "latent_dim": 8, **R3}, {"arch": "r3gan_critic", **R3},
                     max_gen_iters=12, ema_decay=0.9,
                     augment={"policy": "color,translation,cutout", "ada_target": 0.6, "ada_interval": 1,
                              "ada_kimg": 0.02})
    m.export_dir = None
    return m


# ``VARIANT-extra``: the variant with these arguments (LeCam's anchors are means over the global batch)
EXTRA = {"lecam": {"constraints": ["gradient_penalty", {"name": "lecam", "start": 5}]}}


def build(variant: str) -> ganzoo.AdversarialModule:
    """A small model of ``variant``, seeded 0, as users build it (nothing replaced)."""
    if variant in TRANSLATION:
        return build_translation(variant)
    if variant == AUGMENTED:
        return build_augmented()
    variant, _, extra = variant.partition("-")
    L.seed_everything(0)
    m = getattr(ganzoo, variant)(hidden_dim=32, n_layers=2, max_gen_iters=STEPS // 5, ema_decay=0.9,
                                 **EXTRA.get(extra, {}))
    m.export_dir = None
    return m


def build_concatenated(variant: str, world_size: int = 2) -> ganzoo.AdversarialModule:
    """:func:`build`'s model for ONE process that draws, at every call for ``n`` latents (or penalty weights), the
    ranks' draws side by side: ``n / world_size`` from each rank's stream, which starts where ganzoo seeds it at
    setup (torch's RNG seeded ``rng.rank_seed(0, rank)``; the runs are seeded 0). So 1 process on the concatenated
    batch sees what ``world_size`` DDP ranks see together."""
    m = build(variant)
    if variant in TRANSLATION:
        return m  # no noise in these small translation steps: the data alone differs by rank
    streams = [torch.Generator().manual_seed(rank_seed(0, r)) for r in range(world_size)]

    def side_by_side(n: int, draw) -> torch.Tensor:
        assert n % world_size == 0, n
        return torch.cat([draw(n // world_size, g) for g in streams])

    gen, latent = m.generator, type(m.generator).sample_latent
    gen.sample_latent = lambda n, generator=None, device=None: side_by_side(
        n, lambda k, g: latent(gen, k, generator=g)).to(device)
    for c in m.constraints:
        if hasattr(c, "draw_eps"):
            c.draw_eps = lambda real: side_by_side(real.shape[0], lambda k, g: torch.rand(k, generator=g))
    if m.augment is not None:  # each half of a batch augmented with its rank's draws, from its rank's stream
        augment = m.augment.__call__

        def ranks_augment(x: torch.Tensor) -> torch.Tensor:
            parts = []
            for g, part in zip(streams, x.chunk(world_size), strict=True):
                own = torch.get_rng_state()
                torch.set_rng_state(g.get_state())  # the ops draw from the global RNG, as on the rank
                parts.append(augment(part))
                g.set_state(torch.get_rng_state())
                torch.set_rng_state(own)
            return torch.cat(parts)

        m.augment = _Wrapped(m.augment, ranks_augment)
    return m


class _Wrapped:
    """An :class:`ganzoo.augment.Augment` whose call is replaced (its other attributes are the original's)."""

    def __init__(self, inner, call):
        self._inner, self._call = inner, call

    def __call__(self, x):
        return self._call(x)

    def __getattr__(self, name):
        return getattr(self._inner, name)


def trainer(root: str, **kw) -> L.Trainer:
    return L.Trainer(
        accelerator="cpu", max_epochs=-1, logger=False, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False, default_root_dir=root, **kw,
    )
