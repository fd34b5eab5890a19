"""``ganzoo.project`` / ``ganzoo project``: GAN inversion on the zoo's real generators.

Models: the bundled zoo entries ``dcgan-fashion_mnist`` (unconditional) and ``cgan-fashion_mnist`` (conditional),
``pix2pix-edges2fashion`` (a translator, rejected) and ``wgan_gp-8gaussians`` (2-D points, rejected). Targets: real
Fashion-MNIST test images, and the models' own samples (whose exact latents exist).
"""

import numpy as np
import pytest
import torch
from PIL import Image

import ganzoo
from ganzoo.projection import ProjectionResult, comparison_png, psnr
from ganzoo.sampling import latents

FAST = {"steps": 30, "candidates": 64}


@pytest.fixture(scope="module")
def dcgan():
    return ganzoo.load("dcgan-fashion_mnist")


@pytest.fixture(scope="module")
def cgan():
    return ganzoo.load("cgan-fashion_mnist")


@pytest.fixture(scope="module")
def real():
    """The first 4 Fashion-MNIST test images in [0, 1] and their classes."""
    from fmnist import require_fashion_mnist

    require_fashion_mnist("the projection tests")
    from ganzoo.data import FashionMNISTDataModule

    x, y = FashionMNISTDataModule().reference_images("test", 4)
    return ((x + 1) / 2).clamp(0, 1), y


@pytest.fixture(scope="module")
def projected(dcgan, real):
    return ganzoo.project(dcgan, real[0], seed=0, **FAST)


def test_optimisation_beats_the_best_candidate(dcgan, real, projected):
    res = projected
    assert isinstance(res, ProjectionResult)
    assert res.latents.shape == (4, 100) and res.latents.dtype == torch.float32 and res.labels is None
    assert res.images.shape == (4, 1, 32, 32) and 0 <= float(res.images.min()) <= float(res.images.max()) <= 1
    assert res.features == "fmnist_classifier" and res.loss.shape == res.psnr.shape == (4,)
    # measured (30 steps, 64 candidates): the best candidate ~14 dB, the optimised latent ~18 dB, each image +2-5 dB
    assert bool((res.psnr > res.start_psnr + 1.0).all()), (res.start_psnr, res.psnr)
    assert res.mean_psnr > float(res.start_psnr.mean()) + 2.0
    # the returned latents generate the returned images, and psnr is theirs
    with torch.no_grad():
        again = ((dcgan(res.latents) + 1) / 2).clamp(0, 1)
    torch.testing.assert_close(again, res.images, rtol=0, atol=1e-5)
    torch.testing.assert_close(res.psnr, psnr(res.images, real[0]))
    # the latents stay in the prior's typical set (the norm shell of a 100-d standard normal)
    norms = res.latents.norm(dim=1)
    assert bool(((norms > 8.1) & (norms < 11.9)).all()), norms


def test_recovers_the_models_own_samples(dcgan):
    """An image the generator made has an exact latent: the projection finds an image within noise of it."""
    target = ganzoo.sample(dcgan, 3, seed=123)
    res = ganzoo.project(dcgan, target, seed=0, steps=200, candidates=64)
    # measured with the CPU-retrained entry (FID 6.57): 24.8-31.1 dB (mean 28.1) after the default 200 steps, from
    # best candidates of 11.1-15.3 dB (seed 0 does not contain the target); 60 steps left one target at 18.5 dB
    assert bool((res.start_psnr < 20).all()), res.start_psnr
    assert bool((res.psnr > 22).all()) and res.mean_psnr > 24, res.psnr
    assert bool((res.psnr > res.start_psnr + 4).all()), (res.start_psnr, res.psnr)


def test_steps_0_is_the_best_of_the_samplers_candidates(dcgan, real):
    x = real[0][:2]
    res = ganzoo.project(dcgan, x, seed=3, steps=0, candidates=32, features=None)
    cands = ganzoo.sample(dcgan, 32, seed=3)
    mse = (x[:, None] - cands[None]).pow(2).flatten(2).mean(2)  # (2, 32)
    best = mse.argmin(1)
    z = latents(range(32), 3, 100)
    assert torch.equal(res.latents, z[best])
    torch.testing.assert_close(res.images, cands[best], rtol=0, atol=1e-5)
    torch.testing.assert_close(res.psnr, res.start_psnr)


def test_deterministic_and_weights_untouched(dcgan, real):
    before = {k: v.clone() for k, v in dcgan.state_dict().items()}
    dcgan.train()  # the projection runs in eval mode and restores the caller's mode
    try:
        a = ganzoo.project(dcgan, real[0][:2], seed=5, steps=8, candidates=16)
        b = ganzoo.project(dcgan, real[0][:2], seed=5, steps=8, candidates=16)
        assert dcgan.training
    finally:
        dcgan.eval()
    assert torch.equal(a.latents, b.latents) and torch.equal(a.images, b.images)
    c = ganzoo.project(dcgan, real[0][:2], seed=6, steps=8, candidates=16)
    assert not torch.equal(a.latents, c.latents)
    after = dcgan.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # BatchNorm running stats included
    assert all(p.grad is None for p in dcgan.parameters())


def test_batch_size_does_not_change_the_result(dcgan, real):
    a = ganzoo.project(dcgan, real[0], seed=0, steps=5, candidates=16, batch_size=4)
    b = ganzoo.project(dcgan, real[0], seed=0, steps=5, candidates=16, batch_size=3)
    torch.testing.assert_close(a.latents, b.latents, rtol=0, atol=1e-3)


def test_conditional_model_picks_the_class(cgan, real):
    target_labels = torch.tensor([1, 7, 9])  # trouser, sneaker, ankle boot
    target = ganzoo.sample(cgan, 3, seed=77, labels=target_labels)
    res = ganzoo.project(cgan, target, seed=0, **FAST)
    assert res.labels is not None and res.labels.dtype == torch.long and res.labels.shape == (3,)
    assert torch.equal(res.labels, target_labels)  # the best candidates are of the target's class
    assert bool((res.psnr > res.start_psnr + 1.0).all()), (res.start_psnr, res.psnr)
    with torch.no_grad():
        again = ((cgan(res.latents, res.labels) + 1) / 2).clamp(0, 1)
    torch.testing.assert_close(again, res.images, rtol=0, atol=1e-5)
    # real images: labels in range; given labels are kept
    res = ganzoo.project(cgan, real[0], seed=0, steps=5, candidates=20)
    assert bool(((res.labels >= 0) & (res.labels < 10)).all())
    res = ganzoo.project(cgan, real[0][:2], seed=0, steps=2, candidates=8, labels=[4, 4])
    assert res.labels.tolist() == [4, 4]


def test_a_callable_feature_and_pixels_only(dcgan, real):
    x = real[0][:2]
    pooled = ganzoo.project(dcgan, x, seed=0, steps=10, candidates=16, feature_weight=1.0,
                            features=lambda im: torch.nn.functional.avg_pool2d(im, 4).flatten(1))
    assert pooled.features == "<lambda>" and pooled.mean_psnr > float(pooled.start_psnr.mean())
    pixels = ganzoo.project(dcgan, x, seed=0, steps=10, candidates=16, features=None)
    assert pixels.features is None and pixels.mean_psnr > float(pixels.start_psnr.mean())


@pytest.mark.parametrize("kwargs, match", [
    ({"steps": -1}, "steps must be an integer >= 0"),
    ({"candidates": 0}, "candidates must be an integer >= 1"),
    ({"seed": -2}, "seed must be an integer >= 0"),
    ({"lr": 0.0}, "lr must be > 0"),
    ({"feature_weight": float("nan")}, "feature_weight must be >= 0"),
    ({"batch_size": 0}, "batch_size must be an integer >= 1"),
    ({"features": "pixels"}, "features must be one of"),
    ({"labels": 3}, "labels were given but the model is unconditional"),
])
def test_bad_arguments(dcgan, kwargs, match):
    with pytest.raises(ValueError, match=match):
        ganzoo.project(dcgan, torch.rand(2, 1, 32, 32), **kwargs)


@pytest.mark.parametrize("images, match", [
    (torch.rand(2, 1, 28, 28), r"images have shape \(1, 28, 28\) per item, the generator outputs \(1, 32, 32\)"),
    (torch.rand(2, 3, 32, 32), "images have 3 channels, the generator outputs 1"),
    (torch.rand(2, 1, 32, 32) * 2, r"images must lie in \[0, 1\]"),
    (torch.zeros(0, 1, 32, 32), "images is empty"),
    ("no/such/folder", "images='no/such/folder' is neither a folder of images nor a .npy file"),
])
def test_bad_images(dcgan, images, match):
    with pytest.raises(ValueError, match=match):
        ganzoo.project(dcgan, images)


def test_models_without_a_latent_space_are_rejected():
    with pytest.raises(ValueError, match="image-to-image translator .* use ganzoo.translate"):
        ganzoo.project("pix2pix-edges2fashion", torch.rand(1, 3, 64, 64))
    with pytest.raises(ValueError, match=r"outputs \(2,\) \(not images\): projection needs an image generator"):
        ganzoo.project("wgan_gp-8gaussians", torch.rand(1, 2))


def test_comparison_png():
    t, r = torch.zeros(5, 1, 4, 4), torch.ones(5, 1, 4, 4)
    from io import BytesIO

    im = np.asarray(Image.open(BytesIO(comparison_png(t, r, nrow=3))))
    # 4 rows (targets, reconstructions, targets, reconstructions) of 3 cells of 4 px with 2 px padding
    assert im.shape == (4 * 6 + 2, 3 * 6 + 2)
    assert im[2:6, 2:6].max() == 0 and im[8:12, 2:6].min() == 255  # a black target over its white reconstruction


def test_cli_writes_latents_and_grid(tmp_path, real, capsys):
    from safetensors import safe_open

    from ganzoo.cli import main

    folder = tmp_path / "in"
    folder.mkdir()
    for i, im in enumerate(ganzoo.sampling.to_pil(real[0][:3])):
        im.save(folder / f"{i}.png")
    main(["project", "cgan-fashion_mnist", "--input", str(folder), "--out", str(tmp_path / "out"), "--steps", "3",
          "--candidates", "20"])
    line = capsys.readouterr().out.strip()
    assert line.startswith("projected 3 images: mean PSNR ") and "\n" not in line
    with safe_open(str(tmp_path / "out" / "latents.safetensors"), "pt") as f:
        assert f.get_tensor("latents").shape == (3, 100)
        labels = f.get_tensor("labels")
        assert labels.dtype == torch.long and bool(((labels >= 0) & (labels < 10)).all())
        assert f.get_tensor("psnr").shape == (3,) and f.metadata()["model"] == "cgan-fashion_mnist"
    with Image.open(tmp_path / "out" / "comparison.png") as im:
        assert im.size == (3 * 34 + 2, 2 * 34 + 2)
    np.save(tmp_path / "x.npy", (real[0][:2, 0].numpy() * 255).astype(np.uint8))  # (n, H, W) uint8
    main(["project", "dcgan-fashion_mnist", "--input", str(tmp_path / "x.npy"), "--out", str(tmp_path / "o2"),
          "--steps", "0", "--candidates", "8", "--features", "none"])
    with safe_open(str(tmp_path / "o2" / "latents.safetensors"), "pt") as f:
        assert "labels" not in f.keys() and f.get_tensor("latents").shape == (2, 100)


@pytest.mark.parametrize("args, message", [
    (["pix2pix-edges2fashion", "--input", "IN"], "ganzoo project: model is an image-to-image translator"),
    (["dcgan-fashion_mnist", "--input", "missing"], "ganzoo project: --input 'missing' does not exist"),
    (["dcgan-fashion_mnist", "--input", "IN", "--steps", "-1"], "ganzoo project: --steps must be >= 0, got -1"),
    (["dcgan-fashion_mnist", "--input", "BIG"], "ganzoo project: --input images have shape (1, 40, 40) per item"),
    (["no-such-model", "--input", "IN"], "ganzoo project: name_or_path='no-such-model': not an existing"),
])
def test_cli_errors_are_one_line(tmp_path, monkeypatch, args, message):
    from ganzoo.cli import main

    monkeypatch.chdir(tmp_path)
    np.save(tmp_path / "IN.npy", np.zeros((1, 32, 32), np.uint8))
    np.save(tmp_path / "BIG.npy", np.zeros((1, 40, 40), np.uint8))
    args = [a + ".npy" if a in ("IN", "BIG") else a for a in args]
    with pytest.raises(SystemExit) as e:
        main(["project", *args, "--out", str(tmp_path / "out")])
    assert str(e.value.code).startswith(message) and "\n" not in str(e.value.code), e.value.code
    assert not (tmp_path / "out").exists()

