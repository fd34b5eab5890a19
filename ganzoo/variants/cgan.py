from __future__ import annotations

from ganzoo.training import LatentGAN, Paper

from .registry import register_variant


@register_variant("cgan")
class CGAN(LatentGAN):
    """Class-conditional GAN with a projection discriminator (Miyato & Koyama 2018): a generator with conditional
    batch norm, a critic ``f(x, y) = psi(phi(x)) + <embed(y), phi(x)>``, hinge loss, spectral norm in the critic,
    n_dis = 5, Adam(2e-4, betas=(0, 0.9)); the paper's CIFAR-10 ResNets by default. Both networks must be
    conditional on the data's ``num_classes``; batches are ``(images, labels)``. Sample classes with
    ``ganzoo.sample(model, n, labels=...)``.

    Example:
        Tiny conditional DCGAN networks for 16x16 images of 3 classes (``recipes/cgan/fashion_mnist.yaml`` trains the
        paper's networks on Fashion-MNIST), and samples of one class:

        >>> import ganzoo
        >>> model = ganzoo.CGAN(
        ...     generator={"arch": "dcgan_generator", "latent_dim": 8, "resolution": 16, "width": 4, "num_classes": 3},
        ...     critic={"arch": "dcgan_critic", "resolution": 16, "width": 4, "norm": "none", "num_classes": 3})
        >>> model.objective, model.constraints, model.schedule.n_critic
        (Hinge(), [SpectralNorm(n_power_iterations=1)], 5)
        >>> ganzoo.sample(model.export_model, 4, seed=0, labels=2).shape  # 4 samples of class 2
        torch.Size([4, 1, 16, 16])
    """

    paper = Paper(
        objective="hinge", constraints=("spectral_norm",), n_critic=5, lr=2e-4, betas=(0.0, 0.9), conditional=True,
        generator={"arch": "resnet_generator", "channels": 3, "resolution": 32, "num_classes": 10},
        critic={"arch": "resnet_critic", "channels": 3, "resolution": 32, "num_classes": 10},
    )
