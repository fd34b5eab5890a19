from __future__ import annotations

from .base import LatentGAN, Paper, register_variant


@register_variant("sngan")
class SNGAN(LatentGAN):
    """SN-GAN (Miyato et al. 2018): spectral norm in the critic, hinge loss, Adam(2e-4, betas=(0, 0.9)),
    n_critic (n_dis) = 5."""

    paper = Paper(objective="hinge", constraints=("spectral_norm",), n_critic=5, lr=2e-4, betas=(0.0, 0.9))
