from __future__ import annotations

from ganzoo.training import LatentGAN, Paper

from .registry import register_variant


@register_variant("wgan")
class WGAN(LatentGAN):
    """WGAN (Arjovsky et al. 2017, Algorithm 1): clip c = 0.01, RMSProp(5e-5), n_critic = 5, and the reference
    code's warm-up (100 critic steps for the first 25 generator iterations and every 500th).

    Example:
        The paper's setup and its critic schedule: 100 critic steps for the first 25 generator iterations and every
        500th, else 5 (trained like any variant: see :class:`DCGAN`'s example):

        >>> import ganzoo
        >>> model = ganzoo.WGAN(hidden_dim=16)
        >>> model.objective, model.constraints, model.hparams.optimizer, model.hparams.lr
        (Wasserstein(), [WeightClipping(clip=0.01)], 'rmsprop', 5e-05)
        >>> [model.schedule.critic_steps(i) for i in (0, 24, 25, 499, 500)]
        [100, 100, 5, 5, 100]
    """

    paper = Paper(
        objective="wasserstein", constraints=({"name": "weight_clipping", "clip": 0.01},), n_critic=5,
        schedule={"warmup": "wgan"}, optimizer="rmsprop", lr=5e-5, betas=None,
    )
