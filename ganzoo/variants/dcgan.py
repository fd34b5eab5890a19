from __future__ import annotations

from ganzoo.training import LatentGAN, Paper

from .registry import register_variant


@register_variant("dcgan")
class DCGAN(LatentGAN):
    """DCGAN (Radford et al. 2016): the non-saturating logistic loss, Adam(2e-4, betas=(0.5, 0.999)), one critic step
    per generator step.

    Example:
        The paper's setup, then one generator iteration on the 2-D toy data (without network specs a variant builds
        the WGAN-GP code's toy MLPs; ``hidden_dim=16`` keeps them tiny). Every latent variant trains this way:

        >>> import lightning as L
        >>> import ganzoo
        >>> from ganzoo.data import Toy2DDataModule
        >>> model = ganzoo.DCGAN(hidden_dim=16, max_gen_iters=1)
        >>> model.objective, model.constraints, model.schedule.n_critic
        (Logistic(nonsaturating=True), [], 1)
        >>> model.hparams.optimizer, model.hparams.lr, model.hparams.betas
        ('adam', 0.0002, (0.5, 0.999))
        >>> trainer = L.Trainer(max_epochs=-1, default_root_dir="runs/dcgan", logger=False, enable_checkpointing=False,
        ...                     enable_progress_bar=False, enable_model_summary=False)
        >>> trainer.fit(model, Toy2DDataModule("8gaussians", batch_size=64))
        >>> model.gen_iters, model.critic_iters
        (1, 1)
        >>> ganzoo.sample(model.export_model, 5, seed=0).shape  # 5 points in the plane
        torch.Size([5, 2])
    """

    paper = Paper(objective="nonsaturating", n_critic=1, optimizer="adam", lr=2e-4, betas=(0.5, 0.999))
