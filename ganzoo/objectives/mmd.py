"""Maximum mean discrepancy: kernels, MMD^2 estimators and the MMD-GAN objective (Binkowski et al. 2018)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from ganzoo.checks import check_positive

from .base import Objective, Witness


class Kernel:
    """A positive-definite kernel on feature vectors: ``k(x (n, d), y (m, d)) -> (n, m)``."""

    def __call__(self, x: Tensor, y: Tensor) -> Tensor:
        raise NotImplementedError


def _sqdist(x: Tensor, y: Tensor) -> Tensor:
    d = x.pow(2).sum(1, keepdim=True) - 2 * x @ y.T + y.pow(2).sum(1).unsqueeze(0)
    return d.clamp_min(0)


class _Mixture(Kernel):
    """A sum of one kernel family over its parameters: sum_p term(||x - y||^2, p) (+ <x, y> if ``linear``), all
    parameters in one broadcast op. Subclasses name the parameters (``param``) and give ``term``."""

    param = ""

    def __init__(self, params: Sequence[float], linear: bool):
        for v in params:
            check_positive(self.param, v)
        self.params, self.linear = tuple(float(v) for v in params), linear

    def term(self, d: Tensor, p: Tensor) -> Tensor:
        raise NotImplementedError

    def __call__(self, x: Tensor, y: Tensor) -> Tensor:
        d = _sqdist(x, y).unsqueeze(0)
        k = self.term(d, torch.tensor(self.params, dtype=d.dtype, device=d.device).view(-1, 1, 1)).sum(0)
        return k + x @ y.T if self.linear else k

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.param}={self.params}, linear={self.linear})"


class MixRBF(_Mixture):
    """sum_s exp(-||x - y||^2 / (2 s^2)) (+ <x, y> if ``linear``)."""

    param = "sigmas"

    def __init__(self, sigmas: Sequence[float] = (1.0, 2.0, 4.0, 8.0, 16.0), linear: bool = False):
        super().__init__(sigmas, linear)

    def term(self, d: Tensor, s: Tensor) -> Tensor:
        return torch.exp(-d / (2 * s.pow(2)))


class MixRQ(_Mixture):
    """Rational quadratic mixture sum_a (1 + ||x - y||^2 / (2a))^(-a) (+ <x, y> if ``linear``).

    The default alphas (0.2, 0.5, 1, 2, 5) with the linear term are Binkowski et al.'s "rq*" kernel.
    """

    param = "alphas"

    def __init__(self, alphas: Sequence[float] = (0.2, 0.5, 1.0, 2.0, 5.0), linear: bool = True):
        super().__init__(alphas, linear)

    def term(self, d: Tensor, a: Tensor) -> Tensor:
        return torch.exp(-a * torch.log1p(d / (2 * a)))  # (1 + d / 2a)^-a


KERNELS = {"rbf": MixRBF, "rq": MixRQ}


def make_kernel(name: str, linear: bool | None = None) -> Kernel:
    """``"rbf"`` (mixture of RBFs) or ``"rq"`` (mixture of rational quadratics); ``linear`` adds <x, y>."""
    if name not in KERNELS:
        raise ValueError(f"kernel must be one of {sorted(KERNELS)}, got {name!r}")
    return KERNELS[name]() if linear is None else KERNELS[name](linear=linear)


def mmd2(x: Tensor, y: Tensor, kernel: Kernel, unbiased: bool = True) -> Tensor:
    """MMD^2 between samples ``x (m, d)`` and ``y (n, d)``.

    unbiased: sum_{i != j} k(x_i, x_j) / (m(m-1)) + sum_{i != j} k(y_i, y_j) / (n(n-1)) - 2 mean k(x, y)
    biased:   the same with the diagonals included and every sum divided by its number of terms.
    """
    x, y = x.reshape(x.shape[0], -1), y.reshape(y.shape[0], -1)
    m, n = x.shape[0], y.shape[0]
    z = torch.cat([x, y])
    k = kernel(z, z)  # one kernel matrix, then its blocks
    kxx, kyy, kxy = k[:m, :m], k[m:, m:], k[:m, m:]
    if not unbiased:
        return kxx.mean() + kyy.mean() - 2 * kxy.mean()
    if m < 2 or n < 2:
        raise ValueError("the unbiased MMD^2 estimator needs at least 2 samples on each side")
    sxx = (kxx.sum() - kxx.diagonal().sum()) / (m * (m - 1))
    syy = (kyy.sum() - kyy.diagonal().sum()) / (n * (n - 1))
    return sxx + syy - 2 * kxy.mean()


class MMD(Objective):
    """MMD GAN: the critic h maps samples to features, the loss is MMD^2 of the features under ``kernel``.

    critic: max MMD^2(h(x_r), h(x_g)) (minus a penalty on the witness' gradient);  generator: min the same.
    witness f(x) = mean_i k(h(x), h(x_r,i)) - mean_j k(h(x), h(x_g,j))  (Binkowski et al. 2018, Sec. 3).

    Example:
        Two real features at 0 and two generated ones at 1, under the default rq* kernel
        k(x, y) = sum_a (1 + ||x - y||^2 / (2a))^(-a) + <x, y> (alphas 0.2, 0.5, 1, 2, 5): k(0, 0) = 5,
        k(1, 1) = 5 + 1 and k(0, 1) = 3.5^-0.2 + 2^-0.5 + 1.5^-1 + 1.25^-2 + 1.1^-5 = 3.4131, so the unbiased
        MMD^2 is 5 + 6 - 2 x 3.4131 = 4.1739:

        >>> import torch
        >>> from ganzoo.objectives import MMD
        >>> h_real, h_fake = torch.zeros(2, 1), torch.ones(2, 1)
        >>> loss = MMD()
        >>> round(loss.generator_loss([h_fake], h_real).item(), 4)  # the generator minimises MMD^2 ...
        4.1739
        >>> round(loss.critic_loss(h_real, [h_fake]).item(), 4)  # ... the critic maximises it
        -4.1739
    """

    needs_real_for_generator = True
    is_distance = True
    scalar_critic = False

    def __init__(self, kernel: str = "rq", linear: bool | None = None, unbiased: bool = True):
        self.kernel = make_kernel(kernel, linear)
        self.unbiased = unbiased
        self.name = f"mmd:{kernel}"

    def critic_loss(self, real_out: Tensor, fake_outs: Sequence[Tensor]) -> Tensor:
        return -mmd2(real_out, fake_outs[0], self.kernel, self.unbiased)

    def generator_loss(self, fake_outs: Sequence[Tensor], real_out: Tensor | None = None) -> Tensor:
        if real_out is None:
            raise ValueError("the MMD generator loss needs the critic's output on a real batch")
        return mmd2(real_out, fake_outs[0], self.kernel, self.unbiased)

    def witness(self, critic: nn.Module, real_out: Tensor, fake_outs: Sequence[Tensor]) -> Witness:
        h_r, h_g = real_out, fake_outs[0]
        both, m = torch.cat([h_r, h_g]), h_r.shape[0]

        def f(x: Tensor) -> Tensor:
            k = self.kernel(critic(x), both)
            return k[:, :m].mean(1) - k[:, m:].mean(1)

        return f

    def __repr__(self) -> str:
        return f"MMD(kernel={self.kernel!r}, unbiased={self.unbiased})"
