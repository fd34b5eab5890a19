"""The variants: one file each, registered with ``@register_variant`` (``ganzoo.list_variants()``).

Every module of this package is imported here, so a new variant file is picked up without editing a list.
"""

import importlib
import pkgutil

from ganzoo.training import LatentGAN, Paper, TranslationGAN, TranslationPaper

from .registry import get_variant, list_variants, register_variant, variant_kind

for _m in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_m.name}")

__all__ = ["LatentGAN", "Paper", "TranslationGAN", "TranslationPaper", "get_variant", "list_variants",
           "register_variant", "variant_kind", *(get_variant(_n).__name__ for _n in list_variants())]


def __getattr__(name: str) -> type:
    """``ganzoo.variants.<ClassName>``: the registered variant of that class name (also one registered later)."""
    for n in list_variants():
        if get_variant(n).__name__ == name:
            return get_variant(n)
    raise AttributeError(f"module 'ganzoo.variants' has no attribute {name!r}")
