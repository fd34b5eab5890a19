from __future__ import annotations

from ganzoo.training import LatentGAN, Paper

from .registry import register_variant


@register_variant("wgan_gp")
class WGANGP(LatentGAN):
    """WGAN-GP (Gulrajani et al. 2017, Algorithm 1): the gradient penalty with lambda = 10 at random interpolates,
    n_critic = 5, Adam(1e-4, betas=(0, 0.9)). ``{"name": "gradient_penalty", "one_sided": true}`` penalises only
    gradient norms above 1.

    Example:
        The paper's setup, then one generator iteration (five critic steps) on the 2-D toy data (tiny toy MLPs):

        >>> import lightning as L
        >>> import ganzoo
        >>> from ganzoo.data import Toy2DDataModule
        >>> model = ganzoo.WGANGP(hidden_dim=16, max_gen_iters=1)
        >>> model.objective, model.constraints, model.schedule.n_critic
        (Wasserstein(), [GradientPenalty(weight=10.0, one_sided=False, target=1.0)], 5)
        >>> model.hparams.optimizer, model.hparams.lr, model.hparams.betas
        ('adam', 0.0001, (0.0, 0.9))
        >>> trainer = L.Trainer(max_epochs=-1, default_root_dir="runs/wgan_gp", logger=False,
        ...                     enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
        >>> trainer.fit(model, Toy2DDataModule("8gaussians", batch_size=64))
        >>> model.gen_iters, model.critic_iters
        (1, 5)
        >>> ganzoo.load("runs/wgan_gp/generator").output_shape  # the generator exported at the end of the fit
        (2,)
    """

    paper = Paper(
        objective="wasserstein", constraints=({"name": "gradient_penalty", "weight": 10.0},), n_critic=5,
        lr=1e-4, betas=(0.0, 0.9),
    )
