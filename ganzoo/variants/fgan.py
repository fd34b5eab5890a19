from __future__ import annotations

from .base import LatentGAN, Paper, register_variant


@register_variant("fgan")
class FGAN(LatentGAN):
    """f-GAN (Nowozin et al. 2016): variational divergence minimisation, ``objective: {name: fgan, divergence: ...}``
    with kl, reverse_kl, pearson, hellinger, js or gan (default js) and the generator's alternative (non-saturating)
    update unless ``saturating: true``; Adam(2e-4, betas=(0.5, 0.999)), one critic step per generator step."""

    paper = Paper(objective={"name": "fgan", "divergence": "js"}, n_critic=1, lr=2e-4, betas=(0.5, 0.999))
