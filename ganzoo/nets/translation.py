"""Image-to-image networks: pix2pix (Isola et al. 2017) and CycleGAN (Zhu et al. 2017).

* :class:`UNetGenerator`: the pix2pix U-Net ("unet_128": ``num_downs=7``, "unet_256": ``num_downs=8``).
* :class:`ResNetTranslator`: the CycleGAN ResNet generator (6 blocks for 128 px, 9 blocks for 256 px).
* :class:`PatchDiscriminator`: the PatchGAN (``n_layers=3``: 70x70 patches), one logit per patch.
* :class:`PixelDiscriminator`: the 1x1 PatchGAN, one logit per pixel.
* :func:`receptive_field`: the receptive field of a plain stack of convolutions, computed layer by layer.

The layers follow the authors' reference implementation (junyanz/pytorch-CycleGAN-and-pix2pix): ``"instance"``
norm is ``InstanceNorm2d(affine=False, track_running_stats=False)`` and convolutions before a norm have a bias only
when the norm is ``"instance"`` (the reference's ``use_bias``; so with ``norm="none"`` they have none). Weights
are N(0, 0.02), batch-norm scales N(1, 0.02), biases 0. Generators map [-1, 1] images to [-1, 1] images (tanh).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from ganzoo.checks import check_int
from ganzoo.registry import register_model

from .base import ImageTranslator
from .dcgan import dcgan_init

TRANSLATION_NORMS = ("batch", "instance", "none")
UNET_DEPTHS = {"unet_128": 7, "unet_256": 8}


def translation_norm2d(kind: str, channels: int) -> nn.Module:
    """The reference normalisations: ``"batch"`` (BatchNorm2d), ``"instance"`` (InstanceNorm2d without affine or
    running statistics) or ``"none"`` (identity)."""
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"norm must be one of {TRANSLATION_NORMS}, got {kind!r}")


def _check_norm(norm: Any) -> bool:
    """Validate ``norm``; returns the reference's ``use_bias`` (``norm == "instance"``)."""
    if norm not in TRANSLATION_NORMS:
        raise ValueError(f"norm must be one of {TRANSLATION_NORMS}, got {norm!r}")
    return norm == "instance"


def _check_channels(x: Tensor, channels: int, who: str) -> tuple[int, int]:
    """``x`` must be ``(B, channels, H, W)``; returns ``(H, W)``."""
    if not isinstance(x, Tensor) or x.dim() != 4 or x.shape[1] != channels:
        raise ValueError(f"{who}: expected input of shape (B, {channels}, H, W), got "
                         f"{tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__}")
    return int(x.shape[2]), int(x.shape[3])


@register_model("unet_generator")
class UNetGenerator(ImageTranslator):
    """images ``(B, in_channels, H, W)`` in [-1, 1] -> ``(B, out_channels, H, W)`` in [-1, 1] (pix2pix U-Net).

    ``H`` and ``W`` must be divisible by ``2**num_downs`` (the innermost features are ``H / 2**num_downs``).
    Encoder: ``num_downs`` 4x4 stride-2 convolutions with ``width * min(2**i, 8)`` output channels (w, 2w, 4w,
    8w, 8w, ...), LeakyReLU(0.2) before each but the first, norm after each but the first and the innermost.
    Decoder: ``num_downs`` 4x4 stride-2 transposed convolutions, each preceded by ReLU and fed the previous
    decoder output concatenated with the mirrored encoder features (the skip connections); norm after each but
    the last, tanh at the end. With ``dropout``, the ``max(0, num_downs - 5)`` decoder blocks between the
    innermost and the 4w level (8w -> 8w channels) apply Dropout(0.5), as in the reference: 3 blocks for
    "unet_256" (``num_downs=8``), 2 for "unet_128" (``num_downs=7``). Dropout is the generator's noise source
    and is only active in train mode.
    """

    def __init__(self, in_channels: int = 3, out_channels: int = 3, num_downs: int = 8, width: int = 64,
                 norm: str = "batch", dropout: bool = True):
        super().__init__()
        for name, v in (("in_channels", in_channels), ("out_channels", out_channels), ("width", width)):
            check_int(name, v)
        check_int("num_downs", num_downs, 2)
        if not isinstance(dropout, bool):
            raise ValueError(f"dropout must be a bool, got {dropout!r}")
        use_bias = _check_norm(norm)
        self.in_channels, self.out_channels, self.num_downs = in_channels, out_channels, num_downs
        ch = [width * min(2 ** i, 8) for i in range(num_downs)]  # encoder level i outputs ch[i] channels
        inner = num_downs - 1
        self.down = nn.ModuleList()
        self.up = nn.ModuleList()
        for i in range(num_downs):
            if i == 0:
                self.down.append(nn.Sequential(nn.Conv2d(in_channels, ch[0], 4, 2, 1, bias=use_bias)))
            else:
                layers: list[nn.Module] = [nn.LeakyReLU(0.2), nn.Conv2d(ch[i - 1], ch[i], 4, 2, 1, bias=use_bias)]
                if i < inner:
                    layers.append(translation_norm2d(norm, ch[i]))
                self.down.append(nn.Sequential(*layers))
            # decoder block i maps level i (the innermost alone, others concatenated with the skip) to level i-1
            cin = ch[i] if i == inner else 2 * ch[i]
            if i == 0:
                self.up.append(nn.Sequential(nn.ReLU(), nn.ConvTranspose2d(cin, out_channels, 4, 2, 1), nn.Tanh()))
            else:
                layers = [nn.ReLU(), nn.ConvTranspose2d(cin, ch[i - 1], 4, 2, 1, bias=use_bias),
                          translation_norm2d(norm, ch[i - 1])]
                if dropout and 4 <= i < inner:  # the reference's num_downs - 5 middle 8w -> 8w blocks
                    layers.append(nn.Dropout(0.5))
                self.up.append(nn.Sequential(*layers))
        dcgan_init(self)

    def forward(self, x: Tensor) -> Tensor:
        h, w = _check_channels(x, self.in_channels, "UNetGenerator")
        m = 2 ** self.num_downs
        if h % m or w % m:
            raise ValueError(f"UNetGenerator: input resolution {h}x{w} must be divisible by 2**num_downs = {m} "
                             f"(num_downs={self.num_downs})")
        skips = []
        for down in self.down:
            x = down(x)
            skips.append(x)
        x = self.up[-1](skips[-1])
        for i in reversed(range(self.num_downs - 1)):
            x = self.up[i](torch.cat([skips[i], x], 1))
        return x


def unet(name: str, **kwargs: Any) -> UNetGenerator:
    """The reference U-Nets by name: ``unet("unet_256", **kwargs)`` is ``UNetGenerator(num_downs=8, **kwargs)``,
    ``"unet_128"`` has ``num_downs=7`` (see ``UNET_DEPTHS``)."""
    if name not in UNET_DEPTHS:
        raise ValueError(f"unknown U-Net {name!r}; choose one of {sorted(UNET_DEPTHS)}")
    if "num_downs" in kwargs:
        raise ValueError(f"unet({name!r}) sets num_downs={UNET_DEPTHS[name]}; do not pass num_downs")
    return UNetGenerator(num_downs=UNET_DEPTHS[name], **kwargs)


class ResidualBlock(nn.Module):
    """``x + block(x)`` with block = reflection pad 1, 3x3 conv, norm, ReLU, reflection pad 1, 3x3 conv, norm.

    ``(B, channels, H, W) -> (B, channels, H, W)``; ``H, W >= 2`` (reflection padding).
    """

    def __init__(self, channels: int, norm: str = "instance"):
        super().__init__()
        check_int("channels", channels)
        use_bias = _check_norm(norm)
        self.block = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=use_bias), translation_norm2d(norm, channels),
            nn.ReLU(),
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=use_bias), translation_norm2d(norm, channels),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.block(x)


@register_model("resnet_translator")
class ResNetTranslator(ImageTranslator):
    """images ``(B, in_channels, H, W)`` in [-1, 1] -> ``(B, out_channels, H, W)`` in [-1, 1] (CycleGAN).

    ReflectionPad(3) + 7x7 conv to ``width`` + norm + ReLU; ``n_downsampling`` stride-2 3x3 convolutions doubling
    the channels; ``n_blocks`` :class:`ResidualBlock` s at ``width * 2**n_downsampling`` channels; as many 3x3
    stride-2 transposed convolutions back; ReflectionPad(3) + 7x7 conv to ``out_channels`` + tanh. The paper uses
    6 blocks at 128 px and 9 at 256 px. ``H`` and ``W`` must be multiples of ``2**n_downsampling`` and at least
    ``max(4, 2**(n_downsampling + 1))`` (the reflection paddings need it).
    """

    def __init__(self, in_channels: int = 3, out_channels: int = 3, width: int = 64, n_blocks: int = 9,
                 n_downsampling: int = 2, norm: str = "instance"):
        super().__init__()
        for name, v in (("in_channels", in_channels), ("out_channels", out_channels), ("width", width),
                        ("n_blocks", n_blocks)):
            check_int(name, v)
        check_int("n_downsampling", n_downsampling, 0)
        use_bias = _check_norm(norm)
        self.in_channels, self.out_channels, self.n_downsampling = in_channels, out_channels, n_downsampling
        layers: list[nn.Module] = [nn.ReflectionPad2d(3), nn.Conv2d(in_channels, width, 7, bias=use_bias),
                                   translation_norm2d(norm, width), nn.ReLU()]
        c = width
        for _ in range(n_downsampling):
            layers += [nn.Conv2d(c, 2 * c, 3, 2, 1, bias=use_bias), translation_norm2d(norm, 2 * c), nn.ReLU()]
            c *= 2
        layers += [ResidualBlock(c, norm) for _ in range(n_blocks)]
        for _ in range(n_downsampling):
            layers += [nn.ConvTranspose2d(c, c // 2, 3, 2, 1, output_padding=1, bias=use_bias),
                       translation_norm2d(norm, c // 2), nn.ReLU()]
            c //= 2
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(c, out_channels, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)
        dcgan_init(self)

    def forward(self, x: Tensor) -> Tensor:
        h, w = _check_channels(x, self.in_channels, "ResNetTranslator")
        m, least = 2 ** self.n_downsampling, max(4, 2 ** (self.n_downsampling + 1))
        if h % m or w % m or min(h, w) < least:
            raise ValueError(f"ResNetTranslator: input resolution {h}x{w} must be a multiple of 2**n_downsampling "
                             f"= {m} and at least {least} (n_downsampling={self.n_downsampling})")
        return self.model(x)


@register_model("patch_discriminator")
class PatchDiscriminator(nn.Module):
    """images ``(B, in_channels, H, W)`` -> patch logits ``(B, 1, H // 2**n_layers - 2, W // 2**n_layers - 2)``.

    The reference NLayerDiscriminator: 4x4 convolutions with padding 1; the first stride 2 without norm, then
    ``n_layers - 1`` stride-2 ones with ``width * min(2**n, 8)`` channels, then a stride-1 one with
    ``width * min(2**n_layers, 8)`` channels (each + norm + LeakyReLU(0.2)), then a stride-1 one to 1 channel.
    Each logit sees a square patch of ``receptive_field(self)`` pixels: 16, 34, 70, 142 for ``n_layers`` 1-4
    (pix2pix's 70x70 PatchGAN is ``n_layers=3``; 256 px in -> 30x30 logits). ``in_channels=6`` is a pix2pix
    conditional discriminator on ``torch.cat([input, output], 1)``; CycleGAN's are on 3-channel images.
    """

    def __init__(self, in_channels: int = 6, width: int = 64, n_layers: int = 3, norm: str = "batch"):
        super().__init__()
        for name, v in (("in_channels", in_channels), ("width", width), ("n_layers", n_layers)):
            check_int(name, v)
        use_bias = _check_norm(norm)
        self.in_channels, self.n_layers = in_channels, n_layers
        layers: list[nn.Module] = [nn.Conv2d(in_channels, width, 4, 2, 1), nn.LeakyReLU(0.2)]
        mult = 1
        for n in range(1, n_layers + 1):
            prev, mult = mult, min(2 ** n, 8)
            stride = 2 if n < n_layers else 1
            layers += [nn.Conv2d(width * prev, width * mult, 4, stride, 1, bias=use_bias),
                       translation_norm2d(norm, width * mult), nn.LeakyReLU(0.2)]
        layers.append(nn.Conv2d(width * mult, 1, 4, 1, 1))
        self.model = nn.Sequential(*layers)
        dcgan_init(self)

    def forward(self, x: Tensor) -> Tensor:
        h, w = _check_channels(x, self.in_channels, "PatchDiscriminator")
        least = 3 * 2 ** self.n_layers
        if min(h, w) < least:
            raise ValueError(f"PatchDiscriminator: input resolution {h}x{w} is too small for n_layers="
                             f"{self.n_layers}: height and width must be at least {least}")
        return self.model(x)


@register_model("pixel_discriminator")
class PixelDiscriminator(nn.Module):
    """images ``(B, in_channels, H, W)`` -> per-pixel logits ``(B, 1, H, W)`` (the 1x1 PatchGAN).

    1x1 convolutions: ``in_channels -> width``, LeakyReLU(0.2), ``-> 2 * width`` + norm + LeakyReLU(0.2),
    ``-> 1`` (biases as in the reference).
    """

    def __init__(self, in_channels: int = 6, width: int = 64, norm: str = "batch"):
        super().__init__()
        for name, v in (("in_channels", in_channels), ("width", width)):
            check_int(name, v)
        use_bias = _check_norm(norm)
        self.in_channels = in_channels
        self.model = nn.Sequential(
            nn.Conv2d(in_channels, width, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 1, bias=use_bias), translation_norm2d(norm, 2 * width), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * width, 1, 1, bias=use_bias),
        )
        dcgan_init(self)

    def forward(self, x: Tensor) -> Tensor:
        _check_channels(x, self.in_channels, "PixelDiscriminator")
        return self.model(x)


def receptive_field(net: nn.Module) -> int:
    """Side length (pixels) of the input square that one output unit of ``net`` depends on.

    Walks the ``Conv2d`` (and max/avg pooling) layers of ``net`` in registration order, which must be the order
    they are applied in a single chain (no branches or skips: a PatchGAN, not a U-Net), and accumulates
    ``r += (k - 1) * dilation * jump; jump *= stride`` from ``r = jump = 1``. Padding does not change the size.
    Raises ``ValueError`` for a layer whose kernel, stride or dilation differ between height and width.
    """
    r, jump = 1, 1
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            k, s, d = m.kernel_size, m.stride, m.dilation
        elif isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
            k, s = m.kernel_size, m.stride
            d = getattr(m, "dilation", 1)
        else:
            continue
        k, s, d = (v if isinstance(v, tuple) else (v, v) for v in (k, s, d))
        if len(set(k)) != 1 or len(set(s)) != 1 or len(set(d)) != 1:
            raise ValueError(f"receptive_field: {m} is not square (kernel {k}, stride {s}, dilation {d})")
        r += (k[0] - 1) * d[0] * jump
        jump *= s[0]
    return r


__all__ = [
    "TRANSLATION_NORMS", "UNET_DEPTHS", "PatchDiscriminator", "PixelDiscriminator", "ResNetTranslator",
    "ResidualBlock", "UNetGenerator", "receptive_field", "translation_norm2d", "unet",
]
