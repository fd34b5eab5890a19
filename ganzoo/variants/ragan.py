from __future__ import annotations

from ganzoo.training import LatentGAN, Paper

from .registry import register_variant


@register_variant("ragan")
class RaGAN(LatentGAN):
    """RaSGAN (Jolicoeur-Martineau 2018): the relativistic average discriminator with the standard (logistic) loss,
    whose generator loss also uses the real batch; DCGAN networks, Adam(2e-4, betas=(0.5, 0.999)), n_D = 1 as in the
    paper's DCGAN-setup experiments.

    Example:
        The paper's setup: the generator's loss needs the real batch too (trained like any variant: see
        :class:`DCGAN`'s example):

        >>> import ganzoo
        >>> ganzoo.RaGAN(hidden_dim=16).objective.needs_real_for_generator
        True
    """

    paper = Paper(objective="relativistic_average", n_critic=1, optimizer="adam", lr=2e-4, betas=(0.5, 0.999))
