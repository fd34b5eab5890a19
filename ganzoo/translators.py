"""Image-to-image translation at inference time: ``ganzoo.translate`` and the ``translator`` container.

A trained pix2pix or CycleGAN model is exported as one registered :class:`Translator` holding a generator per
direction (``"AtoB"``, and ``"BtoA"`` for CycleGAN). It is saved, pushed and loaded through the same folder
format as the unconditional generators (``config.json`` naming registered architectures only, weights in
``model.safetensors``), so ``ganzoo.load``/``ganzoo.push_to_hub`` work unchanged. This module does not import
Lightning.
"""

from __future__ import annotations

import os
from typing import Any

import torch
from torch import Tensor, nn

from ganzoo.checks import check_direction
from ganzoo.nets.base import ImageTranslator, exported
from ganzoo.registry import build_model, register_model


@register_model("translator")
class Translator(ImageTranslator):
    """A generator per translation direction: images ``(B, C_in, H, W)`` in [-1, 1] -> ``(B, C_out, H, W)``.

    ``directions`` maps ``"AtoB"``/``"BtoA"`` to a network spec ``{"arch": <registered translator>, **args}``
    (e.g. ``{"AtoB": {"arch": "unet_generator", "in_channels": 1, "out_channels": 1, "num_downs": 5}}``).
    """

    def __init__(self, directions: dict[str, dict[str, Any]]):
        super().__init__()
        if not isinstance(directions, dict) or not directions:
            raise ValueError(f"directions must map 'AtoB'/'BtoA' to network specs, got {directions!r}")
        nets = {}
        for d, spec in directions.items():
            check_direction(d)
            if not isinstance(spec, dict) or "arch" not in spec:
                raise ValueError(f"directions[{d!r}] must be a mapping with an 'arch' key, got {spec!r}")
            net = build_model(spec["arch"], {k: v for k, v in spec.items() if k != "arch"})
            if not isinstance(net, ImageTranslator):
                raise ValueError(f"directions[{d!r}]: architecture {spec['arch']!r} is not an image translator")
            nets[d] = net
        self.nets = nn.ModuleDict(nets)
        self.directions = tuple(nets)

    def channels(self, direction: str) -> tuple[int, int]:
        """(input channels, output channels) of ``direction``."""
        net = self.nets[check_direction(direction, self.directions)]
        return net.in_channels, net.out_channels

    def forward(self, x: Tensor, direction: str = "AtoB") -> Tensor:
        return self.nets[check_direction(direction, self.directions)](x)


def _as_translator(model: Any, device: str | torch.device | None) -> Translator:
    if isinstance(model, (str, os.PathLike)):
        from ganzoo.loading import load

        model = load(model, device=device or "cpu")
    model = exported(model)  # a Pix2Pix / CycleGAN LightningModule: its translator
    if not isinstance(model, Translator):
        raise TypeError(
            f"model must be a translation model (a Pix2Pix/CycleGAN module, a Translator, or the folder/Hub id of "
            f"an exported one), got {type(model).__name__}"
        )
    return model


@torch.no_grad()
def translate(
    model: Any,
    images: Tensor,
    direction: str = "AtoB",
    *,
    batch_size: int = 64,
    input_range: tuple[float, float] = (0.0, 1.0),
    device: str | torch.device | None = None,
) -> Tensor:
    """Translate ``images`` ``(N, C, H, W)`` (values in ``input_range``, default [0, 1]) in ``direction``.

    ``model``: a ``Pix2Pix``/``CycleGAN`` module, an exported :class:`Translator`, or a folder / zoo name / Hub id
    that ``ganzoo.load`` resolves. Returns float32 ``(N, C_out, H, W)`` in [0, 1] on the CPU. The networks run in
    eval mode (U-Net dropout off) and their train/eval state is restored afterwards.

    Example:
        Sneakers to ankle boots and back with the bundled CycleGAN entry (the sneakers are samples of the
        conditional zoo model; the shipped Fashion-MNIST classifier names the classes: 7 sneaker, 9 ankle boot):

        >>> import ganzoo
        >>> from ganzoo.metrics.classifier import predict
        >>> sneakers = ganzoo.sample("cgan-fashion_mnist", 4, seed=0, labels=7)  # (4, 1, 32, 32) in [0, 1]
        >>> boots = ganzoo.translate("cyclegan-sneaker2boot", sneakers)  # "AtoB": sneakers -> boots
        >>> boots.shape, boots.dtype
        (torch.Size([4, 1, 32, 32]), torch.float32)
        >>> predict(sneakers), predict(boots)
        (tensor([7, 7, 7, 7]), tensor([9, 9, 9, 9]))
        >>> predict(ganzoo.translate("cyclegan-sneaker2boot", boots, "BtoA"))  # and back
        tensor([7, 7, 7, 7])
    """
    net = _as_translator(model, device)
    check_direction(direction, net.directions)
    if not isinstance(images, Tensor) or images.ndim != 4 or not images.is_floating_point():
        raise ValueError(f"images must be a float tensor (N, C, H, W), got "
                         f"{getattr(images, 'shape', type(images).__name__)}")
    c_in, _ = net.channels(direction)
    if images.shape[1] != c_in:
        raise ValueError(f"images have {images.shape[1]} channels, the {direction} generator takes {c_in}")
    lo, hi = input_range
    if not lo < hi:
        raise ValueError(f"input_range must be (lo, hi) with lo < hi, got {input_range!r}")
    if len(images):
        # a tiny tolerance for rounding (e.g. uint8 / 255); anything further out is the wrong scale, whose
        # translation would be garbage without an error
        tol = 1e-4 * (hi - lo)
        mn, mx = float(images.min()), float(images.max())
        if not (lo - tol <= mn and mx <= hi + tol):  # also catches NaN
            raise ValueError(
                f"images: values in [{mn:.4g}, {mx:.4g}] lie outside input_range=({lo:g}, {hi:g}); scale them to "
                f"[{lo:g}, {hi:g}] or pass input_range=(lo, hi), e.g. input_range=(-1, 1) or (0, 255)"
            )
    dev = torch.device(device) if device is not None else next(net.parameters()).device
    was_training = net.training
    net.eval()
    try:
        outs = []
        for i in range(0, len(images), batch_size):
            x = images[i:i + batch_size].to(dev, torch.float32)
            x = (x - lo) / (hi - lo) * 2 - 1
            outs.append(((net(x, direction) + 1) / 2).clamp(0, 1).cpu())
    finally:
        net.train(was_training)
    return torch.cat(outs) if outs else images.new_zeros((0, net.channels(direction)[1], *images.shape[2:]))
