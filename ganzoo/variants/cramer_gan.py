from __future__ import annotations

from ganzoo.training import LatentGAN, Paper

from .registry import register_variant


@register_variant("cramer_gan")
class CramerGAN(LatentGAN):
    """Cramer GAN (Bellemare et al. 2017, Algorithm 1): critic h with a 256-d output, surrogate critic
    f(x) = ||h(x) - h(x'_g)|| - ||h(x)||, gradient penalty lambda = 10 on f, generator loss = energy distance
    with two independent generated batches; n_critic = 5 and Adam(1e-4, betas=(0.5, 0.9)) as in the WGAN-GP
    setup the paper builds on.

    Example:
        The paper's setup, then one generator iteration (five critic steps) on the 2-D toy data (tiny toy MLPs; the
        critic outputs 256 features):

        >>> import lightning as L
        >>> import ganzoo
        >>> from ganzoo.data import Toy2DDataModule
        >>> model = ganzoo.CramerGAN(hidden_dim=16, max_gen_iters=1)
        >>> model.objective, model.constraints, model.schedule.n_critic
        (Energy(pairs='matched'), [GradientPenalty(weight=10.0, one_sided=False, target=1.0)], 5)
        >>> model.critic(model.generator(model.generator.sample_latent(3))).shape
        torch.Size([3, 256])
        >>> trainer = L.Trainer(max_epochs=-1, default_root_dir="runs/cramer_gan", logger=False,
        ...                     enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
        >>> trainer.fit(model, Toy2DDataModule("8gaussians", batch_size=64))
        >>> model.gen_iters, model.critic_iters
        (1, 5)
    """

    paper = Paper(
        objective="energy", constraints=({"name": "gradient_penalty", "weight": 10.0},), n_critic=5,
        lr=1e-4, betas=(0.5, 0.9), critic_out=256,
    )
