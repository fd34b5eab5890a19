"""Objectives checked against closed forms and independent numerical references.

f-divergences, JS / logistic GAN and energy distance are checked by quadrature in float64 for two 1-D
Gaussians P = N(0, 1), Q = N(0.5, 1.2^2). All six f-divergences D_f(P || Q) are finite for this pair:
the only delicate one, Pearson chi^2, needs int p^2 / q < inf, i.e. sigma_q > sigma_p / sqrt(2) (1.2 > 0.71).
"""

from __future__ import annotations

import math

import numpy as np
import ot
import pytest
import scipy.stats
import torch
from scipy.integrate import quad, simpson

from ganzoo.objectives import (
    F_DIVERGENCES,
    FGAN,
    OBJECTIVES,
    Hinge,
    LeastSquares,
    Logistic,
    MixRBF,
    MixRQ,
    Objective,
    RelativisticAverage,
    RelativisticPairing,
    Wasserstein,
    energy_distance_sq,
    make_kernel,
    make_objective,
    mmd2,
)

DT = torch.float64
MU_P, SIG_P = 0.0, 1.0
MU_Q, SIG_Q = 0.5, 1.2
LOG2 = math.log(2.0)

# quadrature grid: the densities are below 1e-45 outside [-15, 15]; Simpson with h = 1e-3
GRID = torch.linspace(-15.0, 15.0, 30001, dtype=DT)


def gauss_logpdf(x: torch.Tensor, mu: float, sigma: float) -> torch.Tensor:
    return -((x - mu) ** 2) / (2 * sigma**2) - math.log(sigma * math.sqrt(2 * math.pi))


LOG_P = gauss_logpdf(GRID, MU_P, SIG_P)
LOG_Q = gauss_logpdf(GRID, MU_Q, SIG_Q)
P, Q = LOG_P.exp(), LOG_Q.exp()
RATIO = (LOG_P - LOG_Q).exp()  # u = p / q


def integrate(values: torch.Tensor) -> float:
    assert torch.isfinite(values).all()
    return float(simpson(values.numpy(), x=GRID.numpy()))


# ---------------------------------------------------------------------------------------------------
# independent references (scipy densities, adaptive quadrature, Gaussian closed forms)

def _quad(fn) -> float:
    val, err = quad(fn, -25.0, 25.0, limit=400, epsabs=1e-14, epsrel=1e-12, points=[MU_P, MU_Q])
    assert err < 1e-9
    return val


def _p(x):
    return scipy.stats.norm.pdf(x, MU_P, SIG_P)


def _q(x):
    return scipy.stats.norm.pdf(x, MU_Q, SIG_Q)


def _log_p(x):
    return scipy.stats.norm.logpdf(x, MU_P, SIG_P)


def _log_q(x):
    return scipy.stats.norm.logpdf(x, MU_Q, SIG_Q)


def kl_gauss(m1: float, s1: float, m2: float, s2: float) -> float:
    """KL(N(m1, s1^2) || N(m2, s2^2)) in closed form."""
    return math.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5


def js_reference() -> float:
    """JS(P, Q) = KL(P || M) / 2 + KL(Q || M) / 2, M = (P + Q) / 2, by adaptive quadrature."""

    def integrand(x):
        log_m = np.logaddexp(_log_p(x), _log_q(x)) - LOG2
        return 0.5 * _p(x) * (_log_p(x) - log_m) + 0.5 * _q(x) * (_log_q(x) - log_m)

    return _quad(integrand)


def hellinger_sq_gauss() -> float:
    """int (sqrt p - sqrt q)^2 = 2 - 2 BC, Bhattacharyya coefficient of two Gaussians in closed form."""
    v = SIG_P**2 + SIG_Q**2
    bc = math.sqrt(2 * SIG_P * SIG_Q / v) * math.exp(-((MU_P - MU_Q) ** 2) / (4 * v))
    return 2 - 2 * bc


def reference_divergence(name: str) -> float:
    if name == "kl":
        return kl_gauss(MU_P, SIG_P, MU_Q, SIG_Q)
    if name == "reverse_kl":
        return kl_gauss(MU_Q, SIG_Q, MU_P, SIG_P)
    if name == "pearson":
        return _quad(lambda x: (_p(x) - _q(x)) ** 2 / _q(x))
    if name == "hellinger":
        return hellinger_sq_gauss()
    if name == "js":
        return 2 * js_reference()
    if name == "gan":
        return 2 * js_reference() - math.log(4.0)
    raise KeyError(name)


# g_f and f* written out from Nowozin et al. 2016, Table 2 (independent of ganzoo's lambdas)
HAND = {
    "kl": (lambda v: v, lambda t: np.exp(t - 1)),
    "reverse_kl": (lambda v: -np.exp(-v), lambda t: -1 - np.log(-t)),
    "pearson": (lambda v: v, lambda t: 0.25 * t**2 + t),
    "hellinger": (lambda v: 1 - np.exp(-v), lambda t: t / (1 - t)),
    "js": (lambda v: LOG2 - np.log1p(np.exp(-v)), lambda t: -np.log(2 - np.exp(t))),
    "gan": (lambda v: -np.log1p(np.exp(-v)), lambda t: -np.log(-np.expm1(t))),
}
# sup of dom f* (the domain is (-inf, sup))
DOMAIN_SUP = {
    "kl": math.inf, "reverse_kl": 0.0, "pearson": math.inf, "hellinger": 1.0, "js": LOG2, "gan": 0.0,
}
# critic output V* with g_f(V*) = T* = f'(p / q), as a function of log u = log p - log q
V_STAR = {
    "kl": lambda lu: 1 + lu,
    "reverse_kl": lambda lu: lu,
    "pearson": lambda lu: 2 * (lu.exp() - 1),
    "hellinger": lambda lu: 0.5 * lu,
    "js": lambda lu: lu,
    "gan": lambda lu: lu,
}

NAMES = sorted(F_DIVERGENCES)


def test_all_divergences_covered():
    assert set(F_DIVERGENCES) == {"kl", "reverse_kl", "pearson", "hellinger", "js", "gan"} == set(HAND)


def test_quadrature_grid_is_accurate():
    # the grid integrates both densities and their first two moments (sanity check of the reference)
    assert integrate(P) == pytest.approx(1.0, abs=1e-12)
    assert integrate(Q) == pytest.approx(1.0, abs=1e-12)
    assert integrate(Q * GRID) == pytest.approx(MU_Q, abs=1e-12)
    assert integrate(Q * (GRID - MU_Q) ** 2) == pytest.approx(SIG_Q**2, abs=1e-12)


# ---------------------------------------------------------------------------------------------------
# 1. f-divergences

@pytest.mark.parametrize("name", NAMES)
def test_f_divergence_matches_reference(name):
    div = F_DIVERGENCES[name]
    d_f = integrate(Q * div.f(RATIO))
    ref = reference_divergence(name)
    assert d_f == pytest.approx(ref, rel=1e-7, abs=1e-10)
    if name != "gan":  # every other f has f(1) = 0, so D_f >= 0 with equality iff P = Q
        assert d_f > 0.01


def test_kl_closed_form_matches_quadrature():
    # the closed forms used as references themselves agree with adaptive quadrature of the definition
    kl_pq = _quad(lambda x: _p(x) * (_log_p(x) - _log_q(x)))
    kl_qp = _quad(lambda x: _q(x) * (_log_q(x) - _log_p(x)))
    assert kl_pq == pytest.approx(kl_gauss(MU_P, SIG_P, MU_Q, SIG_Q), rel=1e-9)
    assert kl_qp == pytest.approx(kl_gauss(MU_Q, SIG_Q, MU_P, SIG_P), rel=1e-9)
    hellinger_sq = _quad(lambda x: (np.sqrt(_p(x)) - np.sqrt(_q(x))) ** 2)
    assert hellinger_sq == pytest.approx(hellinger_sq_gauss(), rel=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_variational_bound_is_tight_at_optimal_critic(name):
    div = F_DIVERGENCES[name]
    d_f = integrate(Q * div.f(RATIO))
    t_star = div.f_prime(RATIO)
    assert (t_star < DOMAIN_SUP[name]).all()
    bound = integrate(P * t_star) - integrate(Q * div.f_star(t_star))
    assert bound == pytest.approx(d_f, rel=1e-6, abs=1e-10)
    assert bound == pytest.approx(reference_divergence(name), rel=1e-6, abs=1e-10)


@pytest.mark.parametrize("name", NAMES)
def test_variational_bound_smaller_for_suboptimal_critic(name):
    div = F_DIVERGENCES[name]
    d_f = integrate(Q * div.f(RATIO))
    t_star = div.f_prime(RATIO)
    candidates = [0.8 * t_star, t_star - 0.3]  # both stay inside dom f* = (-inf, sup) for every f
    if DOMAIN_SUP[name] == math.inf:
        candidates.append(t_star + 0.3)
    for t in candidates:
        assert (t < DOMAIN_SUP[name]).all()
        bound = integrate(P * t) - integrate(Q * div.f_star(t))
        assert bound < d_f - 1e-4 * max(1.0, abs(d_f))


@pytest.mark.parametrize("name", NAMES)
def test_activation_maps_into_domain_of_conjugate(name):
    div = F_DIVERGENCES[name]
    v = torch.linspace(-20, 20, 4001, dtype=DT)
    t = div.activation(v)
    assert (t < DOMAIN_SUP[name]).all()
    fs = div.f_star(t)
    assert torch.isfinite(t).all() and torch.isfinite(fs).all()
    g, fstar = HAND[name]
    np.testing.assert_allclose(t.numpy(), g(v.numpy()), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fs.numpy(), fstar(g(v.numpy())), rtol=1e-9, atol=1e-12)
    # the stable fused form f*(g_f(v)) used by FGAN agrees with the two-step evaluation (which loses
    # ~eps * e^v relative accuracy to cancellation for hellinger at v = 20)
    np.testing.assert_allclose(div.conjugate_of_activation(v).numpy(), fs.numpy(), rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_optimal_critic_output_activates_to_t_star(name):
    div = F_DIVERGENCES[name]
    v_star = V_STAR[name](LOG_P - LOG_Q)
    torch.testing.assert_close(div.activation(v_star), div.f_prime(RATIO), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_fgan_losses_match_hand_formula(name):
    gen = torch.Generator().manual_seed(1)
    v_real = 3 * torch.randn(40, 1, dtype=DT, generator=gen)
    v_fake = 3 * torch.randn(30, dtype=DT, generator=gen)
    g, fstar = HAND[name]
    vr, vf = v_real.numpy().ravel(), v_fake.numpy()
    expected_critic = -(g(vr).mean() - fstar(g(vf)).mean())
    assert FGAN(name).critic_loss(v_real, [v_fake]).item() == pytest.approx(expected_critic, rel=1e-10)
    assert FGAN(name).estimate(v_real, [v_fake]).item() == pytest.approx(-expected_critic, rel=1e-10)
    assert FGAN(name).generator_loss([v_fake]).item() == pytest.approx(-g(vf).mean(), rel=1e-10)
    assert FGAN(name, saturating=True).generator_loss([v_fake]).item() == pytest.approx(
        -fstar(g(vf)).mean(), rel=1e-10
    )
    assert make_objective(f"f-{name}").critic_loss(v_real, [v_fake]).item() == pytest.approx(
        expected_critic, rel=1e-10
    )


@pytest.mark.parametrize("name", NAMES)
def test_fgan_losses_finite_in_float32_for_large_outputs(name):
    # float32 (the training dtype): g_f(v) rounds onto the boundary of dom f* for v >~ 17 (hellinger,
    # js, gan), where a naive f*(g_f(v)) is inf/nan although the true value is ~v or ~e^v
    v = torch.linspace(-20, 20, 401, dtype=torch.float32, requires_grad=True)
    g, fstar = HAND[name]
    v64 = v.detach().double().numpy()
    obj = FGAN(name)
    loss = obj.critic_loss(v.detach(), [v])
    assert loss.item() == pytest.approx(-(g(v64).mean() - fstar(g(v64)).mean()), rel=1e-5)
    loss.backward()
    assert torch.isfinite(v.grad).all()
    sat = FGAN(name, saturating=True).generator_loss([v.detach()])
    assert sat.item() == pytest.approx(-fstar(g(v64)).mean(), rel=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_fgan_critic_at_optimum_estimates_divergence(name):
    # end to end: critic outputs V* on "samples" at the midpoint quantiles of P and Q; the batch means
    # are then a deterministic quadrature of E_P and E_Q (converging like a Monte-Carlo-free rule)
    n = 200_000
    u = (np.arange(n) + 0.5) / n
    x_real = torch.from_numpy(scipy.stats.norm.ppf(u, MU_P, SIG_P))
    x_fake = torch.from_numpy(scipy.stats.norm.ppf(u, MU_Q, SIG_Q))

    def v_star(x):
        return V_STAR[name](gauss_logpdf(x, MU_P, SIG_P) - gauss_logpdf(x, MU_Q, SIG_Q))

    estimate = -FGAN(name).critic_loss(v_star(x_real), [v_star(x_fake)]).item()
    assert estimate == pytest.approx(reference_divergence(name), rel=3e-3)


def test_fdiv_js_and_gan_relations():
    js = js_reference()
    d_js = integrate(Q * F_DIVERGENCES["js"].f(RATIO))
    d_gan = integrate(Q * F_DIVERGENCES["gan"].f(RATIO))
    assert d_js == pytest.approx(2 * js, rel=1e-7)
    assert d_gan == pytest.approx(2 * js - math.log(4.0), rel=1e-7)
    assert 0 < js < LOG2


# ---------------------------------------------------------------------------------------------------
# 5. logistic (JS) GAN at the optimal discriminator

def test_logistic_critic_at_optimal_discriminator_is_2js_minus_2log2():
    obj = Logistic()
    logits = LOG_P - LOG_Q  # D* = p / (p + q) = sigmoid(log p - log q)
    d_star = P / (P + Q)

    # pointwise: a single real sample x_r and a single fake sample x_g
    idx = torch.arange(0, GRID.numel(), 997)
    for i, j in zip(idx.tolist(), reversed(idx.tolist())):
        loss = obj.critic_loss(logits[i : i + 1], [logits[j : j + 1]])
        expected = -(torch.log(d_star[i]) + torch.log1p(-d_star[j]))
        assert loss.item() == pytest.approx(expected.item(), rel=1e-10, abs=1e-12)

    # per-sample real and fake terms through the objective: a fake (real) logit of -60 (+60) adds < 1e-26
    def per_sample(real, fake):
        return torch.func.vmap(lambda r, f: obj.critic_loss(r.reshape(1), [f.reshape(1)]))(real, fake)

    big = torch.full_like(logits, 60.0)
    real_term = -per_sample(logits, -big)  # log D*(x)
    fake_term = -per_sample(big, logits)  # log(1 - D*(x))
    torch.testing.assert_close(real_term, torch.log(d_star), rtol=1e-9, atol=1e-12)
    value = integrate(P * real_term) + integrate(Q * fake_term)
    assert value == pytest.approx(2 * js_reference() - 2 * LOG2, rel=1e-8)

    # the discriminator D* is optimal: any perturbation of its logits lowers the value
    for delta in (0.2, -0.2, 0.1 * GRID):
        pert = logits + delta
        value_pert = integrate(P * -per_sample(pert, -big)) + integrate(Q * -per_sample(big, pert))
        assert value_pert < value - 1e-4


# ---------------------------------------------------------------------------------------------------
# 6. simple objectives on hand-made tensors

REAL = torch.tensor([2.0, 0.5, -0.5, 1.0, -3.0], dtype=DT)
FAKE = torch.tensor([[-2.0], [-0.25], [0.75], [1.5]], dtype=DT)  # (B, 1) outputs are accepted too


def _np(t):
    return t.numpy().ravel()


def test_wasserstein_losses():
    obj = Wasserstein()
    assert obj.critic_loss(REAL, [FAKE]).item() == pytest.approx(_np(FAKE).mean() - _np(REAL).mean())
    assert obj.generator_loss([FAKE]).item() == pytest.approx(-_np(FAKE).mean())
    assert obj.estimate(REAL, [FAKE]).item() == pytest.approx(_np(REAL).mean() - _np(FAKE).mean())


def test_hinge_losses():
    obj = Hinge()
    # real: relu(1 - d) = [0, 0.5, 1.5, 0, 4]; fake: relu(1 + d) = [0, 0.75, 1.75, 2.5]
    expected = np.mean([0, 0.5, 1.5, 0, 4]) + np.mean([0, 0.75, 1.75, 2.5])
    assert obj.critic_loss(REAL, [FAKE]).item() == pytest.approx(expected, rel=1e-12)
    assert obj.generator_loss([FAKE]).item() == pytest.approx(-np.mean([-2.0, -0.25, 0.75, 1.5]))
    assert obj.estimate(REAL, [FAKE]).item() == pytest.approx(_np(REAL).mean() - _np(FAKE).mean())
    # gradients only flow through the active branches
    r, f = REAL.clone().requires_grad_(True), FAKE.clone().requires_grad_(True)
    obj.critic_loss(r, [f]).backward()
    np.testing.assert_allclose(r.grad.numpy(), np.array([0, -1, -1, 0, -1]) / 5)
    np.testing.assert_allclose(f.grad.numpy().ravel(), np.array([0, 1, 1, 1]) / 4)


def test_least_squares_losses():
    obj = LeastSquares()
    r, f = _np(REAL), _np(FAKE)
    assert obj.critic_loss(REAL, [FAKE]).item() == pytest.approx(
        0.5 * np.mean((r - 1) ** 2) + 0.5 * np.mean(f**2), rel=1e-12
    )
    assert obj.generator_loss([FAKE]).item() == pytest.approx(0.5 * np.mean((f - 1) ** 2), rel=1e-12)


def test_relativistic_average_losses():
    """RaSGAN (Jolicoeur-Martineau 2018, eqs. 7-8) against the paper's formula written with numpy."""
    obj = RelativisticAverage()
    r, f = _np(REAL)[:4], _np(FAKE)  # equal batch sizes, as in training
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    d_rf, d_fr = sig(r - f.mean()), sig(f - r.mean())
    critic = -np.mean(np.log(d_rf)) - np.mean(np.log(1 - d_fr))
    gen = -np.mean(np.log(d_fr)) - np.mean(np.log(1 - d_rf))
    real = REAL[:4]
    assert obj.critic_loss(real, [FAKE]).item() == pytest.approx(critic, rel=1e-12)
    assert obj.generator_loss([FAKE], real).item() == pytest.approx(gen, rel=1e-12)
    assert obj.needs_real_for_generator
    with pytest.raises(ValueError, match="real batch"):
        obj.generator_loss([FAKE])
    # a critic that cannot tell real from fake (equal means) gives both players 2 log 2
    same = torch.zeros(4, dtype=torch.float64)
    assert obj.critic_loss(same, [same]).item() == pytest.approx(2 * np.log(2), rel=1e-12)


def _official_r3gan_losses(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> tuple[float, float]:
    """The adversarial terms of the official R3GAN code (``brownvc/R3GAN``, ``R3GAN/Trainer.py``), transcribed:
    ``AccumulateDiscriminatorGradients`` (penalties aside) and ``AccumulateGeneratorGradients``, each ``.mean()``."""
    relativistic_d = real_logits - fake_logits  # RelativisticLogits = RealLogits - FakeLogits
    d_loss = torch.nn.functional.softplus(-relativistic_d).mean()
    relativistic_g = fake_logits - real_logits  # RelativisticLogits = FakeLogits - RealLogits
    g_loss = torch.nn.functional.softplus(-relativistic_g).mean()
    return d_loss.item(), g_loss.item()


def test_relativistic_pairing_losses():
    """RpGAN (R3GAN eq. 2): real i paired with fake i, by hand with numpy and against the official code's terms."""
    obj = RelativisticPairing()
    r, f = _np(REAL)[:4], _np(FAKE)  # [2, 0.5, -0.5, 1] against [-2, -0.25, 0.75, 1.5]
    softplus = lambda z: np.log1p(np.exp(z))  # noqa: E731
    critic, gen = np.mean(softplus(-(r - f))), np.mean(softplus(-(f - r)))
    real = REAL[:4]
    assert obj.critic_loss(real, [FAKE]).item() == pytest.approx(critic, rel=1e-12)
    assert obj.generator_loss([FAKE], real).item() == pytest.approx(gen, rel=1e-12)
    official = _official_r3gan_losses(real, FAKE.reshape(-1))
    assert (obj.critic_loss(real, [FAKE]).item(), obj.generator_loss([FAKE], real).item()) == pytest.approx(
        official, rel=1e-12)
    # by hand: the differences r - f are [4, 0.75, -1.25, -0.5]
    d = np.array([4.0, 0.75, -1.25, -0.5])
    assert critic == pytest.approx(np.mean(np.log(1 + np.exp(-d))), rel=1e-12)
    # pairs, not means: reversing the fake batch changes the loss (an average-relativistic loss would not see it)
    assert obj.critic_loss(real, [FAKE.flip(0)]).item() != pytest.approx(critic, rel=1e-3)
    assert obj.needs_real_for_generator and obj.scalar_critic
    with pytest.raises(ValueError, match="real batch"):
        obj.generator_loss([FAKE])
    with pytest.raises(ValueError, match="same size, got 5 and 4"):
        obj.critic_loss(REAL, [FAKE])
    # indistinguishable pairs: log 2 for each player; the gradients push each pair apart, equally and oppositely
    same = torch.zeros(4, dtype=DT, requires_grad=True)
    other = torch.zeros(4, dtype=DT, requires_grad=True)
    loss = obj.critic_loss(same, [other])
    assert loss.item() == pytest.approx(np.log(2), rel=1e-12)
    loss.backward()
    np.testing.assert_allclose(same.grad.numpy(), -0.5 / 4)  # d softplus(-(a - b)) / da = -sigmoid(0) / B
    np.testing.assert_allclose(other.grad.numpy(), 0.5 / 4)


@pytest.mark.parametrize("nonsaturating", [True, False])
def test_logistic_losses(nonsaturating):
    obj = Logistic(nonsaturating=nonsaturating)
    r, f = _np(REAL), _np(FAKE)
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    expected_critic = -(np.mean(np.log(sig(r))) + np.mean(np.log(1 - sig(f))))
    assert obj.critic_loss(REAL, [FAKE]).item() == pytest.approx(expected_critic, rel=1e-12)
    if nonsaturating:
        expected_gen = -np.mean(np.log(sig(f)))
    else:
        expected_gen = np.mean(np.log(1 - sig(f)))
    assert obj.generator_loss([FAKE]).item() == pytest.approx(expected_gen, rel=1e-12)
    assert make_objective("nonsaturating" if nonsaturating else "minimax").generator_loss(
        [FAKE]
    ).item() == pytest.approx(expected_gen, rel=1e-12)


def test_logistic_losses_stable_for_large_logits():
    obj = Logistic()
    real = torch.tensor([100.0, -100.0])
    fake = torch.tensor([-100.0, 100.0])
    # -log sigmoid(100) ~ 0, -log sigmoid(-100) = 100 (+ ~e^-100)
    assert obj.critic_loss(real, [fake]).item() == pytest.approx(100.0, rel=1e-6)
    assert obj.generator_loss([fake]).item() == pytest.approx(50.0, rel=1e-6)


def test_scalar_objectives_reject_feature_outputs():
    with pytest.raises(ValueError, match="scalar critic"):
        Wasserstein().critic_loss(torch.zeros(4, 3), [torch.zeros(4, 3)])


# ---------------------------------------------------------------------------------------------------
# 2. energy distance

def test_energy_distance_1d_matches_scipy():
    rng = np.random.default_rng(0)
    x = rng.normal(0.0, 1.0, size=(300, 1))
    y = rng.normal(0.4, 1.5, size=(400, 1))
    ed2 = energy_distance_sq(torch.from_numpy(x), torch.from_numpy(y))
    assert ed2.dtype == DT
    ref = scipy.stats.energy_distance(x.ravel(), y.ravel())
    assert math.sqrt(ed2.item()) == pytest.approx(ref, rel=1e-6)


def test_energy_distance_2d_matches_naive_loop():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(30, 2))
    y = rng.normal(size=(40, 2)) * np.array([1.0, 2.0]) + np.array([0.5, 0.0])

    def mean_dist(a, b):
        return sum(np.sqrt(((ai - bj) ** 2).sum()) for ai in a for bj in b) / (len(a) * len(b))

    ref = 2 * mean_dist(x, y) - mean_dist(x, x) - mean_dist(y, y)
    got = energy_distance_sq(torch.from_numpy(x), torch.from_numpy(y)).item()
    assert got == pytest.approx(ref, rel=1e-7)  # torch.cdist's matmul path costs ~1e-9 here
    same = energy_distance_sq(torch.from_numpy(x), torch.from_numpy(x)).item()
    assert same == pytest.approx(0.0, abs=1e-12)


def _naive_cramer(h_r, h_g, h_g2, pairs: str):
    """Algorithm 1 of Bellemare et al. 2017 written out with loops: (critic loss, generator loss). With
    ``one_batch`` the second batch is the first one, and a sample never pairs with itself."""
    def d(a, b):
        return float(np.sqrt(((a - b) ** 2).sum()))

    def mean_d(a, b):  # E||a - b'|| over the pairs the estimator uses
        if pairs == "matched":
            return sum(d(ai, bi) for ai, bi in zip(a, b)) / len(a)
        if a is b:
            return sum(d(a[i], a[j]) for i in range(len(a)) for j in range(len(a)) if i != j) / (len(a) * (len(a) - 1))
        return sum(d(ai, bj) for ai in a for bj in b) / (len(a) * len(b))

    def f_mean(xs):  # E f(x), f(x) = ||h(x) - h(x'_g)|| - ||h(x)||
        return mean_d(xs, h_g2) - sum(d(x, 0 * x) for x in xs) / len(xs)

    if pairs == "one_batch":
        h_g2 = h_g

    critic = -(f_mean(h_r) - f_mean(h_g))
    generator = mean_d(h_r, h_g) + mean_d(h_r, h_g2) - mean_d(h_g, h_g2)
    return critic, generator


@pytest.mark.parametrize("pairs", ["matched", "all", "one_batch"])
def test_cramer_losses_match_a_naive_loop(pairs):
    rng = np.random.default_rng(4)
    h_r, h_g, h_g2 = (rng.normal(size=(12, 5)) + shift for shift in (0.0, 0.7, 0.7))
    obj = make_objective({"name": "energy", "pairs": pairs})
    assert obj.n_fake_batches == (1 if pairs == "one_batch" else 2)
    t = [torch.from_numpy(a) for a in (h_r, h_g, h_g2)][:1 + obj.n_fake_batches]
    critic, generator = _naive_cramer(h_r, h_g, h_g2, pairs)
    assert obj.critic_loss(t[0], t[1:]).item() == pytest.approx(critic, rel=1e-9)
    assert obj.generator_loss(t[1:], t[0]).item() == pytest.approx(generator, rel=1e-9)


@pytest.mark.parametrize("pairs", ["matched", "all", "one_batch"])
def test_cramer_penalty_witness_is_the_losses_f_at_the_generated_end(pairs):
    """The penalty's witness at interpolates x_hat_i = eps x_r_i + (1 - eps) x_g_i is the surrogate f of the critic
    loss: at eps = 0 (x_hat = x_g) it must give the loss's f at each generated sample, with the same pairs (for
    one_batch: j != i, written out in _naive_cramer: a witness over every j would include the sample itself), and
    at eps = 1 (x_hat = x_r) the loss's f at each real sample. The critic is the identity: h(x) = x."""
    rng = np.random.default_rng(5)
    h_r, h_g, h_g2 = (torch.from_numpy(rng.normal(size=(9, 4)) + shift) for shift in (0.0, 0.7, 0.7))
    obj = make_objective({"name": "energy", "pairs": pairs})
    fakes = [h_g, h_g2][:obj.n_fake_batches]
    second = fakes[-1]

    def naive_f(x, i, generated):  # f(x) = E'||x - h(x'_g)|| - ||x|| over the pairs the loss takes for sample i
        if pairs == "matched":
            others = [second[i]]
        elif pairs == "one_batch" and generated:
            others = [second[j] for j in range(len(second)) if j != i]
        else:
            others = list(second)
        return sum(float((x - o).norm()) for o in others) / len(others) - float(x.norm())

    witness = obj.witness(torch.nn.Identity(), h_r, fakes)
    at_fake, at_real = witness(h_g).tolist(), witness(h_r).tolist()
    assert at_fake == pytest.approx([naive_f(h_g[i], i, True) for i in range(9)], rel=1e-9)
    if pairs != "one_batch":  # (one_batch's loss pairs a real sample with every generated sample, its witness -
        # made for interpolates, each tied to one generated sample - the others only)
        assert at_real == pytest.approx([naive_f(h_r[i], i, False) for i in range(9)], rel=1e-9)


def test_cramer_pairs_is_checked_and_all_estimate_the_same_loss():
    with pytest.raises(ValueError, match="pairs must be 'matched'"):
        make_objective({"name": "energy", "pairs": "some"})
    with pytest.raises(ValueError, match="one_batch.*at least 2 samples, got 1"):  # no pair j != i in it
        make_objective({"name": "energy", "pairs": "one_batch"}).generator_loss([torch.randn(1, 4)], torch.randn(3, 4))
    torch.manual_seed(0)
    spread = {}
    for pairs in ("matched", "all", "one_batch"):
        obj = make_objective({"name": "energy", "pairs": pairs})
        vals = torch.stack([obj.generator_loss([torch.randn(32, 4) + 1 for _ in range(obj.n_fake_batches)],
                                               torch.randn(32, 4)) for _ in range(200)])
        spread[pairs] = (vals.mean().item(), vals.std().item())
    # the same expectation: every pair joins independent samples, so all three are unbiased for
    # E||r - g|| + E||r - g'|| - E||g - g'|| (within 3 standard errors of the difference)
    for pairs in ("all", "one_batch"):
        se = (spread[pairs][1] ** 2 + spread["matched"][1] ** 2) ** 0.5 / 200**0.5
        assert spread[pairs][0] == pytest.approx(spread["matched"][0], abs=3 * se), pairs
    assert spread["all"][0] > 0.1  # and far from 0 for these shifted batches, so the check has teeth
    # (one_batch as a V-statistic, its zero self-distances averaged in, would sit E||g - g'|| / 32 ~ 0.08 higher)


# ---------------------------------------------------------------------------------------------------
# 3. exact 1-D W1 (validates the use of POT)

def _w1_pot(x: np.ndarray, y: np.ndarray) -> float:
    a = np.full(len(x), 1.0 / len(x))
    b = np.full(len(y), 1.0 / len(y))
    return float(ot.emd2(a, b, ot.dist(x, y, metric="euclidean")))


def test_w1_pot_matches_scipy_1d():
    rng = np.random.default_rng(2)
    x = rng.normal(0.0, 1.0, size=(60, 1))
    y = rng.exponential(2.0, size=(85, 1))
    ref = scipy.stats.wasserstein_distance(x.ravel(), y.ravel())
    assert _w1_pot(x, y) == pytest.approx(ref, rel=1e-6)
    # translation by c moves W1 by exactly |c| between a sample and its shifted copy
    assert _w1_pot(x, x + 0.7) == pytest.approx(0.7, rel=1e-9)


def test_w1_exact_helper_matches_scipy():
    toy = pytest.importorskip("ganzoo.metrics.toy")
    if not hasattr(toy, "w1_exact"):
        pytest.skip("ganzoo.metrics.toy has no w1_exact")
    rng = np.random.default_rng(3)
    x = rng.normal(0.0, 1.0, size=(60, 1))
    y = rng.exponential(2.0, size=(85, 1))
    ref = scipy.stats.wasserstein_distance(x.ravel(), y.ravel())
    assert float(toy.w1_exact(torch.from_numpy(x), torch.from_numpy(y))) == pytest.approx(ref, rel=1e-6)
    assert float(toy.w1_exact(x, y)) == pytest.approx(ref, rel=1e-6)


# ---------------------------------------------------------------------------------------------------
# 4. MMD^2

def _naive_kernel(kind: str, params, linear: bool):
    def k(a: np.ndarray, b: np.ndarray) -> float:
        d2 = float(((a - b) ** 2).sum())
        if kind == "rbf":
            val = sum(math.exp(-d2 / (2 * s * s)) for s in params)
        else:
            val = sum((1 + d2 / (2 * al)) ** (-al) for al in params)
        return val + float(a @ b) if linear else val

    return k


def _naive_mmd2(x: np.ndarray, y: np.ndarray, k, unbiased: bool) -> float:
    m, n = len(x), len(y)
    if unbiased:
        sxx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
        syy = sum(k(y[i], y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    else:
        sxx = sum(k(x[i], x[j]) for i in range(m) for j in range(m)) / m**2
        syy = sum(k(y[i], y[j]) for i in range(n) for j in range(n)) / n**2
    sxy = sum(k(x[i], y[j]) for i in range(m) for j in range(n)) / (m * n)
    return sxx + syy - 2 * sxy


KERNEL_CASES = [
    ("rbf", (1.0, 2.0, 4.0, 8.0, 16.0), False),
    ("rbf", (0.5, 3.0), True),
    ("rq", (0.2, 0.5, 1.0, 2.0, 5.0), True),
    ("rq", (0.3, 4.0), False),
]


@pytest.mark.parametrize("kind,params,linear", KERNEL_CASES)
@pytest.mark.parametrize("unbiased", [True, False])
def test_mmd2_matches_naive_double_loop(kind, params, linear, unbiased):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(20, 3))
    y = rng.normal(size=(25, 3)) * 1.3 + 0.4
    kernel = MixRBF(params, linear=linear) if kind == "rbf" else MixRQ(params, linear=linear)
    ref = _naive_mmd2(x, y, _naive_kernel(kind, params, linear), unbiased)
    got = mmd2(torch.from_numpy(x), torch.from_numpy(y), kernel, unbiased=unbiased)
    assert got.dtype == DT
    assert got.item() == pytest.approx(ref, rel=1e-10, abs=1e-12)


def test_make_kernel_defaults_match_naive_kernel():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(6, 2)), rng.normal(size=(7, 2))
    for name, kind, params, linear in [
        ("rbf", "rbf", (1.0, 2.0, 4.0, 8.0, 16.0), False),  # documented default: no linear term
        ("rq", "rq", (0.2, 0.5, 1.0, 2.0, 5.0), True),  # Binkowski et al.'s rq*
    ]:
        for lin in (None, not linear):
            use_linear = linear if lin is None else lin
            kmat = make_kernel(name, lin)(torch.from_numpy(x), torch.from_numpy(y)).numpy()
            k = _naive_kernel(kind, params, use_linear)
            ref = np.array([[k(a, b) for b in y] for a in x])
            np.testing.assert_allclose(kmat, ref, rtol=1e-12, atol=1e-12)


def test_mmd2_unbiased_is_centred_for_equal_distributions_biased_is_not():
    gen = torch.Generator().manual_seed(6)
    kernel = MixRQ()
    unb, bia = [], []
    for _ in range(200):
        x = torch.randn(8, 2, dtype=DT, generator=gen)
        y = torch.randn(10, 2, dtype=DT, generator=gen)
        unb.append(mmd2(x, y, kernel, unbiased=True).item())
        bia.append(mmd2(x, y, kernel, unbiased=False).item())
    unb, bia = np.array(unb), np.array(bia)
    se_u = unb.std(ddof=1) / math.sqrt(len(unb))
    se_b = bia.std(ddof=1) / math.sqrt(len(bia))
    assert abs(unb.mean()) < 3 * se_u
    assert (unb < 0).any()  # the unbiased estimate is not clamped at 0
    assert (bia >= -1e-12).all()  # the biased (V-statistic) estimate is a squared RKHS norm
    assert bia.mean() > 3 * se_b


def test_mmd2_unbiased_needs_two_samples():
    with pytest.raises(ValueError):
        mmd2(torch.zeros(1, 2), torch.zeros(3, 2), MixRBF())


def test_mmd_objective_uses_mmd2():
    rng = np.random.default_rng(7)
    x, y = torch.from_numpy(rng.normal(size=(9, 3))), torch.from_numpy(rng.normal(size=(11, 3)))
    obj = make_objective("mmd")
    value = mmd2(x, y, MixRQ(linear=True), unbiased=True).item()
    assert obj.critic_loss(x, [y]).item() == pytest.approx(-value, rel=1e-12)
    assert obj.generator_loss([y], x).item() == pytest.approx(value, rel=1e-12)


# ---------------------------------------------------------------------------------------------------
# 7. invalid names

def test_invalid_names_raise():
    with pytest.raises(ValueError, match="objective"):
        make_objective("nope")
    with pytest.raises(ValueError, match="kernel"):
        make_kernel("nope")
    with pytest.raises(ValueError, match="divergence"):
        FGAN("nope")


def test_named_objectives_build():
    for name in OBJECTIVES:
        if name == "fgan":  # the family, not one divergence: its name alone is refused (issue 35: it built KL)
            with pytest.raises(ValueError, match="objective 'fgan' needs a divergence"):
                make_objective(name)
            continue
        assert isinstance(make_objective(name), Objective), name
    assert isinstance(make_objective("f-js"), FGAN)

