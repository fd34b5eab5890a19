from __future__ import annotations

from .base import LatentGAN, Paper, register_variant


@register_variant("dcgan")
class DCGAN(LatentGAN):
    """DCGAN (Radford et al. 2016): the non-saturating logistic loss, Adam(2e-4, betas=(0.5, 0.999)), one critic step
    per generator step."""

    paper = Paper(objective="nonsaturating", n_critic=1, optimizer="adam", lr=2e-4, betas=(0.5, 0.999))
