"""Evaluation of images, not only of models (issue 24): ``ganzoo eval`` of a folder of PNGs or an ``.npy``/``.npz``
array against a dataset, images or saved statistics (``ganzoo stats``); the protocol of every result; the FID bias
warning below 2,048 images, with the numbers measured by ``bench/quality/fid_bias.py``; bad input named in one line."""

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from ganzoo.cli import main
from ganzoo.imageio import as_images, read_image_set
from ganzoo.metrics.fid_bias import SmallSampleWarning, fid_bias_note, fid_bias_table
from ganzoo.metrics.images import evaluate, reference_stats, save_stats
from ganzoo.metrics.reference import ReferenceStats, load_stats
from ganzoo.sampling import to_pil

ROOT = Path(__file__).resolve().parents[1]
needs_fmnist = pytest.mark.fashion_mnist
N_TEST = 500  # test images written as PNGs (a subset: the CPU is shared); the comparison is exact all the same
N_TRAIN = 1000  # reference images


def write_pngs(images: torch.Tensor, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, im in enumerate(to_pil(images)):
        im.save(folder / f"{i:05d}.png")
    return folder


@pytest.fixture(scope="module")
def fmnist():
    from ganzoo.data import FashionMNISTDataModule

    dm = FashionMNISTDataModule()
    return dm, dm.dataset("test").images[:N_TEST]  # uint8 (N, 1, 32, 32): what the datamodule maps to [-1, 1]


@needs_fmnist
def test_png_folder_fid_equals_in_memory_fid_and_the_round_trip_is_lossless(fmnist, tmp_path):
    dm, uint8 = fmnist
    in_memory = (dm.reference_images("test", N_TEST)[0] + 1) / 2
    folder = write_pngs(in_memory, tmp_path / "test_png")
    back, desc = read_image_set(folder)
    assert back.shape == (N_TEST, 1, 32, 32) and f"folder {folder} ({N_TEST} images)" == desc
    assert torch.equal((back * 255).round().to(torch.uint8), uint8)  # 8-bit PNG round trip: lossless
    assert torch.equal(back, uint8.float() / 255)
    kw = dict(metrics=("fid", "kid"), n_real=N_TRAIN)
    with pytest.warns(SmallSampleWarning):
        a = evaluate(in_memory, dm, **kw)
    with pytest.warns(SmallSampleWarning):
        b = evaluate(folder, dm, **kw)
    assert abs(a["fid"] - b["fid"]) < 1e-3, (a["fid"], b["fid"])
    assert abs(a["kid_mean"] - b["kid_mean"]) < 1e-6
    assert 0 < b["fid"] < 10  # test vs train: small in the classifier's features
    p = b["protocol"]
    assert (p["n_fake"], p["n_real"], p["dataset"], p["split"]) == (N_TEST, N_TRAIN, "fashion_mnist", "train")
    assert p["fake"] == desc and p["real"] == f"fashion_mnist train split, the first {N_TRAIN} images"
    assert p["extractor"] == "fmnist" and len(p["weights_sha256"]) == 64 and p["resize"].startswith("none")

    # the same images as arrays: .npy uint8 (N, 1, H, W), .npz float (N, H, W, C), .npy (N, H, W): the same FID
    np.save(tmp_path / "u8.npy", uint8.numpy())
    np.savez(tmp_path / "f.npz", images=(uint8.float() / 255).permute(0, 2, 3, 1).numpy(), labels=np.zeros(3))
    np.save(tmp_path / "hw.npy", uint8[:, 0].numpy())
    for path in ("u8.npy", "f.npz", "hw.npy"):
        with pytest.warns(SmallSampleWarning):
            c = evaluate(tmp_path / path, dm, **kw)
        assert abs(c["fid"] - b["fid"]) < 1e-3, (path, c["fid"], b["fid"])
        assert str(tmp_path / path) in c["protocol"]["fake"]


@needs_fmnist
def test_cli_stats_round_trip_gives_the_same_scores(fmnist, tmp_path, capsys):
    dm, uint8 = fmnist
    train = dm.dataset("train").images[:N_TRAIN]
    np.save(tmp_path / "train.npy", train.numpy())
    np.save(tmp_path / "test.npy", uint8.numpy())
    stats = tmp_path / "ref.safetensors"
    saved = main_json(["stats", str(tmp_path / "train.npy"), "--out", str(stats)], capsys)
    assert saved["extractor"] == "fmnist" and saved["n"] == N_TRAIN and saved["resolution"] == [1, 32, 32]
    assert saved["bytes"] == stats.stat().st_size > 4 * N_TRAIN * 128  # the features are kept (KID, PRDC)
    loaded = load_stats(stats)
    assert loaded.n == N_TRAIN and loaded.protocol["source"] == f"array {tmp_path / 'train.npy'} ({N_TRAIN} images)"
    mu, sigma = loaded.mean_cov()
    from safetensors.torch import load_file

    tensors = load_file(stats)
    assert torch.equal(tensors["mu"], mu) and torch.equal(tensors["sigma"], sigma)

    args = ["eval", str(tmp_path / "test.npy"), "--metrics", "fid,kid,prdc"]
    from_images = main_json([*args, "--ref", str(tmp_path / "train.npy")], capsys)
    main([*args, "--ref", str(stats)])
    captured = capsys.readouterr()
    from_stats = json.loads(captured.out)
    assert f"ganzoo eval: warning: {fid_bias_note(N_TEST, N_TRAIN)}" in captured.err  # 500 images: on stderr
    for key in ("fid", "kid_mean", "precision", "recall", "density", "coverage"):
        assert from_stats[key] == from_images[key], key
    p = from_stats["protocol"]
    assert from_stats["source"] == str(tmp_path / "test.npy")
    assert p["real"] == f"statistics {stats}: array {tmp_path / 'train.npy'} ({N_TRAIN} images)"  # PR's "real"
    assert p["fake"] == f"array {tmp_path / 'test.npy'} ({N_TEST} images)"
    assert (p["n_fake"], p["n_real"]) == (N_TEST, N_TRAIN) and p["reference_statistics"]["path"] == str(stats)
    assert from_images["protocol"]["real"] == f"array {tmp_path / 'train.npy'} ({N_TRAIN} images)"

    # a generator against the saved statistics
    out = main_json(["eval", "dcgan-fashion_mnist", "--ref", str(stats), "--n", "300"], capsys)
    assert out["model"] == "dcgan-fashion_mnist" and out["protocol"]["n_fake"] == 300
    assert out["protocol"]["fake"] == "300 samples of the generator (seed 0)" and out["fid"] > 0

    # statistics of another extractor, or other weights of the same one, are refused before any work
    with pytest.raises(SystemExit, match="'fmnist' extractor's features, not 'inception'"):
        main([*args, "--ref", str(stats), "--extractor", "inception"])
    other = ReferenceStats(loaded.features, {**loaded.protocol, "weights_sha256": "0" * 64})
    with pytest.raises(ValueError, match="other fmnist weights"):
        evaluate(tmp_path / "test.npy", other)


def main_json(argv, capsys):
    main(argv)
    return json.loads(capsys.readouterr().out)


@needs_fmnist
def test_raw_28x28_images_are_padded_as_the_datamodule_pads_them(fmnist, tmp_path, capsys):
    """A folder of raw Fashion-MNIST images (28x28, as in the IDX files): ``ganzoo eval`` and ``ganzoo stats`` pad
    them to the 32x32 the fmnist extractor takes, as the datamodule does, and say so in one line on stderr."""
    from PIL import Image

    from ganzoo.data import idx

    dm, uint8 = fmnist
    raw, _ = idx.load_idx_split(idx.default_fashion_mnist_dir(), "test")
    folder = tmp_path / "raw28"
    folder.mkdir()
    for i, a in enumerate(raw[:N_TEST]):
        Image.fromarray(a).save(folder / f"{i:05d}.png")
    note = ("SOURCE: 28x28 images padded to 32x32 with 2 black pixels on each side, as ganzoo's Fashion-MNIST "
            "datamodule pads them, for the fmnist extractor")

    def run(argv):
        main(argv)
        captured = capsys.readouterr()
        return json.loads(captured.out), [line for line in captured.err.splitlines() if "padded" in line]

    # the images against the same images from the datamodule: FID 0
    out, lines = run(["eval", str(folder), "--data", "fashion_mnist", "--split", "test", "--n_real", str(N_TEST),
                      "--metrics", "fid"])
    assert abs(out["fid"]) < 1e-2 and out["protocol"]["resolution"] == [1, 32, 32]
    assert lines == [f"ganzoo eval: {note}"] and out["notes"] == [note]
    assert out["protocol"]["fake"] == f"folder {folder} ({N_TEST} images), padded from 28x28 to 32x32"

    # statistics of the 28x28 folder; eval of the folder against them, and against the folder itself: FID 0
    stats = tmp_path / "raw28.safetensors"
    saved, lines = run(["stats", str(folder), "--out", str(stats)])
    assert saved["resolution"] == [1, 32, 32] and saved["extractor"] == "fmnist" and len(lines) == 1
    assert lines[0].startswith("ganzoo stats: SOURCE: 28x28 images padded to 32x32")
    for ref in (stats, folder):
        out, lines = run(["eval", str(folder), "--ref", str(ref), "--metrics", "fid"])
        assert abs(out["fid"]) < 1e-2 and lines, (ref, out["fid"])

    from ganzoo.metrics.extractors import pad_for_fmnist

    padded, said = pad_for_fmnist(read_image_set(folder)[0], "SOURCE")
    assert torch.equal(padded, uint8.float() / 255) and said == note  # the datamodule's own pixels: the same rule


def test_the_bias_numbers_come_from_the_bench_json():
    """The warning quotes the bias measured for both counts, generated and reference (the grid of
    bench/quality/fid_bias.py), and names no repository path (an installed package has none)."""
    shipped = (ROOT / "ganzoo" / "metrics" / "fid_bias.json").read_bytes()
    assert shipped == (ROOT / "bench" / "results" / "fid_bias.json").read_bytes()  # the bench writes both
    table = fid_bias_table()
    assert table["extractor"] == "fmnist"
    cells = {(r["n"], r["n_ref"]): r["bias"] for r in table["grid"]["rows"]}
    counts = sorted({n for n, _ in cells})
    assert cells[10000, 10000] == 0 and len(cells) == len(counts) ** 2
    for (n, m), bias in cells.items():
        note = fid_bias_note(n, m)
        if min(n, m) >= 2048:
            assert note is None
            continue
        assert f"FID of {n:,} images against {m:,} reference images is biased upward" in note
        assert f"{n:,} images against {m:,} score about {bias:.2f} above 10,000 against 10,000" in note, note
        assert "fid_bias.json" in note and not re.search(r"\b(bench|tests|docs|ganzoo)/", note), note
    assert fid_bias_note(2048, 2048) is None and fid_bias_note(10**6, 10**5) is None
    # like with like: 500 against 500 is biased more than 500 against 10,000, which is what the old warning quoted
    assert cells[500, 500] > cells[500, 10000] + 3 and fid_bias_note(500) == fid_bias_note(500, 10000)
    lo, hi = counts[-4], counts[-3]  # between two measured counts: between their biases (1,000 and 2,048)
    value = float(fid_bias_note((lo + hi) // 2, 500).split("score about ")[1].split(" ")[0])
    assert cells[hi, 500] <= value <= cells[lo, 500]
    below = fid_bias_note(counts[0] - 1, 500)  # fewer than measured: a lower bound, said as one
    assert f"{counts[0]} (the fewest measured) images against 500 score {cells[counts[0], 500]:.2f}" in below
    assert "fewer images score more" in below
    above = fid_bias_note(500, 60000)  # a larger reference than measured: the bias at 10,000, a little high
    assert "against 10,000 (the most measured) score about" in above and "a little less" in above
    assert cells[counts[0], 500] > cells[1000, 500] > cells[1000, 10000] > 0  # measured, and falling with n


@needs_fmnist
def test_small_sample_warning_quotes_the_bias_of_the_counts_used(capsys):
    """``evaluate_images(n=500)`` compares 500 samples with 500 training images: the warning quotes the bias
    measured at 500 against 500, and the FID reads above the zoo card's (10,000 against 10,000) by about that."""
    import ganzoo
    from ganzoo.data import FashionMNISTDataModule
    from ganzoo.training.image_eval import evaluate_images
    from ganzoo.zoo import get_entry

    with pytest.warns(SmallSampleWarning) as rec:
        m = evaluate_images(ganzoo.load("dcgan-fashion_mnist"), FashionMNISTDataModule(), metrics=("fid",), n=500)
    note = str(rec[0].message)
    bias = float(note.split("score about ")[1].split(" ")[0])
    card = get_entry("dcgan-fashion_mnist").metrics["fid"]  # 10,000 samples against 10,000 training images
    assert abs(m["fid"] - card - bias) < 3.0, (m["fid"], card, bias)  # 3.0: two std of FID at 500 against 500
    assert "bench/" not in note and "FID of 500 images against 500 reference images" in note
    assert note == m["warnings"][0] == fid_bias_note(500, 500)
    cell = next(r for r in fid_bias_table()["grid"]["rows"] if (r["n"], r["n_ref"]) == (500, 500))
    assert 2 * cell["fid_std"] <= 3.0


def test_bias_warning_below_2048_images_and_none_from_2048():
    from ganzoo.metrics.extractors import Extractor

    g = torch.Generator().manual_seed(0)
    fake = torch.randint(0, 256, (2048, 1, 32, 32), dtype=torch.uint8, generator=g).float() / 255
    sha = Extractor("fmnist").weights_sha256  # reference features given as statistics: only the fakes are extracted
    proto = {"extractor": "fmnist", "weights_sha256": sha, "feature_dim": 128, "resolution": [1, 32, 32],
             "source": "random features"}

    def ref(n):
        return ReferenceStats(torch.randn(n, 128, generator=g), {**proto, "n": n})

    with warnings.catch_warnings():
        warnings.simplefilter("error", SmallSampleWarning)
        out = evaluate(fake, ref(2048), metrics=("fid",))
    assert "warnings" not in out and out["protocol"]["real"] == "random features"
    with pytest.warns(SmallSampleWarning, match="FID of 100 images against 2,048 reference images is bi") as rec:
        out = evaluate(fake, ref(2048), metrics=("fid",), n=100)
    assert out["warnings"] == [str(rec[0].message)] == [fid_bias_note(100, 2048)] and "\n" not in out["warnings"][0]
    with pytest.warns(SmallSampleWarning, match="FID of 2,048 images against 150 reference images"):  # either set
        evaluate(fake, ref(150), metrics=("fid",))
    with warnings.catch_warnings():  # no FID, no warning
        warnings.simplefilter("error", SmallSampleWarning)
        evaluate(fake[:100], ref(100), metrics=("kid",))


def test_arrays_are_read_as_documented(tmp_path):
    u8 = torch.randint(0, 256, (4, 3, 8, 8), dtype=torch.uint8)
    nchw = as_images(u8.numpy())
    assert nchw.dtype == torch.float32 and torch.equal(nchw, u8.float() / 255)
    assert torch.equal(as_images(u8.permute(0, 2, 3, 1).numpy()), nchw)  # (N, H, W, C)
    assert as_images(np.zeros((4, 8, 8), np.float32)).shape == (4, 1, 8, 8)  # (N, H, W): one channel
    grey = u8[:, :1].expand(-1, 3, -1, -1).numpy()
    assert read_image_set(grey)[0].shape == (4, 1, 8, 8)  # grey stored as RGB reads as one channel
    assert read_image_set(grey, channels=3)[0].shape == (4, 3, 8, 8)
    assert read_image_set(u8[:, :1].numpy(), channels=3)[0].shape == (4, 3, 8, 8)
    with pytest.raises(ValueError, match="3 channels .in colour., the reference has 1"):
        read_image_set(u8.numpy(), channels=1)
    for bad, match in [
        (u8.numpy().astype(np.int64), "uint8 .0..255. or floats in .0, 1., got an array of int64"),
        (np.full((4, 1, 8, 8), 2.0, np.float32), r"float images must lie in \[0, 1\], got values in \[2, 2\]"),
        (np.full((4, 1, 8, 8), np.nan, np.float32), "NaN"),
        (np.zeros((4, 3, 8, 3), np.uint8), "ambiguous"),
        (np.zeros((4, 2, 8, 8), np.uint8), "no channel axis of size 1 or 3"),
        (np.zeros((4, 8), np.uint8), "got shape"),
        (np.zeros((1, 1, 8, 8), np.uint8), "at least 2"),
    ]:
        with pytest.raises(ValueError, match=match):
            as_images(bad, "SOURCE")
    stats = reference_stats(torch.rand(5, 1, 32, 32))
    save_stats(stats, tmp_path / "s.safetensors")
    with pytest.raises(ValueError, match="statistics are written as .safetensors"):
        save_stats(stats, tmp_path / "s.npz")
    again = load_stats(tmp_path / "s.safetensors")
    assert torch.equal(again.features, stats.features) and again.protocol["source"] == "in memory (5 images)"


@pytest.mark.parametrize("argv,match", [
    (["eval", "{tmp}/missing.npy"], r"^ganzoo eval: SOURCE: \S+missing.npy does not exist"),
    (["eval", "{tmp}/imgs", "--ref", "{tmp}/nope"], r"^ganzoo eval: --ref: \S+nope does not exist"),
    (["eval", "{tmp}/imgs", "--ref", "{tmp}/notes.txt"], r"^ganzoo eval: --ref: \S+notes.txt is not a folder"),
    (["eval", "{tmp}/imgs", "--ref", "{tmp}/imgs/0.png"], r"^ganzoo eval: --ref: \S+0.png is not a folder"),
    (["eval", "{tmp}/imgs", "--ref", "{tmp}/fake_stats.safetensors"], "--ref: .* is not a ganzoo statistics file"),
    (["eval", "{tmp}/imgs", "--ref", "{tmp}/pytorch_fid.npz"], r"--ref: \S+ holds mu/sigma statistics"),
    (["eval", "{tmp}/stats.safetensors"], r"^ganzoo eval: SOURCE: \S+ holds reference statistics, not images"),
    (["eval", "{tmp}/imgs", "--data", "fashion_mnist", "--ref", "{tmp}/imgs"], "give one reference, --data or --ref"),
    (["eval", "{tmp}/imgs", "--ref", "{tmp}/imgs", "--split", "test"], "--data_dir and --split apply to --data"),
    (["eval", "{tmp}/imgs", "--ref", "{tmp}/imgs", "--n", "9"], "SOURCE: asked for 9 images, folder"),
    (["eval", "{tmp}/imgs", "--ref", "{tmp}/imgs", "--n_real", "0"], "--n_real must be a positive integer"),
    (["eval", "{tmp}/empty", "--ref", "{tmp}/imgs"], r"SOURCE: \S+empty: no images"),
    (["eval", "{tmp}/imgs", "--ref", "{tmp}/big", "--extractor", "fmnist"],
     r"SOURCE: images of shape \(1, 32, 32\), the reference's are \(1, 40, 40\)"),
    (["stats", "{tmp}/imgs", "--out", "{tmp}/ref.npz"], r"^ganzoo stats: --out: statistics are written as "),
    (["stats", "{tmp}/nothing", "--out", "{tmp}/ref.safetensors"], r"^ganzoo stats: SOURCE: \S+nothing does not "),
    (["stats", "{tmp}/imgs", "--out", "{tmp}/r.safetensors", "--extractor", "vgg"], "--extractor must be one of"),
])
def test_bad_input_is_one_line_naming_the_argument(argv, match, tmp_path):
    write_pngs(torch.rand(4, 1, 32, 32), tmp_path / "imgs")
    write_pngs(torch.rand(4, 1, 40, 40), tmp_path / "big")
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "imgs" / "0.png").write_bytes((tmp_path / "imgs" / "00000.png").read_bytes())
    from safetensors.torch import save_file

    save_file({"x": torch.zeros(2)}, tmp_path / "fake_stats.safetensors")
    save_file({"x": torch.zeros(2)}, tmp_path / "stats.safetensors")
    np.savez(tmp_path / "pytorch_fid.npz", mu=np.zeros(3), sigma=np.eye(3))
    with pytest.raises(SystemExit) as e:
        main([a.format(tmp=tmp_path) for a in argv])
    message = str(e.value)
    assert "\n" not in message
    import re

    assert re.search(match, message), message
