from __future__ import annotations

from ganzoo.objectives import RelativisticAverage

from .dcgan import DCGAN


class RaGAN(DCGAN):
    """RaSGAN (Jolicoeur-Martineau 2018): the relativistic average discriminator with the standard (logistic) loss,
    whose generator loss also uses the real batch; DCGAN networks, Adam(2e-4, betas=(0.5, 0.999)), n_D = 1 as in the
    paper's DCGAN-setup experiments."""

    objective_cls = RelativisticAverage
