"""Generators and critics. Widths, depths and sizes are constructor arguments."""

from .base import Generator, ImageTranslator, require_generator
from .dcgan import DCGANCritic, DCGANGenerator
from .layers import ConditionalBatchNorm2d, ProjectionHead
from .mlp import MLPCritic, MLPGenerator
from .r3gan import R3GANCritic, R3GANGenerator
from .resnet import ResNetCritic, ResNetGenerator
from .translation import (
    UNET_DEPTHS,
    PatchDiscriminator,
    PixelDiscriminator,
    ResNetTranslator,
    UNetGenerator,
    receptive_field,
    unet,
)

__all__ = [
    "Generator", "ImageTranslator", "require_generator",
    "ConditionalBatchNorm2d", "DCGANCritic", "DCGANGenerator", "MLPCritic", "MLPGenerator", "ProjectionHead",
    "R3GANCritic", "R3GANGenerator",
    "ResNetCritic", "ResNetGenerator", "UNET_DEPTHS", "PatchDiscriminator", "PixelDiscriminator", "ResNetTranslator",
    "UNetGenerator", "receptive_field", "unet",
]
