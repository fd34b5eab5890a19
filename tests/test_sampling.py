"""``ganzoo.sample``: per-sample streams, labels, output types and ranges, bad input, ``ganzoo sample`` CLI.

The latent sampler (version 2): Philox-4x32-10 in torch integer ops against Random123's known answers, its
counter layout, 64-bit seeds and indices, no duplicate latents; folders of an older sampler are refused.
"""

import json
import math
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
from ganzoo.imageio import image_grid
from ganzoo.latents import latents, philox4x32
from ganzoo.nets import MLPGenerator


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


M32 = 0xFFFFFFFF
# Random123 tests/kat_vectors, the three "philox4x32 10" lines: counter[4] key[2] -> output[4]
PHILOX4X32_10_KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((M32,) * 4, (M32, M32), (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]


def test_philox_matches_the_random123_known_answers():
    for counter, key, expected in PHILOX4X32_10_KAT:
        out = philox4x32([torch.tensor([c], dtype=torch.int64) for c in counter], key)
        assert [int(w) for w in out] == list(expected)
    # vectorised: the three vectors side by side (only the key is shared, so one key at a time) and any shape
    counters = [torch.tensor([[0, M32], [0x243F6A88, 0]]) for _ in range(4)]
    words = philox4x32(counters, (0, 0))
    assert [int(w[0, 0]) for w in words] == list(PHILOX4X32_10_KAT[0][2]) and words[0].shape == (2, 2)


def _normal_pair(w_even, w_odd):
    r = math.sqrt(-2 * math.log((w_even + 0.5) / 2**32))
    a = 2 * math.pi * w_odd / 2**32
    return r * math.cos(a), r * math.sin(a)


def test_latent_layout_is_the_documented_philox_block():
    seed, i = 2**40 + 12345, 2**33 + 7  # both above 32 bits
    key = (seed & M32, seed >> 32)
    words = [[int(w) for w in philox4x32([torch.tensor([c]) for c in (j, 0, i & M32, i >> 32)], key)]
             for j in range(2)]
    z = latents([i], seed, 6)[0].double()
    expected = [*_normal_pair(words[0][0], words[0][1]), *_normal_pair(words[0][2], words[0][3]),
                *_normal_pair(words[1][0], words[1][1])]
    np.testing.assert_allclose(z.numpy(), expected, rtol=1e-6, atol=1e-6)
    u = latents([i], seed, 5, "uniform")[0]
    assert u.tolist() == [np.float32((w + 0.5) / 2**31 - 1) for w in words[0] + words[1][:1]]  # bitwise
    # a latent's first coordinates do not depend on latent_dim; indices may be a tensor, a list or a range
    assert torch.equal(latents(range(9), 3, 3), latents(range(9), 3, 10)[:, :3])
    assert torch.equal(latents(torch.tensor([4, 0, 4]), 3, 5), latents([4, 0, 4], 3, 5))
    assert torch.equal(latents([4, 0, 4], 3, 5)[1], latents(range(1), 3, 5)[0])
    # indices and seeds above 32 bits reach their high words
    assert not torch.equal(latents([2**32], 0, 4), latents([0], 0, 4))
    assert not torch.equal(latents([0], 2**63, 4), latents([0], 0, 4))
    with pytest.raises(ValueError, match="sample indices must be >= 0"):
        latents([3, -1], 0, 2)
    with pytest.raises(ValueError, match="seed must be < 2\\*\\*64"):
        latents([0], 2**64, 2)


def _distinct_rows(z):
    keys = z.contiguous().view(torch.int64).flatten().numpy()  # a 2-d float32 latent as one 64-bit key
    return len(np.unique(keys)) == len(keys)


def test_no_duplicate_latents_in_a_million_draws():
    # 2-d latents are the hardest case (one Box-Muller pair); the slow test below draws 10**7
    assert _distinct_rows(latents(range(5 * 10**5), 0, 2))
    assert _distinct_rows(latents(range(2**32 - 2 * 10**5, 2**32 + 3 * 10**5), 2**63 + 1, 2))


@pytest.mark.slow
def test_no_duplicate_latents_in_ten_million_draws():
    keys = np.concatenate([latents(range(a, a + 10**6), 1, 2).view(torch.int64).flatten().numpy()
                           for a in range(0, 10**7, 10**6)])
    assert len(np.unique(keys)) == 10**7


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_latents_equal_cpu_latents():
    for dist in ("normal", "uniform"):
        cpu = latents(range(2**32 - 500, 2**32 + 500), 2**50 + 3, 7, dist)
        cuda = latents(range(2**32 - 500, 2**32 + 500), 2**50 + 3, 7, dist, device="cuda")
        assert cuda.device.type == "cuda"
        if dist == "uniform":
            assert torch.equal(cuda.cpu(), cpu)
        torch.testing.assert_close(cuda.cpu(), cpu)
    g = _img(channels=3, size=5)
    torch.testing.assert_close(ganzoo.sample(g, 20, seed=1, device="cuda"), ganzoo.sample(g.cpu(), 20, seed=1))


def test_folders_record_the_sampler_and_older_ones_are_refused(tmp_path):
    g = _toy()
    folder = save_generator(g, tmp_path / "new")
    assert json.loads((folder / "config.json").read_text())["sampling_version"] == 2
    torch.testing.assert_close(ganzoo.sample(folder, 9, seed=4), ganzoo.sample(g, 9, seed=4))
    # a folder written before the sampler's version 2 (no field, or 1) cannot be sampled as its card was: refused
    cfg = json.loads((folder / "config.json").read_text())
    for old in ({k: v for k, v in cfg.items() if k != "sampling_version"}, {**cfg, "sampling_version": 1}):
        (folder / "config.json").write_text(json.dumps(old))
        with pytest.raises(ValueError, match=r"sampling_version 1: the folder was written by a ganzoo before 0\.1"):
            ganzoo.load(folder)


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
