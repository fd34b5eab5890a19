"""Objectives on scalar critics: logistic, Wasserstein, hinge, least squares, relativistic (average, pairing)."""

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

    Example:
        Critic outputs (logits) of 0 are D = 1/2 on every sample: the critic loss is 2 log 2 and the non-saturating
        generator loss log 2:

        >>> import torch
        >>> from ganzoo.objectives import Logistic
        >>> real_out, fake_out = torch.zeros(4), torch.zeros(4)
        >>> loss = Logistic()
        >>> round(loss.critic_loss(real_out, [fake_out]).item(), 4), round(loss.generator_loss([fake_out]).item(), 4)
        (1.3863, 0.6931)
        >>> round(Logistic(nonsaturating=False).generator_loss([fake_out]).item(), 4)  # minimax: log(1 - 1/2)
        -0.6931
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

    Example:
        >>> import torch
        >>> from ganzoo.objectives import Wasserstein
        >>> real_out, fake_out = torch.tensor([1.0, 3.0]), torch.tensor([0.0, 2.0])  # the critic's outputs
        >>> loss = Wasserstein()
        >>> loss.estimate(real_out, [fake_out])  # E f(x_r) - E f(x_g) = 2 - 1
        tensor(1.)
        >>> loss.critic_loss(real_out, [fake_out]), loss.generator_loss([fake_out])
        (tensor(-1.), tensor(-1.))
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

    Example:
        >>> import torch
        >>> from ganzoo.objectives import Hinge
        >>> real_out, fake_out = torch.tensor([2.0, 0.0]), torch.tensor([-2.0, 0.0])
        >>> loss = Hinge()
        >>> loss.critic_loss(real_out, [fake_out])  # mean(relu(1 - [2, 0])) + mean(relu(1 + [-2, 0])) = 0.5 + 0.5
        tensor(1.)
        >>> loss.generator_loss([fake_out]), loss.estimate(real_out, [fake_out])  # -(-1); 1 - (-1)
        (tensor(1.), tensor(2.))
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

    Example:
        >>> import torch
        >>> from ganzoo.objectives import LeastSquares
        >>> real_out, fake_out = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
        >>> loss = LeastSquares()
        >>> loss.critic_loss(real_out, [fake_out])  # 1/2 mean([0, 1]) + 1/2 mean([0, 1])
        tensor(0.5000)
        >>> loss.generator_loss([fake_out])  # 1/2 mean([1, 0])
        tensor(0.2500)
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

    Example:
        With logits 2 on the real batch and 0 on the fake one, the critic loss is 2 softplus(-2) and the generator
        loss 2 softplus(2) (softplus(v) = log(1 + e^v)):

        >>> import torch
        >>> from ganzoo.objectives import RelativisticAverage
        >>> real_out, fake_out = torch.tensor([2.0]), torch.tensor([0.0])
        >>> loss = RelativisticAverage()
        >>> round(loss.critic_loss(real_out, [fake_out]).item(), 4)
        0.2539
        >>> round(loss.generator_loss([fake_out], real_out).item(), 4)  # the generator's loss needs real_out
        4.2539
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


class RelativisticPairing(Objective):
    """Relativistic pairing GAN, RpGAN (Jolicoeur-Martineau 2018; Huang et al. 2024, R3GAN eq. 2); logits C.

    Real sample i is paired with fake sample i of the step, and the critic judges which of the pair is more
    realistic: critic: E softplus(-(C(x_r) - C(x_g))), generator: E softplus(-(C(x_g) - C(x_r))) (the generator's
    loss needs the real batch; as in the official code, ``brownvc/R3GAN``, ``R3GAN/Trainer.py``). Unlike the
    average relativistic loss each fake is compared with one real sample, not with the batch mean; the R3GAN paper
    shows that this loss with both zero-centred penalties (R1 + R2: ``ganzoo.constraints.R1(on="both")``) converges
    locally where the plain GAN loss drops modes (its sec. 2).

    Example:
        Logits 2 on the real batch and 0 on the fake one: the critic loss is softplus(-2), the generator's softplus(2)
        (softplus(v) = log(1 + e^v)); the pairs are taken index by index:

        >>> import torch
        >>> from ganzoo.objectives import RelativisticPairing
        >>> loss = RelativisticPairing()
        >>> real_out, fake_out = torch.tensor([2.0, 2.0]), torch.tensor([0.0, 0.0])
        >>> round(loss.critic_loss(real_out, [fake_out]).item(), 4)
        0.1269
        >>> round(loss.generator_loss([fake_out], real_out).item(), 4)  # the generator's loss needs real_out
        2.1269

        Pairs, not averages: real logits (1, 0) against fake logits (0, 1) are the pairs (1, 0) and (0, 1), so the
        critic loss is (softplus(-1) + softplus(1)) / 2 = 0.8133, where the batch means alone would say log 2:

        >>> round(loss.critic_loss(torch.tensor([1.0, 0.0]), [torch.tensor([0.0, 1.0])]).item(), 4)
        0.8133
    """

    name = "relativistic_pairing"
    needs_real_for_generator = True

    @staticmethod
    def _pairs(a: Tensor, b: Tensor) -> Tensor:
        """The pairwise differences ``a_i - b_i`` (equal batch sizes: the real and the fake batch of one step)."""
        if a.shape != b.shape:
            raise ValueError(f"the relativistic pairing loss pairs real and fake samples one to one: the batches must "
                             f"have the same size, got {a.shape[0]} and {b.shape[0]}")
        return a - b

    def critic_loss(self, real_out: Tensor, fake_outs: Sequence[Tensor]) -> Tensor:
        return F.softplus(-self._pairs(scalar(real_out), scalar(fake_outs[0]))).mean()

    def generator_loss(self, fake_outs: Sequence[Tensor], real_out: Tensor | None = None) -> Tensor:
        if real_out is None:
            raise ValueError("the relativistic pairing generator loss needs the critic's output on a real batch")
        return F.softplus(-self._pairs(scalar(fake_outs[0]), scalar(real_out))).mean()
