"""Paired / unpaired translation datamodules on small folders the tests write, and the Fashion-MNIST demos."""

import numpy as np
import pytest
import torch
from PIL import Image

from ganzoo.data import (
    EdgesToFashionDataModule,
    PairedImageDataModule,
    SneakerToBootDataModule,
    UnpairedImageDataModule,
    edge_map,
)
from ganzoo.data.pairs import jitter

needs_fmnist = pytest.mark.fashion_mnist


def ramp_image(h, w, seed):
    """A grey image with a unique value pattern, so crops and flips can be located."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (h, w), dtype=np.uint8)


def write_ab(folder, n=6, h=16, mode="L"):
    """AB images: A on the left, B = 255 - A on the right (a known relation that must survive jitter)."""
    folder.mkdir(parents=True)
    for i in range(n):
        a = ramp_image(h, h, i)
        ab = np.concatenate([a, 255 - a], 1)
        img = Image.fromarray(ab, "L")
        (img if mode == "L" else img.convert(mode)).save(folder / f"{i:03d}.png")


def test_ab_layout_splits_halves_and_direction(tmp_path):
    write_ab(tmp_path / "train")
    dm = PairedImageDataModule(tmp_path, load_size=16, crop_size=16, flip=False, channels=1, batch_size=2)
    a, b = dm.reference_pairs("train", 6)
    assert a.shape == b.shape == (6, 1, 16, 16)
    for i in range(6):
        expect = torch.from_numpy(ramp_image(16, 16, i)).float() / 127.5 - 1
        torch.testing.assert_close(a[i, 0], expect)
        torch.testing.assert_close(b[i, 0], -expect)
    dm2 = PairedImageDataModule(tmp_path, direction="BtoA", load_size=16, crop_size=16, channels=1, batch_size=2)
    a2, b2 = dm2.reference_pairs("train", 6)
    torch.testing.assert_close(a2, b)
    torch.testing.assert_close(b2, a)


def test_pairs_stay_aligned_under_jitter_and_flip(tmp_path):
    write_ab(tmp_path / "train", n=8, h=24)
    dm = PairedImageDataModule(tmp_path, load_size=24, crop_size=16, flip=True, channels=1, batch_size=4, seed=3)
    dm.setup("fit")
    crops, loader = set(), dm.train_dataloader()
    for _ in range(3):  # each pass over the loader is the next epoch (a new permutation and new jitter)
        for a, b in loader:
            assert a.shape == (4, 1, 16, 16)
            torch.testing.assert_close(b, -a)  # B = 255 - A pixel by pixel: same crop offset, same flip
            crops.update(round(float(x), 4) for x in a[:, 0, 0, 0])
    # jitter changes the crops between batches and epochs (24 -> 16: 81 offsets); flips happen about half the time
    assert len(crops) > 10
    g = torch.Generator().manual_seed(0)
    x = torch.arange(16.0).reshape(1, 1, 4, 4).repeat(200, 1, 1, 1)
    (out,) = jitter([x], 4, 4, True, g)
    flipped = int((out[:, 0, 0, 0] == 3).sum())
    assert 70 < flipped < 130  # Binomial(200, 1/2), sd 7


def test_batches_are_seeded_and_reproducible(tmp_path):
    write_ab(tmp_path / "train", n=8, h=24)

    def batches(seed):
        dm = PairedImageDataModule(tmp_path, load_size=24, crop_size=16, channels=1, batch_size=4, seed=seed)
        dm.setup("fit")
        return [a for a, _ in dm.train_dataloader()]

    assert all(torch.equal(x, y) for x, y in zip(batches(0), batches(0)))
    assert not all(torch.equal(x, y) for x, y in zip(batches(0), batches(1)))


def test_folders_layout_pairs_by_file_name(tmp_path):
    for split in ("train",):
        (tmp_path / split / "A").mkdir(parents=True)
        (tmp_path / split / "B").mkdir(parents=True)
        for i in (2, 0, 1):
            a = ramp_image(8, 8, i)
            Image.fromarray(a, "L").save(tmp_path / split / "A" / f"img{i}.png")
            Image.fromarray(255 - a, "L").save(tmp_path / split / "B" / f"img{i}.jpg" if i == 1 else
                                               tmp_path / split / "B" / f"img{i}.png")
    dm = PairedImageDataModule(tmp_path, layout="folders", load_size=8, crop_size=8, channels=1, batch_size=1)
    a, b = dm.reference_pairs("train")
    assert len(a) == 3
    for i in (0, 2):  # png partners are exact (the jpg one is lossy)
        torch.testing.assert_close(b[i], -a[i])
    (tmp_path / "train" / "A" / "lonely.png").write_bytes((tmp_path / "train" / "A" / "img0.png").read_bytes())
    with pytest.raises(FileNotFoundError, match="lonely.png has no partner"):
        PairedImageDataModule(tmp_path, layout="folders", load_size=8, crop_size=8, channels=1)


def write_domain(folder, n, h=16, mode="L", seed=0):
    folder.mkdir(parents=True)
    for i in range(n):
        img = Image.fromarray(ramp_image(h, h, seed + i), "L")
        (img if mode == "L" else img.convert(mode)).save(folder / f"{i}.png")


def test_unpaired_epoch_length_and_independence(tmp_path):
    write_domain(tmp_path / "trainA", 5, seed=0)
    write_domain(tmp_path / "trainB", 9, seed=100)
    write_domain(tmp_path / "testA", 2, seed=200)
    write_domain(tmp_path / "testB", 3, seed=300)
    dm = UnpairedImageDataModule(tmp_path, load_size=16, crop_size=16, flip=False, channels=1, batch_size=3)
    dm.setup("fit")
    batches = list(dm.train_dataloader())
    assert len(batches) == 9 // 3  # max(len A, len B) // batch_size
    a_imgs = dm.reference_domain("train", "A")
    b_imgs = dm.reference_domain("train", "B")
    seen_b = set()
    for a, b in batches:
        for x in a:  # every A image is an image of domain A, every B one of domain B
            assert any(torch.equal(x, y) for y in a_imgs)
        for x in b:
            k = next(k for k, y in enumerate(b_imgs) if torch.equal(x, y))
            seen_b.add(k)
    assert len(seen_b) >= 4  # B drawn at random across the domain
    assert dm.test_size() == 2 and dm.reference_domain("test", "B").shape == (3, 1, 16, 16)
    with pytest.raises(ValueError, match="unpaired"):
        dm.reference_pairs("test")


def test_bad_input_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="data_dir .*nowhere does not exist"):
        PairedImageDataModule(tmp_path / "nowhere")
    (tmp_path / "p").mkdir()
    with pytest.raises(FileNotFoundError, match="split folder .*train does not exist"):
        PairedImageDataModule(tmp_path / "p")
    (tmp_path / "p" / "train").mkdir()
    Image.fromarray(np.zeros((16, 20), np.uint8), "L").save(tmp_path / "p" / "train" / "wide.png")
    with pytest.raises(ValueError, match="wide.png is 20x16: an AB image must be twice as wide"):
        PairedImageDataModule(tmp_path / "p", channels=1)
    write_ab(tmp_path / "q" / "train")
    with pytest.raises(ValueError, match="direction must be one of \\['AtoB', 'BtoA'\\], got 'sideways'"):
        PairedImageDataModule(tmp_path / "q", direction="sideways")
    with pytest.raises(ValueError, match="crop_size=300 must not exceed load_size=286"):
        PairedImageDataModule(tmp_path / "q", crop_size=300)
    (tmp_path / "u" / "trainA").mkdir(parents=True)
    write_domain(tmp_path / "u" / "trainB", 2)
    with pytest.raises(ValueError, match="trainA holds no images"):
        UnpairedImageDataModule(tmp_path / "u", channels=1)
    write_domain(tmp_path / "v" / "trainA", 2)
    write_domain(tmp_path / "v" / "trainB", 2, mode="RGB")
    with pytest.raises(ValueError, match="trainB/0.png has mode 'RGB' but channels=1"):
        UnpairedImageDataModule(tmp_path / "v", channels=1)
    with pytest.raises(FileNotFoundError, match="trainA does not exist"):
        UnpairedImageDataModule(tmp_path / "q")


def test_edge_map_of_a_square():
    x = torch.zeros(1, 1, 12, 12)
    x[..., 4:8, 4:8] = 1.0
    e = edge_map(x)
    assert set(e.unique().tolist()) == {0.0, 1.0}
    assert e[0, 0, 5:7, 5:7].sum() == 0 and e[0, 0, 0:2].sum() == 0  # flat inside and far outside
    assert e[0, 0, 3:9, 3:9].sum() == e.sum() > 0  # edges only in the band around the square's border


@needs_fmnist
def test_fashion_mnist_demos():
    dm = EdgesToFashionDataModule(batch_size=32)
    a, b = dm.reference_pairs("test", 200)
    assert a.shape == b.shape == (200, 1, 32, 32) and set(a.unique().tolist()) == {-1.0, 1.0}
    frac = float((a > 0).float().mean())
    assert 0.1 < frac < 0.35, frac  # measured 0.213 on the training set
    torch.testing.assert_close(((a + 1) / 2), edge_map((b + 1) / 2))
    assert dm.test_size() == 10000 and len(dm.labels("test")) == 10000
    s = SneakerToBootDataModule(batch_size=16)
    assert [len(x) for x in s._arrays("train")] == [6000, 6000]
    assert [len(x) for x in s._arrays("test")] == [1000, 1000]
    from ganzoo.metrics.classifier import predict

    boots = (s.reference_domain("test", "B", 500) + 1) / 2
    assert float((predict(boots) == 9).float().mean()) > 0.9  # the classifier agrees these are ankle boots
    s.setup("fit")
    a, b = next(iter(s.train_dataloader()))
    assert a.shape == b.shape == (16, 1, 32, 32)


def test_batch_size_one_draws_new_jitter_and_partners_every_epoch(tmp_path):
    """The augmentation seed includes the epoch: with one image per batch, crops, flips and unpaired partners
    still change from epoch to epoch (and every B image is met)."""
    write_ab(tmp_path / "p" / "train", n=4, h=24)
    dm = PairedImageDataModule(tmp_path / "p", load_size=24, crop_size=16, channels=1, batch_size=1)
    dm.setup("fit")
    loader, crops = dm.train_dataloader(), set()
    for _ in range(6):
        for a, b in loader:
            torch.testing.assert_close(b, -a)
            crops.add(tuple(a[0, 0, :2, :2].flatten().tolist()))
    # 24 batches of 4 images: with the same jitter every epoch there would be at most 4 distinct crops
    assert len(crops) > 12, len(crops)
    write_domain(tmp_path / "u" / "trainA", 4, seed=0)
    write_domain(tmp_path / "u" / "trainB", 8, seed=100)
    dm = UnpairedImageDataModule(tmp_path / "u", load_size=16, crop_size=16, flip=False, channels=1, batch_size=1)
    dm.setup("fit")
    b_imgs = dm.reference_domain("train", "B")
    loader, met = dm.train_dataloader(), set()
    pairs = set()
    for _ in range(8):
        for a, b in loader:
            k = next(k for k, y in enumerate(b_imgs) if torch.equal(b[0], y))
            met.add(k)
            pairs.add((round(float(a[0, 0, 0, 0]), 4), k))
    assert met == set(range(8))  # 64 draws: every B image is met (probability of missing one < 1e-3)
    assert len(pairs) > 16  # an A image meets different B images in different epochs


def test_every_training_image_is_checked_before_training(tmp_path):
    write_domain(tmp_path / "trainA", 3, mode="RGB")
    write_domain(tmp_path / "trainB", 3, mode="RGB")
    Image.fromarray(np.zeros((16, 16), np.uint8), "L").save(tmp_path / "trainB" / "z_last.png")
    with pytest.raises(ValueError, match="z_last.png has mode 'L' but channels=3"):
        UnpairedImageDataModule(tmp_path, load_size=16, crop_size=16)
