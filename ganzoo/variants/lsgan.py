from __future__ import annotations

from ganzoo.training import LatentGAN, Paper

from .registry import register_variant


@register_variant("lsgan")
class LSGAN(LatentGAN):
    """LSGAN (Mao et al. 2017): DCGAN's networks and Adam(2e-4, betas=(0.5, 0.999)) with the least-squares loss,
    the 0-1-1 coding of the paper's eq. 9 (a = 0 for fake, b = 1 for real, the generator's target c = 1).

    Example:
        The paper's setup (trained like any variant: see :class:`DCGAN`'s example):

        >>> import ganzoo
        >>> ganzoo.LSGAN(hidden_dim=16).objective
        LeastSquares()
    """

    paper = Paper(objective="least_squares", n_critic=1, optimizer="adam", lr=2e-4, betas=(0.5, 0.999))
