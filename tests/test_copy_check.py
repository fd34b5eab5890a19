"""Is it copying? (issue 37, deliverable 3): ``ganzoo eval --metrics copy`` compares each sample's distance to its
nearest training image (in the fmnist extractor's features) with the same of held-out test images, and writes the
samples nearest to a training image beside it (``--nearest-grid``).

A deliberate copier (``CopierGenerator`` returning training images) must be flagged: median ratio 0, fraction 1.
A generator returning held-out test images must pass: ratio about 1, fraction about the 1% quantile by construction.
Real Fashion-MNIST, the real classifier, the real command line; small training subsets (a datamodule's ``limit``)
keep the quick tests to seconds, the whole 60,000-image training split is searched in the slow test.
"""

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from tiny_image_generator import CopierGenerator

from ganzoo.cli import main
from ganzoo.data import FashionMNISTDataModule
from ganzoo.hub import save_generator
from ganzoo.metrics import copying
from ganzoo.metrics.copying import COPY_QUANTILE, copy_scores, nearest, training_images
from ganzoo.metrics.fid_bias import SmallSampleWarning
from ganzoo.metrics.images import compute_image_metrics, evaluate

ROOT = Path(__file__).resolve().parents[1]
needs_fmnist = pytest.mark.fashion_mnist
LIMIT = 2000  # the training subset of the Python tests (a small-data run's training set)
N_FAKE, N_HELDOUT = 500, 1000
GRID = (2 * (32 + 2) + 2, copying.GRID_ROWS * (32 + 2) + 2)  # (width, height): 8 rows of sample | training image


@pytest.fixture(scope="module")
def data():
    dm = FashionMNISTDataModule(limit=LIMIT)
    train, desc, _ = training_images(dm)  # [0, 1]
    test = dm.reference_images("test", 6000)[0][5000:]  # [-1, 1]; not among the first N_HELDOUT (the held-out set)
    return dm, CopierGenerator.of(train * 2 - 1), CopierGenerator.of(test), desc


def grid_halves(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The left (samples) and right (nearest training images) columns of a nearest grid, as pixel arrays."""
    im = np.asarray(Image.open(path).convert("L"))
    rows = [im[2 + r * 34: 2 + r * 34 + 32] for r in range(copying.GRID_ROWS)]
    return np.stack([r[:, 2:34] for r in rows]), np.stack([r[:, 36:68] for r in rows])


@needs_fmnist
def test_a_copier_is_flagged_and_held_out_images_pass(data, tmp_path):
    dm, copier, heldout_gen, desc = data
    kw = dict(metrics=("copy",), n=N_FAKE, n_real=N_HELDOUT, cache_dir=tmp_path / "cache")
    c = evaluate(copier, dm, **kw, nearest_grid=tmp_path / "copier.png")
    print("copier", {k: round(v, 4) for k, v in c.items() if isinstance(v, float)})
    assert c["copy_median_ratio"] < 0.01 and c["copy_fraction"] == 1.0 and c["nn_median_fake"] < 0.05
    p = c["protocol"]["copy"]
    assert (p["n_train"], p["n_heldout"], p["quantile"], p["fid_gap_n"]) == (LIMIT, N_HELDOUT, COPY_QUANTILE, 1000)
    assert p["train"] == desc and f"limit={LIMIT}" in desc and not p["train_features_cached"]
    assert p["heldout"] == f"fashion_mnist test split, the first {N_HELDOUT} images"
    assert c["protocol"]["n_fake"] == N_FAKE and "fid" not in c  # only what was asked for

    h = evaluate(heldout_gen, dm, **kw, nearest_grid=tmp_path / "heldout.png")
    print("held-out", {k: round(v, 4) for k, v in h.items() if isinstance(v, float)})
    assert 0.9 < h["copy_median_ratio"] < 1.1  # as far from the training images as the held-out images are
    assert h["copy_fraction"] < 3 * COPY_QUANTILE  # about the 1% quantile, by construction
    assert h["nn_median_heldout"] == c["nn_median_heldout"] and h["copy_threshold"] == c["copy_threshold"]
    assert abs(h["fid_gap"]) < 2 and h["fid_gap"] > c["fid_gap"]
    assert h["protocol"]["copy"]["train_features_cached"] and h["protocol"]["copy"]["heldout_features_cached"]

    # the grid: 8 rows of sample | its nearest training image; the copier's pairs are the same image
    for name in ("copier", "heldout"):
        assert Image.open(tmp_path / f"{name}.png").size == GRID
    left, right = grid_halves(tmp_path / "copier.png")
    assert np.array_equal(left, right) and left.std() > 10  # images, and each beside itself
    left, right = grid_halves(tmp_path / "heldout.png")
    assert all(not np.array_equal(a, b) for a, b in zip(left, right))


@needs_fmnist
def test_copy_beside_other_metrics_reuses_the_samples_features(data, tmp_path, monkeypatch):
    """With fid and copy, the samples' features are extracted once and FID is the one computed alone."""
    import ganzoo
    from ganzoo.metrics.extractors import Extractor

    dm, copier, _, _ = data
    kw = dict(n=300, n_real=300, cache_dir=tmp_path)
    with pytest.warns(SmallSampleWarning):
        alone = evaluate(copier, dm, metrics=("fid", "prdc"), **kw)
    samples, extract, calls = ganzoo.sample(copier, 300, seed=0), Extractor.extract, []

    def counting(self, images, *a, **k):
        calls.append(torch.equal(images, samples))
        return extract(self, images, *a, **k)

    monkeypatch.setattr(Extractor, "extract", counting)
    with pytest.warns(SmallSampleWarning):
        both = evaluate(copier, dm, metrics=("fid", "prdc", "copy"), **kw)
    assert calls.count(True) == 1  # the samples once (the real sets: training subset and held-out images)
    assert both["fid"] == alone["fid"] and both["precision"] == alone["precision"]
    assert both["copy_fraction"] == 1.0 and both["protocol"]["copy"]["n_heldout"] == 300
    assert both["protocol"]["real"] == alone["protocol"]["real"]


@needs_fmnist
def test_cli_copy_check_of_an_exported_copier_and_its_nearest_grid(tmp_path, capsys):
    """``ganzoo eval --metrics fid,copy --nearest-grid`` on a generator folder whose config records a training subset
    (``limit``): the copy check searches that subset, prints the numbers, writes the PNG."""
    dm = FashionMNISTDataModule(limit=1000)
    train, _, _ = training_images(dm)
    folder = save_generator(CopierGenerator.of(train * 2 - 1), tmp_path / "copier",
                            extra={"dataset": "fashion_mnist", "limit": {"images": 1000, "seed": 0}})
    grid = tmp_path / "nearest.png"
    main(["eval", str(folder), "--metrics", "fid,copy", "--n", "300", "--nearest-grid", str(grid), "--device", "cpu"])
    printed = json.loads(capsys.readouterr().out)
    assert printed["copy_median_ratio"] < 0.01 and printed["copy_fraction"] == 1.0 and "fid" in printed
    p = printed["protocol"]["copy"]
    assert (p["n_train"], p["n_heldout"], p["nearest_grid"]) == (1000, 300, str(grid))
    assert "limit=1000" in p["train"]
    assert Image.open(grid).size == GRID
    left, right = grid_halves(grid)
    assert np.array_equal(left, right)


@needs_fmnist
def test_a_folder_with_images_set_aside_checks_copies_against_them(tmp_path, capsys):
    """A folder of one's own images (here 120 Fashion-MNIST PNGs) with ``holdout=40``: the 40 set-aside images are
    the held-out set, the other 80 the training set; a generator recorded as trained on that folder (config.json's
    ``training.holdout``) and returning its training images is flagged, through ``ganzoo eval``."""
    from ganzoo.data import ImageFolderDataModule

    x = FashionMNISTDataModule().reference_images("test", 120)[0]  # [-1, 1]
    folder = tmp_path / "mine"
    folder.mkdir()
    for i, im in enumerate(((x + 1) * 127.5).round().to(torch.uint8)):
        Image.fromarray(im[0].numpy(), mode="L").save(folder / f"{i:03d}.png")
    dm = ImageFolderDataModule(str(folder), channels=1, holdout=40)
    train, desc, _ = training_images(dm)
    assert len(train) == 80 and len(dm.dataset("test")) == 40 and "all 80 images" in desc
    kept = {p for p, _ in dm._items["train"]}
    assert kept.isdisjoint(p for p, _ in dm._items["test"]) and len(kept | {p for p, _ in dm._items["test"]}) == 120
    gen = save_generator(CopierGenerator.of(train * 2 - 1), tmp_path / "copier",
                         extra={"dataset": "image_folder", "holdout": {"images": 40, "seed": 0}})
    main(["eval", str(gen), "--data", "image_folder", "--data_dir", str(folder), "--metrics", "copy", "--n", "80",
          "--n_real", "40", "--device", "cpu"])
    printed = json.loads(capsys.readouterr().out)
    assert printed["copy_fraction"] == 1.0 and printed["copy_median_ratio"] < 0.01
    assert (printed["protocol"]["copy"]["n_train"], printed["protocol"]["copy"]["n_heldout"]) == (80, 40)
    with pytest.raises(ValueError, match="holdout=120 leaves no training images"):
        ImageFolderDataModule(str(folder), channels=1, holdout=120)


@pytest.mark.parametrize("argv, match", [
    (["--metrics", "copy", "--ref", "{tmp}/ref.npy"], "metrics: 'copy' needs a dataset as the reference"),
    (["--metrics", "fid", "--nearest-grid", "{tmp}/g.png"], "--nearest-grid .*add copy to --metrics"),
    (["--metrics", "copy", "--nearest-grid", "{tmp}/g.jpg"], r"nearest_grid: a \.png file"),
    (["--metrics", "copy,fdi"], r"metrics must be a non-empty subset of \('fid', 'kid', 'is', 'prdc', 'copy'\)"),
    (["--metrics", "copy", "--data", "image_folder", "--data_dir", "{tmp}/folder"],
     "the test split of image_folder is its training split .*: there are no held-out images"),
])
def test_bad_copy_arguments_are_one_line_errors(argv, match, tmp_path, capsys):
    np.save(tmp_path / "ref.npy", np.zeros((4, 32, 32), np.uint8))
    np.save(tmp_path / "fake.npy", np.zeros((4, 32, 32), np.uint8))
    (tmp_path / "folder").mkdir()
    for i in range(4):
        Image.new("RGB", (32, 32), (i, i, i)).save(tmp_path / "folder" / f"{i}.png")
    with pytest.raises(SystemExit) as e:
        main(["eval", str(tmp_path / "fake.npy"), *[a.format(tmp=tmp_path) for a in argv]])
    assert str(e.value).startswith("ganzoo eval: ") and "\n" not in str(e.value)
    assert re.search(match, str(e.value)), str(e.value)


def test_compute_image_metrics_refuses_copy_and_copy_scores_check_their_input():
    x = torch.rand(4, 1, 32, 32)
    with pytest.raises(ValueError, match="'copy' compares the samples with a dataset's training images"):
        compute_image_metrics(x, x, metrics=("fid", "copy"))
    with pytest.raises(ValueError, match="quantile must lie in"):
        copy_scores(torch.ones(3), torch.ones(3), quantile=1.0)
    with pytest.raises(ValueError, match="queries and keys must be"):
        nearest(torch.ones(3, 4), torch.ones(3, 5))


def test_nearest_is_exact_across_chunks(monkeypatch):
    """Blocks of queries and keys smaller than the sets, sizes that do not divide: the same nearest neighbours and
    distances as one brute-force torch.cdist."""
    g = torch.Generator().manual_seed(0)
    queries, keys = torch.randn(37, 16, generator=g), torch.randn(101, 16, generator=g)
    keys[5] = queries[3]  # an exact copy: distance 0 at index 5
    monkeypatch.setattr(copying, "QUERY_CHUNK", 8)
    monkeypatch.setattr(copying, "KEY_CHUNK", 10)
    d, i = nearest(queries, keys)
    full = torch.cdist(queries, keys, compute_mode="donot_use_mm_for_euclid_dist")
    assert torch.equal(i, full.argmin(1)) and torch.allclose(d, full.min(1).values, atol=1e-4)
    assert i[3] == 5 and d[3] < 1e-3


def test_nearest_of_10000_samples_in_60000_training_features_fits_in_memory():
    """10,000 x 60,000 distances would be 2.4 GB at once; the chunked search stays under 400 MB above its inputs."""
    code = textwrap.dedent("""
        import resource, time, torch
        from ganzoo.metrics.copying import nearest
        torch.set_num_threads(1)
        g = torch.Generator().manual_seed(0)
        train, fake = torch.randn(60000, 128, generator=g), torch.randn(10000, 128, generator=g)
        fake[:10] = train[-10:]
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t = time.time()
        d, i = nearest(fake, train)
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        assert i[:10].tolist() == list(range(59990, 60000)) and float(d[:10].max()) < 1e-2, (i[:10], d[:10])
        print(round(grown), round(time.time() - t, 1))
    """)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stderr
    grown_mb, seconds = map(float, run.stdout.split())
    print(f"peak memory grew {grown_mb:.0f} MB; {seconds} s")
    assert grown_mb < 400


@needs_fmnist
@pytest.mark.slow
def test_cli_copy_check_searches_the_whole_training_split(tmp_path, capsys):
    """A copier of the last 1,000 training images, its folder recording no subset: ``ganzoo eval --metrics copy``
    searches all 60,000 training images (features cached: a second run reads them) and flags it."""
    dm = FashionMNISTDataModule()
    x, _ = dm.reference_images("train")
    folder = save_generator(CopierGenerator.of(x[-1000:]), tmp_path / "copier", extra={"dataset": "fashion_mnist"})
    argv = ["eval", str(folder), "--metrics", "copy", "--n", "500", "--device", "cpu"]
    main(argv)
    out = json.loads(capsys.readouterr().out)
    assert out["copy_median_ratio"] < 0.01 and out["copy_fraction"] == 1.0
    p = out["protocol"]["copy"]
    assert (p["n_train"], p["n_heldout"], p["train"]) == (60000, 500, "fashion_mnist train split, all 60000 images")
    assert not p["train_features_cached"]
    main(argv)
    assert json.loads(capsys.readouterr().out)["protocol"]["copy"]["train_features_cached"]


@needs_fmnist
def test_a_small_data_card_states_its_subset_augmentation_and_copy_check(data, tmp_path):
    """What the zoo's builder writes for a small-data entry: the card's dataset row names the seeded subset, a row
    names the augmentation and where ADA's p ended, and the copy check is in the model-index with its protocol."""
    from huggingface_hub import ModelCard

    from ganzoo.cards import make_card
    from ganzoo.training.image_eval import image_results

    dm, copier, _, _ = data
    with pytest.warns(SmallSampleWarning):
        m = evaluate(copier, dm, metrics=("fid", "copy"), n=N_FAKE, n_real=N_HELDOUT, cache_dir=tmp_path / "cache")
    results = image_results(m)
    folder = save_generator(copier, tmp_path / "g", extra={
        "dataset": "fashion_mnist", "limit": {"images": LIMIT, "seed": 0},
        "augment": {"policy": "color,translation,cutout", "p": 0.3125, "ada_target": 0.6}})
    card = make_card(json.loads((folder / "config.json").read_text()), name="dcgan-fashion_mnist_2k",
                     dataset="fashion_mnist", results=results)
    text = str(card)
    assert f"the {LIMIT:,} training images of a seeded subset (`limit`, seed 0)" in text
    assert ("| augmentation | DiffAugment `color,translation,cutout` on every image the critic sees, adaptive "
            "probability (ADA, target 0.6), ending at p = 0.3125 |") in text
    back = {r.metric_type: r for r in ModelCard(text).data.eval_results}
    assert back["copy_fraction"].metric_value == 1.0 and back["copy_median_ratio"].metric_value < 0.01
    args = back["copy_fraction"].metric_args
    assert (args["n_train"], args["n_heldout"], args["quantile"]) == (LIMIT, N_HELDOUT, COPY_QUANTILE)
    assert f"limit={LIMIT}" in args["train"] and "fid_gap" in back


def test_the_feature_cache_tells_two_sets_of_one_name_and_size_apart(tmp_path):
    """Two folders of one's own images share a dataset name ("image_folder"), a split and a size: the cache of
    reference features must not hand the second the first one's features."""
    from ganzoo.metrics.extractors import Extractor
    from ganzoo.metrics.features import real_features

    ex = Extractor("fmnist")
    g = torch.Generator().manual_seed(0)
    a, b = torch.rand(20, 1, 32, 32, generator=g), torch.rand(20, 1, 32, 32, generator=g)
    fa, cached_a = real_features(a, ex, dataset="image_folder", split="train", cache_dir=tmp_path)
    fb, cached_b = real_features(b, ex, dataset="image_folder", split="train", cache_dir=tmp_path)
    again, cached_again = real_features(a, ex, dataset="image_folder", split="train", cache_dir=tmp_path)
    assert (cached_a, cached_b, cached_again) == (False, False, True)
    assert not torch.equal(fa, fb) and torch.equal(fa, again)
