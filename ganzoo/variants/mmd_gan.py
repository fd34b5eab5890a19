from __future__ import annotations

from ganzoo.training import LatentGAN, Paper

from .registry import register_variant


@register_variant("mmd_gan")
class MMDGAN(LatentGAN):
    """MMD GAN with a gradient penalty on the witness function (Binkowski et al. 2018, "Demystifying MMD GANs"):
    unbiased MMD^2 on 16-d critic features, the rq* kernel (rational-quadratic mixture with alphas 0.2, 0.5, 1, 2, 5
    plus a linear term), penalty weight 1, n_critic = 5, Adam(1e-4, betas=(0.5, 0.9)).

    Example:
        The paper's setup, then one generator iteration (five critic steps) on the 2-D toy data (tiny toy MLPs; the
        critic outputs 16 features):

        >>> import lightning as L
        >>> import ganzoo
        >>> from ganzoo.data import Toy2DDataModule
        >>> model = ganzoo.MMDGAN(hidden_dim=16, max_gen_iters=1)
        >>> model.objective
        MMD(kernel=MixRQ(alphas=(0.2, 0.5, 1.0, 2.0, 5.0), linear=True), unbiased=True)
        >>> model.constraints, model.schedule.n_critic
        ([GradientPenalty(weight=1.0, one_sided=False, target=1.0)], 5)
        >>> trainer = L.Trainer(max_epochs=-1, default_root_dir="runs/mmd_gan", logger=False,
        ...                     enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
        >>> trainer.fit(model, Toy2DDataModule("8gaussians", batch_size=64))
        >>> model.gen_iters, model.critic_iters
        (1, 5)
    """

    paper = Paper(
        objective={"name": "mmd", "kernel": "rq"}, constraints=({"name": "gradient_penalty", "weight": 1.0},),
        n_critic=5, lr=1e-4, betas=(0.5, 0.9), critic_out=16,
    )
