from __future__ import annotations

from ganzoo.training import LatentGAN, Paper

from .registry import register_variant


@register_variant("sngan")
class SNGAN(LatentGAN):
    """SN-GAN (Miyato et al. 2018): spectral norm in the critic, hinge loss, Adam(2e-4, betas=(0, 0.9)),
    n_critic (n_dis) = 5.

    Example:
        The paper's setup (trained like any variant: see :class:`DCGAN`'s example):

        >>> import ganzoo
        >>> model = ganzoo.SNGAN(hidden_dim=16)
        >>> model.objective, model.constraints, model.schedule.n_critic, model.hparams.betas
        (Hinge(), [SpectralNorm(n_power_iterations=1)], 5, (0.0, 0.9))
    """

    paper = Paper(objective="hinge", constraints=("spectral_norm",), n_critic=5, lr=2e-4, betas=(0.0, 0.9))
