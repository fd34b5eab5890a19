"""How far FID is biased upward below 2,048 images: the measured table shipped as ``fid_bias.json`` (written by the
repository's ``bench/quality/fid_bias.py``), its interpolation (:func:`fid_bias`) and the sentence the image metrics
warn with (:func:`fid_bias_note`, :class:`SmallSampleWarning`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REFERENCE_N = 10000  # reference images drawn from a dataset for an image set (the zoo's protocol: 10,000)
MIN_FID_IMAGES = 2048  # below this many images in either set, FID comes with a bias warning


class SmallSampleWarning(UserWarning):
    """FID of fewer than 2,048 images: biased upward (see :func:`fid_bias_note`)."""


_BIAS_TABLE: dict[str, Any] | None = None


def fid_bias_table() -> dict[str, Any]:
    """The measured FID bias on Fashion-MNIST, shipped with the package as ``ganzoo/metrics/fid_bias.json`` (written
    by the repository's ``bench/quality/fid_bias.py``): ``"series"`` (n images against 10,000) and ``"grid"`` (n images
    against n_ref images)."""
    global _BIAS_TABLE
    if _BIAS_TABLE is None:
        _BIAS_TABLE = json.loads((Path(__file__).parent / "fid_bias.json").read_text())
    return _BIAS_TABLE


def fid_bias(n: int, n_ref: int) -> tuple[float, int, int]:
    """The measured upward bias of FID(``n`` images, ``n_ref`` reference images) over FID(10,000, 10,000) on
    Fashion-MNIST (fmnist extractor), interpolated linearly in 1/n and 1/n_ref between the measured counts of the
    grid; counts outside the measured range are clamped to it. Returns ``(bias, n used, n_ref used)``."""
    rows = fid_bias_table()["grid"]["rows"]
    cell = {(r["n"], r["n_ref"]): r["bias"] for r in rows}

    def bracket(counts: list[int], v: int) -> tuple[int, int, float]:  # (lower, upper, weight of lower)
        v = min(max(v, counts[0]), counts[-1])
        hi = next(c for c in counts if c >= v)
        lo = counts[counts.index(hi) - 1] if hi > v else hi
        return lo, hi, 0.0 if hi == lo else (1 / v - 1 / hi) / (1 / lo - 1 / hi)

    (a0, a1, ta), (b0, b1, tb) = (bracket(sorted({k[i] for k in cell}), v) for i, v in ((0, n), (1, n_ref)))
    bias = ((1 - ta) * ((1 - tb) * cell[a1, b1] + tb * cell[a1, b0])
            + ta * ((1 - tb) * cell[a0, b1] + tb * cell[a0, b0]))
    counts = sorted({k[0] for k in cell})
    return bias, min(max(n, counts[0]), counts[-1]), min(max(n_ref, counts[0]), counts[-1])


def fid_bias_note(n: int, n_ref: int = REFERENCE_N, extractor: str = "fmnist") -> str | None:
    """``None`` when both ``n`` (images) and ``n_ref`` (reference images) are at least 2,048; else a sentence saying
    how far FID is biased upward at these two counts (:func:`fid_bias`: the grid measured on Fashion-MNIST, test
    images against training images, fmnist extractor)."""
    if min(n, n_ref) >= MIN_FID_IMAGES:
        return None
    bias, n_at, ref_at = fid_bias(n, n_ref)

    def measured(asked: int, used: int) -> str:
        return f"{used:,}" + (" (the fewest measured)" if asked < used else
                              " (the most measured)" if asked > used else "")

    fewer = n < n_at or n_ref < ref_at
    how = f"{measured(n, n_at)} images against {measured(n_ref, ref_at)} score {'' if fewer else 'about '}"
    after = ("; fewer images score more" if fewer else
             "; more images score a little less" if (n_at, ref_at) != (n, n_ref) else "")
    full = next(r for r in fid_bias_table()["grid"]["rows"] if r["bias"] == 0 and r["n"] == r["n_ref"])
    other = "" if extractor == "fmnist" else (
        f"; with the {extractor!r} extractor the bias differs, and with fewer images than its feature dimensions "
        "the covariance is singular")
    return (f"FID of {n:,} images against {n_ref:,} reference images is biased upward: on Fashion-MNIST (fmnist "
            f"extractor, test images against training images), {how}{bias:.2f} above {full['n']:,} against "
            f"{full['n_ref']:,} (FID {full['fid_mean']:.2f}){after}; from the table shipped with ganzoo "
            f"(fid_bias.json){other}. "
            f"Use at least {MIN_FID_IMAGES:,} images in both sets, and the same counts for FIDs you compare")
