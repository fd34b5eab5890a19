"""Argument checks shared by the networks, the sampler, the data and the config loader (no Lightning import)."""

from __future__ import annotations

from typing import Any

import numpy as np

DIRECTIONS = ("AtoB", "BtoA")  # image-to-image translation: A to B, B to A


def check_int(name: str, value: Any, minimum: int = 1) -> None:
    """Raise ``ValueError`` naming ``name`` unless ``value`` is an integer (not a bool) >= ``minimum``."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def check_positive(name: str, value: float, *, allow_zero: bool = False) -> None:
    """Raise ``ValueError`` naming ``name`` unless ``value`` is a finite positive number (or zero if allowed)."""
    ok = isinstance(value, (int, float, np.number)) and not isinstance(value, bool) and np.isfinite(value)
    if not ok or not (value >= 0 if allow_zero else value > 0):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound} and finite, got {value!r}")


def check_probability(name: str, value: float) -> None:
    """Raise ``ValueError`` naming ``name`` unless ``value`` is a number in [0, 1]."""
    check_positive(name, value, allow_zero=True)
    if value > 1:
        raise ValueError(f"{name} must be in [0, 1], got {value!r}")


def check_direction(direction: Any, available: tuple[str, ...] | list[str] = DIRECTIONS) -> str:
    """``direction`` if it is one of ``available`` (a translation's directions), else a ``ValueError`` listing them."""
    if direction not in available:
        raise ValueError(f"direction must be one of {list(available)}, got {direction!r}")
    return direction
