from __future__ import annotations

from ganzoo.training import LatentGAN, Paper

from .registry import register_variant


@register_variant("fgan")
class FGAN(LatentGAN):
    """f-GAN (Nowozin et al. 2016): variational divergence minimisation, ``objective: {name: fgan, divergence: ...}``
    with kl, reverse_kl, pearson, hellinger, js or gan (default js) and the generator's alternative (non-saturating)
    update unless ``saturating: true``; Adam(2e-4, betas=(0.5, 0.999)), one critic step per generator step.

    Example:
        The KL divergence instead of the default Jensen-Shannon, for one generator iteration on the 2-D toy data
        (tiny toy MLPs):

        >>> import lightning as L
        >>> import ganzoo
        >>> from ganzoo.data import Toy2DDataModule
        >>> ganzoo.FGAN(hidden_dim=16).objective
        FGAN(divergence='js', saturating=False)
        >>> model = ganzoo.FGAN(objective={"name": "fgan", "divergence": "kl"}, hidden_dim=16, max_gen_iters=1)
        >>> model.objective, model.constraints, model.schedule.n_critic
        (FGAN(divergence='kl', saturating=False), [], 1)
        >>> trainer = L.Trainer(max_epochs=-1, default_root_dir="runs/fgan", logger=False, enable_checkpointing=False,
        ...                     enable_progress_bar=False, enable_model_summary=False)
        >>> trainer.fit(model, Toy2DDataModule("8gaussians", batch_size=64))
        >>> model.gen_iters, model.critic_iters
        (1, 1)
    """

    paper = Paper(objective={"name": "fgan", "divergence": "js"}, n_critic=1, lr=2e-4, betas=(0.5, 0.999))
