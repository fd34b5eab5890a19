"""Thin variants: each picks an objective, a constraint, a schedule and the paper's defaults."""

from .cgan import CGAN
from .cramer_gan import CramerGAN
from .dcgan import DCGAN
from .fgan import FGAN
from .mmd_gan import MMDGAN
from .sngan import SNGAN
from .wgan import WGAN
from .wgan_gp import WGANGP

VARIANTS = {
    "dcgan": DCGAN, "wgan": WGAN, "wgan_gp": WGANGP, "sngan": SNGAN,
    "cramer_gan": CramerGAN, "mmd_gan": MMDGAN, "fgan": FGAN, "cgan": CGAN,
}

__all__ = ["CGAN", "CramerGAN", "DCGAN", "FGAN", "MMDGAN", "SNGAN", "WGAN", "WGANGP", "VARIANTS"]
