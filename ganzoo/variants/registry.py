"""How a variant is declared: the variant registry, and a variant's constructor from its paper.

A variant is a subclass of :class:`~ganzoo.training.LatentGAN` or :class:`~ganzoo.training.TranslationGAN` with a
docstring and a ``paper`` (:class:`~ganzoo.training.Paper`, :class:`~ganzoo.training.TranslationPaper`): what its
paper states. Decorated with ``@register_variant("name")``, its constructor (what a recipe's ``init_args`` and
``ganzoo.<Name>(...)`` take) is the nearest declared one, :class:`~ganzoo.training.LatentGAN`'s for a latent variant
or the variant's own, with the paper's values as its defaults; it is listed by ``ganzoo.list_variants()``, importable
as ``ganzoo.<Name>``, and picked up by the tests, benches and docs that loop over the registry.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable
from typing import Any

from torch import nn

from ganzoo.training.latent_gan import LatentGAN

_VARIANTS: dict[str, type[nn.Module]] = {}


def register_variant(name: str):
    """Class decorator: list the variant under ``name`` (``ganzoo.list_variants()``, recipes' folder name) and, where
    the class states its own ``paper``, give it its constructor with the paper's values as defaults."""

    def deco(cls):
        if name in _VARIANTS and _VARIANTS[name] is not cls:
            raise ValueError(f"variant name {name!r} is already registered to {_VARIANTS[name].__name__}")
        if "paper" in cls.__dict__:
            cls.__init__ = with_defaults(cls.__init__, cls.paper.defaults, f"{cls.__qualname__}.__init__")
        _VARIANTS[name] = cls
        cls.variant_name = name
        return cls

    return deco


def with_defaults(init: Callable, defaults: dict[str, Any], qualname: str) -> Callable:
    """The function ``init`` (the same code) with ``defaults`` in place of the defaults of the parameters they name:
    a variant's constructor, which the CLI parses and whose arguments Lightning saves, is its declared one."""
    params = list(inspect.signature(init).parameters.values())[1:]  # after self
    unknown = sorted(set(defaults) - {p.name for p in params})
    if unknown or any(p.kind is not p.POSITIONAL_OR_KEYWORD for p in params):
        raise TypeError(f"{qualname} takes no argument(s) {unknown} (the paper names the constructor's arguments, "
                        "which are all positional-or-keyword)")
    values = [defaults.get(p.name, p.default) for p in params]
    first = next((i for i, v in enumerate(values) if v is not inspect.Parameter.empty), len(values))
    missing = [p.name for p, v in zip(params[first:], values[first:]) if v is inspect.Parameter.empty]
    if missing:
        raise TypeError(f"{qualname}: the paper gives no default for {missing}")
    fn = types.FunctionType(init.__code__, init.__globals__, init.__name__, tuple(values[first:]), init.__closure__)
    fn.__annotations__, fn.__doc__, fn.__qualname__ = dict(init.__annotations__), init.__doc__, qualname
    return fn


def list_variants(kind: str | None = None) -> list[str]:
    """Names of the registered variants: all, or those of ``kind`` ``"latent"`` (latents -> samples) or
    ``"translation"`` (images -> images)."""
    if kind not in (None, "latent", "translation"):
        raise ValueError(f"kind must be None, 'latent' or 'translation', got {kind!r}")
    return sorted(n for n, cls in _VARIANTS.items() if kind is None or variant_kind(cls) == kind)


def variant_kind(cls: type) -> str:
    return "latent" if issubclass(cls, LatentGAN) else "translation"


def get_variant(name: str) -> type[nn.Module]:
    """The variant class registered as ``name``."""
    if name not in _VARIANTS:
        raise ValueError(f"unknown variant {name!r}; registered variants: {list_variants()}")
    return _VARIANTS[name]
