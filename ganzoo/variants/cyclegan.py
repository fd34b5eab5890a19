from __future__ import annotations

from typing import Any

from torch import Tensor

from ganzoo.objectives import cycle_loss, identity_loss
from ganzoo.registry import NetSpec, build_net
from ganzoo.training.rng import rank_seed
from ganzoo.training.state import gather_ranks, this_rank
from ganzoo.training.translation_gan import ImagePool, TranslationGAN, TranslationPaper

from .registry import register_variant


@register_variant("cyclegan")
class CycleGAN(TranslationGAN):
    """CycleGAN (Zhu et al. 2017): G: A -> B, F: B -> A and discriminators D_B (judges B images) and D_A.

    generators (one optimizer): L_adv(G, D_B) + L_adv(F, D_A) + lambda_cycle (||F(G(a)) - a||_1 + ||G(F(b)) - b||_1)
    + lambda_identity * lambda_cycle (||G(b) - b||_1 + ||F(a) - a||_1); then each discriminator (one optimizer)
    on its real images and on fakes drawn through an image history pool of ``pool_size``, its loss halved.
    Paper defaults: LSGAN loss, lambda_cycle = 10, lambda_identity = 0.5, pool of 50, Adam(2e-4, (0.5, 0.999)),
    ``n_epochs`` constant then ``n_epochs_decay`` decaying. ``generator`` gives the A -> B spec; B -> A swaps its
    ``in_channels`` and ``out_channels``.

    Example:
        Tiny ResNet translators and PatchGANs on 1-channel 16x16 images, one step on random ``(a, b)`` batches in
        [-1, 1] standing in for two unpaired domains (``SneakerToBootDataModule`` in
        ``recipes/cyclegan/sneaker2boot.yaml``), then ``ganzoo.translate`` both ways:

        >>> import lightning as L
        >>> import torch
        >>> from torch.utils.data import DataLoader, TensorDataset
        >>> import ganzoo
        >>> model = ganzoo.CycleGAN(
        ...     generator={"arch": "resnet_translator", "in_channels": 1, "out_channels": 1, "width": 4, "n_blocks": 1},
        ...     critic={"arch": "patch_discriminator", "n_layers": 1, "width": 4, "norm": "instance"}, max_gen_iters=1)
        >>> model.objective, model.lambda_cycle, model.lambda_identity, model.translator.directions
        (LeastSquares(), 10.0, 0.5, ('AtoB', 'BtoA'))
        >>> batches = TensorDataset(torch.rand(4, 1, 16, 16) * 2 - 1, torch.rand(4, 1, 16, 16) * 2 - 1)
        >>> trainer = L.Trainer(max_epochs=-1, default_root_dir="runs/cyclegan", logger=False,
        ...                     enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
        >>> trainer.fit(model, DataLoader(batches, batch_size=2))
        >>> model.gen_iters
        1
        >>> ganzoo.translate(model, torch.rand(3, 1, 16, 16), "BtoA").shape
        torch.Size([3, 1, 16, 16])
    """

    # Zhu et al. (2017) and their reference code: ResNet generators (9 blocks), 70x70 PatchGANs, instance norm
    paper = TranslationPaper(
        generator={"arch": "resnet_translator", "in_channels": 3, "out_channels": 3, "n_blocks": 9},
        critic={"arch": "patch_discriminator", "in_channels": 3, "n_layers": 3, "norm": "instance"},
        objective="least_squares", options={"lambda_cycle": 10.0, "lambda_identity": 0.5, "pool_size": 50},
    )

    # its arguments; the defaults of those up to n_epochs_decay are the paper's (register_variant)
    def __init__(self, generator: NetSpec | None, critic: NetSpec | None, objective: str, lambda_cycle: float,
                 lambda_identity: float, pool_size: int, lr: float, betas: tuple[float, float], n_epochs: int,
                 n_epochs_decay: int, max_gen_iters: int | None = None, critic_b: NetSpec | None = None, seed: int = 0):
        for name, v in (("lambda_cycle", lambda_cycle), ("lambda_identity", lambda_identity)):
            if v < 0:
                raise ValueError(f"{name} must be >= 0, got {v!r}")
        g_ab = dict(generator if generator is not None else self.paper.generator)
        g_ba = {**g_ab, "in_channels": g_ab.get("out_channels", 3), "out_channels": g_ab.get("in_channels", 3)}
        if lambda_identity > 0 and g_ab.get("in_channels", 3) != g_ab.get("out_channels", 3):
            raise ValueError("lambda_identity > 0 needs domains with the same channel count (G(b) must be defined); "
                             "set lambda_identity=0")
        spec_a = dict(critic if critic is not None else self.paper.critic)
        spec_b = dict(critic_b) if critic_b is not None else {**spec_a, "in_channels": g_ab.get("out_channels", 3)}
        spec_a.setdefault("in_channels", g_ab.get("in_channels", 3))
        critics = {"A": build_net(spec_a, "critic"), "B": build_net(spec_b, "critic_b")}
        super().__init__(max_gen_iters)
        self.assemble({"AtoB": g_ab, "BtoA": g_ba}, critics, objective, lr, betas, n_epochs, n_epochs_decay)
        self.lambda_cycle, self.lambda_identity = float(lambda_cycle), float(lambda_identity)
        self.pools = {"A": ImagePool(pool_size, seed), "B": ImagePool(pool_size, seed + 1)}
        self.save_hyperparameters()

    def generator_loss(self, a: Tensor, b: Tensor) -> tuple[Tensor, dict[str, Tensor], Tensor, Tensor]:
        """The generators' objective on a batch: (total loss, its terms, G(a), F(b))."""
        G, F = self.translator.nets["AtoB"], self.translator.nets["BtoA"]
        fake_b, fake_a = G(a), F(b)
        g_adv = self.adversarial_g(self.critics["B"], fake_b) + self.adversarial_g(self.critics["A"], fake_a)
        cyc = cycle_loss(a, F(fake_b), b, G(fake_a))
        loss = g_adv + self.lambda_cycle * cyc
        logs = {"g_adv": g_adv, "cycle": cyc}
        if self.lambda_identity > 0:
            idt = identity_loss(a, F(a), b, G(b))
            loss = loss + self.lambda_identity * self.lambda_cycle * idt
            logs["identity"] = idt
        return loss, logs, fake_b, fake_a

    def translation_step(self, a: Tensor, b: Tensor) -> dict[str, Tensor]:
        g_opt, d_opt = self.optimizers()
        D_A, D_B = self.critics["A"], self.critics["B"]
        self.toggle_optimizer(g_opt)  # discriminators frozen
        loss, logs, fake_b, fake_a = self.generator_loss(a, b)
        self.step(g_opt, loss)
        self.untoggle_optimizer(g_opt)
        d_loss = (self.adversarial_d(D_B, b, self.pools["B"].query(fake_b))
                  + self.adversarial_d(D_A, a, self.pools["A"].query(fake_a)))
        self.step(d_opt, d_loss)
        return {**logs, "d_loss": d_loss}

    def setup(self, stage: str) -> None:
        super().setup(stage)
        if stage == "fit" and self._trainer is not None and self.trainer.world_size > 1:
            for i, pool in enumerate(self.pools.values()):  # each rank its own pool draws
                pool.generator.manual_seed(rank_seed(self.hparams.seed + i, self.trainer.global_rank))

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        super().on_save_checkpoint(checkpoint)  # counters and every rank's RNG states
        pools = {}
        for k, p in self.pools.items():  # every rank's pool (same sizes on every rank: full batches)
            state = p.state_dict()
            pools[k] = {"size": state["size"], **gather_ranks(self, {"images": state["images"], "rng": state["rng"]})}
        checkpoint["ganzoo_image_pools"] = pools

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        super().on_load_checkpoint(checkpoint)
        for k, state in checkpoint.get("ganzoo_image_pools", {}).items():
            row = this_rank(self, {"images": state["images"], "rng": state["rng"]})
            if row is not None:
                self.pools[k].load_state_dict({"size": state["size"], **row})
