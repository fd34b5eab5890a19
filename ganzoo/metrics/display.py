"""How a score is written for people (the zoo's leaderboard, the demo's card view): each metric's precision, one
place. Imports nothing heavy (``ganzoo list`` uses it)."""

from __future__ import annotations

from typing import Any

#: the format spec of each metric (by its name in the zoo's index and the cards' ``model-index``); others: ``.4g``
METRIC_FORMAT = {"fid": ".2f", "kid": ".3f", "kid_std": ".3f", "is": ".2f", "precision": ".3f", "recall": ".3f",
                 "density": ".3f", "coverage": ".3f", "classes_covered": ".0f", "l1": ".4f", "psnr_db": ".2f",
                 "cycle_l1": ".4f", "target_fraction": ".3f", "class_accuracy": ".3f", "w1": ".3f",
                 "w1_real_vs_real": ".3f"}


def format_metric(name: str, value: Any) -> str:
    """``value`` of metric ``name`` as text: at the metric's precision (:data:`METRIC_FORMAT`), "–" when missing.

    >>> format_metric("fid", 6.5741), format_metric("precision", 0.71234), format_metric("fid", None)
    ('6.57', '0.712', '–')
    """
    return "–" if value is None else format(value, METRIC_FORMAT.get(name, ".4g"))
