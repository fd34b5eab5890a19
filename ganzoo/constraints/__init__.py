"""Constraints on the critic: weight clipping, gradient penalties, R1 / R2, spectral norm, LeCam.

A constraint has three hooks, called by the shared module:
``prepare(critic)`` once at construction, ``penalty(witness, real, fake)`` inside every critic step
(added to the critic loss), ``after_critic_step(critic)`` after every critic optimizer step.
Penalties run in the training precision: under ``bf16-mixed`` the critic's forward and double backward at the
penalty's points run in bfloat16 like the rest of the critic step (on a CPU with AMX that makes a WGAN-GP critic
step about 1.4x faster than an fp32 penalty inside a bf16 step), while the points themselves, the input gradient
and its norm are float32 (``_grad_norm``).
"""

from __future__ import annotations

import functools
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn.utils import parametrizations

from ganzoo.checks import check_positive
from ganzoo.objectives.base import Witness
from ganzoo.registry import build_spec


class Constraint:
    name = "constraint"
    #: the penalty differentiates the critic's gradient (``autograd.grad(create_graph=True)``): torch.compile cannot
    #: capture that critic
    double_backward: bool = False
    #: the penalty takes the witness's gradient at the step's real and generated samples themselves (R1, R2), not at
    #: new points: the module then runs the loss's forward pass on inputs that require grad and hands the penalty
    #: those outputs (:func:`reusing_witness`), one critic forward pass fewer per penalised batch
    at_samples: bool = False

    def prepare(self, critic: nn.Module) -> None:
        """Modify the critic once, before its optimizer is built."""

    def penalty(self, witness: Witness, real: Tensor, fake: Tensor) -> Tensor | None:
        """A term added to the critic loss, or ``None``."""
        return None

    def after_critic_step(self, critic: nn.Module) -> None:
        """Called after every critic optimizer step."""

    def state_dict(self) -> dict[str, Any]:
        """What a stateful constraint carries across steps (saved in checkpoints; empty for the stateless ones)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`."""


class WeightClipping(Constraint):
    """Clamp every critic parameter to [-c, c] after each critic step (Arjovsky et al. 2017, c = 0.01).

    Example:
        >>> import torch
        >>> from ganzoo.constraints import WeightClipping
        >>> critic = torch.nn.Linear(2, 1)
        >>> WeightClipping(clip=0.01).after_critic_step(critic)  # what the training loop calls after a critic step
        >>> critic.weight.abs().max().item() <= 0.01, critic.bias.abs().max().item() <= 0.01
        (True, True)
    """

    name = "weight_clipping"

    def __init__(self, clip: float = 0.01):
        check_positive("clip", clip)
        self.clip = float(clip)

    @torch.no_grad()
    def after_critic_step(self, critic: nn.Module) -> None:
        for p in critic.parameters():
            p.clamp_(-self.clip, self.clip)

    def __repr__(self) -> str:
        return f"WeightClipping(clip={self.clip})"


def _grad_norm(witness: Witness, x: Tensor) -> Tensor:
    """Per-sample ||d witness(x) / dx||_2 in float32, differentiable w.r.t. the critic's parameters.

    ``x`` is taken in float32; the witness runs in the ambient precision (under autocast its layers compute in
    bfloat16), and the gradient with respect to the float32 input comes back in float32, so the norm and the
    penalty built on it are float32 whatever the precision of the critic's layers. A float32 leaf that already
    requires grad is used as it is (the samples of a :func:`reusing_witness`).
    """
    if not (x.requires_grad and x.is_leaf and x.dtype == torch.float32):
        x = x.detach().float().requires_grad_(True)
    out = witness(x)
    (grad,) = torch.autograd.grad(out.float().sum(), x, create_graph=True)
    return grad.float().reshape(grad.shape[0], -1).norm(2, dim=1)


def reusing_witness(witness: Witness, known: list[tuple[Tensor, Tensor]]) -> Witness:
    """``witness``, except at the tensors of ``known`` (``(input, output)`` pairs: inputs that require grad and the
    witness's outputs on them, from the loss's forward pass), where it returns the output already computed: the same
    function at the same points, one forward pass fewer. A penalty at other points (interpolates) calls ``witness``.

    Example:
        >>> import torch
        >>> from ganzoo.constraints import R1, reusing_witness
        >>> calls = []
        >>> def witness(x):
        ...     calls.append(len(x))
        ...     return 2 * x[:, 1]
        >>> real, fake = torch.randn(4, 2, requires_grad=True), torch.randn(4, 2, requires_grad=True)
        >>> reuse = reusing_witness(witness, [(real, witness(real)), (fake, witness(fake))])  # the loss's passes
        >>> R1(gamma=10.0, on="both").penalty(reuse, real, fake), calls  # no further call of the witness
        (tensor(40.), [4, 4])
    """

    def reuse(x: Tensor) -> Tensor:
        for inp, out in known:
            if x is inp:
                return out
        return witness(x)

    return reuse


def interpolate(real: Tensor, fake: Tensor, eps: Tensor | None = None) -> Tensor:
    """x_hat = eps x_r + (1 - eps) x_g with one eps ~ U[0, 1] per sample (or the given ``eps``, shape ``(B,)``)."""
    dtype = torch.promote_types(real.dtype, torch.float32)
    shape = (real.shape[0],) + (1,) * (real.dim() - 1)
    if eps is None:
        eps = torch.rand(shape, device=real.device, dtype=dtype)
    else:
        eps = eps.to(device=real.device, dtype=dtype).reshape(shape)
    return eps * real.detach().to(dtype) + (1 - eps) * fake.detach().to(dtype)


class GradientPenalty(Constraint):
    """WGAN-GP (Gulrajani et al. 2017): weight * E (||grad f(x_hat)|| - target)^2 at interpolates.

    ``one_sided=True`` penalises only norms above ``target``: weight * E max(0, ||grad|| - target)^2.

    Example:
        A witness (the scalar critic, ``(B, ...) -> (B,)``) whose gradient has norm 2 everywhere: the penalty is
        10 x (2 - 1)^2 = 10 wherever the interpolates fall; a one-sided penalty ignores a norm of 1/2:

        >>> import torch
        >>> from ganzoo.constraints import GradientPenalty
        >>> real, fake = torch.randn(4, 2), torch.randn(4, 2)
        >>> GradientPenalty(weight=10.0).penalty(lambda x: 2 * x[:, 1], real, fake)
        tensor(10.)
        >>> GradientPenalty(weight=10.0, one_sided=True).penalty(lambda x: x[:, 1] / 2, real, fake)
        tensor(0.)
    """

    double_backward = True

    def __init__(self, weight: float = 10.0, one_sided: bool = False, target: float = 1.0):
        check_positive("weight", weight, allow_zero=True)
        check_positive("target", target)
        self.weight, self.one_sided, self.target = float(weight), one_sided, float(target)
        self.name = "gradient_penalty_one_sided" if one_sided else "gradient_penalty"

    def prepare(self, critic: nn.Module) -> None:
        bn = [n for n, m in critic.named_modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        if bn and self.weight > 0:
            raise ValueError(
                f"the gradient penalty is per-sample, but the critic has batch norm ({', '.join(bn[:3])}), which mixes "
                "the samples of a batch (Gulrajani et al. 2017, sec. 4); use a critic without batch norm, e.g. "
                "norm='layer' or 'none'"
            )

    def draw_eps(self, real: Tensor) -> Tensor | None:
        """The interpolation weights ``(B,)``; ``None`` draws U[0, 1] from the global RNG (override to fix them)."""
        return None

    def penalty(self, witness: Witness, real: Tensor, fake: Tensor) -> Tensor | None:
        if self.weight == 0:
            return None
        excess = _grad_norm(witness, interpolate(real, fake, self.draw_eps(real))) - self.target
        if self.one_sided:
            excess = excess.clamp_min(0)
        return self.weight * excess.pow(2).mean()

    def __repr__(self) -> str:
        return f"GradientPenalty(weight={self.weight}, one_sided={self.one_sided}, target={self.target})"


R1_SIDES = {"real": "r1", "fake": "r2", "both": "r1_r2"}  # where the penalty is taken -> the constraint's name


class R1(Constraint):
    """Zero-centred gradient penalties: R1 on the real samples (Mescheder et al. 2018, eq. 9), R2 on the generated
    ones (their eq. 10), or both (Huang et al. 2024, R3GAN: the two together keep the relativistic pairing loss
    locally convergent):

    ``on="real"``: (gamma / 2) E_real ||grad D(x_r)||^2;  ``on="fake"``: (gamma / 2) E_fake ||grad D(x_g)||^2;
    ``on="both"``: (gamma / 2) (E_real ||grad D(x_r)||^2 + E_fake ||grad D(x_g)||^2), the official R3GAN code's
    ``(Gamma / 2) * (R1Penalty + R2Penalty)`` (``brownvc/R3GAN``, ``R3GAN/Trainer.py``), at the step's fakes.

    ganzoo's ``gamma`` follows the papers' gamma/2 convention (as do StyleGAN2's ``r1_gamma`` and R3GAN's ``Gamma``).
    Registered as ``r1``, ``r2`` and ``r1_r2``. A schedule of gamma (R3GAN's cosine 0.05 -> 0.005) is the critic
    schedule's ``penalty_schedule`` (:class:`~ganzoo.training.CriticSchedule`), which scales every penalty.

    Example:
        A witness whose gradient has norm 2 everywhere: (10 / 2) x 2^2 = 20 at the real samples only; R1 + R2 counts
        it at the real and at the generated samples:

        >>> import torch
        >>> from ganzoo.constraints import R1
        >>> real, fake = torch.randn(4, 2), torch.randn(4, 2)
        >>> R1(gamma=10.0).penalty(lambda x: 2 * x[:, 1], real, fake)
        tensor(20.)
        >>> R1(gamma=10.0, on="both").penalty(lambda x: 2 * x[:, 1], real, fake)
        tensor(40.)
        >>> R1(gamma=10.0, on="fake").name
        'r2'
    """

    double_backward = True
    at_samples = True

    def __init__(self, gamma: float = 10.0, on: str = "real"):
        check_positive("gamma", gamma, allow_zero=True)
        if on not in R1_SIDES:
            raise ValueError(f"on must be one of {sorted(R1_SIDES)} (the samples the penalty is taken at), got {on!r}")
        self.gamma, self.on, self.name = float(gamma), on, R1_SIDES[on]

    def penalty(self, witness: Witness, real: Tensor, fake: Tensor) -> Tensor | None:
        if self.gamma == 0:
            return None
        points = {"real": (real,), "fake": (fake,), "both": (real, fake)}[self.on]
        total = None
        for x in points:  # one pass per side: a batch-norm critic sees each batch as the loss's forward pass did
            sq = _grad_norm(witness, x).pow(2).mean()
            total = sq if total is None else total + sq
        return 0.5 * self.gamma * total

    def __repr__(self) -> str:
        return f"R1(gamma={self.gamma})" if self.on == "real" else f"R1(gamma={self.gamma}, on={self.on!r})"


class SpectralNorm(Constraint):
    """Spectral normalisation (Miyato et al. 2018) of every Linear/Conv layer of the critic.

    Uses ``torch.nn.utils.parametrizations.spectral_norm`` (one power iteration per forward pass).

    Example:
        >>> import torch
        >>> from ganzoo.constraints import SpectralNorm
        >>> _ = torch.manual_seed(0)
        >>> critic = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.LeakyReLU(0.2), torch.nn.Linear(16, 1))
        >>> SpectralNorm().prepare(critic)  # what the module calls once, before building the optimizer
        >>> [round(torch.linalg.matrix_norm(critic[i].weight, 2).item(), 2) for i in (0, 2)]  # largest singular values
        [1.0, 1.0]
    """

    name = "spectral_norm"
    LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose2d, nn.Embedding)

    def __init__(self, n_power_iterations: int = 1):
        if n_power_iterations < 1:
            raise ValueError(f"n_power_iterations must be >= 1, got {n_power_iterations}")
        self.n_power_iterations = n_power_iterations

    def prepare(self, critic: nn.Module) -> None:
        apply_spectral_norm(critic, self.n_power_iterations)

    def __repr__(self) -> str:
        return f"SpectralNorm(n_power_iterations={self.n_power_iterations})"


def mean_over_ranks(t: Tensor) -> Tensor:
    """``t`` averaged over the ranks of the running ``torch.distributed`` group (Lightning's DDP), or ``t`` itself
    in one process."""
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        t = t.clone()
        dist.all_reduce(t)
        t = t / dist.get_world_size()
    return t


class LeCam(Constraint):
    """LeCam regularisation (Tseng et al. 2021, "Regularizing Generative Adversarial Networks under Limited Data",
    eq. 3): the critic's outputs on real samples are pulled below a moving average of its outputs on generated ones,
    and those on generated samples above a moving average of its outputs on real ones:

    ``weight * (E relu(D(x_r) - a_F)^2 + E relu(a_R - D(x_g))^2)``

    where ``a_R``, ``a_F`` are exponential moving averages (``decay``) of the batch means of ``D`` on the real and the
    generated samples, updated at every penalised critic step before the term is taken (for the first ``start``
    updates they are the current means). It bounds how far a memorising critic can push the two apart, which is
    what ruins small-data training. The defaults are the reference code's for CIFAR-10 (``google/lecam-gan``,
    BigGAN: ``--LC 0.3``, ``ema_losses(decay=0.99, start_itr=1000)``); there ``start`` counts generator
    iterations, here the constraint's own updates (critic steps). ``D`` is the objective's witness (the critic's
    raw output for the GAN losses), reused from the loss's forward pass. Under DDP the means are averaged over the
    ranks, so the anchors are those of the global batch. The anchors are saved in checkpoints.

    Example:
        Outputs 2 on the real and -1 on the generated samples: the first update sets the anchors to those means, and
        the penalty is 0.3 x ((2 - (-1))^2 + (2 - (-1))^2) = 5.4:

        >>> import torch
        >>> from ganzoo.constraints import LeCam
        >>> real, fake = torch.ones(4, 2), -torch.ones(4, 2)
        >>> lecam = LeCam()
        >>> lecam.penalty(lambda x: x[:, 0] * torch.where(x[:, 0] > 0, 2.0, 1.0), real, fake)
        tensor(5.4000)
        >>> lecam.state_dict()["anchors"].tolist()
        [2.0, -1.0]
    """

    name = "lecam"
    at_samples = True

    def __init__(self, weight: float = 0.3, decay: float = 0.99, start: int = 1000):
        check_positive("weight", weight, allow_zero=True)
        if not 0 <= decay < 1:
            raise ValueError(f"decay must be in [0, 1) (the anchors' moving-average decay), got {decay}")
        if start < 0:
            raise ValueError(f"start must be >= 0 (updates before the anchors average), got {start}")
        self.weight, self.decay, self.start = float(weight), float(decay), int(start)
        self.updates, self.anchors = 0, None  # anchors: tensor([a_R, a_F]) on the critic's device

    def penalty(self, witness: Witness, real: Tensor, fake: Tensor) -> Tensor | None:
        if self.weight == 0:
            return None
        d_real, d_fake = witness(real).float(), witness(fake).float()
        means = mean_over_ranks(torch.stack([d_real.detach().mean(), d_fake.detach().mean()]))
        if self.anchors is None or self.updates < self.start:
            self.anchors = means
        else:
            self.anchors = self.decay * self.anchors.to(means.device) + (1 - self.decay) * means
        self.updates += 1
        a_real, a_fake = self.anchors
        return self.weight * ((d_real - a_fake).relu().pow(2).mean() + (a_real - d_fake).relu().pow(2).mean())

    def state_dict(self) -> dict[str, Any]:
        return {"updates": self.updates, "anchors": None if self.anchors is None else self.anchors.detach().cpu()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.updates, self.anchors = int(state["updates"]), state["anchors"]

    def __repr__(self) -> str:
        return f"LeCam(weight={self.weight}, decay={self.decay}, start={self.start})"


def apply_spectral_norm(module: nn.Module, n_power_iterations: int = 1) -> nn.Module:
    """Wrap every Linear/Conv/Embedding weight of ``module`` with spectral normalisation, in place."""
    for m in list(module.modules()):
        if isinstance(m, SpectralNorm.LAYERS) and not parametrizations.parametrize.is_parametrized(m, "weight"):
            parametrizations.spectral_norm(m, n_power_iterations=n_power_iterations)
    return module


CONSTRAINTS = {
    "weight_clipping": WeightClipping,
    "gradient_penalty": GradientPenalty,
    "gradient_penalty_one_sided": functools.partial(GradientPenalty, one_sided=True),
    "r1": R1,
    "r2": functools.partial(R1, on="fake"),
    "r1_r2": functools.partial(R1, on="both"),
    "spectral_norm": SpectralNorm,
    "lecam": LeCam,
}


def make_constraint(spec: str | dict[str, Any] | Constraint) -> Constraint:
    """Build a constraint from a config value: a name of ``CONSTRAINTS`` (the paper's defaults), a mapping with
    its arguments (``{"name": "gradient_penalty", "weight": 10}``) or the class_path form; a built
    :class:`Constraint` is returned as is."""
    return build_spec(CONSTRAINTS, spec, "constraint", Constraint)


__all__ = [
    "CONSTRAINTS", "make_constraint", "Constraint", "WeightClipping", "GradientPenalty", "R1", "R1_SIDES",
    "SpectralNorm", "LeCam",
    "apply_spectral_norm", "mean_over_ranks", "interpolate", "reusing_witness",
]
