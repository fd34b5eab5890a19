"""Objectives on scalar critics: logistic (minimax / non-saturating), Wasserstein, hinge, least squares."""

from __future__ import annotations

from collections.abc import Sequence

import torch.nn.functional as F
from torch import Tensor

from .base import Objective, scalar


class Logistic(Objective):
    """The original GAN game (Goodfellow et al. 2014), the critic outputs logits.

    critic:  max E log D(x_r) + E log(1 - D(x_g)),   D = sigmoid(logit)
    generator, ``nonsaturating=False``: min E log(1 - D(x_g))      (minimax)
    generator, ``nonsaturating=True``:  min -E log D(x_g)          (used by DCGAN)
    At the optimal D* = p/(p+q) the critic's value equals 2 JS(P, Q) - 2 log 2.
    """

    def __init__(self, nonsaturating: bool = True):
        self.nonsaturating = nonsaturating
        self.name = "nonsaturating" if nonsaturating else "minimax"

    def critic_loss(self, real_out: Tensor, fake_outs: Sequence[Tensor]) -> Tensor:
        # -log sigmoid(l) = softplus(-l);  -log(1 - sigmoid(l)) = softplus(l)
        return F.softplus(-scalar(real_out)).mean() + F.softplus(scalar(fake_outs[0])).mean()

    def generator_loss(self, fake_outs: Sequence[Tensor], real_out: Tensor | None = None) -> Tensor:
        fake = scalar(fake_outs[0])
        if self.nonsaturating:
            return F.softplus(-fake).mean()  # -log D(G(z))
        return -F.softplus(fake).mean()  # log(1 - D(G(z)))

    def __repr__(self) -> str:
        return f"Logistic(nonsaturating={self.nonsaturating})"


class Wasserstein(Objective):
    """Kantorovich-Rubinstein dual (Arjovsky et al. 2017): W1 = sup_{||f||_L<=1} E f(x_r) - E f(x_g).

    The Lipschitz bound is the constraint's job (clipping, gradient penalty, spectral norm).
    """

    name = "wasserstein"
    is_distance = True

    def critic_loss(self, real_out: Tensor, fake_outs: Sequence[Tensor]) -> Tensor:
        return scalar(fake_outs[0]).mean() - scalar(real_out).mean()

    def generator_loss(self, fake_outs: Sequence[Tensor], real_out: Tensor | None = None) -> Tensor:
        return -scalar(fake_outs[0]).mean()


class Hinge(Objective):
    """Hinge loss (Lim & Ye 2017; Miyato et al. 2018, SN-GAN).

    critic: E relu(1 - D(x_r)) + E relu(1 + D(x_g));  generator: -E D(x_g).
    The logged estimate is E D(x_r) - E D(x_g), a Wasserstein-type distance under spectral norm.
    """

    name = "hinge"
    is_distance = True

    def critic_loss(self, real_out: Tensor, fake_outs: Sequence[Tensor]) -> Tensor:
        return F.relu(1.0 - scalar(real_out)).mean() + F.relu(1.0 + scalar(fake_outs[0])).mean()

    def generator_loss(self, fake_outs: Sequence[Tensor], real_out: Tensor | None = None) -> Tensor:
        return -scalar(fake_outs[0]).mean()

    def estimate(self, real_out: Tensor, fake_outs: Sequence[Tensor]) -> Tensor:
        return scalar(real_out).mean() - scalar(fake_outs[0]).mean()


class LeastSquares(Objective):
    """LSGAN (Mao et al. 2017), a-b-c = 0-1-1 coding.

    critic: 1/2 E (D(x_r) - 1)^2 + 1/2 E D(x_g)^2;  generator: 1/2 E (D(x_g) - 1)^2.
    """

    name = "least_squares"
    reference_scale = 2.0  # the reference pix2pix/CycleGAN code's plain MSE has no 1/2 on its terms

    def critic_loss(self, real_out: Tensor, fake_outs: Sequence[Tensor]) -> Tensor:
        return 0.5 * (scalar(real_out) - 1).pow(2).mean() + 0.5 * scalar(fake_outs[0]).pow(2).mean()

    def generator_loss(self, fake_outs: Sequence[Tensor], real_out: Tensor | None = None) -> Tensor:
        return 0.5 * (scalar(fake_outs[0]) - 1).pow(2).mean()


class RelativisticAverage(Objective):
    """Relativistic average standard GAN, RaSGAN (Jolicoeur-Martineau 2018, eqs. 7-8); the critic outputs logits C.

    D_ra(x_r, x_g) = sigmoid(C(x_r) - E C(x_g)) is the probability that real data is more realistic than fake on
    average. critic:    -E log D_ra(x_r, x_g) - E log(1 - D_ra(x_g, x_r))
    generator: -E log D_ra(x_g, x_r) - E log(1 - D_ra(x_r, x_g))   (needs the real batch: both terms move)
    """

    name = "relativistic_average"
    needs_real_for_generator = True

    @staticmethod
    def _loss(a: Tensor, b: Tensor) -> Tensor:
        # -E log sigmoid(a - E b) - E log(1 - sigmoid(b - E a)) = E softplus(-(a - E b)) + E softplus(b - E a)
        return F.softplus(-(a - b.mean())).mean() + F.softplus(b - a.mean()).mean()

    def critic_loss(self, real_out: Tensor, fake_outs: Sequence[Tensor]) -> Tensor:
        return self._loss(scalar(real_out), scalar(fake_outs[0]))

    def generator_loss(self, fake_outs: Sequence[Tensor], real_out: Tensor | None = None) -> Tensor:
        if real_out is None:
            raise ValueError("the relativistic average generator loss needs the critic's output on a real batch")
        return self._loss(scalar(fake_outs[0]), scalar(real_out))
