from __future__ import annotations

import torch
from torch import Tensor

from ganzoo.objectives import l1
from ganzoo.registry import NetSpec, build_net
from ganzoo.training.translation_gan import TranslationGAN, TranslationPaper

from .registry import register_variant


@register_variant("pix2pix")
class Pix2Pix(TranslationGAN):
    """pix2pix (Isola et al. 2017): a generator G: A -> B and a conditional discriminator D(a, b) on channel-stacked
    pairs; D: max log D(a, b) + log(1 - D(a, G(a))), halved; G: min -log D(a, G(a)) + lambda_l1 ||b - G(a)||_1.

    Paper defaults: U-Net generator, 70x70 PatchGAN, vanilla GAN loss (``"nonsaturating"``, the reference's
    ``BCEWithLogits`` against "real"; any scalar objective works), lambda_l1 = 100, Adam(2e-4, betas (0.5, 0.999)),
    ``n_epochs`` at the initial LR then ``n_epochs_decay`` epochs of linear decay. Per batch ``(a, b)``: one
    discriminator step on ``G(a)`` detached, then one generator step.

    Example:
        A tiny U-Net and PatchGAN for 1-channel 16x16 images (``recipes/pix2pix/edges2fashion.yaml`` trains the
        paper's networks on edge maps of Fashion-MNIST; :class:`CycleGAN`'s example shows a training step), and
        ``ganzoo.translate``:

        >>> import torch
        >>> import ganzoo
        >>> model = ganzoo.Pix2Pix(
        ...     generator={"arch": "unet_generator", "in_channels": 1, "out_channels": 1, "num_downs": 3, "width": 4},
        ...     critic={"arch": "patch_discriminator", "in_channels": 2, "n_layers": 1, "width": 4})
        >>> model.objective, model.lambda_l1
        (Logistic(nonsaturating=True), 100.0)
        >>> ganzoo.translate(model, torch.rand(3, 1, 16, 16)).shape  # images in [0, 1] -> [0, 1]
        torch.Size([3, 1, 16, 16])
    """

    # Isola et al. (2017) and their reference code: U-Net 256 with batch norm and dropout, 70x70 PatchGAN on (A, B)
    paper = TranslationPaper(
        generator={"arch": "unet_generator", "in_channels": 3, "out_channels": 3, "num_downs": 8},
        critic={"arch": "patch_discriminator", "in_channels": 6, "n_layers": 3, "norm": "batch"},
        objective="nonsaturating", options={"lambda_l1": 100.0},
    )

    # its arguments; their defaults are the paper's (register_variant)
    def __init__(self, generator: NetSpec | None, critic: NetSpec | None, objective: str, lambda_l1: float, lr: float,
                 betas: tuple[float, float], n_epochs: int, n_epochs_decay: int, max_gen_iters: int | None = None):
        if lambda_l1 < 0:
            raise ValueError(f"lambda_l1 must be >= 0, got {lambda_l1!r}")
        g_spec = dict(generator if generator is not None else self.paper.generator)
        d = build_net(critic if critic is not None else self.paper.critic, "critic")
        g = build_net(g_spec, "generator")
        pair_channels = getattr(g, "in_channels", 0) + getattr(g, "out_channels", 0)
        if getattr(d, "in_channels", pair_channels) != pair_channels:
            raise ValueError(
                f"critic: the pix2pix discriminator sees (input, output) stacked on channels, so its in_channels must "
                f"be {g.in_channels} + {g.out_channels} = {pair_channels}, got {d.in_channels}"
            )
        super().__init__(max_gen_iters)
        self.assemble({"AtoB": g_spec}, {"pair": d}, objective, lr, betas, n_epochs, n_epochs_decay)
        self.lambda_l1 = float(lambda_l1)
        self.save_hyperparameters()

    def translation_step(self, a: Tensor, b: Tensor) -> dict[str, Tensor]:
        g_opt, d_opt = self.optimizers()
        G, D = self.translator.nets["AtoB"], self.critics["pair"]
        fake = G(a)
        d_loss = self.adversarial_d(D, torch.cat([a, b], 1), torch.cat([a, fake.detach()], 1))
        self.step(d_opt, d_loss)
        self.toggle_optimizer(g_opt)  # D frozen: only generator gradients
        g_adv = self.adversarial_g(D, torch.cat([a, fake], 1))
        rec = l1(fake, b)
        self.step(g_opt, g_adv + self.lambda_l1 * rec)
        self.untoggle_optimizer(g_opt)
        return {"d_loss": d_loss, "g_adv": g_adv, "l1": rec}
