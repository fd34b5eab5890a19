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
        Tiny conditional DCGAN networks on 16x16 images of 3 classes, one generator iteration (five critic steps) on
        random ``(images in [-1, 1], labels)`` batches standing in for a dataset (``FashionMNISTDataModule`` in
        ``recipes/cgan/fashion_mnist.yaml``):

        >>> import lightning as L
        >>> import torch
        >>> from torch.utils.data import DataLoader, TensorDataset
        >>> import ganzoo
        >>> model = ganzoo.CGAN(
        ...     generator={"arch": "dcgan_generator", "latent_dim": 8, "resolution": 16, "width": 4, "num_classes": 3},
        ...     critic={"arch": "dcgan_critic", "resolution": 16, "width": 4, "norm": "none", "num_classes": 3},
        ...     max_gen_iters=1)
        >>> model.objective, model.constraints, model.schedule.n_critic
        (Hinge(), [SpectralNorm(n_power_iterations=1)], 5)
        >>> data = TensorDataset(torch.rand(10, 1, 16, 16) * 2 - 1, torch.arange(10) % 3)
        >>> trainer = L.Trainer(max_epochs=-1, default_root_dir="runs/cgan", logger=False, enable_checkpointing=False,
        ...                     enable_progress_bar=False, enable_model_summary=False)
        >>> trainer.fit(model, DataLoader(data, batch_size=2))
        >>> model.gen_iters, model.critic_iters
        (1, 5)
        >>> ganzoo.sample(model.export_model, 4, seed=0, labels=2).shape  # 4 samples of class 2
        torch.Size([4, 1, 16, 16])
    """

    paper = Paper(
        objective="hinge", constraints=("spectral_norm",), n_critic=5, lr=2e-4, betas=(0.0, 0.9), conditional=True,
        generator={"arch": "resnet_generator", "channels": 3, "resolution": 32, "num_classes": 10},
        critic={"arch": "resnet_critic", "channels": 3, "resolution": 32, "num_classes": 10},
    )
