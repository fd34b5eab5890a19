"""f-GAN objectives (Nowozin et al. 2016, Table 1 and Table 2).

D_f(P || Q) = ∫ q(x) f(p(x) / q(x)) dx  >=  sup_T  E_P[T(x)] - E_Q[f*(T(x))],
with equality at T*(x) = f'(p(x)/q(x)). The critic outputs V(x); T = g_f(V) maps it into the
domain of f*. Note on Jensen-Shannon: with the table's f(u) = -(u+1) log((1+u)/2) + u log u the
f-divergence equals 2 JS(P, Q) (the table's 1/2 prefactor is not part of D_f); ganzoo's ``js`` is
exactly D_f for that f, and ``gan`` is D_f = 2 JS - log 4.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from .base import Objective, scalar


@dataclass(frozen=True)
class FDivergence:
    """One row of the f-GAN table: generator f, its derivative f' (gives T*), conjugate f*, activation g_f."""

    name: str
    f: Callable[[Tensor], Tensor]
    f_prime: Callable[[Tensor], Tensor]
    f_star: Callable[[Tensor], Tensor]
    activation: Callable[[Tensor], Tensor]
    #: f*(g_f(v)) in a closed form that stays finite where the two-step evaluation rounds g_f(v) onto the
    #: boundary of dom f* (float32: v >~ 17 for hellinger, js, gan); ``None``: compose f_star and activation
    f_star_activation: Callable[[Tensor], Tensor] | None = None

    def conjugate_of_activation(self, v: Tensor) -> Tensor:
        """f*(g_f(v)), numerically stable when ``f_star_activation`` is given."""
        if self.f_star_activation is not None:
            return self.f_star_activation(v)
        return self.f_star(self.activation(v))


LOG2 = math.log(2.0)

F_DIVERGENCES: dict[str, FDivergence] = {
    "kl": FDivergence(
        "kl",
        f=lambda u: u * torch.log(u),
        f_prime=lambda u: 1 + torch.log(u),
        f_star=lambda t: torch.exp(t - 1),
        activation=lambda v: v,
    ),
    "reverse_kl": FDivergence(
        "reverse_kl",
        f=lambda u: -torch.log(u),
        f_prime=lambda u: -1 / u,
        f_star=lambda t: -1 - torch.log(-t),
        activation=lambda v: -torch.exp(-v),
    ),
    "pearson": FDivergence(
        "pearson",
        f=lambda u: (u - 1) ** 2,
        f_prime=lambda u: 2 * (u - 1),
        f_star=lambda t: t**2 / 4 + t,
        activation=lambda v: v,
    ),
    "hellinger": FDivergence(
        "hellinger",
        f=lambda u: (torch.sqrt(u) - 1) ** 2,
        f_prime=lambda u: (torch.sqrt(u) - 1) / torch.sqrt(u),
        f_star=lambda t: t / (1 - t),
        activation=lambda v: 1 - torch.exp(-v),
        f_star_activation=torch.expm1,
    ),
    "js": FDivergence(
        "js",
        f=lambda u: -(u + 1) * torch.log((1 + u) / 2) + u * torch.log(u),
        f_prime=lambda u: torch.log(2 * u / (1 + u)),
        f_star=lambda t: -torch.log(2 - torch.exp(t)),
        activation=lambda v: LOG2 - F.softplus(-v),
        f_star_activation=lambda v: F.softplus(v) - LOG2,
    ),
    "gan": FDivergence(
        "gan",
        f=lambda u: u * torch.log(u) - (u + 1) * torch.log(u + 1),
        f_prime=lambda u: torch.log(u / (u + 1)),
        f_star=lambda t: -torch.log(-torch.expm1(t)),  # -log(1 - e^t) without cancellation near t = 0
        activation=lambda v: -F.softplus(-v),
        f_star_activation=F.softplus,
    ),
}


class FGAN(Objective):
    """Variational divergence minimisation with a named f-divergence.

    critic: max E_P[g_f(V(x))] - E_Q[f*(g_f(V(x)))].
    generator: ``saturating=False`` (default, Nowozin et al. Sec. 3.2) max E_Q[g_f(V(x))];
    ``saturating=True`` min the bound itself, i.e. max E_Q[f*(g_f(V(x)))].

    Example:
        KL: g_f(v) = v and f*(t) = exp(t - 1), so critic outputs 2 (real) and 1 (fake) give the bound
        2 - exp(0) = 1. For Jensen-Shannon, outputs 0 (the optimal critic when P = Q) give the bound 0:

        >>> import torch
        >>> from ganzoo.objectives import FGAN
        >>> real_out, fake_out = torch.tensor([2.0]), torch.tensor([1.0])
        >>> kl = FGAN("kl")
        >>> kl.estimate(real_out, [fake_out]), kl.generator_loss([fake_out])  # the bound; -E g_f(V(x_g))
        (tensor(1.), tensor(-1.))
        >>> FGAN("js").estimate(torch.zeros(3), [torch.zeros(3)])
        tensor(0.)
    """

    def __init__(self, divergence: str | None = None, saturating: bool = False):
        if divergence is None:  # no default: a recipe that names the objective names its divergence
            raise ValueError(f"objective 'fgan' needs a divergence, one of {sorted(F_DIVERGENCES)}: e.g. "
                             "{name: fgan, divergence: js} (the FGAN variant's default)")
        if divergence not in F_DIVERGENCES:
            raise ValueError(f"divergence must be one of {sorted(F_DIVERGENCES)}, got {divergence!r}")
        self.div = F_DIVERGENCES[divergence]
        self.saturating = saturating
        self.name = f"f-gan:{divergence}"

    def critic_loss(self, real_out: Tensor, fake_outs: Sequence[Tensor]) -> Tensor:
        # minus the bound E_P[T] - E_Q[f*(T)] at T = g_f(V), with f*(g_f(.)) evaluated stably
        t_real = self.div.activation(scalar(real_out))
        return -(t_real.mean() - self.div.conjugate_of_activation(scalar(fake_outs[0])).mean())

    def generator_loss(self, fake_outs: Sequence[Tensor], real_out: Tensor | None = None) -> Tensor:
        v_fake = scalar(fake_outs[0])
        if self.saturating:
            return -self.div.conjugate_of_activation(v_fake).mean()
        return -self.div.activation(v_fake).mean()

    def __repr__(self) -> str:
        return f"FGAN(divergence={self.div.name!r}, saturating={self.saturating})"
