from __future__ import annotations

from ganzoo.training import LatentGAN, Paper

from .registry import register_variant


@register_variant("wgan")
class WGAN(LatentGAN):
    """WGAN (Arjovsky et al. 2017, Algorithm 1): clip c = 0.01, RMSProp(5e-5), n_critic = 5, and the reference
    code's warm-up (100 critic steps for the first 25 generator iterations and every 500th).

    Example:
        The paper's setup, then one generator iteration on the 2-D toy data (tiny toy MLPs): the warm-up makes it
        100 critic steps:

        >>> import lightning as L
        >>> import ganzoo
        >>> from ganzoo.data import Toy2DDataModule
        >>> model = ganzoo.WGAN(hidden_dim=16, max_gen_iters=1)
        >>> model.objective, model.constraints, model.schedule.n_critic, model.schedule.warmup
        (Wasserstein(), [WeightClipping(clip=0.01)], 5, 'wgan')
        >>> model.hparams.optimizer, model.hparams.lr
        ('rmsprop', 5e-05)
        >>> trainer = L.Trainer(max_epochs=-1, default_root_dir="runs/wgan", logger=False, enable_checkpointing=False,
        ...                     enable_progress_bar=False, enable_model_summary=False)
        >>> trainer.fit(model, Toy2DDataModule("8gaussians", batch_size=64))
        >>> model.gen_iters, model.critic_iters
        (1, 100)
        >>> max(p.abs().max().item() for p in model.critic.parameters()) <= 0.01  # clipped
        True
    """

    paper = Paper(
        objective="wasserstein", constraints=({"name": "weight_clipping", "clip": 0.01},), n_critic=5,
        schedule={"warmup": "wgan"}, optimizer="rmsprop", lr=5e-5, betas=None,
    )
