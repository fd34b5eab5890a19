from __future__ import annotations

from ganzoo.training import LatentGAN, Paper

from .registry import register_variant


@register_variant("wgan_gp")
class WGANGP(LatentGAN):
    """WGAN-GP (Gulrajani et al. 2017, Algorithm 1): the gradient penalty with lambda = 10 at random interpolates,
    n_critic = 5, Adam(1e-4, betas=(0, 0.9)). ``{"name": "gradient_penalty", "one_sided": true}`` penalises only
    gradient norms above 1.

    Example:
        The paper's setup, and the one-sided penalty (trained like any variant: see :class:`DCGAN`'s example):

        >>> import ganzoo
        >>> ganzoo.WGANGP(hidden_dim=16).constraints
        [GradientPenalty(weight=10.0, one_sided=False, target=1.0)]
        >>> ganzoo.WGANGP(constraints=[{"name": "gradient_penalty", "one_sided": True}], hidden_dim=16).constraints
        [GradientPenalty(weight=10.0, one_sided=True, target=1.0)]
    """

    paper = Paper(
        objective="wasserstein", constraints=({"name": "gradient_penalty", "weight": 10.0},), n_critic=5,
        lr=1e-4, betas=(0.0, 0.9),
    )
