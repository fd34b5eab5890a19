"""ganzoo: classic GANs as PyTorch Lightning modules.

The sampling path (``load``, ``sample``, ``translate``, ``list_models``, ``list_pretrained``) does not import Lightning;
variants, data modules and the Hub client (``push_to_hub``, ``save_generator``) are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from ganzoo import nets as _nets  # noqa: F401  (registers the architectures)
from ganzoo.loading import load
from ganzoo.registry import list_models
from ganzoo.sampling import sample
from ganzoo.search import search
from ganzoo.translators import translate
from ganzoo.zoo import list_pretrained

__version__ = "0.1.0"

_LAZY = {
    "AdversarialModule": "ganzoo.training",
    "list_variants": "ganzoo.variants",
    "Toy2DDataModule": "ganzoo.data",
    "push_to_hub": "ganzoo.hub",
    "save_generator": "ganzoo.hub",
    "interpolate": "ganzoo.sampling",
    "project": "ganzoo.projection",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name[:1].isupper():  # a variant class: ganzoo.DCGAN, ganzoo.WGANGP, ... (imports Lightning on first use)
        try:
            return getattr(importlib.import_module("ganzoo.variants"), name)
        except AttributeError:
            pass
    raise AttributeError(f"module 'ganzoo' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | set(importlib.import_module("ganzoo.variants").__all__))


__all__ = ["list_models", "list_pretrained", "load", "sample", "search", "translate", "__version__", *_LAZY]
