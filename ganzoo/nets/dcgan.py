"""DCGAN generator and critic (Radford et al. 2016) for square images of any power-of-two size >= 16.

Paper choices: fractionally-strided 4x4 convolutions, batch norm in the generator (conditional batch norm when
``num_classes > 0``), ReLU in the generator and LeakyReLU(0.2) in the critic, tanh output, weights N(0, 0.02) and
norm scales N(1, 0.02). The critic's normalisation is an argument: ``"batch"`` (DCGAN), ``"layer"`` (the WGAN-GP
critic: a per-sample penalty is invalid with batch norm), ``"instance"`` or ``"none"`` (SN-GAN's standard CNN).
"""

from __future__ import annotations

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
    norm2d,
)


def dcgan_init(module: nn.Module) -> None:
    """N(0, 0.02) for conv/linear/embedding weights, N(1, 0.02) for norm scales, zero biases (Radford et al.)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm, nn.InstanceNorm2d)) and m.weight is not None:
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
        elif isinstance(m, ProjectionHead) and m.embed is not None:
            nn.init.normal_(m.embed.weight, 0.0, 0.02)


@register_model("dcgan_generator")
class DCGANGenerator(Generator):
    """z ``(B, latent_dim)`` [+ labels ``(B,)``] -> images ``(B, channels, resolution, resolution)`` in [-1, 1].

    ``z`` is projected to ``width * 2^(k-1)`` maps of 4x4 (k = log2(resolution) - 2 upsamplings), then each
    stride-2 transposed convolution doubles the size and halves the channels, down to ``width`` before the
    last layer.
    """

    def __init__(self, latent_dim: int = 100, channels: int = 1, resolution: int = 32, width: int = 64,
                 num_classes: int = 0):
        super().__init__()
        for name, v in (("latent_dim", latent_dim), ("channels", channels), ("width", width)):
            check_int(name, v)
        check_num_classes(num_classes)
        k = check_resolution(resolution) - 2  # number of stride-2 upsamplings after the 4x4 start
        self.latent_dim, self.latent_distribution, self.num_classes = latent_dim, "normal", num_classes
        self.output_shape = (channels, resolution, resolution)
        self.output_range = (-1.0, 1.0)
        ch = [width * 2 ** i for i in reversed(range(k))]  # e.g. 32 px, width 64: [256, 128, 64]
        self.convs = nn.ModuleList([nn.ConvTranspose2d(latent_dim, ch[0], 4, 1, 0, bias=False)])
        self.norms = nn.ModuleList([batch_norm2d(ch[0], num_classes)])
        for cin, cout in zip(ch[:-1], ch[1:]):
            self.convs.append(nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False))
            self.norms.append(batch_norm2d(cout, num_classes))
        self.out = nn.ConvTranspose2d(ch[-1], channels, 4, 2, 1)
        dcgan_init(self)

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        check_latent(z, self.latent_dim, "DCGANGenerator")
        check_labels(labels, self.num_classes, z.shape[0], "DCGANGenerator")
        h = z[:, :, None, None]
        for conv, norm in zip(self.convs, self.norms):
            h = apply_norm(norm, conv(h), labels).relu()
        return self.out(h).tanh()


@register_model("dcgan_critic")
class DCGANCritic(nn.Module):
    """images ``(B, channels, resolution, resolution)`` [+ labels] -> ``(B, out_dim)``.

    Stride-2 4x4 convolutions double the channels from ``width`` while halving the size down to 4x4 (no norm
    after the first), then a linear head on the flattened 4x4 maps; with ``num_classes > 0`` the head is a
    projection discriminator (``out_dim`` must be 1).
    """

    def __init__(self, channels: int = 1, resolution: int = 32, width: int = 64, norm: str = "batch",
                 out_dim: int = 1, num_classes: int = 0):
        super().__init__()
        for name, v in (("channels", channels), ("width", width), ("out_dim", out_dim)):
            check_int(name, v)
        check_num_classes(num_classes)
        k = check_resolution(resolution) - 2
        norm2d(norm, 1)  # validates the name
        self.input_shape = (channels, resolution, resolution)
        self.num_classes, self.norm = num_classes, norm
        layers: list[nn.Module] = [nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.2)]
        c = width
        for _ in range(k - 1):
            layers += [nn.Conv2d(c, 2 * c, 4, 2, 1, bias=norm == "none"), norm2d(norm, 2 * c), nn.LeakyReLU(0.2)]
            c *= 2
        self.features = nn.Sequential(*layers, nn.Flatten())
        self.head = ProjectionHead(c * 16, out_dim, num_classes)
        dcgan_init(self)

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        check_image(x, self.input_shape, "DCGANCritic")
        check_labels(labels, self.num_classes, x.shape[0], "DCGANCritic")
        return self.head(self.features(x), labels)
