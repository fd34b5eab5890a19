from __future__ import annotations

from ganzoo.training import LatentGAN, Paper

from .registry import register_variant


@register_variant("lsgan")
class LSGAN(LatentGAN):
    """LSGAN (Mao et al. 2017): DCGAN's networks and Adam(2e-4, betas=(0.5, 0.999)) with the least-squares loss,
    the 0-1-1 coding of the paper's eq. 9 (a = 0 for fake, b = 1 for real, the generator's target c = 1).

    Example:
        The paper's setup, then one generator iteration on the 2-D toy data (tiny toy MLPs):

        >>> import lightning as L
        >>> import ganzoo
        >>> from ganzoo.data import Toy2DDataModule
        >>> model = ganzoo.LSGAN(hidden_dim=16, max_gen_iters=1)
        >>> model.objective, model.constraints, model.schedule.n_critic
        (LeastSquares(), [], 1)
        >>> trainer = L.Trainer(max_epochs=-1, default_root_dir="runs/lsgan", logger=False, enable_checkpointing=False,
        ...                     enable_progress_bar=False, enable_model_summary=False)
        >>> trainer.fit(model, Toy2DDataModule("8gaussians", batch_size=64))
        >>> model.gen_iters, model.critic_iters
        (1, 1)
    """

    paper = Paper(objective="least_squares", n_critic=1, optimizer="adam", lr=2e-4, betas=(0.5, 0.999))
