"""The SN-GAN ResNet generator and critic for 32x32 images (Miyato et al. 2018, appendix B; the same blocks as
Gulrajani et al.'s CIFAR-10 ResNet and Miyato & Koyama's projection discriminator).

Generator: linear z -> 4x4 maps, up-blocks (BN, ReLU, nearest x2, conv3x3, BN, ReLU, conv3x3; shortcut: x2 and
conv1x1), then BN, ReLU, conv3x3, tanh; conditional batch norm when ``num_classes > 0``. Critic (no batch norm):
an optimized first block, one down-block, plain blocks down to 8x8, ReLU, global sum pooling, a linear (projection)
head. Spectral norm comes from the ``SpectralNorm`` constraint or ``spectral_norm=True``. Weights: Xavier uniform,
gain sqrt(2) in the residual branches and 1 in shortcuts and heads, as in the chainer reference code.
"""

from __future__ import annotations

import math

import torch.nn.functional as F
from torch import Tensor, nn

from ganzoo.checks import check_int
from ganzoo.registry import register_model

from .base import Generator
from .layers import (
    ProjectionHead,
    apply_norm,
    batch_norm2d,
    check_image,
    check_labels,
    check_latent,
    check_num_classes,
    check_resolution,
)


def _conv(cin: int, cout: int, k: int, gain: float) -> nn.Conv2d:
    conv = nn.Conv2d(cin, cout, k, 1, k // 2)
    nn.init.xavier_uniform_(conv.weight, gain)
    nn.init.zeros_(conv.bias)
    return conv


class GenBlock(nn.Module):
    """Up-sampling residual block; ``forward(x, labels)`` doubles H and W."""

    def __init__(self, cin: int, cout: int, num_classes: int):
        super().__init__()
        self.b1, self.b2 = batch_norm2d(cin, num_classes), batch_norm2d(cout, num_classes)
        self.c1, self.c2 = _conv(cin, cout, 3, math.sqrt(2)), _conv(cout, cout, 3, math.sqrt(2))
        self.sc = _conv(cin, cout, 1, 1.0)

    def forward(self, x: Tensor, labels: Tensor | None) -> Tensor:
        h = F.interpolate(apply_norm(self.b1, x, labels).relu(), scale_factor=2)
        h = self.c2(apply_norm(self.b2, self.c1(h), labels).relu())
        return h + self.sc(F.interpolate(x, scale_factor=2))


class DisBlock(nn.Module):
    """Critic residual block (pre-activation ReLU); halves H and W when ``down``; ``optimized`` is the first block
    (no ReLU before the first conv, shortcut pools before its 1x1 conv)."""

    def __init__(self, cin: int, cout: int, down: bool, optimized: bool = False):
        super().__init__()
        self.down, self.optimized = down, optimized
        self.c1, self.c2 = _conv(cin, cout, 3, math.sqrt(2)), _conv(cout, cout, 3, math.sqrt(2))
        self.sc = _conv(cin, cout, 1, 1.0) if (cin != cout or down) else None

    def forward(self, x: Tensor) -> Tensor:
        h = x if self.optimized else x.relu()
        h = self.c2(self.c1(h).relu())
        if self.down:
            h = F.avg_pool2d(h, 2)
        s = x
        if self.sc is not None:
            if self.optimized:
                s = self.sc(F.avg_pool2d(s, 2))
            else:
                s = self.sc(s)
                s = F.avg_pool2d(s, 2) if self.down else s
        return h + s


@register_model("resnet_generator")
class ResNetGenerator(Generator):
    """z ``(B, latent_dim)`` [+ labels ``(B,)``] -> images ``(B, channels, resolution, resolution)`` in [-1, 1]
    through log2(resolution) - 2 up-blocks of ``width`` channels (SN-GAN CIFAR-10: width 256, latent 128)."""

    def __init__(self, latent_dim: int = 128, channels: int = 3, resolution: int = 32, width: int = 256,
                 num_classes: int = 0):
        super().__init__()
        for name, v in (("latent_dim", latent_dim), ("channels", channels), ("width", width)):
            check_int(name, v)
        check_num_classes(num_classes)
        k = check_resolution(resolution) - 2
        self.latent_dim, self.latent_distribution, self.num_classes = latent_dim, "normal", num_classes
        self.output_shape = (channels, resolution, resolution)
        self.output_range = (-1.0, 1.0)
        self.width = width
        self.fc = nn.Linear(latent_dim, 16 * width)
        nn.init.xavier_uniform_(self.fc.weight)
        nn.init.zeros_(self.fc.bias)
        self.blocks = nn.ModuleList([GenBlock(width, width, num_classes) for _ in range(k)])
        self.bn = nn.BatchNorm2d(width)
        self.out = _conv(width, channels, 3, 1.0)

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        check_latent(z, self.latent_dim, "ResNetGenerator")
        check_labels(labels, self.num_classes, z.shape[0], "ResNetGenerator")
        h = self.fc(z).view(-1, self.width, 4, 4)
        for block in self.blocks:
            h = block(h, labels)
        return self.out(self.bn(h).relu()).tanh()


@register_model("resnet_critic")
class ResNetCritic(nn.Module):
    """images ``(B, channels, resolution, resolution)`` [+ labels] -> ``(B, out_dim)``: an optimized block and
    down-blocks to 8x8, then two plain blocks, ReLU, sum pooling and a (projection) head (SN-GAN: width 128)."""

    def __init__(self, channels: int = 3, resolution: int = 32, width: int = 128, num_classes: int = 0,
                 out_dim: int = 1, spectral_norm: bool = False):
        super().__init__()
        for name, v in (("channels", channels), ("width", width), ("out_dim", out_dim)):
            check_int(name, v)
        check_num_classes(num_classes)
        k = check_resolution(resolution) - 3  # down-samplings to reach 8x8
        self.input_shape = (channels, resolution, resolution)
        self.num_classes = num_classes
        blocks = [DisBlock(channels, width, down=True, optimized=True)]
        blocks += [DisBlock(width, width, down=True) for _ in range(k - 1)]
        blocks += [DisBlock(width, width, down=False) for _ in range(2)]
        self.blocks = nn.Sequential(*blocks)
        self.head = ProjectionHead(width, out_dim, num_classes)
        nn.init.xavier_uniform_(self.head.linear.weight)
        nn.init.zeros_(self.head.linear.bias)
        if self.head.embed is not None:
            nn.init.xavier_uniform_(self.head.embed.weight)
        if spectral_norm:
            from ganzoo.constraints import apply_spectral_norm

            apply_spectral_norm(self)

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        check_image(x, self.input_shape, "ResNetCritic")
        check_labels(labels, self.num_classes, x.shape[0], "ResNetCritic")
        phi = self.blocks(x).relu().sum(dim=(2, 3))
        return self.head(phi, labels)
