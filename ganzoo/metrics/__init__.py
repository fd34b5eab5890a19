"""Metrics. The 2-D ones below load on first use (PEP 562), so that importing a light submodule such as
:mod:`ganzoo.metrics.pixels` (as :mod:`ganzoo.projection` does) does not import POT or Lightning."""

__all__ = ["evaluate_generator", "evaluate_toy", "mode_stats", "w1_exact"]


def __getattr__(name: str):
    if name in __all__:
        from . import toy

        return getattr(toy, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
