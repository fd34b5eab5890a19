"""Lipschitz constraints checked against analytic gradients, singular values and hand-computed values.

Penalties are computed in float32 by design (see ganzoo.constraints), so critics here are float32 and the
tolerances are float32 ones.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ganzoo.constraints import (
    R1,
    GradientPenalty,
    SpectralNorm,
    WeightClipping,
    apply_spectral_norm,
    interpolate,
    make_constraint,
    reusing_witness,
)
from ganzoo.objectives import Wasserstein


def linear_critic(w: torch.Tensor, b: float = 0.3) -> nn.Linear:
    critic = nn.Linear(w.numel(), 1)
    with torch.no_grad():
        critic.weight.copy_(w.reshape(1, -1))
        critic.bias.fill_(b)
    return critic


def direction(d: int, norm: float, seed: int = 0) -> torch.Tensor:
    w = torch.randn(d, generator=torch.Generator().manual_seed(seed))
    return w / w.norm() * norm


# ---------------------------------------------------------------------------------------------------
# 1. gradient penalty

@pytest.mark.parametrize("norm", [2.5, 0.4])
@pytest.mark.parametrize("one_sided", [False, True])
def test_gradient_penalty_of_linear_critic(norm, one_sided):
    d, weight = 6, 7.0
    critic = linear_critic(direction(d, norm))
    torch.manual_seed(1)
    real, fake = torch.randn(16, d), torch.randn(16, d) + 2.0
    gp = GradientPenalty(weight=weight, one_sided=one_sided)
    pen = gp.penalty(lambda x: critic(x).reshape(-1), real, fake)

    excess = norm - 1.0
    if one_sided:
        excess = max(excess, 0.0)
    assert pen.item() == pytest.approx(weight * excess**2, rel=1e-5, abs=1e-7)

    # differentiable w.r.t. the critic: d/dw weight (||w|| - 1)^2 = 2 weight (||w|| - 1) w / ||w||
    pen.backward()
    w = critic.weight.detach().reshape(-1)
    expected = 2 * weight * excess * w / w.norm()
    torch.testing.assert_close(critic.weight.grad.reshape(-1), expected, rtol=1e-5, atol=1e-6)
    assert critic.bias.grad is None or critic.bias.grad.abs().max().item() < 1e-6
    if norm > 1:
        assert expected.abs().max() > 1.0  # the gradient check is not vacuous


def test_gradient_penalty_target_and_zero_weight():
    critic = linear_critic(direction(4, 3.0, seed=2))
    real, fake = torch.randn(8, 4), torch.randn(8, 4)
    witness = lambda x: critic(x).reshape(-1)  # noqa: E731
    pen = GradientPenalty(weight=2.0, target=2.0).penalty(witness, real, fake)
    assert pen.item() == pytest.approx(2.0 * (3.0 - 2.0) ** 2, rel=1e-5)
    assert GradientPenalty(weight=0.0).penalty(witness, real, fake) is None


def test_gradient_penalty_of_nonlinear_critic_uses_interpolates():
    # f(x) = 0.5 ||x||^2 has gradient x: the penalty is weight * E (||x_hat|| - 1)^2 at the interpolates.
    # real = a e, fake = -a e  =>  x_hat = (2 eps - 1) a e with eps ~ U[0, 1], so
    # E (||x_hat|| - 1)^2 = E (a |2 eps - 1| - 1)^2 = a^2 / 3 - a + 1  (|2 eps - 1| ~ U[0, 1]).
    torch.manual_seed(3)
    a, n, d = 3.0, 20000, 2
    e = torch.tensor([0.6, 0.8])
    real, fake = (a * e).expand(n, d).clone(), (-a * e).expand(n, d).clone()
    pen = GradientPenalty(weight=1.0).penalty(lambda x: 0.5 * x.pow(2).sum(1), real, fake)
    expected = a**2 / 3 - a + 1
    # Monte-Carlo over n eps: the sd of (a u - 1)^2 for u ~ U[0, 1] is < 2 here, so 5 sd < 0.07
    assert pen.item() == pytest.approx(expected, abs=0.07)


def test_interpolate_one_coefficient_per_sample():
    torch.manual_seed(4)
    b = 6
    fake = torch.randn(b, 3, 4, 5)
    real = fake + 1.0 + torch.rand(b, 3, 4, 5)  # real - fake in [1, 2]: ratios are well conditioned
    x_hat = interpolate(real, fake)
    assert x_hat.shape == real.shape
    ratio = ((x_hat.double() - fake.double()) / (real.double() - fake.double())).reshape(b, -1)
    eps = ratio[:, 0]
    assert (ratio.max(1).values - ratio.min(1).values).max().item() < 1e-5  # one eps per sample
    assert ((eps >= 0) & (eps <= 1)).all()
    assert (eps.max() - eps.min()).item() > 0.05  # eps differs across samples
    assert len({round(v, 5) for v in eps.tolist()}) == b


def test_interpolate_eps_is_uniform():
    torch.manual_seed(5)
    n = 20000
    real, fake = torch.ones(n, 1), torch.zeros(n, 1)
    eps = interpolate(real, fake).reshape(-1)
    # U[0, 1]: mean 1/2 (sd 1 / sqrt(12 n) ~ 0.002), variance 1/12
    assert eps.mean().item() == pytest.approx(0.5, abs=0.01)
    assert eps.var().item() == pytest.approx(1 / 12, abs=0.005)
    assert eps.min().item() >= 0 and eps.max().item() <= 1


# ---------------------------------------------------------------------------------------------------
# 2. R1

class HalfSquaredNorm(nn.Module):
    """D(x) = 0.5 * a * ||x||^2 per sample (gradient a x), with a learnable scale a."""

    def __init__(self, a: float):
        super().__init__()
        self.a = nn.Parameter(torch.tensor(a))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 0.5 * self.a * x.reshape(x.shape[0], -1).pow(2).sum(1)


@pytest.mark.parametrize("shape", [(10, 5), (4, 3, 2, 2)])
def test_r1_penalty_closed_form(shape):
    torch.manual_seed(6)
    gamma, a = 4.0, 1.5
    critic = HalfSquaredNorm(a)
    real = torch.randn(*shape)
    fake = torch.randn(*shape) * 10  # R1 must not look at the fakes
    pen = R1(gamma).penalty(critic, real, fake)
    sq = real.reshape(shape[0], -1).pow(2).sum(1).mean()
    # (gamma / 2) E ||grad D(x_r)||^2 = (gamma / 2) a^2 E ||x_r||^2
    assert pen.item() == pytest.approx(gamma / 2 * a**2 * sq.item(), rel=1e-5)
    pen.backward()
    assert critic.a.grad.item() == pytest.approx(gamma * a * sq.item(), rel=1e-5)


def test_r1_zero_gamma_is_no_penalty():
    assert R1(0.0).penalty(HalfSquaredNorm(1.0), torch.randn(3, 2), torch.randn(3, 2)) is None


@pytest.mark.parametrize("on", ["fake", "both"])
def test_r2_and_r1_r2_penalties_closed_form(on):
    """R2 (Mescheder et al. eq. 10) at the generated samples and R3GAN's gamma/2 (R1 + R2) at both, on the critic
    D(x) = a/2 ||x||^2 (gradient a x): (gamma / 2) a^2 (E ||x_g||^2 [+ E ||x_r||^2]), and its derivative in a."""
    torch.manual_seed(7)
    gamma, a = 0.05, 1.5
    critic = HalfSquaredNorm(a)
    real, fake = torch.randn(6, 1, 4, 4), torch.randn(6, 1, 4, 4) * 3
    sq_real, sq_fake = (x.reshape(6, -1).pow(2).sum(1).mean().item() for x in (real, fake))
    sq = sq_fake + (sq_real if on == "both" else 0.0)
    pen = R1(gamma, on=on).penalty(critic, real, fake)
    assert pen.item() == pytest.approx(gamma / 2 * a**2 * sq, rel=1e-5)
    pen.backward()
    assert critic.a.grad.item() == pytest.approx(gamma * a * sq, rel=1e-5)
    assert make_constraint({"name": {"fake": "r2", "both": "r1_r2"}[on], "gamma": gamma}).penalty(
        critic, real, fake).item() == pytest.approx(pen.item(), rel=1e-6)


def test_r1_r2_matches_the_official_code_on_a_tiny_critic():
    """The official R3GAN penalty (``R3GAN/Trainer.py``: the squared input gradient summed over (C, H, W) per sample,
    ``(Gamma / 2) * (R1Penalty + R2Penalty)``, averaged over the batch), transcribed, on a small conv critic."""
    torch.manual_seed(8)
    critic = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(64, 1))
    real, fake = torch.randn(5, 1, 4, 4), torch.randn(5, 1, 4, 4)

    def official_penalty(samples):
        samples = samples.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(critic(samples).sum(), samples, create_graph=True)
        return grad.square().sum([1, 2, 3])

    gamma = 0.05
    expected = (gamma / 2 * (official_penalty(real) + official_penalty(fake))).mean()
    ours = R1(gamma, on="both").penalty(lambda x: critic(x).squeeze(1), real, fake)
    torch.testing.assert_close(ours, expected)
    ga = torch.autograd.grad(ours, critic[0].weight)[0]
    gb = torch.autograd.grad(expected, critic[0].weight)[0]
    torch.testing.assert_close(ga, gb)


def test_the_loss_outputs_serve_the_penalty_with_the_same_value_and_gradient():
    """reusing_witness: R1 + R2 from the loss's own forward pass equals the penalty's own forward pass, in value and
    in the critic's gradient, without calling the critic again at the samples; other points still call it."""
    torch.manual_seed(9)
    critic = nn.Sequential(nn.Linear(3, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))
    calls = []

    def witness(x):
        calls.append(x)
        return critic(x).squeeze(1)

    params = [critic[0].weight, critic[0].bias, critic[2].weight]  # the last bias does not move the gradient
    real, fake = torch.randn(8, 3), torch.randn(8, 3)
    plain = R1(0.5, on="both").penalty(witness, real, fake)
    g_plain = torch.autograd.grad(plain, params)
    calls.clear()
    xr, xf = real.clone().requires_grad_(True), fake.clone().requires_grad_(True)
    known = [(xr, witness(xr)), (xf, witness(xf))]
    reused = R1(0.5, on="both").penalty(reusing_witness(witness, known), xr, xf)
    assert len(calls) == 2  # the two forward passes of the loss, none for the penalty
    torch.testing.assert_close(reused, plain)
    for a, b in zip(torch.autograd.grad(reused, params), g_plain, strict=True):
        torch.testing.assert_close(a, b)
    GradientPenalty(1.0).penalty(reusing_witness(witness, known), xr, xf)  # interpolates: a new point, computed
    assert len(calls) == 3


def test_r1_names_and_bad_side():
    assert [R1(on=s).name for s in ("real", "fake", "both")] == ["r1", "r2", "r1_r2"]
    assert R1.at_samples and not GradientPenalty.at_samples
    with pytest.raises(ValueError, match="^on must be one of"):
        R1(on="interpolates")


# ---------------------------------------------------------------------------------------------------
# 3. weight clipping

def _mlp(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1))
    with torch.no_grad():  # start inside the box, so that leaving it is the optimizer's doing
        for p in net.parameters():
            p.uniform_(-0.005, 0.005)
    return net


def _train(clip: WeightClipping | None, steps: int = 6) -> tuple[nn.Module, list[float], list[float]]:
    critic = _mlp(7)
    opt = torch.optim.RMSprop(critic.parameters(), lr=1e-2)
    obj = Wasserstein()
    gen = torch.Generator().manual_seed(8)
    max_abs, frac_at_bound = [], []
    for _ in range(steps):
        real = torch.randn(32, 4, generator=gen) + 1.0
        fake = torch.randn(32, 4, generator=gen) - 1.0
        loss = obj.critic_loss(critic(real), [critic(fake)])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if clip is not None:
            clip.after_critic_step(critic)
        flat = torch.cat([p.detach().reshape(-1) for p in critic.parameters()])
        max_abs.append(flat.abs().max().item())
        frac_at_bound.append((flat.abs() == 0.01).float().mean().item())
    return critic, max_abs, frac_at_bound


def test_weight_clipping_keeps_parameters_in_box():
    _, max_abs, at_bound = _train(WeightClipping(0.01))
    assert all(m <= 0.01 for m in max_abs)
    assert all(f > 0 for f in at_bound)  # the clip was active at every step
    assert max(at_bound) > 0.1


def test_without_clipping_the_same_training_leaves_the_box():
    _, max_abs, _ = _train(None)
    assert max_abs[-1] > 0.02


# ---------------------------------------------------------------------------------------------------
# 4. spectral norm

def _big_critic() -> nn.Module:
    torch.manual_seed(9)
    net = nn.Sequential(
        nn.Linear(8, 32), nn.LeakyReLU(0.2), nn.Linear(32, 24), nn.LeakyReLU(0.2), nn.Linear(24, 1)
    )
    with torch.no_grad():
        for m in net:
            if isinstance(m, nn.Linear):
                m.weight.mul_(10.0)
    return net


def test_spectral_norm_normalises_every_linear_layer():
    critic = _big_critic()
    linears = [m for m in critic if isinstance(m, nn.Linear)]
    sigma_before = [torch.linalg.matrix_norm(m.weight.detach(), ord=2).item() for m in linears]
    assert min(sigma_before) > 3.0  # the raw weights are far from 1-Lipschitz

    SpectralNorm().prepare(critic)
    critic.train()
    x = torch.randn(16, 8)
    with torch.no_grad():
        for _ in range(20):  # one power iteration per forward pass in train mode
            critic(x)
    critic.eval()
    for m, s0 in zip(linears, sigma_before):
        w = m.weight.detach()
        sigma = torch.linalg.matrix_norm(w, ord=2).item()
        assert sigma == pytest.approx(1.0, abs=2e-2)
        # the effective weight is the raw weight rescaled, not replaced
        torch.testing.assert_close(w * s0, m.parametrizations.weight.original.detach(), rtol=3e-2, atol=1e-4)


def test_spectral_norm_conv_layer():
    torch.manual_seed(10)
    conv = nn.Conv2d(3, 8, 3)
    with torch.no_grad():
        conv.weight.mul_(20.0)
    net = nn.Sequential(conv)
    SpectralNorm().prepare(net)
    x = torch.randn(2, 3, 6, 6)
    with torch.no_grad():
        for _ in range(20):
            net(x)
    net.eval()
    sigma = torch.linalg.matrix_norm(conv.weight.detach().reshape(8, -1), ord=2).item()
    assert sigma == pytest.approx(1.0, abs=2e-2)


def test_spectral_norm_applied_twice_does_not_double_wrap():
    critic = _big_critic()
    SpectralNorm().prepare(critic)
    SpectralNorm().prepare(critic)
    apply_spectral_norm(critic)
    for m in critic:
        if isinstance(m, nn.Linear):
            assert len(m.parametrizations.weight) == 1
    assert sum(1 for _ in critic.parameters()) == 6  # original weights and biases only


def test_spectral_norm_rejects_zero_iterations():
    with pytest.raises(ValueError, match="n_power_iterations"):
        SpectralNorm(0)


# ---------------------------------------------------------------------------------------------------
# 5. invalid hyperparameters

@pytest.mark.parametrize("clip", [0, -1, float("nan"), float("inf")])
def test_weight_clipping_rejects_bad_clip(clip):
    with pytest.raises(ValueError, match="clip"):
        WeightClipping(clip)


def test_penalties_reject_negative_weights():
    with pytest.raises(ValueError, match="^weight"):
        GradientPenalty(weight=-1)
    with pytest.raises(ValueError, match="target"):
        GradientPenalty(target=0)
    with pytest.raises(ValueError, match="gamma"):
        R1(-1)


# ---------------------------------------------------------------------------------------------------
# 5. LeCam regularisation (Tseng et al. 2021)
def _lecam_reference(outs_real, outs_fake, weight=0.3, decay=0.99, start=1000):
    """The reference code's loop (google/lecam-gan, biggan_cifar): ``ema_losses.update`` of the batch means (decay
    0 before ``start_itr``) and then ``lecam_reg``, written out in Python floats."""
    ema_r = ema_f = None
    out = []
    for i, (r, f) in enumerate(zip(outs_real, outs_fake, strict=True)):
        d = 0.0 if i < start else decay
        mr, mf = sum(r) / len(r), sum(f) / len(f)
        ema_r = mr if ema_r is None else ema_r * d + mr * (1 - d)
        ema_f = mf if ema_f is None else ema_f * d + mf * (1 - d)
        reg = sum(max(x - ema_f, 0.0) ** 2 for x in r) / len(r) + sum(max(ema_r - x, 0.0) ** 2 for x in f) / len(f)
        out.append(weight * reg)
    return out


def test_lecam_follows_the_reference_recursion_across_its_start():
    from ganzoo.constraints import LeCam

    g = torch.Generator().manual_seed(0)
    outs = [(torch.randn(16, generator=g) + 1, torch.randn(16, generator=g) - 1) for _ in range(12)]
    lecam = LeCam(weight=0.3, decay=0.9, start=4)
    got = [lecam.penalty(lambda x: x, r, f).item() for r, f in outs]  # the witness is the identity on outputs
    want = _lecam_reference([r.tolist() for r, _ in outs], [f.tolist() for _, f in outs], 0.3, 0.9, 4)
    assert got == pytest.approx(want, rel=1e-5)
    assert lecam.updates == 12 and got[5] != pytest.approx(_lecam_reference(
        [r.tolist() for r, _ in outs], [f.tolist() for _, f in outs], 0.3, 0.9, 1000)[5], rel=1e-3)  # decay used


def test_lecam_gradient_pulls_outputs_toward_the_other_sides_anchor():
    from ganzoo.constraints import LeCam

    critic = linear_critic(torch.tensor([1.0, 0.0]), b=0.0)
    real = torch.tensor([[3.0, 0.0], [1.0, 0.0]])  # D = 3, 1: mean 2
    fake = torch.tensor([[-2.0, 0.0], [0.0, 0.0]])  # D = -2, 0: mean -1
    lecam = LeCam(weight=1.0, start=0)
    p = lecam.penalty(lambda x: critic(x).squeeze(1), real, fake)
    # a_R = 2, a_F = -1: relu(3 + 1)^2, relu(1 + 1)^2 -> 10; relu(2 + 2)^2, relu(2 - 0)^2 -> 10
    assert p.item() == pytest.approx(20.0)
    p.backward()
    # d/dw0: mean over real of 2 (D - a_F) x0 = (2*4*3 + 2*2*1) / 2 = 14; over fake of -2 (a_R - D) x0 = (-2*4*-2 +
    # -2*2*0) / 2 = 8; the anchors are constants (detached means)
    assert critic.weight.grad[0, 0].item() == pytest.approx(22.0)


def test_lecam_is_registered_refuses_bad_settings_and_round_trips_its_state():
    from ganzoo.constraints import LeCam

    assert isinstance(make_constraint("lecam"), LeCam) and repr(make_constraint("lecam")) == \
        "LeCam(weight=0.3, decay=0.99, start=1000)"
    for kw, name in (({"decay": 1.0}, "decay"), ({"start": -1}, "start"), ({"weight": -1.0}, "weight")):
        with pytest.raises(ValueError, match=name):
            LeCam(**kw)
    a = LeCam(start=1)
    for _ in range(3):
        a.penalty(lambda x: x, torch.randn(8), torch.randn(8))
    b = LeCam(start=1)
    b.load_state_dict(a.state_dict())
    r, f = torch.randn(8), torch.randn(8)
    assert torch.equal(a.penalty(lambda x: x, r, f), b.penalty(lambda x: x, r, f))
    assert LeCam(weight=0.0).penalty(lambda x: x, r, f) is None
