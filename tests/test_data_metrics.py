"""2-D benchmarks built as in the WGAN-GP toy code, and the exact toy metrics."""

import math

import numpy as np
import pytest
import torch

import ganzoo
from ganzoo.data.toy2d import DATASETS, Toy2DDataModule, ToySampler, line_samples, mode_centers, toy_samples
from ganzoo.metrics.toy import evaluate_toy, mode_stats, w1_baseline, w1_exact


def test_8gaussians_construction():
    x = ToySampler("8gaussians", 0).sample(40_000).double()
    centers, std = mode_centers("8gaussians")
    # centres at radius 2 / 1.414 on the axes and diagonals
    torch.testing.assert_close(centers.norm(dim=1), torch.full((8,), 2 / 1.414), rtol=1e-6, atol=1e-6)
    d, idx = torch.cdist(x, centers.double()).min(1)
    resid = x - centers.double()[idx]
    assert abs(resid.std().item() - 0.02 / 1.414) < 0.02 * 0.02 / 1.414 * 5
    counts = torch.bincount(idx, minlength=8).double() / len(x)
    assert (counts - 1 / 8).abs().max() < 0.01  # uniform choice of centre


def test_25gaussians_construction():
    s = ToySampler("25gaussians", 0)
    assert s._grid.shape == (100_000, 2)
    centers, std = mode_centers("25gaussians")
    d, idx = torch.cdist(s._grid.double(), centers.double()).min(1)
    assert torch.bincount(idx, minlength=25).tolist() == [4000] * 25  # 100000/25 points per centre
    resid = s._grid.double() - centers.double()[idx]
    assert abs(resid.std().item() - 0.05 / 2.828) < 1e-3 * 0.05
    # batches walk through the fixed, shuffled set in order and wrap around
    a = s.sample(256)
    torch.testing.assert_close(a, s._grid[:256])


def _sklearn_swiss_roll_xz(n, rng):
    """scikit-learn's published ``make_swiss_roll(n, noise=0.25)`` (hole=False), columns (x, z) / 7.5 as the
    WGAN-GP toy code takes them: t = 1.5 pi (1 + 2 U), y = 21 U, (x, y, z) = (t cos t, y, t sin t) + 0.25 N(0, I)."""
    t = 1.5 * np.pi * (1 + 2 * rng.uniform(size=n))
    y = 21 * rng.uniform(size=n)
    X = np.vstack((t * np.cos(t), y, t * np.sin(t))) + 0.25 * rng.standard_normal(size=(3, n))
    return X.T[:, [0, 2]] / 7.5


def _spiral_fit(p):
    """Each point's spiral parameter t (the angle atan2(z, x) + 2 pi k, the branch k nearest its radius) and its
    radial residual |p| - t, in the unscaled coordinates (x 7.5)."""
    p = 7.5 * np.asarray(p, dtype=np.float64)
    r = np.hypot(p[:, 0], p[:, 1])
    cand = np.mod(np.arctan2(p[:, 1], p[:, 0]), 2 * np.pi)[:, None] + 2 * np.pi * np.arange(4)
    t = cand[np.arange(len(p)), np.abs(r[:, None] - cand).argmin(1)]
    return t, r - t


def _check_swiss_roll(p):
    t, res = _spiral_fit(p)
    # on the spiral r = t (angle t): the radial residual is the noise's radial part (std 0.25; its tangential part
    # moves t by at most 0.25 / 4.7 rad); measured on 20,000 points: mean 0.004-0.005 (the curvature's bias
    # 0.25^2 / 2t), std 0.2499-0.2521 (seeds 0-2 and the reference); sampling error of the std: 0.25/sqrt(40000)
    assert abs(res.mean()) < 0.02 and abs(res.std() - 0.25) < 0.01, (res.mean(), res.std())
    # t covers [1.5 pi, 4.5 pi], out to the angular noise (measured ends 4.55-4.63 and 14.16-14.17)
    lo, hi = 1.5 * np.pi, 4.5 * np.pi
    assert lo - 0.3 < t.min() < lo + 0.1 and hi - 0.1 < t.max() < hi + 0.3, (t.min(), t.max())
    # ... uniformly: Kolmogorov-Smirnov distance to U[1.5 pi, 4.5 pi] (measured 0.009-0.017; under uniformity
    # P(D > 0.025) = 2 exp(-2 n 0.025^2) = 3e-11 for n = 20,000)
    u = np.sort((t - lo) / (hi - lo))
    k = np.arange(1, len(u) + 1) / len(u)
    assert max((k - u).max(), (u - k + 1 / len(u)).max()) < 0.025


def test_swissroll_matches_sklearn_formula():
    _check_swiss_roll(_sklearn_swiss_roll_xz(20_000, np.random.default_rng(0)))  # the check passes the reference
    x = toy_samples("swissroll", 20_000, 0).double().numpy()
    _check_swiss_roll(x)
    ring = x / np.linalg.norm(x, axis=1, keepdims=True) * 3 * math.pi / 7.5  # same angles, one radius
    with pytest.raises(AssertionError):
        _check_swiss_roll(ring)


def test_line_example_and_datamodule():
    p = line_samples(0.7, 1000, torch.Generator().manual_seed(0))
    assert torch.all(p[:, 0] == 0.7) and 0 <= p[:, 1].min() and p[:, 1].max() <= 1
    for name in DATASETS:
        dm = Toy2DDataModule(name, batch_size=32)
        batch = next(iter(dm.train_dataloader()))
        assert batch.shape == (32, 2)
    with pytest.raises(ValueError, match="dataset"):
        Toy2DDataModule("moons")
    with pytest.raises(ValueError, match="batch_size"):
        Toy2DDataModule(batch_size=1)


def test_w1_exact_simple_cases():
    x = torch.randn(300, 2, generator=torch.Generator().manual_seed(1))
    assert w1_exact(x, x) == pytest.approx(0.0, abs=1e-9)
    shift = torch.tensor([0.3, -0.4])
    assert w1_exact(x, x + shift) == pytest.approx(0.5, rel=1e-6)  # a translation moves every point by |shift|
    a, b = np.zeros((1, 2)), np.array([[3.0, 4.0]])
    assert w1_exact(a, b) == pytest.approx(5.0)


def test_w1_baseline_is_cached_by_content(tmp_path, monkeypatch):
    monkeypatch.setenv("GANZOO_CACHE", str(tmp_path))
    a, b = toy_samples("8gaussians", 300, 0), toy_samples("8gaussians", 300, 1)
    exact = w1_exact(b, a)
    assert w1_baseline(b, a) == exact
    files = list((tmp_path / "toy_w1").iterdir())
    assert len(files) == 1
    files[0].write_text('{"w1": 123.0}')  # what is read back is the file's value: the cache is used
    assert w1_baseline(b, a) == 123.0
    assert w1_baseline(a, b) == pytest.approx(exact)  # other sets (here: swapped), another key
    assert len(list((tmp_path / "toy_w1").iterdir())) == 2
    files[0].write_text("{not json")  # a damaged entry is solved again and rewritten
    assert w1_baseline(b, a) == exact


def test_mode_stats_and_baseline():
    real = toy_samples("8gaussians", 2000, 0)
    centers, std = mode_centers("8gaussians")
    s = mode_stats(real, centers, std)
    assert s["modes"] == 8 and s["high_quality"] > 0.98  # 3 std in 2-D holds 98.9% of a Gaussian
    collapsed = centers[:1].repeat(2000, 1)
    c = mode_stats(collapsed, centers, std)
    assert c["modes"] == 1 and c["high_quality"] == 1.0
    ev = evaluate_toy(real, "8gaussians")
    assert ev["modes"] == 8 and ev["w1"] < 2 * ev["w1_baseline"]
    far = evaluate_toy(collapsed, "8gaussians")
    assert far["w1"] > 10 * far["w1_baseline"]


def test_diverged_samples_are_reported_not_hidden():
    x = toy_samples("8gaussians", 2000, 0)
    x[5] = float("nan")
    ev = evaluate_toy(x, "8gaussians")
    assert math.isnan(ev["w1"]) and ev["non_finite"] == pytest.approx(1 / 2000)


def test_evaluate_generator_averages_independent_draws():
    from ganzoo.metrics.toy import evaluate_generator
    from ganzoo.nets import MLPGenerator

    torch.manual_seed(0)
    g = MLPGenerator(hidden_dim=16).eval()
    one = evaluate_generator(g, "8gaussians", n=300, draws=1, seed=7)
    direct = evaluate_toy(ganzoo.sample(g, 300, seed=7), "8gaussians", seed=1234)
    assert one["w1"] == direct["w1"] and one["w1_baseline"] == direct["w1_baseline"] and one["w1_std"] == 0
    three = evaluate_generator(g, "8gaussians", n=300, draws=3, seed=7)
    singles = [evaluate_toy(ganzoo.sample(g, 300, seed=7 + d), "8gaussians", seed=1234 + 2 * d) for d in range(3)]
    assert three["w1"] == pytest.approx(np.mean([s["w1"] for s in singles]), rel=1e-12)
    assert three["w1_std"] == pytest.approx(np.std([s["w1"] for s in singles], ddof=1), rel=1e-12)
    assert three["modes"] == min(s["modes"] for s in singles) and three["draws"] == 3
    with pytest.raises(ValueError, match="draws"):
        evaluate_generator(g, "8gaussians", draws=0)
