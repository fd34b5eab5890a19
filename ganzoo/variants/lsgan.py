from __future__ import annotations

from ganzoo.objectives import LeastSquares

from .dcgan import DCGAN


class LSGAN(DCGAN):
    """LSGAN (Mao et al. 2017): DCGAN's networks and Adam(2e-4, betas=(0.5, 0.999)) with the least-squares loss,
    the 0-1-1 coding of the paper's eq. 9 (a = 0 for fake, b = 1 for real, the generator's target c = 1)."""

    objective_cls = LeastSquares
