from __future__ import annotations

from ganzoo.training import LatentGAN, Paper

from .registry import register_variant


@register_variant("fgan")
class FGAN(LatentGAN):
    """f-GAN (Nowozin et al. 2016): variational divergence minimisation, ``objective: {name: fgan, divergence: ...}``
    with kl, reverse_kl, pearson, hellinger, js or gan (default js) and the generator's alternative (non-saturating)
    update unless ``saturating: true``; Adam(2e-4, betas=(0.5, 0.999)), one critic step per generator step.

    Example:
        The default Jensen-Shannon divergence, and KL instead (trained like any variant: see :class:`DCGAN`'s
        example):

        >>> import ganzoo
        >>> ganzoo.FGAN(hidden_dim=16).objective
        FGAN(divergence='js', saturating=False)
        >>> ganzoo.FGAN(objective={"name": "fgan", "divergence": "kl"}, hidden_dim=16).objective
        FGAN(divergence='kl', saturating=False)
    """

    paper = Paper(objective={"name": "fgan", "divergence": "js"}, n_critic=1, lr=2e-4, betas=(0.5, 0.999))
