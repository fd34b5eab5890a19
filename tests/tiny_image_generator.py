"""A test-only registered image generator (the real image networks are another issue's work).

``TinyImageGenerator``: z (B, latent_dim) [+ labels (B,)] -> images (B, C, H, W) in [-1, 1] (tanh), so the
generic sampling path (output_range, num_classes, output_type="pil") is exercised without real image nets.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ganzoo.nets import Generator
from ganzoo.registry import register_model


@register_model("test_tiny_image_generator")
class TinyImageGenerator(Generator):
    def __init__(self, latent_dim: int = 3, channels: int = 1, size: int = 4, num_classes: int = 0,
                 latent_distribution: str = "normal"):
        super().__init__()
        self.latent_dim, self.num_classes = latent_dim, num_classes
        self.latent_distribution = latent_distribution
        self.output_shape = (channels, size, size)
        self.output_range = (-1.0, 1.0)
        self.fc = nn.Linear(latent_dim, channels * size * size)
        self.embed = nn.Embedding(num_classes, channels * size * size) if num_classes else None

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        h = self.fc(z)
        if self.embed is not None:
            if labels is None:
                raise ValueError("labels are required for a conditional generator")
            h = h + self.embed(labels)
        return torch.tanh(h).reshape(len(z), *self.output_shape)


@register_model("test_copier")
class CopierGenerator(Generator):
    """A deliberate copier: each latent picks one of the stored ``images`` (in [-1, 1]) and returns it unchanged;
    the latent's first coordinate, uniform on [-1, 1], picks the index uniformly. Filled with training images it is
    the generator that memorised its data; with held-out images, a generator as novel as fresh real images."""

    def __init__(self, n_images: int = 1, channels: int = 1, size: int = 32, latent_dim: int = 2):
        super().__init__()
        self.latent_dim, self.latent_distribution = latent_dim, "uniform"
        self.output_shape = (channels, size, size)
        self.output_range = (-1.0, 1.0)
        self.register_buffer("images", torch.zeros(n_images, channels, size, size))

    @classmethod
    def of(cls, images: Tensor) -> CopierGenerator:
        """A copier of ``images`` ``(N, C, H, W)`` in [-1, 1] (a datamodule's)."""
        g = cls(len(images), images.shape[1], images.shape[2])
        g.images.copy_(images)
        return g

    def forward(self, z: Tensor) -> Tensor:
        i = ((z[:, 0] + 1) / 2 * len(self.images)).long().clamp_(0, len(self.images) - 1)
        return self.images[i]
