"""The R3GAN generator and critic (Huang et al. 2024, "The GAN is dead; long live the GAN!", sec. 3, the official
code ``brownvc/R3GAN``, ``R3GAN/Networks.py``): a simplified, normalisation-free ResNeXt for both networks.

- **Stages**: one per resolution from 4x4 to the image's, ``widths[i]`` channels each, listed from 4x4 up for both
  networks (the critic runs them in reverse, as the paper's presets do). The generator starts from a learned 4x4
  basis modulated per channel by a linear map of z and ends with a 1x1 convolution to the image channels (linear:
  no tanh, as the official code; samples are clamped to [-1, 1] when they are read). The critic starts with a 1x1
  convolution and ends with a depthwise 4x4 convolution and a linear layer.
- **Blocks**: ``blocks`` residual blocks per stage, each an inverted bottleneck 1x1 (C -> ``expansion`` C), grouped
  3x3 (``group_width`` channels per group), 1x1 (back to C), with a bias and leaky ReLU(0.2) after the first two
  and no normalisation anywhere.
- **Fix-up initialisation**: every weight is He-initialised (N(0, gain^2 / fan_in)), every bias zero; in each
  residual branch the first two layers' gain is further scaled by L^(-1/4) (L = the number of residual blocks of the
  network, ``L^(-1/(2m-2))`` for m = 3 layers per branch) and the last layer is zero, so every block is the identity
  at initialisation.
- **Resampling**: the [1, 2, 1] low-pass filter (its 4-tap interpolating form [1, 3, 3, 1] / 8 per axis) applied
  with stride 2 (down) or as a stride-2 transposed filter (up, gain 4), with 1x1 convolutions where the width
  changes (before upsampling, after downsampling); computed from shifted slices (:class:`Resample`).

The paper's CIFAR-10 networks are widths 768 at every stage, 2 blocks per stage, 96 groups (group width 16),
expansion 2, latent 64 (about 21 M parameters each); the defaults here are a CPU size for 32x32 images
(widths 128, 64, 32, 16, one block a stage: 0.18 M parameters, a training iteration about 2.7x a DCGAN recipe's on
a CPU, see ``recipes/r3gan/fashion_mnist.yaml``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganzoo.checks import check_int
from ganzoo.registry import register_model

from .base import Generator
from .layers import check_image, check_latent, check_resolution

LRELU_GAIN = math.sqrt(2 / (1 + 0.2**2))  # He gain of leaky ReLU(0.2)
LOWPASS = (1.0, 2.0, 1.0)  # the paper's resampling filter


def he_init(layer: nn.Module, gain: float = 1.0) -> nn.Module:
    """Weights N(0, gain^2 / fan_in), bias zero (the official code's ``MSRInitializer``)."""
    fan_in = layer.weight[0].numel()
    nn.init.normal_(layer.weight, 0.0, gain / math.sqrt(fan_in))
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)
    return layer


def conv(cin: int, cout: int, k: int = 1, groups: int = 1, gain: float = 1.0, bias: bool = False) -> nn.Conv2d:
    return he_init(nn.Conv2d(cin, cout, k, 1, (k - 1) // 2, groups=groups, bias=bias), gain)


def lowpass_kernel(taps: Sequence[float] = LOWPASS) -> Tensor:
    """The 2-D interpolating kernel of a 1-D filter: ``taps`` convolved with [1, 1], outer product, sum 1 (4x4)."""
    k = torch.tensor(list(taps), dtype=torch.float64)
    k = torch.nn.functional.conv1d(k.view(1, 1, -1), torch.ones(1, 1, 2, dtype=torch.float64), padding=1).view(-1)
    k2 = torch.outer(k, k)
    return (k2 / k2.sum()).float()


def _shifted(x: Tensor, dim: int, by: int) -> Tensor:
    """``x`` shifted by ``by`` = +1 (``out[i] = x[i - 1]``) or -1 (``out[i] = x[i + 1]``) along ``dim``, zero-filled."""
    pad = [0, 0] * (x.dim() - 1 - dim) + ([1, 0] if by > 0 else [0, 1])
    return F.pad(x, pad).narrow(dim, 0 if by > 0 else 1, x.shape[dim])


def _down1(x: Tensor, dim: int) -> Tensor:
    """[1, 3, 3, 1] / 8, stride 2, along ``dim``, zero-padded: y[i] = (x[2i-1] + 3 x[2i] + 3 x[2i+1] + x[2i+2]) / 8."""
    pairs = x.unflatten(dim, (x.shape[dim] // 2, 2))
    even, odd = pairs.select(dim + 1, 0), pairs.select(dim + 1, 1)  # x[2i], x[2i + 1]
    return (3 * (even + odd) + _shifted(odd, dim, 1) + _shifted(even, dim, -1)) / 8


def _up1(x: Tensor, dim: int) -> Tensor:
    """Zeros inserted, [1, 3, 3, 1] / 4 on ``dim``: y[2j] = (x[j-1] + 3 x[j]) / 4, y[2j+1] = (3 x[j] + x[j+1]) / 4."""
    even, odd = (3 * x + _shifted(x, dim, 1)) / 4, (3 * x + _shifted(x, dim, -1)) / 4
    return torch.stack((even, odd), dim + 1).flatten(dim, dim + 1)


class Resample(nn.Module):
    """Doubles (``up``) or halves H and W with the [1, 2, 1] low-pass filter, channel by channel: the official code's
    ``upfirdn2d.upsample2d`` / ``downsample2d`` with the 4-tap kernel [1, 3, 3, 1] / 8 per axis (:func:`lowpass_kernel`;
    up: zero insertion and the kernel with gain 4; down: the kernel at stride 2, zero padding 1).

    Computed axis by axis from shifted slices: the same linear maps as the depthwise convolutions
    (``tests/test_image_nets.py`` checks it), but their double backward (the R1 and R2 penalties differentiate the
    critic's input gradient) is about 2x cheaper on a CPU, where PyTorch's depthwise-convolution backward is slow.
    Channels-last inputs give channels-last outputs.
    """

    def __init__(self, up: bool):
        super().__init__()
        self.up = up

    def forward(self, x: Tensor) -> Tensor:
        f = _up1 if self.up else _down1
        if x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous():
            h = x.permute(0, 2, 3, 1)  # NHWC, contiguous: the slices and the stack keep it so
            return f(f(h, 2), 1).permute(0, 3, 1, 2)
        return f(f(x, 3), 2)


class ResidualBlock(nn.Module):
    """x + 1x1 -> act -> grouped 3x3 -> act -> 1x1 (zero at initialisation): the identity until it trains.

    act is a per-channel bias (zero at initialisation) and leaky ReLU(0.2); the bias is the preceding convolution's
    (the official code adds it in the activation: the same function, one memory pass fewer on a CPU).
    """

    def __init__(self, channels: int, expansion: int, group_width: int, n_blocks: int):
        super().__init__()
        wide = channels * expansion
        gain = LRELU_GAIN * n_blocks ** (-1 / 4)  # L^(-1/(2m - 2)) with m = 3 layers in the branch
        self.conv1 = conv(channels, wide, 1, gain=gain, bias=True)
        self.conv2 = conv(wide, wide, 3, groups=wide // group_width, gain=gain, bias=True)
        self.conv3 = conv(wide, channels, 1, gain=0.0)

    def branch(self, x: Tensor) -> Tensor:
        h = F.leaky_relu(self.conv1(x), 0.2)
        return self.conv3(F.leaky_relu(self.conv2(h), 0.2))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.branch(x)


def _like_weights(h: Tensor, net: nn.Module) -> Tensor:
    """``h`` in channels-last memory format when ``net``'s 3x3 convolutions are stored so (``channels_last: true``).

    The first activations of both networks are ambiguous otherwise (a 1-channel image and the 4x4 basis are
    contiguous in both formats), and a convolution given one in NCHW keeps the whole network in NCHW, which makes
    the grouped convolutions about 4x slower on a CPU.
    """
    w = next(m.weight for m in net.modules() if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3))
    if not w.is_contiguous() and w.is_contiguous(memory_format=torch.channels_last):
        return h.contiguous(memory_format=torch.channels_last)
    return h


def _stages(widths: Sequence[int], blocks: int | Sequence[int], resolution: int, expansion: int,
            group_width: int) -> list[tuple[int, int]]:
    """(width, residual blocks) per stage, from 4x4 up, checked."""
    n_stages = check_resolution(resolution, minimum=8) - 1  # 4x4, 8x8, ..., resolution
    for name, v in (("expansion", expansion), ("group_width", group_width)):
        check_int(name, v)
    if not isinstance(widths, (list, tuple)) or len(widths) != n_stages:
        raise ValueError(f"widths must list {n_stages} stage widths (4x4 to {resolution}x{resolution}), "
                         f"got {widths!r}")
    for w in widths:
        check_int("widths", w)
    if isinstance(blocks, (list, tuple)):
        if len(blocks) != n_stages:
            raise ValueError(f"blocks must be one number or {n_stages} (one per stage, 4x4 up), got {blocks!r}")
        for b in blocks:
            check_int("blocks", b, 0)
    else:
        check_int("blocks", blocks)
        blocks = [blocks] * n_stages
    if not sum(blocks):
        raise ValueError(f"blocks must give the network at least one residual block, got {blocks!r}")
    for w in widths:
        if w * expansion % group_width:
            raise ValueError(f"group_width={group_width} must divide expansion x width = {expansion} x {w}")
    return list(zip(widths, blocks, strict=True))


@register_model("r3gan_generator")
class R3GANGenerator(Generator):
    """z ``(B, latent_dim)`` -> images ``(B, channels, resolution, resolution)``, linear output (no tanh).

    ``widths`` lists each stage's channels from 4x4 to ``resolution`` (one per resolution), ``blocks`` the residual
    blocks of every stage (or one number per stage), ``expansion`` the inverted bottleneck's factor, ``group_width``
    channels per group of its 3x3 convolution.
    """

    def __init__(self, latent_dim: int = 64, channels: int = 1, resolution: int = 32,
                 widths: Sequence[int] = (128, 64, 32, 16), blocks: int | Sequence[int] = 1, expansion: int = 2,
                 group_width: int = 16):
        super().__init__()
        for name, v in (("latent_dim", latent_dim), ("channels", channels)):
            check_int(name, v)
        stages = _stages(widths, blocks, resolution, expansion, group_width)
        self.latent_dim, self.latent_distribution = latent_dim, "normal"
        self.output_shape = (channels, resolution, resolution)
        self.output_range = (-1.0, 1.0)
        n_blocks = sum(b for _, b in stages)
        self.basis = nn.Parameter(torch.randn(stages[0][0], 4, 4))  # the generative basis, modulated by z
        self.linear = he_init(nn.Linear(latent_dim, stages[0][0], bias=False))
        layers: list[nn.Module] = []
        for i, (w, b) in enumerate(stages):
            if i:
                if stages[i - 1][0] != w:
                    layers.append(conv(stages[i - 1][0], w))
                layers.append(Resample(up=True))
            layers += [ResidualBlock(w, expansion, group_width, n_blocks) for _ in range(b)]
        self.body = nn.Sequential(*layers)
        self.out = conv(stages[-1][0], channels)

    def forward(self, z: Tensor) -> Tensor:
        check_latent(z, self.latent_dim, "R3GANGenerator")
        h = self.basis.unsqueeze(0) * self.linear(z)[:, :, None, None]
        return self.out(self.body(_like_weights(h, self)))


@register_model("r3gan_critic")
class R3GANCritic(nn.Module):
    """images ``(B, channels, resolution, resolution)`` -> ``(B, out_dim)``: the generator's stages in reverse.

    ``widths`` and ``blocks`` are listed from 4x4 up, as the generator's (the same lists build the matching pair).
    """

    def __init__(self, channels: int = 1, resolution: int = 32, widths: Sequence[int] = (128, 64, 32, 16),
                 blocks: int | Sequence[int] = 1, expansion: int = 2, group_width: int = 16, out_dim: int = 1):
        super().__init__()
        for name, v in (("channels", channels), ("out_dim", out_dim)):
            check_int(name, v)
        stages = _stages(widths, blocks, resolution, expansion, group_width)[::-1]  # from the image down to 4x4
        self.input_shape = (channels, resolution, resolution)
        self.num_classes = 0
        n_blocks = sum(b for _, b in stages)
        self.stem = conv(channels, stages[0][0])
        layers: list[nn.Module] = []
        for i, (w, b) in enumerate(stages):
            layers += [ResidualBlock(w, expansion, group_width, n_blocks) for _ in range(b)]
            if i + 1 < len(stages):
                layers.append(Resample(up=False))
                if stages[i + 1][0] != w:
                    layers.append(conv(w, stages[i + 1][0]))
        self.body = nn.Sequential(*layers)
        w = stages[-1][0]
        self.basis = he_init(nn.Conv2d(w, w, 4, groups=w, bias=False))  # depthwise 4x4 -> 1x1 (see forward)
        self.linear = he_init(nn.Linear(w, out_dim, bias=False))

    def forward(self, x: Tensor) -> Tensor:
        check_image(x, self.input_shape, "R3GANCritic")
        h = self.body(_like_weights(self.stem(x), self))
        # the depthwise 4x4 convolution of a 4x4 map, as a weighted sum (PyTorch differentiates a depthwise
        # convolution's input gradient channel by channel: a 256-channel critic pays 256 small convolutions)
        phi = (h * self.basis.weight.view(1, *h.shape[1:]).to(h.dtype)).sum(dim=(2, 3))
        return self.linear(phi)
