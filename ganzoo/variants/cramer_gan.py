from __future__ import annotations

from .base import LatentGAN, Paper, register_variant


@register_variant("cramer_gan")
class CramerGAN(LatentGAN):
    """Cramer GAN (Bellemare et al. 2017, Algorithm 1): critic h with a 256-d output, surrogate critic
    f(x) = ||h(x) - h(x'_g)|| - ||h(x)||, gradient penalty lambda = 10 on f, generator loss = energy distance
    with two independent generated batches; n_critic = 5 and Adam(1e-4, betas=(0.5, 0.9)) as in the WGAN-GP
    setup the paper builds on."""

    paper = Paper(
        objective="energy", constraints=({"name": "gradient_penalty", "weight": 10.0},), n_critic=5,
        lr=1e-4, betas=(0.5, 0.9), critic_out=256,
    )
