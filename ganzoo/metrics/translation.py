"""Scores of image-to-image translators (all images in [0, 1]).

* paired (pix2pix): mean L1 and PSNR (:func:`ganzoo.metrics.pixels.psnr`, identical images at its 100 dB cap) of
  ``G(a)`` against the ground truth ``b``, and FID of ``{G(a)}`` to ``{b}``;
* unpaired (CycleGAN): the fraction of translated images a classifier assigns to the target class, the cycle
  reconstruction L1 ``||F(G(a)) - a||_1`` and FID of ``{G(a)}`` to real images of the target domain.

FID uses :func:`ganzoo.metrics.scores.compute_image_metrics` (torchmetrics; for 1x32x32 images the shipped
Fashion-MNIST classifier's features) and records its protocol.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor

from ganzoo.metrics.pixels import psnr
from ganzoo.translators import translate


def _fid(fake: Tensor, real: Tensor, dataset: str, extractor: str | None) -> dict[str, Any]:
    from ganzoo.metrics.scores import compute_image_metrics

    ex = extractor or ("fmnist" if tuple(real.shape[1:]) == (1, 32, 32) else "inception")
    out = compute_image_metrics(fake, real, metrics=("fid",), extractor=ex, dataset=dataset, split="test")
    return {"fid": out["fid"], "fid_protocol": out["protocol"]}


def paired_scores(model: Any, a: Tensor, b: Tensor, direction: str = "AtoB", *, fid: bool = True,
                  dataset: str = "unknown", extractor: str | None = None) -> dict[str, Any]:
    """L1, PSNR (and FID) of ``translate(model, a)`` against the truth ``b`` (both ``(N, C, H, W)`` in [0, 1])."""
    if len(a) != len(b):
        raise ValueError(f"paired_scores: {len(a)} inputs but {len(b)} targets")
    out_imgs = translate(model, a, direction)
    out: dict[str, Any] = {
        "n": len(a), "l1": float((out_imgs - b).abs().mean()),
        "psnr_db": float(psnr(out_imgs, b).mean()),  # an exact image counts as the 100 dB cap (never inf)
        "range": "[0, 1]",
    }
    if fid:
        out.update(_fid(out_imgs, b, dataset, extractor))
    return out


def unpaired_scores(model: Any, source: Tensor, target_reference: Tensor, direction: str = "AtoB", *,
                    target_class: int | None = None, fid: bool = True, dataset: str = "unknown",
                    extractor: str | None = None) -> dict[str, Any]:
    """Scores of translating ``source`` in ``direction`` with a two-way model (CycleGAN).

    ``target_fraction``: share of translations the shipped Fashion-MNIST classifier assigns to ``target_class``
    (1x32x32 images only); ``cycle_l1``: mean ``|back(forward(x)) - x|``; ``fid``: translations vs
    ``target_reference`` (real images of the target domain).
    """
    back = "BtoA" if direction == "AtoB" else "AtoB"
    fwd = translate(model, source, direction)
    rec = translate(model, fwd, back)
    out: dict[str, Any] = {"n": len(source), "cycle_l1": float((rec - source).abs().mean()), "range": "[0, 1]"}
    if target_class is not None:
        from ganzoo.metrics.classifier import predict

        out["target_class"] = int(target_class)
        out["target_fraction"] = float((predict(fwd) == target_class).float().mean())
    if fid:
        out.update(_fid(fwd, target_reference, dataset, extractor))
    return out
