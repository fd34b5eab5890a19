from __future__ import annotations

from ganzoo.training import LatentGAN, Paper

from .registry import register_variant


@register_variant("ragan")
class RaGAN(LatentGAN):
    """RaSGAN (Jolicoeur-Martineau 2018): the relativistic average discriminator with the standard (logistic) loss,
    whose generator loss also uses the real batch; DCGAN networks, Adam(2e-4, betas=(0.5, 0.999)), n_D = 1 as in the
    paper's DCGAN-setup experiments.

    Example:
        The paper's setup, then one generator iteration on the 2-D toy data (tiny toy MLPs):

        >>> import lightning as L
        >>> import ganzoo
        >>> from ganzoo.data import Toy2DDataModule
        >>> model = ganzoo.RaGAN(hidden_dim=16, max_gen_iters=1)
        >>> model.objective, model.objective.needs_real_for_generator, model.schedule.n_critic
        (RelativisticAverage(), True, 1)
        >>> trainer = L.Trainer(max_epochs=-1, default_root_dir="runs/ragan", logger=False, enable_checkpointing=False,
        ...                     enable_progress_bar=False, enable_model_summary=False)
        >>> trainer.fit(model, Toy2DDataModule("8gaussians", batch_size=64))
        >>> model.gen_iters, model.critic_iters
        (1, 1)
    """

    paper = Paper(objective="relativistic_average", n_critic=1, optimizer="adam", lr=2e-4, betas=(0.5, 0.999))
