"""Thin variants: each picks an objective, a constraint, a schedule and the paper's defaults."""

from .cgan import CGAN
from .cramer_gan import CramerGAN
from .cyclegan import CycleGAN
from .dcgan import DCGAN
from .fgan import FGAN
from .lsgan import LSGAN
from .mmd_gan import MMDGAN
from .pix2pix import Pix2Pix
from .ragan import RaGAN
from .sngan import SNGAN
from .wgan import WGAN
from .wgan_gp import WGANGP

VARIANTS = {
    "dcgan": DCGAN, "wgan": WGAN, "wgan_gp": WGANGP, "sngan": SNGAN,
    "cramer_gan": CramerGAN, "mmd_gan": MMDGAN, "fgan": FGAN, "cgan": CGAN, "lsgan": LSGAN, "ragan": RaGAN,
}
TRANSLATION_VARIANTS = {"pix2pix": Pix2Pix, "cyclegan": CycleGAN}  # image-to-image: batches (a, b)

__all__ = [
    "CGAN", "CramerGAN", "CycleGAN", "DCGAN", "FGAN", "LSGAN", "MMDGAN", "RaGAN", "Pix2Pix", "SNGAN", "WGAN",
    "WGANGP", "VARIANTS",
    "TRANSLATION_VARIANTS",
]
