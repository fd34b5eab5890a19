from __future__ import annotations

from ganzoo.training import LatentGAN, Paper

from .registry import register_variant


@register_variant("sngan")
class SNGAN(LatentGAN):
    """SN-GAN (Miyato et al. 2018): spectral norm in the critic, hinge loss, Adam(2e-4, betas=(0, 0.9)),
    n_critic (n_dis) = 5.

    Example:
        The paper's setup, then one generator iteration (five critic steps) on the 2-D toy data (tiny toy MLPs):

        >>> import lightning as L
        >>> import ganzoo
        >>> from ganzoo.data import Toy2DDataModule
        >>> model = ganzoo.SNGAN(hidden_dim=16, max_gen_iters=1)
        >>> model.objective, model.constraints, model.schedule.n_critic
        (Hinge(), [SpectralNorm(n_power_iterations=1)], 5)
        >>> model.hparams.optimizer, model.hparams.lr, model.hparams.betas
        ('adam', 0.0002, (0.0, 0.9))
        >>> trainer = L.Trainer(max_epochs=-1, default_root_dir="runs/sngan", logger=False, enable_checkpointing=False,
        ...                     enable_progress_bar=False, enable_model_summary=False)
        >>> trainer.fit(model, Toy2DDataModule("8gaussians", batch_size=64))
        >>> model.gen_iters, model.critic_iters
        (1, 5)
    """

    paper = Paper(objective="hinge", constraints=("spectral_norm",), n_critic=5, lr=2e-4, betas=(0.0, 0.9))
