"""``bench/quality/fgan_1d.py``: Nowozin et al.'s (f-GAN) Gaussian fitted to a Gaussian mixture. The quadrature that
gives the true minimisers is checked against exact answers (KL's minimiser is moment matching; reverse KL's sits on a
mode of a well-separated mixture; closed-form divergences between two Gaussians) and against the library's own
definition of each f; the slow test trains KL and reverse KL through ``FGAN(..., saturating=True)`` and checks the
paper's claim: the learned Gaussian is the divergence's minimiser (here within 2%)."""

import json
import math

import numpy as np
import pytest
import torch


@pytest.fixture()
def fgan_1d():
    from bench.quality import fgan_1d

    return fgan_1d


#: far apart, unequal weights: reverse KL must pick the heavier component, KL must straddle both
SEPARATED = ((0.4, -4.0, 1.0), (0.6, 4.0, 0.7))


def test_kl_minimiser_is_moment_matching(fgan_1d):
    """argmin_Q KL(P || Q) over Gaussians matches P's mean and variance, an exact answer."""
    for mixture in (fgan_1d.MIXTURE, SEPARATED):
        mean, sd = fgan_1d.mixture_moments(mixture)
        # the closed-form moments are the mixture's: check them by quadrature too
        x = fgan_1d.grid()
        p = np.exp(fgan_1d.log_mixture(x, mixture))
        assert np.trapezoid(p, x) == pytest.approx(1, abs=1e-9)
        assert np.trapezoid(x * p, x) == pytest.approx(mean, abs=1e-9)
        assert math.sqrt(np.trapezoid((x - mean) ** 2 * p, x)) == pytest.approx(sd, abs=1e-9)
        best = fgan_1d.true_minimiser("kl", mixture)
        assert abs(best["mu"] - mean) < 1e-4 and abs(best["sigma"] - sd) < 1e-4, (best, mean, sd)


def test_reverse_kl_minimiser_sits_on_the_heavier_mode(fgan_1d):
    """Mode seeking: for a well-separated mixture, argmin_Q KL(Q || P) is (almost exactly) the heavier component,
    with divergence -log(its weight); KL's minimiser covers both modes."""
    best = fgan_1d.true_minimiser("reverse_kl", SEPARATED)
    assert best["mu"] == pytest.approx(4.0, abs=1e-3) and best["sigma"] == pytest.approx(0.7, abs=1e-3), best
    assert best["divergence"] == pytest.approx(-math.log(0.6), abs=1e-3)
    kl = fgan_1d.true_minimiser("kl", SEPARATED)
    assert kl["mu"] == pytest.approx(0.8, abs=1e-3) and kl["sigma"] > 3.9  # between the modes, covering both


def test_quadrature_matches_closed_forms_between_gaussians(fgan_1d):
    """With P a single Gaussian N(a, s^2) and Q = N(b, t^2): KL, reverse KL, squared Hellinger and Pearson chi^2 in
    closed form."""
    a, s, b, t = 0.3, 1.2, -0.5, 1.5
    one = ((1.0, a, s),)

    def kl(m1, s1, m2, s2):  # KL(N1 || N2)
        return math.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5

    bc = math.sqrt(2 * s * t / (s**2 + t**2)) * math.exp(-((a - b) ** 2) / (4 * (s**2 + t**2)))
    # D_f for f(u) = (u - 1)^2: int p^2/q - 1 = t^2 / (s sqrt(2 t^2 - s^2)) exp((a - b)^2 / (2 t^2 - s^2)) - 1
    chi2 = t**2 / (s * math.sqrt(2 * t**2 - s**2)) * math.exp((a - b) ** 2 / (2 * t**2 - s**2)) - 1
    expected = {"kl": kl(a, s, b, t), "reverse_kl": kl(b, t, a, s), "hellinger": 2 * (1 - bc), "pearson": chi2}
    for name, value in expected.items():
        assert fgan_1d.divergence(name, b, t, one) == pytest.approx(value, rel=1e-8), name
    # the GAN divergence is the JS one shifted by log 4, both vanish / are minimal at Q = P
    assert fgan_1d.divergence("js", a, s, one) == pytest.approx(0, abs=1e-12)
    assert fgan_1d.divergence("gan", a, s, one) == pytest.approx(-math.log(4), abs=1e-12)


@pytest.mark.parametrize("name", ["kl", "reverse_kl", "pearson", "hellinger", "js", "gan"])
def test_quadrature_uses_the_library_f(fgan_1d, name):
    """The bench's integrand is q f(p/q) with the library's f (``F_DIVERGENCES[name].f``), at several Gaussians."""
    from ganzoo.objectives.fdiv import F_DIVERGENCES

    x = np.linspace(-10, 10, 4001)  # p, q > 0 in float64 here, so u = p/q is finite and positive
    lp = fgan_1d.log_mixture(x, fgan_1d.MIXTURE)
    f = F_DIVERGENCES[name].f
    for mu, sigma in ((0.0, 1.0), (1.3, 1.75), (2.0, 1.4)):
        lq = fgan_1d.log_normal(x, mu, sigma)
        u = torch.from_numpy(np.exp(lp - lq))
        library = np.trapezoid(np.exp(lq) * f(u).numpy(), x)
        assert fgan_1d.divergence(name, mu, sigma, x=x) == pytest.approx(library, rel=1e-9, abs=1e-12), (mu, sigma)


def test_gan_and_js_take_the_same_steps(fgan_1d):
    """F_gan = F_js - log 4 for every critic (the activations differ by log 2, the conjugates by -log 2), so with the
    same seed the two runs take identical steps: the GAN row of the table is a check of the JS row."""
    js, gan = fgan_1d.train("js", 3, steps=40), fgan_1d.train("gan", 3, steps=40)
    assert gan["mu_last"] == pytest.approx(js["mu_last"], abs=1e-6)
    assert gan["sigma_last"] == pytest.approx(js["sigma_last"], abs=1e-6)
    assert gan["bound"] == pytest.approx(js["bound"] - math.log(4), abs=1e-5)
    assert js["mu_last"] != 0.0  # it moved


def test_table_in_the_docs_is_the_scripts(fgan_1d):
    """docs/benchmarks.md holds exactly what ``table()`` makes of the saved results."""
    from bench.common import read_table

    res = json.loads(fgan_1d.RESULTS.read_text())
    assert read_table("fgan-1d") == fgan_1d.table(res)
    assert set(res["divergences"]) == set(fgan_1d.DIVERGENCES)


@pytest.mark.slow
def test_reproduction_learns_the_true_minimiser_for_kl_and_reverse_kl(fgan_1d):
    """The paper's experiment, two divergences x 2 seeds: the variational (critic) bound trained with the paper's
    single-step gradient method lands within 2% of the quadrature minimiser in mu and sigma, and the bound's value
    approaches the divergence from below."""
    torch.set_num_threads(1)
    res = fgan_1d.run(["kl", "reverse_kl"], seeds=(0, 1), steps=fgan_1d.STEPS)
    for name, s in res["divergences"].items():
        assert s["within_target"], (name, s["mu_rel"], s["sigma_rel"])
        assert s["bound_mean"] == pytest.approx(s["true"]["divergence"], abs=0.05), name
    # and they differ as the paper says: reverse KL sits further right (the heavier, wider mode), narrower
    kl, rkl = res["divergences"]["kl"], res["divergences"]["reverse_kl"]
    assert rkl["mu_mean"] > kl["mu_mean"] + 0.4 and rkl["sigma_mean"] < kl["sigma_mean"] - 0.1
