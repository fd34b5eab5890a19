from __future__ import annotations

from .base import LatentGAN, Paper, register_variant


@register_variant("cgan")
class CGAN(LatentGAN):
    """Class-conditional GAN with a projection discriminator (Miyato & Koyama 2018): a generator with conditional
    batch norm, a critic ``f(x, y) = psi(phi(x)) + <embed(y), phi(x)>``, hinge loss, spectral norm in the critic,
    n_dis = 5, Adam(2e-4, betas=(0, 0.9)); the paper's CIFAR-10 ResNets by default. Both networks must be
    conditional on the data's ``num_classes``; batches are ``(images, labels)``. Sample classes with
    ``ganzoo.sample(model, n, labels=...)``."""

    paper = Paper(
        objective="hinge", constraints=("spectral_norm",), n_critic=5, lr=2e-4, betas=(0.0, 0.9), conditional=True,
        generator={"arch": "resnet_generator", "channels": 3, "resolution": 32, "num_classes": 10},
        critic={"arch": "resnet_critic", "channels": 3, "resolution": 32, "num_classes": 10},
    )
