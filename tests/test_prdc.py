"""Precision / recall / density / coverage: a naive loop reference, hand-computed sets, chunking, bad input."""

import math

import numpy as np
import pytest
import torch

from ganzoo.metrics.prdc import prdc


def _naive_prdc(real, fake, k_pr, k_dc):
    """The four definitions as O(N M) Python loops over lists of points (math.dist, strict '<')."""
    real = [list(map(float, r)) for r in real]
    fake = [list(map(float, f)) for f in fake]

    def radius(points, i, k):  # distance to the k-th nearest other point
        return sorted(math.dist(points[i], points[j]) for j in range(len(points)) if j != i)[k - 1]

    r_pr = [radius(real, i, k_pr) for i in range(len(real))]
    r_dc = [radius(real, i, k_dc) for i in range(len(real))]
    f_pr = [radius(fake, j, k_pr) for j in range(len(fake))]
    d = [[math.dist(x, y) for y in fake] for x in real]
    n, m = len(real), len(fake)
    precision = sum(any(d[i][j] < r_pr[i] for i in range(n)) for j in range(m)) / m
    recall = sum(any(d[i][j] < f_pr[j] for j in range(m)) for i in range(n)) / n
    density = sum(d[i][j] < r_dc[i] for i in range(n) for j in range(m)) / (k_dc * m)
    coverage = sum(any(d[i][j] < r_dc[i] for j in range(m)) for i in range(n)) / n
    return {"precision": precision, "recall": recall, "density": density, "coverage": coverage}


def _metrics(out):
    return {key: out[key] for key in ("precision", "recall", "density", "coverage")}


@pytest.mark.parametrize(
    "n,m,dim,k_pr,k_dc,shift,seed",
    [(40, 30, 3, 3, 5, 0.3, 0), (30, 45, 2, 3, 5, 0.0, 1), (50, 50, 8, 2, 7, 0.5, 2), (26, 12, 4, 1, 1, 1.0, 3)],
)
def test_matches_naive_loops(n, m, dim, k_pr, k_dc, shift, seed):
    g = torch.Generator().manual_seed(seed)
    real = torch.randn(n, dim, generator=g, dtype=torch.float64)
    fake = 1.3 * torch.randn(m, dim, generator=g, dtype=torch.float64) + shift
    out = prdc(real, fake, k_pr=k_pr, k_dc=k_dc, chunk=7)
    ref = _naive_prdc(real.tolist(), fake.tolist(), k_pr, k_dc)
    assert _metrics(out) == ref  # exact: all four are ratios of integer counts
    # not a degenerate comparison: for the shifted sets some fake points fall outside the real balls and some
    # real points are uncovered (recall < 1 too for the two largest shifts)
    if shift > 0:
        assert 0 < out["precision"] < 1 and 0 < out["coverage"] < 1
    if shift >= 0.5:
        assert 0 < out["recall"] < 1
    assert out["k_pr"] == k_pr and out["k_dc"] == k_dc
    assert (out["num_real"], out["num_fake"], out["num_features"]) == (n, m, dim)
    assert all(type(out[key]) is float for key in ("precision", "recall", "density", "coverage"))


def test_matches_full_matrix_reference_formulas():
    """The clovaai formulas on a full N x M matrix (numpy) vs the chunked torch version, at defaults."""
    rng = np.random.default_rng(5)
    real = rng.normal(size=(700, 16))
    fake = rng.normal(size=(500, 16)) * 1.2 + 0.2

    def dist(a, b):
        return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))

    def radii(x, k):
        return np.sort(dist(x, x), axis=1)[:, k]  # (k+1)-th smallest, self (0) included

    d = dist(real, fake)
    r3, r5, f3 = radii(real, 3), radii(real, 5), radii(fake, 3)
    ref = {
        "precision": (d < r3[:, None]).any(0).mean(),
        "recall": (d < f3[None, :]).any(1).mean(),
        "density": (d < r5[:, None]).sum(0).mean() / 5,
        "coverage": (d.min(1) < r5).mean(),
    }
    out = prdc(real, fake, chunk=128)  # numpy input accepted
    assert out["k_pr"] == 3 and out["k_dc"] == 5
    for key, value in ref.items():
        assert out[key] == pytest.approx(value, abs=1e-12), key
    assert 0.3 < out["precision"] < 1 and 0.3 < out["recall"] < 1


def test_fake_equals_real():
    # every fake point is the centre of a real ball (distance 0 < radius): precision = recall = coverage = 1.
    # density: sum_j #{i : d(X_i, X_j) < r_i} = sum_i #{j : d(X_i, X_j) < r_i} and, with no tied distances, ball i
    # strictly holds its centre and its k - 1 nearest neighbours (the k-th sits on the sphere), so the sum is k N
    # and density = k N / (k N) = 1 exactly (it would be (k + 1) / k with '<=').
    g = torch.Generator().manual_seed(7)
    x = torch.randn(300, 5, generator=g, dtype=torch.float64)
    for k_dc in (1, 5, 9):
        out = prdc(x, x.clone(), k_dc=k_dc, chunk=64)
        assert out["precision"] == 1.0 and out["recall"] == 1.0 and out["coverage"] == 1.0
        assert out["density"] == pytest.approx(1.0, abs=1e-12)


def test_fake_far_away_gives_zero():
    g = torch.Generator().manual_seed(8)
    real = torch.randn(200, 4, generator=g)
    fake = torch.randn(150, 4, generator=g) + 1000.0
    out = prdc(real, fake)
    assert _metrics(out) == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}


def test_fake_on_one_cluster_hand_computed():
    # real: clusters A = {0, 1, 2, 3} and B = {100, ..., 103}; fake = {0.5, 1.5, 2.5}; k = 2 everywhere.
    # real radii (2nd neighbour): 0 -> 2, 1 -> 1, 2 -> 1, 3 -> 2 (same in B); fake radii: 0.5 -> 2, 1.5 -> 1, 2.5 -> 2.
    # precision: every fake is 0.5 from a real point of radius >= 1 -> 3/3.
    # recall: 0, 1, 2, 3 lie within 0.5 of a fake of radius >= 1, B does not -> 4/8.
    # density counts: 0.5 in balls of {0 (0.5<2), 1 (0.5<1)} = 2; 1.5 in {0 (1.5<2), 1, 2, 3 (1.5<2)} = 4;
    #   2.5 in {2, 3} = 2 -> 8 / (2 * 3) = 4/3.
    # coverage: nearest fake of 0, 1, 2, 3 is 0.5 away (< 2, 1, 1, 2), B uncovered -> 4/8.
    real = torch.tensor([[0.0], [1.0], [2.0], [3.0], [100.0], [101.0], [102.0], [103.0]])
    fake = torch.tensor([[0.5], [1.5], [2.5]])
    out = prdc(real, fake, k_pr=2, k_dc=2)
    assert prdc(real, fake, k_pr=2, k_dc=2, chunk=1) == out
    assert out["precision"] == 1.0
    assert out["recall"] == 0.5
    assert out["density"] == pytest.approx(4 / 3, abs=1e-15)
    assert out["coverage"] == 0.5


def test_boundary_is_outside():
    # real {0, 1, 2, 3}, k = 1: every real radius is 1. fake {4, 1.5}: both fake radii are 2.5.
    # 4 is exactly on the sphere of 3 (distance 1 = radius) -> outside with '<':
    #   precision 1/2 (only 1.5), density 2 / (1 * 2) = 1 (1.5 in the balls of 1 and 2),
    #   coverage 2/4 (real 0 and 3 have no fake strictly within 1), recall 4/4 (ball of 1.5 is (-1, 4)).
    # With '<=' these would be 1, 1.5 and 3/4.
    real = np.array([[0.0], [1.0], [2.0], [3.0]])
    fake = np.array([[4.0], [1.5]])
    out = prdc(real, fake, k_pr=1, k_dc=1)
    assert _metrics(out) == {"precision": 0.5, "recall": 1.0, "density": 1.0, "coverage": 0.5}


def test_two_dim_square_hand_computed():
    # real: unit-square corners (every 1st-neighbour radius is 1); fake: centre (0.5, 0.5) and (5, 5); k = 1.
    # centre is sqrt(0.5) ~ 0.707 < 1 from all four corners: it sits in 4 balls; (5, 5) in none.
    # precision 1/2, density 4 / (1 * 2) = 2, coverage 4/4.
    # fake radii: both = dist((0.5,0.5),(5,5)) ~ 6.36 -> the ball of the centre holds every corner: recall 4/4.
    real = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=torch.float64)
    fake = torch.tensor([[0.5, 0.5], [5.0, 5.0]], dtype=torch.float64)
    out = prdc(real, fake, k_pr=1, k_dc=1)
    assert _metrics(out) == {"precision": 0.5, "recall": 1.0, "density": 2.0, "coverage": 1.0}


def test_chunking_does_not_change_result():
    g = torch.Generator().manual_seed(11)
    real = torch.randn(523, 12, generator=g)
    fake = 0.8 * torch.randn(611, 12, generator=g) + 0.25
    outs = [prdc(real, fake, chunk=c) for c in (7, 100, 523, 10_000)]
    for out in outs[1:]:
        assert out == outs[0]
    assert 0 < outs[0]["precision"] < 1 and 0 < outs[0]["coverage"] < 1


def test_float32_and_float64_inputs_agree():
    g = torch.Generator().manual_seed(12)
    real = torch.randn(120, 6, generator=g)
    fake = torch.randn(90, 6, generator=g) + 0.3
    assert prdc(real, fake) == prdc(real.double(), fake.double()) == prdc(real.numpy(), fake.numpy())


@pytest.mark.parametrize(
    "real_shape,fake_shape,kwargs,match",
    [
        ((10,), (10, 3), {}, "real_features must be 2-D"),
        ((10, 3), (2, 5, 3), {}, "fake_features must be 2-D"),
        ((10, 3), (10, 4), {}, "fake_features has 4 features per sample but real_features has 3"),
        ((5, 3), (10, 3), {}, r"real_features has 5 samples; needs at least max\(k_pr, k_dc\) \+ 1 = 6"),
        ((6, 3), (3, 3), {}, r"fake_features has 3 samples; needs at least k_pr \+ 1 = 4"),
        ((10, 3), (10, 3), {"k_pr": 10}, "real_features has 10 samples"),
        ((10, 3), (10, 3), {"k_pr": 0}, "k_pr must be a positive integer"),
        ((10, 3), (10, 3), {"k_dc": 2.5}, "k_dc must be a positive integer"),
        ((10, 3), (10, 3), {"chunk": 0}, "chunk must be a positive integer"),
    ],
)
def test_bad_input_errors(real_shape, fake_shape, kwargs, match):
    with pytest.raises(ValueError, match=match):
        prdc(torch.randn(real_shape), torch.randn(fake_shape), **kwargs)


def test_non_finite_and_wrong_type_errors():
    x = torch.randn(10, 3)
    bad = x.clone()
    bad[2, 1] = float("nan")
    with pytest.raises(ValueError, match="fake_features contains NaN"):
        prdc(x, bad)
    with pytest.raises(ValueError, match="real_features must be a torch.Tensor or numpy array"):
        prdc(x.tolist(), x)
