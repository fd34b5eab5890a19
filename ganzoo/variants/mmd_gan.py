from __future__ import annotations

from ganzoo.training import LatentGAN, Paper

from .registry import register_variant


@register_variant("mmd_gan")
class MMDGAN(LatentGAN):
    """MMD GAN with a gradient penalty on the witness function (Binkowski et al. 2018, "Demystifying MMD GANs"):
    unbiased MMD^2 on 16-d critic features, the rq* kernel (rational-quadratic mixture with alphas 0.2, 0.5, 1, 2, 5
    plus a linear term), penalty weight 1, n_critic = 5, Adam(1e-4, betas=(0.5, 0.9)).

    Example:
        The paper's setup: the rq* kernel on 16 critic features (trained like any variant: see :class:`DCGAN`'s
        example):

        >>> import ganzoo
        >>> ganzoo.MMDGAN(hidden_dim=16).objective
        MMD(kernel=MixRQ(alphas=(0.2, 0.5, 1.0, 2.0, 5.0), linear=True), unbiased=True)
    """

    paper = Paper(
        objective={"name": "mmd", "kernel": "rq"}, constraints=({"name": "gradient_penalty", "weight": 1.0},),
        n_critic=5, lr=1e-4, betas=(0.5, 0.9), critic_out=16,
    )
