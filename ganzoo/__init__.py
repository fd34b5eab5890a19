"""ganzoo: classic GANs as PyTorch Lightning modules.

The sampling path (``load``, ``sample``, ``translate``, ``list_models``, ``list_pretrained``) does not import Lightning;
variants, data modules and the Hub client (``push_to_hub``, ``save_generator``) are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from ganzoo import nets as _nets  # noqa: F401  (registers the architectures)
from ganzoo.registry import list_models
from ganzoo.sampling import load, sample
from ganzoo.search import search
from ganzoo.translation import translate
from ganzoo.zoo import list_pretrained

__version__ = "0.1.0"

_LAZY = {
    "AdversarialModule": "ganzoo.training",
    "CGAN": "ganzoo.variants",
    "CramerGAN": "ganzoo.variants",
    "CycleGAN": "ganzoo.variants",
    "DCGAN": "ganzoo.variants",
    "FGAN": "ganzoo.variants",
    "LSGAN": "ganzoo.variants",
    "MMDGAN": "ganzoo.variants",
    "Pix2Pix": "ganzoo.variants",
    "RaGAN": "ganzoo.variants",
    "SNGAN": "ganzoo.variants",
    "WGAN": "ganzoo.variants",
    "WGANGP": "ganzoo.variants",
    "VARIANTS": "ganzoo.variants",
    "Toy2DDataModule": "ganzoo.data",
    "push_to_hub": "ganzoo.hub",
    "save_generator": "ganzoo.hub",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ganzoo' has no attribute {name!r}")


__all__ = ["list_models", "list_pretrained", "load", "sample", "search", "translate", "__version__", *_LAZY]
