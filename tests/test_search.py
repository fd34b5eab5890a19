"""``ganzoo.search`` / ``ganzoo search``: MMD^2 latent search (Jitkrittum et al. 2019) on small real generators.

The generators: the bundled zoo entry ``wgan_gp-8gaussians`` (a trained 2-D MLP generator), the test-only registered
``test_tiny_image_generator`` (conditional and not), the DCGAN generator (untrained, narrow) for the Fashion-MNIST
classifier features, and a pix2pix translator for the error. The slow test trains a DCGAN briefly on Fashion-MNIST.
"""

import math
import sys

import numpy as np
import pytest
import torch

import ganzoo
from ganzoo.objectives.mmd import MixRQ, mmd2
from ganzoo.registry import build_model
from ganzoo.search import median_distance, norm_shell, read_examples
from ganzoo.translators import Translator

sys.path.insert(0, __import__("os").path.dirname(__file__))
import tiny_image_generator  # noqa: E402,F401  (registers test_tiny_image_generator)

ZOO = "wgan_gp-8gaussians"


@pytest.fixture(scope="module")
def toy():
    g = ganzoo.load(ZOO)
    x = ganzoo.sample(g, 600, seed=1)
    ang = torch.atan2(x[:, 1], x[:, 0])
    return g, x[ang.abs() < 0.3][:16]  # 16 points of the mode at angle 0


def in_mode(points):
    return float((torch.atan2(points[:, 1], points[:, 0]).abs() < 0.4).float().mean())


def test_mmd_decreases_from_the_initial_latents_and_finds_the_mode(toy):
    g, ex = toy
    found, z, info = ganzoo.search(g, ex, 32, seed=0, steps=15, return_latents=True, return_info=True)
    assert found.shape == (32, 2) and z.shape == (32, 2)
    assert info["mmd2_after"] < info["mmd2_init"] < info["mmd2_before"]
    assert len(info["mmd2_history"]) == 16 and info["mmd2_history"][0] == info["mmd2_init"]
    assert in_mode(ganzoo.sample(g, 32, seed=0)) < 0.3 < 0.8 < in_mode(found)
    # the reported MMD^2 is that of the returned samples (pixel features scaled by the median heuristic)
    s = 1 / median_distance(ex)
    assert math.isclose(float(mmd2(ex * s, found * s, MixRQ(linear=False))), info["mmd2_after"], rel_tol=1e-3,
                        abs_tol=1e-5)
    with torch.no_grad():
        assert torch.allclose(g(z), found, atol=1e-5)  # the latents generate the samples


def test_refinement_alone_decreases_mmd(toy):
    g, ex = toy
    _, info = ganzoo.search(g, ex, 16, seed=3, steps=10, pool=1, lr=0.1, return_info=True)
    assert info["mmd2_init"] == pytest.approx(info["mmd2_before"], rel=1e-5)  # pool=1: the sampler's latents
    assert info["mmd2_after"] < info["mmd2_before"]


def test_same_seed_same_result(toy):
    g, ex = toy
    a = ganzoo.search(g, ex, 16, seed=5, steps=5)
    assert torch.equal(a, ganzoo.search(g, ex, 16, seed=5, steps=5))
    assert not torch.equal(a, ganzoo.search(g, ex, 16, seed=6, steps=5))
    as_numpy = ganzoo.search(g, ex.numpy(), 16, seed=5, steps=5, output_type="numpy")
    assert isinstance(as_numpy, np.ndarray) and np.array_equal(as_numpy, a.numpy())


def test_batch_size_does_not_change_the_start():
    """The search starts from the sampler's draw, which depends on (seed, i) only, not on a batch size; the n latents
    are then optimised as one batch (there is no batch_size argument to split them)."""
    g = build_model("test_tiny_image_generator", {"latent_dim": 3, "channels": 1, "size": 4})
    ex = torch.rand(6, 1, 4, 4)
    start = ganzoo.search(g, ex, 10, seed=2, steps=0, pool=1)
    assert torch.equal(start, ganzoo.sample(g, 10, seed=2, batch_size=10))
    for bs in (1, 3, 7):
        assert torch.allclose(start, ganzoo.sample(g, 10, seed=2, batch_size=bs), atol=1e-6)
    with pytest.raises(TypeError):
        ganzoo.search(g, ex, 10, seed=2, batch_size=5)


def test_latents_stay_in_the_prior_shell():
    lo, hi = norm_shell(100)
    assert 8.1 < lo < 8.3 and 11.7 < hi < 11.9  # chi_100 0.5% / 99.5% quantiles: 8.205, 11.839
    img = build_model("dcgan_generator", {"latent_dim": 16, "width": 8, "channels": 1, "resolution": 32})
    ex_img = torch.rand(4, 1, 32, 32)
    _, z = ganzoo.search(img, ex_img, 8, seed=0, steps=5, lr=1.0, pool=2, features="pixels", return_latents=True)
    r = z.norm(dim=1)
    lo, hi = norm_shell(16)
    assert (r >= lo - 1e-4).all() and (r <= hi + 1e-4).all()


def test_fashion_features_and_output_types():
    g = build_model("dcgan_generator", {"latent_dim": 16, "width": 8, "channels": 1, "resolution": 32})
    ex = (torch.arange(4 * 32 * 32).reshape(4, 1, 32, 32) % 255).to(torch.uint8)  # uint8 examples are / 255
    pil, info = ganzoo.search(g, ex, 6, seed=0, steps=2, pool=2, output_type="pil", return_info=True)
    assert len(pil) == 6 and pil[0].size == (32, 32) and pil[0].mode == "L"
    assert info["features"] == "fmnist_classifier" and info["bandwidth"] > 0
    _, info = ganzoo.search(g, ex[:, 0], 6, seed=0, steps=1, pool=1, features="pixels", kernel="rbf",
                            return_info=True)  # (m, H, W) is read as grey
    assert info["features"] == "pixels" and info["kernel"] == "rbf"
    calls = []

    def mean_brightness(x):
        calls.append(x.shape)
        return x.mean(dim=(1, 2, 3))[:, None]

    out = ganzoo.search(g, ex, 6, seed=0, steps=2, pool=1, features=mean_brightness)
    assert out.shape == (6, 1, 32, 32) and calls[0] == (4, 1, 32, 32)


def test_conditional_generator_labels():
    g = build_model("test_tiny_image_generator", {"latent_dim": 3, "channels": 1, "size": 4, "num_classes": 3})
    torch.manual_seed(0)
    with torch.no_grad():
        g.embed.weight.mul_(3)  # classes far apart
    ex = ganzoo.sample(g, 12, seed=9, labels=2)
    found, info = ganzoo.search(g, ex, 12, seed=0, steps=3, return_info=True)
    assert found.shape == (12, 1, 4, 4) and len(info["labels"]) == 12
    assert np.mean(np.array(info["labels"]) == 2) >= 0.8  # without labels the start picks the examples' class
    _, info = ganzoo.search(g, ex, 12, seed=0, steps=3, labels=1, return_info=True)
    assert info["labels"] == [1] * 12
    per = [0, 1, 2] * 4
    _, info = ganzoo.search(g, ex, 12, seed=0, steps=3, labels=per, return_info=True)
    assert info["labels"] == per
    with pytest.raises(ValueError, match="labels"):
        ganzoo.search(g, ex, 12, seed=0, steps=1, labels=3)


@pytest.mark.parametrize("examples, match", [
    (torch.zeros(0, 1, 4, 4), "examples is empty"),
    (torch.zeros(5, 4, 4, 1, 1), "examples must have shape"),
    (torch.zeros(5, 3, 4, 4), "examples have 3 channels"),
    (torch.zeros(5, 1, 8, 8), "examples have shape"),
    (torch.zeros(1, 1, 4, 4), "examples has 1 item"),
    (torch.full((5, 1, 4, 4), 2.0), "examples must lie in"),
    ("/nonexistent/folder", "examples="),
])
def test_bad_examples_name_the_argument(examples, match):
    g = build_model("test_tiny_image_generator", {"latent_dim": 3, "channels": 1, "size": 4})
    with pytest.raises(ValueError, match=match):
        ganzoo.search(g, examples, 4, seed=0, steps=1)


def test_bad_arguments_name_the_argument():
    g = build_model("test_tiny_image_generator", {"latent_dim": 3, "channels": 1, "size": 4})
    ex = torch.rand(4, 1, 4, 4)
    for kw, match in (({"n": 0}, "n must"), ({"steps": -1}, "steps must"), ({"pool": 0}, "pool must"),
                      ({"lr": 0.0}, "lr must"), ({"kernel": "imq"}, "kernel must"), ({"features": "vgg"}, "features"),
                      ({"features": "classifier"}, "features='classifier'")):
        args = {"n": 4, **kw}
        with pytest.raises(ValueError, match=match):
            ganzoo.search(g, ex, args.pop("n"), seed=0, steps=args.pop("steps", 1), **args)
    translator = Translator({"AtoB": {"arch": "unet_generator", "in_channels": 1, "out_channels": 1,
                                      "num_downs": 2, "width": 4}})
    with pytest.raises(ValueError, match="model is an image-to-image translator"):
        ganzoo.search(translator, ex, 4, seed=0)
    with pytest.raises(ValueError, match="model"):
        ganzoo.search(torch.nn.Linear(2, 2), ex, 4, seed=0)


def test_read_examples_folder_and_npy(tmp_path):
    from PIL import Image

    for i in range(3):
        Image.fromarray(np.full((4, 4), 60 * i, np.uint8), "L").save(tmp_path / f"{i}.png")
    x = read_examples(tmp_path, (1, 4, 4), True)
    assert x.shape == (3, 1, 4, 4) and math.isclose(float(x[2].max()), 120 / 255, rel_tol=1e-6)
    np.save(tmp_path / "ex.npy", (x.numpy() * 255).astype(np.uint8))
    assert torch.allclose(read_examples(tmp_path / "ex.npy", (1, 4, 4), True), x, atol=1 / 255)
    with pytest.raises(ValueError, match="examples: .*no images"):
        read_examples(tmp_path / "empty", (1, 4, 4), True) if (tmp_path / "empty").mkdir() is None else None


def test_cli_writes_the_figure(tmp_path, toy, capsys):
    from ganzoo.cli import main

    _, ex = toy
    np.save(tmp_path / "ex.npy", ex.numpy())
    main(["search", ZOO, "--examples", str(tmp_path / "ex.npy"), "--n", "16", "--steps", "3",
          "--out", str(tmp_path / "grid.png")])
    assert (tmp_path / "grid.png").stat().st_size > 5_000
    assert "MMD^2" in capsys.readouterr().out
    main(["search", ZOO, "--examples", str(tmp_path / "ex.npy"), "--n", "16", "--steps", "0",
          "--out", str(tmp_path / "found.npy")])
    assert np.load(tmp_path / "found.npy").shape == (16, 2)
    with pytest.raises(SystemExit, match="examples"):
        main(["search", ZOO, "--examples", str(tmp_path / "missing.npy"), "--out", str(tmp_path / "x.png")])


def test_cli_image_folder(tmp_path):
    from PIL import Image

    from ganzoo.cli import main
    from ganzoo.hub import save_generator

    g = build_model("test_tiny_image_generator", {"latent_dim": 3, "channels": 1, "size": 4})
    save_generator(g, tmp_path / "gen")
    (tmp_path / "ex").mkdir()
    for i in range(4):
        Image.fromarray(np.full((4, 4), 50 * i, np.uint8), "L").save(tmp_path / "ex" / f"{i}.png")
    main(["search", str(tmp_path / "gen"), "--examples", str(tmp_path / "ex"), "--n", "9", "--steps", "2",
          "--out", str(tmp_path / "grid.png")])
    assert (tmp_path / "grid.png").stat().st_size > 5_000


@pytest.mark.slow
@pytest.mark.fashion_mnist
def test_class_query_with_the_zoo_generator():
    """The zoo's DCGAN, queried with 16 test trousers: most found samples are trousers by the shipped classifier
    (random samples: ~10%); the bench measured 92% with this query and the entry's earlier weights (FID 10.3)."""
    from ganzoo.data import FashionMNISTDataModule
    from ganzoo.metrics.classifier import predict

    g = ganzoo.load("dcgan-fashion_mnist")
    x, y = FashionMNISTDataModule(batch_size=64).reference_images("test", 2000)
    trousers = ((x[y == 1][:16] + 1) / 2).clamp(0, 1)
    found, info = ganzoo.search(g, trousers, 64, seed=0, return_info=True)
    frac = float((predict(found) == 1).float().mean())
    rand = float((predict(ganzoo.sample(g, 64, seed=0)) == 1).float().mean())
    print(f"trouser fraction {frac:.2f} (random {rand:.2f}); MMD^2 {info['mmd2_before']:.4f} -> "
          f"{info['mmd2_after']:.4f} in {info['seconds']:.0f} s")
    assert frac >= 0.8 and rand < 0.3
    assert info["mmd2_after"] < info["mmd2_before"]
