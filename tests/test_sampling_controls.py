"""Sampling controls on real zoo models: truncation (a counter-based truncated normal), interpolation, class grids,
and their ``ganzoo sample`` flags."""

import math

import numpy as np
import pytest
import torch
from PIL import Image
from scipy import stats

import ganzoo
from ganzoo.cli import main
from ganzoo.sampling import class_grid, interpolate, latents


@pytest.fixture(scope="module")
def dcgan():
    return ganzoo.load("dcgan-fashion_mnist")  # unconditional


@pytest.fixture(scope="module")
def cgan():
    return ganzoo.load("cgan-fashion_mnist")  # conditional, 10 classes


@pytest.mark.parametrize("psi", [0.3, 1.0, 2.5])
def test_truncated_latents_are_a_truncated_normal_within_psi(psi):
    z = latents(range(3000), 5, 100, truncation=psi)
    assert z.dtype == torch.float32 and z.abs().max() <= psi
    res = stats.kstest(z.double().flatten().numpy(), stats.truncnorm(-psi, psi).cdf)
    assert res.pvalue > 1e-3, res  # 300,000 coordinates: a rescaled or clamped normal fails by far
    # coordinates are independent: correlation of neighbours (same Box-Muller pair, same Philox block) is ~0
    assert abs(float(torch.corrcoef(torch.stack([z[:, 0], z[:, 1]]))[0, 1])) < 0.06
    # coordinates within +-psi are the untruncated ones; those outside were redrawn
    plain = latents(range(3000), 5, 100)
    inside = plain.abs() <= psi
    assert torch.equal(z[inside], plain[inside]) and (~inside).sum() > 0


def test_a_rescaled_or_clamped_normal_would_fail_the_distribution_check():
    plain = latents(range(3000), 5, 100).double().flatten().numpy()
    for wrong in (plain / 4, np.clip(plain, -1, 1)):  # StudioGAN #62's z / factor, and clamping
        assert stats.kstest(wrong, stats.truncnorm(-1, 1).cdf).pvalue < 1e-6


def test_truncation_keeps_the_sampling_guarantees(dcgan):
    idx = [41, 0, 7, 2**33 + 5, 12]
    z = latents(idx, 2**40 + 3, 100, truncation=0.5)
    rows = torch.cat([latents([i], 2**40 + 3, 100, truncation=0.5) for i in idx])
    assert torch.equal(z, rows)  # any grouping of indices
    assert torch.equal(z, latents(idx, 2**40 + 3, 100, truncation=0.5))  # deterministic
    assert not torch.equal(z, latents(idx, 2**40 + 4, 100, truncation=0.5))
    # the first k coordinates do not depend on latent_dim (redraws too)
    assert torch.equal(latents(idx, 9, 7, truncation=0.2), latents(idx, 9, 100, truncation=0.2)[:, :7])
    ref = ganzoo.sample(dcgan, 20, seed=3, truncation=0.7)
    for bs in (1, 7):
        torch.testing.assert_close(ganzoo.sample(dcgan, 20, seed=3, truncation=0.7, batch_size=bs), ref,
                                   rtol=0, atol=1e-5)
    torch.testing.assert_close(ganzoo.sample(dcgan, 6, seed=3, truncation=0.7), ref[:6], rtol=0, atol=1e-5)
    assert (ganzoo.sample(dcgan, 20, seed=3) - ref).abs().max() > 0.1


def test_truncation_none_is_todays_sampler_bitwise(dcgan):
    plain = latents(range(50), 1, 100)
    assert torch.equal(latents(range(50), 1, 100, truncation=None), plain)
    assert torch.equal(latents(range(50), 1, 100, truncation=8.0), plain)  # nothing beyond 6.7
    t = latents(range(50), 1, 100, truncation=0.5)
    assert t.abs().max() <= 0.5 and torch.equal(t[plain.abs() <= 0.5], plain[plain.abs() <= 0.5])
    assert torch.equal(ganzoo.sample(dcgan, 9, seed=2, truncation=None), ganzoo.sample(dcgan, 9, seed=2))


def test_uniform_latents_truncate_to_a_uniform_on_psi():
    plain = latents(range(2000), 4, 50, "uniform")
    assert torch.equal(latents(range(2000), 4, 50, "uniform", truncation=1.0), plain)  # already within [-1, 1]
    z = latents(range(2000), 4, 50, "uniform", truncation=0.4)
    assert z.abs().max() <= 0.4
    assert stats.kstest(z.double().flatten().numpy(), stats.uniform(-0.4, 0.8).cdf).pvalue > 1e-3


@pytest.mark.parametrize("bad", [0, -0.5, float("nan"), float("inf"), "0.5", True])
def test_bad_truncation_is_a_value_error_naming_it(dcgan, bad):
    with pytest.raises(ValueError, match="truncation must be a finite number > 0"):
        latents(range(3), 0, 10, truncation=bad)
    with pytest.raises(ValueError, match="truncation"):
        ganzoo.sample(dcgan, 3, seed=0, truncation=bad)
    with pytest.raises(ValueError, match="truncation"):
        interpolate(dcgan, 0, 1, truncation=bad)


@pytest.mark.parametrize("method", ["slerp", "lerp"])
def test_interpolation_ends_are_the_seeds_samples_bitwise(dcgan, method):
    x = interpolate(dcgan, 3, 4, steps=6, method=method)
    assert x.shape == (6, 1, 32, 32) and x.min() >= 0 and x.max() <= 1
    assert torch.equal(x[0], ganzoo.sample(dcgan, 1, seed=3)[0])
    assert torch.equal(x[-1], ganzoo.sample(dcgan, 1, seed=4)[0])
    steps = (x[1:] - x[:-1]).abs().mean(dim=(1, 2, 3))
    assert steps.min() > 0 and steps.max() < (x[-1] - x[0]).abs().mean()  # a gradual path, not a jump


def test_slerp_keeps_the_latent_norm_and_lerp_does_not(dcgan):
    a, b = latents([0], 3, 100)[0].double(), latents([0], 4, 100)[0].double()
    slerp, lerp = interpolate(dcgan, 3, 4, steps=3), interpolate(dcgan, 3, 4, steps=3, method="lerp")
    assert not torch.allclose(slerp[1], lerp[1], atol=1e-3)
    # lerp's midpoint is the generator at (a + b) / 2 (norm ~ 0.7 of a typical latent); slerp's is not
    mid = ((a + b) / 2).float()[None]
    with torch.no_grad():
        torch.testing.assert_close(lerp[1:2], (dcgan(mid) + 1) / 2, rtol=0, atol=1e-5)
    assert (a + b).norm() / 2 < 0.8 * a.norm()


def test_conditional_interpolation_keeps_one_class(cgan):
    x = interpolate(cgan, 1, 2, steps=5, labels=3, truncation=0.7)
    assert torch.equal(x[0], ganzoo.sample(cgan, 1, seed=1, labels=3, truncation=0.7)[0])
    assert torch.equal(interpolate(cgan, 1, 2, steps=2)[1], ganzoo.sample(cgan, 1, seed=2)[0])  # class 0


@pytest.mark.parametrize("kwargs, match", [
    ({"steps": 1}, "steps must be an integer >= 2"),
    ({"method": "cubic"}, "method must be one of"),
    ({"seed_b": -1}, "seed_b must be an integer >= 0"),
    ({"labels": [1, 2]}, "labels must be one int"),
])
def test_bad_interpolation_arguments_name_the_parameter(cgan, kwargs, match):
    args = {"seed_a": 0, "seed_b": 1, **kwargs}
    with pytest.raises(ValueError, match=match):
        interpolate(cgan, **args)


def test_interpolation_labels_on_an_unconditional_model_are_an_error(dcgan):
    with pytest.raises(ValueError, match="unconditional"):
        interpolate(dcgan, 0, 1, labels=2)


def test_class_grid_has_one_column_per_class(cgan):
    from ganzoo.metrics.classifier import predict

    x = class_grid(cgan, 8, seed=0)
    assert x.shape == (80, 1, 32, 32)
    pred = predict(x).reshape(8, 10)  # rows x classes
    per_column = (pred == torch.arange(10)).float().mean(0)
    # the card's class accuracy is 93% (shirts 74%): most of column k is class k
    assert per_column.min() >= 0.5 and per_column.mean() >= 0.85, pred
    # row r is sample r's latent in each class: column k is sample(model, 8, labels=k)
    torch.testing.assert_close(x.reshape(8, 10, 1, 32, 32)[:, 7], ganzoo.sample(cgan, 8, seed=0, labels=7))


def test_class_grid_of_an_unconditional_model_is_an_error(dcgan):
    with pytest.raises(ValueError, match="class grids need a conditional model"):
        class_grid(dcgan)


def test_cli_interpolation_writes_a_looping_gif_and_a_one_row_png(tmp_path):
    gif = tmp_path / "path.gif"
    main(["sample", "dcgan-fashion_mnist", "--interpolate", "3", "4", "--steps", "5", "--out", str(gif)])
    with Image.open(gif) as im:
        assert im.n_frames == 5 and im.info["loop"] == 0 and im.size == (32, 32)
        im.seek(0)
        first = np.asarray(im.convert("L"), dtype=np.float32) / 255
    expected = interpolate("dcgan-fashion_mnist", 3, 4, steps=5)
    assert np.abs(first - expected[0, 0].numpy()).max() <= 1 / 255 + 1e-6
    png = tmp_path / "path.png"
    main(["sample", "dcgan-fashion_mnist", "--interpolate", "3", "4", "--steps", "5", "--method", "lerp",
          "--truncation", "0.8", "--out", str(png)])
    assert Image.open(png).size == (5 * 34 + 2, 36)  # one row of 5 tiles of 32 px, padding 2


def test_cli_class_grid_writes_one_column_per_class(tmp_path):
    out = tmp_path / "classes.png"
    main(["sample", "cgan-fashion_mnist", "--grid", "classes", "--n_per_class", "2", "--truncation", "1.0",
          "--out", str(out)])
    assert Image.open(out).size == (10 * 34 + 2, 2 * 34 + 2)


@pytest.mark.parametrize("argv, flag", [
    (["dcgan-fashion_mnist", "--truncation", "0"], "--truncation must be a finite number > 0"),
    (["dcgan-fashion_mnist", "--truncation", "nan"], "--truncation must be a finite number > 0"),
    (["dcgan-fashion_mnist", "--grid", "classes"], "--grid classes needs a conditional model"),
    (["cgan-fashion_mnist", "--grid", "rows"], "--grid must be 'classes'"),
    (["cgan-fashion_mnist", "--grid", "classes", "--n_per_class", "0"], "--n_per_class must be >= 1"),
    (["cgan-fashion_mnist", "--grid", "classes", "--labels", "3"], "--labels and --grid classes are exclusive"),
    (["dcgan-fashion_mnist", "--interpolate", "0", "1", "--steps", "1"], "--steps must be >= 2"),
    (["dcgan-fashion_mnist", "--interpolate", "0", "1", "--method", "cubic"], "--method must be one of"),
    (["dcgan-fashion_mnist", "--interpolate", "0", "-1"], "--interpolate seeds must be >= 0"),
    (["dcgan-fashion_mnist", "--interpolate", "0", "1", "--grid", "classes"], "--interpolate and --grid"),
    (["dcgan-fashion_mnist", "--out", "x.gif"], "--out .gif is for --interpolate"),
])
def test_cli_errors_are_one_line_naming_the_flag(tmp_path, argv, flag):
    out = tmp_path / "x.png"
    argv = [*argv, "--out", str(tmp_path / "x.gif")] if "x.gif" in argv else [*argv, "--out", str(out)]
    with pytest.raises(SystemExit) as e:
        main(["sample", *argv])
    msg = str(e.value)
    assert msg.startswith("ganzoo sample: ") and flag in msg and "\n" not in msg, msg
    assert not list(tmp_path.iterdir())


def test_truncation_trades_diversity_for_typicality(dcgan):
    # pixel-space spread of samples shrinks with psi (the bench measures it with FID / precision / recall)
    spread = [float(ganzoo.sample(dcgan, 64, seed=0, truncation=p).std(0).mean()) for p in (0.2, 1.0)]
    assert spread[0] < 0.8 * spread[1] and not math.isnan(spread[0])
