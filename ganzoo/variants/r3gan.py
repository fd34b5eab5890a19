from __future__ import annotations

from ganzoo.training import LatentGAN, Paper

from .registry import register_variant


@register_variant("r3gan")
class R3GAN(LatentGAN):
    """R3GAN (Huang et al. 2024, "The GAN is dead; long live the GAN!"): the relativistic pairing loss with both
    zero-centred penalties, gamma/2 (R1 + R2), one critic step per generator step, and the CIFAR-10 schedules of the
    official code (``brownvc/R3GAN``, ``train.py``), each along half a cosine over the run (``max_gen_iters``): gamma
    0.05 -> 0.005, lr 2e-4 -> 5e-5, Adam betas (0, 0.9 -> 0.99); and an average of the generator (the paper ramps its
    half-life up along the same cosine; here StyleGAN2-ADA's ramp, ``ema_rampup`` 0.05, to ``ema_decay`` 0.999). Its
    networks are ``r3gan_generator`` / ``r3gan_critic`` (:mod:`ganzoo.nets.r3gan`); without specs, the toy MLPs.

    Example:
        The paper's setup; its schedules end at ``max_gen_iters``, which it needs (trained like any variant: see
        :class:`DCGAN`'s example):

        >>> import ganzoo
        >>> model = ganzoo.R3GAN(hidden_dim=16, max_gen_iters=1000)
        >>> model.objective, model.constraints, model.schedule.penalty_schedule
        (RelativisticPairing(), [R1(gamma=0.05, on='both')], 'cosine')
        >>> model.hparams.betas, model.lr_schedule, model.lr_end_factor, model.beta2_end
        ((0.0, 0.9), 'cosine', 0.25, 0.99)
    """

    paper = Paper(
        objective="relativistic_pairing", constraints=({"name": "r1_r2", "gamma": 0.05},), n_critic=1,
        schedule={"penalty_schedule": "cosine", "penalty_end_factor": 0.1}, lr=2e-4, betas=(0.0, 0.9),
        lr_schedule="cosine", lr_end_factor=0.25, beta2_end=0.99, ema_decay=0.999, ema_rampup=0.05,
    )
