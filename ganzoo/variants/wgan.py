from __future__ import annotations

from .base import LatentGAN, Paper, register_variant


@register_variant("wgan")
class WGAN(LatentGAN):
    """WGAN (Arjovsky et al. 2017, Algorithm 1): clip c = 0.01, RMSProp(5e-5), n_critic = 5, and the reference
    code's warm-up (100 critic steps for the first 25 generator iterations and every 500th)."""

    paper = Paper(
        objective="wasserstein", constraints=({"name": "weight_clipping", "clip": 0.01},), n_critic=5,
        schedule={"warmup": "wgan"}, optimizer="rmsprop", lr=5e-5, betas=None,
    )
