"""``ganzoo.sample``: per-sample streams, labels, output types and ranges, bad input, ``ganzoo sample`` CLI."""

import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image
from scipy import stats
from tiny_image_generator import TinyImageGenerator

import ganzoo
from ganzoo.hub import save_generator
from ganzoo.nets import MLPGenerator
from ganzoo.sampling import image_grid, latents


def _toy(seed=0, **kw):
    torch.manual_seed(seed)
    return MLPGenerator(**{"latent_dim": 3, "out_dim": 2, "hidden_dim": 8, "n_layers": 1, **kw})


def _img(seed=0, **kw):
    torch.manual_seed(seed)
    return TinyImageGenerator(**{"latent_dim": 3, "channels": 1, "size": 4, **kw})


def test_same_seed_same_samples_whatever_the_batch_size_n_or_split():
    g = _toy()
    ref = ganzoo.sample(g, 37, seed=11, batch_size=256)
    for bs in (1, 5, 36):
        torch.testing.assert_close(ganzoo.sample(g, 37, seed=11, batch_size=bs), ref)
    # sample i depends only on (seed, i): a prefix of a larger draw is the smaller draw
    torch.testing.assert_close(ganzoo.sample(g, 10, seed=11), ref[:10])
    # shards of the index range (e.g. one per device) reassemble the full latent draw exactly
    full = latents(range(37), 11, 3)
    shards = torch.cat([latents(range(a, min(a + 8, 37)), 11, 3) for a in range(0, 37, 8)])
    assert torch.equal(full, shards)
    with torch.no_grad():
        torch.testing.assert_close(g(full), ref)
    assert not torch.allclose(ganzoo.sample(g, 37, seed=12), ref)


def test_seed_none_follows_torchs_global_generator():
    g = _toy()
    torch.manual_seed(5)
    a = ganzoo.sample(g, 6)
    torch.manual_seed(5)
    torch.testing.assert_close(ganzoo.sample(g, 6), a)
    assert not torch.allclose(ganzoo.sample(g, 6), a)


def test_latent_streams_have_the_right_distribution_and_are_independent():
    z = latents(range(4000), 3, 8).double()
    assert z.shape == (4000, 8) and z.dtype == torch.float64
    flat = z.flatten().numpy()
    assert stats.kstest(flat, "norm").pvalue > 1e-3
    # neighbouring streams are uncorrelated (|r| < 4 / sqrt(n) would fail for overlapping streams)
    r = np.corrcoef(z[:-1].flatten().numpy(), z[1:].flatten().numpy())[0, 1]
    assert abs(r) < 4 / np.sqrt(z[:-1].numel())
    u = latents(range(4000), 3, 8, "uniform").flatten().double().numpy()
    assert u.min() >= -1 and u.max() <= 1
    assert stats.kstest(u, "uniform", args=(-1, 2)).pvalue > 1e-3
    # seeds are full 64-bit: seeds differing only above bit 32 give different streams
    assert not torch.equal(latents([0], 1, 4), latents([0], 1 + 2**32, 4))


def test_uniform_latent_generators_get_uniform_latents():
    g = _toy(latent_distribution="uniform")
    with torch.no_grad():
        torch.testing.assert_close(ganzoo.sample(g, 5, seed=2), g(latents(range(5), 2, 3, "uniform")))


def test_image_outputs_are_mapped_to_unit_range_in_every_output_type():
    g = _img(channels=3, size=5)
    x = ganzoo.sample(g, 7, seed=1)
    assert x.shape == (7, 3, 5, 5) and x.min() >= 0 and x.max() <= 1
    with torch.no_grad():
        raw = g(latents(range(7), 1, 3))
    torch.testing.assert_close(x, (raw + 1) / 2)
    arr = ganzoo.sample(g, 7, seed=1, output_type="numpy")
    assert isinstance(arr, np.ndarray) and np.allclose(arr, x.numpy())
    pil = ganzoo.sample(g, 7, seed=1, output_type="pil")
    assert len(pil) == 7 and all(isinstance(p, Image.Image) and p.size == (5, 5) and p.mode == "RGB" for p in pil)
    np.testing.assert_allclose(np.asarray(pil[3]) / 255.0, x[3].permute(1, 2, 0).numpy(), atol=0.5 / 255 + 1e-6)
    gray = ganzoo.sample(_img(channels=1), 2, seed=0, output_type="pil")
    assert gray[0].mode == "L" and gray[0].size == (4, 4)


def test_labels_select_classes_of_conditional_models():
    g = _img(num_classes=4)
    with torch.no_grad():
        z = latents(range(6), 0, 3)
        expected = (g(z, torch.tensor([2, 2, 2, 2, 2, 2])) + 1) / 2
        default = (g(z, torch.arange(6) % 4) + 1) / 2
    torch.testing.assert_close(ganzoo.sample(g, 6, seed=0, labels=2), expected)
    torch.testing.assert_close(ganzoo.sample(g, 6, seed=0, labels=[2] * 6, batch_size=4), expected)
    torch.testing.assert_close(ganzoo.sample(g, 6, seed=0, labels=torch.full((6,), 2)), expected)
    torch.testing.assert_close(ganzoo.sample(g, 6, seed=0), default)  # sample i gets class i % num_classes
    # the class changes the image, the latent stays the sample's own
    assert not torch.allclose(ganzoo.sample(g, 6, seed=0, labels=1), expected)


@pytest.mark.parametrize("labels,match", [
    (4, r"labels must lie in \[0, 3\]; got \[4\]"),
    (-1, r"labels must lie in \[0, 3\]; got \[-1\]"),
    ([0, 1, 9], r"labels must lie in \[0, 3\]; got \[9\]"),
    ([0, 1], "labels has 2 entries but n is 3"),
    ([0.5, 1, 2], "labels must be an int or a 1-D sequence of ints"),
])
def test_bad_labels_are_rejected(labels, match):
    with pytest.raises(ValueError, match=match):
        ganzoo.sample(_img(num_classes=4), 3, seed=0, labels=labels)


def test_labels_on_an_unconditional_model_are_an_error():
    with pytest.raises(ValueError, match="labels were given but the model is unconditional"):
        ganzoo.sample(_toy(), 3, labels=0)


@pytest.mark.parametrize("kwargs,match", [
    ({"n": 0}, "n must be an integer >= 1"),
    ({"n": 2.5}, "n must be an integer >= 1"),
    ({"n": True}, "n must be an integer >= 1"),
    ({"n": 3, "batch_size": 0}, "batch_size must be an integer >= 1"),
    ({"n": 3, "seed": -1}, "seed must be an integer >= 0"),
    ({"n": 3, "seed": 1.5}, "seed must be an integer >= 0"),
    ({"n": 3, "output_type": "jpg"}, "output_type must be one of"),
    ({"n": 3, "output_type": "pil"}, "output_type='pil' needs an image generator"),
])
def test_bad_arguments_name_the_parameter(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ganzoo.sample(_toy(), **kwargs)


def test_sampling_restores_train_mode_and_does_not_track_gradients():
    g = _toy().train()
    x = ganzoo.sample(g, 3, seed=0)
    assert g.training and not x.requires_grad


def test_points_of_2d_models_are_not_rescaled(tmp_path):
    g = _toy()
    with torch.no_grad():
        torch.testing.assert_close(ganzoo.sample(g, 4, seed=3), g(latents(range(4), 3, 3)))


def test_image_grid_layout():
    imgs = torch.stack([torch.full((1, 2, 2), v) for v in (0.1, 0.2, 0.3, 0.4, 0.5)])
    grid = image_grid(imgs, nrow=3, padding=1, pad_value=1.0)
    assert grid.shape == (1, 2 * 3 + 1, 3 * 3 + 1)
    assert torch.all(grid[:, 1:3, 1:3] == 0.1) and torch.all(grid[:, 4:6, 4:6] == 0.5)
    assert torch.all(grid[:, 4:6, 7:9] == 1.0)  # the empty sixth cell is padding


def test_sample_cli_writes_a_grid_and_npy(tmp_path):
    from ganzoo.cli import main

    g = _img(channels=1, size=4, num_classes=3)
    folder = save_generator(g, tmp_path / "img")
    main(["sample", str(folder), "--n", "16", "--seed", "0", "--out", str(tmp_path / "grid.png")])
    grid = Image.open(tmp_path / "grid.png")
    assert grid.size == (4 * 6 + 2, 4 * 6 + 2) and grid.mode == "L"  # 4x4 tiles of 4 px, padding 2
    main(["sample", str(folder), "--n", "5", "--seed", "3", "--labels", "2", "--out", str(tmp_path / "x.npy")])
    np.testing.assert_allclose(np.load(tmp_path / "x.npy"), ganzoo.sample(g, 5, seed=3, labels=2).numpy())
    with pytest.raises(SystemExit, match="--out must end in .png or .npy"):
        main(["sample", str(folder), "--out", str(tmp_path / "x.jpg")])
    with pytest.raises(SystemExit, match=r"ganzoo sample: labels must lie in \[0, 2\]"):
        main(["sample", str(folder), "--labels", "7", "--out", str(tmp_path / "y.png")])
    with pytest.raises(SystemExit, match="ganzoo sample: name_or_path='nope': not an existing local folder"):
        main(["sample", "nope", "--out", str(tmp_path / "y.png")])
    assert not (tmp_path / "y.png").exists()


def test_ganzoo_sample_does_not_import_lightning(tmp_path):
    folder = save_generator(_toy(), tmp_path / "toy")
    out = tmp_path / "scatter.png"
    code = ("import sys; from ganzoo.cli import main; main(['sample', sys.argv[1], '--n', '64', '--out', sys.argv[2]]);"
            " print('lightning' in sys.modules)")
    res = subprocess.run([sys.executable, "-c", code, str(folder), str(out)], capture_output=True, text=True,
                         check=True)
    assert res.stdout.strip().splitlines()[-1] == "False", res.stdout + res.stderr
    assert Image.open(out).size[0] > 100  # a scatter plot of the 2-D samples
