"""Registry of named network architectures, and the specs that name them.

Exported generators name their architecture in ``config.json``; loading only ever builds classes
registered here (a config cannot name an import path). A recipe names a network by a spec, ``{"arch": name,
**arguments}`` (:data:`NetSpec`, built by :func:`build_net`).
"""

from __future__ import annotations

import inspect
from typing import Any

from torch import nn

_MODELS: dict[str, type[nn.Module]] = {}

NetSpec = dict[str, Any]
"""A network by registered architecture name and arguments, e.g.
``{"arch": "dcgan_generator", "channels": 1, "resolution": 32}`` (see ``ganzoo.list_models()``)."""


def register_model(name: str):
    """Class decorator: register ``cls`` under ``name`` and make it remember its constructor arguments.

    The registered class gains ``self.config`` (the bound constructor arguments, defaults applied) and
    ``self.arch_name``.
    """

    def deco(cls: type[nn.Module]) -> type[nn.Module]:
        if name in _MODELS and _MODELS[name] is not cls:
            raise ValueError(f"architecture name {name!r} is already registered to {_MODELS[name].__name__}")
        sig = inspect.signature(cls.__init__)
        orig_init = cls.__init__

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            bound = sig.bind(self, *args, **kwargs)
            bound.apply_defaults()
            orig_init(self, *args, **kwargs)
            self.config = {k: v for k, v in bound.arguments.items() if k != "self"}
            self.arch_name = name

        __init__.__signature__ = sig  # type: ignore[attr-defined]
        __init__.__doc__ = orig_init.__doc__
        cls.__init__ = __init__  # type: ignore[method-assign]
        _MODELS[name] = cls
        return cls

    return deco


def list_models() -> list[str]:
    """Names of all registered architectures."""
    return sorted(_MODELS)


def get_model_class(name: str) -> type[nn.Module]:
    if name not in _MODELS:
        raise ValueError(f"unknown architecture {name!r}; registered architectures: {list_models()}")
    return _MODELS[name]


def build_model(name: str, config: dict[str, Any]) -> nn.Module:
    """Instantiate the registered architecture ``name`` with keyword arguments ``config``."""
    cls = get_model_class(name)
    params = inspect.signature(cls.__init__).parameters
    unknown = sorted(set(config) - set(params))
    if unknown:
        raise ValueError(f"architecture {name!r} does not take argument(s) {unknown}")
    return cls(**config)


def build_net(spec: NetSpec, role: str) -> nn.Module:
    """Build the network ``spec`` names; ``role`` ("generator"/"critic") names the parameter in errors."""
    if not isinstance(spec, dict) or "arch" not in spec:
        raise ValueError(
            f"{role} must be a mapping with an 'arch' key naming a registered architecture and its arguments, "
            f"e.g. {{'arch': 'dcgan_{role}', 'channels': 1}}; got {spec!r}"
        )
    args = {k: v for k, v in spec.items() if k != "arch"}
    try:
        return build_model(spec["arch"], args)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{role}: {e}") from e


def build_spec(table: dict[str, Any], spec: Any, what: str, kind: type) -> Any:
    """Build an entry of ``table`` (name -> class or factory) from a config value.

    ``spec`` is a name (``"gradient_penalty"``), a mapping ``{"name": ..., **arguments}``, or Lightning's class_path
    form ``{"class_path": ..., "init_args": {...}}`` whose class must be one of the table's (a config cannot name an
    import path); an instance of ``kind`` (already built) is returned as is. ``what`` names the parameter in errors.
    """
    if isinstance(spec, kind):
        return spec
    if isinstance(spec, str):
        name, args = spec, {}
    elif isinstance(spec, dict) and "class_path" in spec:
        path = spec["class_path"]
        module, _, cls_name = path.rpartition(".")
        found = [k for k, v in table.items() if isinstance(v, type) and v.__name__ == cls_name  # the public or
                 and (not module or (v.__module__ + ".").startswith(module + "."))]  # the full path of the class
        if not found:
            known = sorted({v.__name__ for v in table.values() if isinstance(v, type)})
            raise ValueError(f"{what}: class_path {path!r} is not a registered {what}; registered classes: {known}")
        name, args = found[0], dict(spec.get("init_args") or {})
    elif isinstance(spec, dict):
        if "name" not in spec:
            raise ValueError(
                f"{what} must be a name, {{'name': ..., **arguments}} or {{'class_path': ...}}; got {spec!r}"
            )
        name, args = spec["name"], {k: v for k, v in spec.items() if k != "name"}
    else:
        raise ValueError(f"{what} must be a name of {sorted(table)}, a mapping or a {kind.__name__}, got {spec!r}")
    if name not in table:
        raise ValueError(f"{what} must be one of {sorted(table)}, got {name!r}")
    factory = table[name]
    params = inspect.signature(factory).parameters
    unknown = sorted(set(args) - set(params))
    if unknown and not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        raise ValueError(f"{what} {name!r} does not take argument(s) {unknown}; it takes {sorted(params)}")
    try:
        return factory(**args)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{what} {name!r}: {e}") from e
