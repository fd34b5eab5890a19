from __future__ import annotations

from ganzoo.training import LatentGAN, Paper

from .registry import register_variant


@register_variant("cramer_gan")
class CramerGAN(LatentGAN):
    """Cramer GAN (Bellemare et al. 2017, Algorithm 1): critic h with a 256-d output, surrogate critic
    f(x) = ||h(x) - h(x'_g)|| - ||h(x)||, gradient penalty lambda = 10 on f, generator loss = energy distance
    with two independent generated batches; n_critic = 5 and Adam(1e-4, betas=(0.5, 0.9)) as in the WGAN-GP
    setup the paper builds on.

    Example:
        The paper's setup; the critic h outputs 256 features (trained like any variant: see :class:`DCGAN`'s
        example):

        >>> import ganzoo
        >>> model = ganzoo.CramerGAN(hidden_dim=16)
        >>> model.objective, model.schedule.n_critic
        (Energy(pairs='matched'), 5)
        >>> model.critic(model.generator(model.generator.sample_latent(3))).shape
        torch.Size([3, 256])
    """

    paper = Paper(
        objective="energy", constraints=({"name": "gradient_penalty", "weight": 10.0},), n_critic=5,
        lr=1e-4, betas=(0.5, 0.9), critic_out=256,
    )
