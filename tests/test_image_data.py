"""The image datamodules on small files the tests write (IDX, CIFAR-10 binary, CelebA layout, image folders) and
on the real Fashion-MNIST files where installed. Nothing is downloaded."""

import gzip

import lightning as L
import numpy as np
import pytest
import torch
from PIL import Image

from ganzoo.data import (
    CelebADataModule,
    CIFAR10DataModule,
    FashionMNISTDataModule,
    ImageFolderDataModule,
    MNISTDataModule,
    image_datamodule,
)
from ganzoo.data.idx import write_idx


def idx_dir(path, n=40, gz=True, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    x[0] = 255
    x[1] = 0
    y = (np.arange(n) % 10).astype(np.uint8)
    ext = ".gz" if gz else ""
    path.mkdir(parents=True, exist_ok=True)
    for split in ("train", "t10k"):
        write_idx(path / f"{split}-images-idx3-ubyte{ext}", x)
        write_idx(path / f"{split}-labels-idx1-ubyte{ext}", y)
    return x, y


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("cls", [FashionMNISTDataModule, MNISTDataModule])
def test_idx_datamodule_pads_scales_and_keeps_labels(tmp_path, cls, gz):
    x, y = idx_dir(tmp_path, gz=gz)
    dm = cls(data_dir=str(tmp_path), batch_size=8, download=False)
    assert dm.data_shape == (1, 32, 32) and dm.num_classes == 10 and len(dm.class_names) == 10
    imgs, labels = dm.reference_images("train")
    assert imgs.shape == (40, 1, 32, 32) and torch.equal(labels, torch.from_numpy(y.astype(np.int64)))
    assert torch.all(imgs[0, 0, 2:30, 2:30] == 1.0) and torch.all(imgs[1] == -1.0)  # 255 -> 1, 0 -> -1
    assert torch.all(imgs[:, :, :2] == -1) and torch.all(imgs[:, :, :, -2:] == -1)  # 2-px background border
    inner = torch.from_numpy(x[5].astype(np.float32)) / 127.5 - 1
    assert torch.allclose(imgs[5, 0, 2:30, 2:30], inner)
    dm.setup("fit")
    xb, yb = next(iter(dm.train_dataloader()))
    assert xb.shape == (8, 1, 32, 32) and xb.dtype == torch.float32 and yb.dtype == torch.int64


def test_resize_mode_gives_64px(tmp_path):
    idx_dir(tmp_path)
    dm = FashionMNISTDataModule(data_dir=str(tmp_path), resolution=64, resize="resize", batch_size=8)
    imgs, _ = dm.reference_images("test", 4)
    assert dm.data_shape == (1, 64, 64) and imgs.shape == (4, 1, 64, 64)
    assert imgs.min() >= -1 and imgs.max() <= 1
    with pytest.raises(ValueError, match="resize='pad' cannot pad"):
        FashionMNISTDataModule(data_dir=str(tmp_path), resolution=24).reference_images()


def test_missing_data_dir_fails_at_construction_naming_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="does-not-exist"):
        FashionMNISTDataModule(data_dir=str(tmp_path / "does-not-exist"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        FashionMNISTDataModule(data_dir=str(tmp_path / "empty"))
    for cls in (CIFAR10DataModule, CelebADataModule):
        with pytest.raises(FileNotFoundError, match="nowhere"):
            cls(data_dir=str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="nowhere"):
        ImageFolderDataModule(str(tmp_path / "nowhere"))
    with pytest.raises(ValueError, match="unknown dataset 'svhn'"):
        image_datamodule("svhn")


@pytest.mark.parametrize("damage,match", [
    (lambda b: b[: len(b) // 2], "truncated or corrupt"),
    (lambda b: b"\x00\x00\x07\x03" + b[4:], "bad magic number"),
    (lambda b: b"", "bad magic number"),
])
def test_corrupt_idx_file_is_named(tmp_path, damage, match):
    idx_dir(tmp_path, gz=False)
    f = tmp_path / "train-images-idx3-ubyte"
    f.write_bytes(damage(f.read_bytes()))
    dm = FashionMNISTDataModule(data_dir=str(tmp_path))
    with pytest.raises(ValueError, match=match) as e:
        dm.setup("fit")
    assert "train-images-idx3-ubyte" in str(e.value)


def test_image_and_label_counts_must_match(tmp_path):
    idx_dir(tmp_path, gz=False)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(39, np.uint8))
    with pytest.raises(ValueError, match="40 images but .*train-labels-idx1-ubyte has 39 labels"):
        FashionMNISTDataModule(data_dir=str(tmp_path)).setup("fit")
    gz = tmp_path / "bad"
    gz.mkdir()
    idx_dir(gz)
    (gz / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(b"x")[:-3])
    with pytest.raises(ValueError, match="not a readable gzip file"):
        FashionMNISTDataModule(data_dir=str(gz)).setup("fit")


def test_cifar10_binary_records(tmp_path):
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    rng = np.random.default_rng(0)
    recs = {}
    for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        r = rng.integers(0, 256, (3, 3073), dtype=np.uint8)
        r[:, 0] = [1, 7, 9]
        r[0, 1:1025], r[0, 1025:2049], r[0, 2049:] = 255, 0, 128  # R plane, G plane, B plane
        r.tofile(folder / name)
        recs[name] = r
    dm = CIFAR10DataModule(data_dir=str(tmp_path), batch_size=4, download=False)
    x, y = dm.reference_images("train")
    assert dm.data_shape == (3, 32, 32) and x.shape == (15, 3, 32, 32)
    assert y[:3].tolist() == [1, 7, 9]
    assert x[0, 0].eq(1).all() and x[0, 1].eq(-1).all()
    assert torch.allclose(x[0, 2], torch.tensor(128 / 127.5 - 1), atol=1e-6)
    second = torch.from_numpy(recs["data_batch_1.bin"][1, 1:].reshape(3, 32, 32).astype(np.float32)) / 127.5 - 1
    assert torch.allclose(x[1], second, atol=1e-6)
    assert dm.reference_images("test")[0].shape == (3, 3, 32, 32)
    (folder / "test_batch.bin").write_bytes(b"\x01" * 3000)
    with pytest.raises(ValueError, match="test_batch.bin has 3000 bytes"):
        CIFAR10DataModule(data_dir=str(folder)).reference_images("test")


def test_celeba_layout_center_crop_and_splits(tmp_path):
    root = tmp_path / "celeba"
    (root / "img_align_celeba").mkdir(parents=True)
    lines = []
    for i in range(6):
        a = np.zeros((218, 178, 3), np.uint8)
        a[:, :, i % 3] = 200
        a[:20] = 255  # outside the centre crop's band... rows 0-19 are cropped away (218 -> 178 keeps rows 20-197)
        Image.fromarray(a).save(root / "img_align_celeba" / f"{i:06d}.jpg", quality=95)
        lines.append(f"{i:06d}.jpg {0 if i < 4 else 2}")
    (root / "list_eval_partition.txt").write_text("\n".join(lines) + "\n")
    dm = CelebADataModule(data_dir=str(tmp_path), batch_size=2, download=False)
    x, y = dm.reference_images("train")
    assert dm.data_shape == (3, 64, 64) and dm.num_classes == 0 and x.shape == (4, 3, 64, 64)
    assert x[0, 0].mean() > 0.4 and x[0, 1].mean() < -0.9  # channel 0 bright, the white top rows cropped away
    assert dm.reference_images("test")[0].shape == (2, 3, 64, 64)


def _save(path, size, mode="RGB", value=128):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, value if mode == "L" else (value, 0, 255 - value)).save(path)


def test_image_folder_with_and_without_classes(tmp_path):
    for k, c in enumerate(["cats", "dogs"]):
        for i in range(3):
            _save(tmp_path / "cls" / c / f"{i}.png", (16, 16), value=50 * k)
    dm = ImageFolderDataModule(str(tmp_path / "cls"), resolution=16, batch_size=2)
    x, y = dm.reference_images()
    assert dm.num_classes == 2 and dm.class_names == ("cats", "dogs") and y.tolist() == [0, 0, 0, 1, 1, 1]
    assert x.shape == (6, 3, 16, 16)
    for i in range(3):
        _save(tmp_path / "flat" / f"{i}.png", (16, 16), mode="L")
    dm = ImageFolderDataModule(str(tmp_path / "flat"), resolution=16, channels=1, batch_size=2)
    assert dm.num_classes == 0 and dm.reference_images()[0].shape == (3, 1, 16, 16)


def test_image_folder_bad_files_are_named(tmp_path):
    _save(tmp_path / "a" / "ok.png", (16, 16))
    _save(tmp_path / "a" / "big.png", (20, 16))
    with pytest.raises(ValueError, match=r"big.png is 20x16 but resolution=16"):
        ImageFolderDataModule(str(tmp_path / "a"), resolution=16)
    ImageFolderDataModule(str(tmp_path / "a"), resolution=16, resize="center_crop")  # made to fit
    _save(tmp_path / "b" / "grey.png", (16, 16), mode="L")
    with pytest.raises(ValueError, match="grey.png has mode 'L' but channels=3"):
        ImageFolderDataModule(str(tmp_path / "b"), resolution=16)
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "broken.png").write_bytes(b"not an image")
    with pytest.raises(ValueError, match="broken.png cannot be read"):
        ImageFolderDataModule(str(tmp_path / "c"), resolution=16)
    (tmp_path / "d").mkdir()
    with pytest.raises(ValueError, match="holds no images"):
        ImageFolderDataModule(str(tmp_path / "d"), resolution=16)


@pytest.mark.fashion_mnist
def test_real_fashion_mnist():
    dm = FashionMNISTDataModule(download=False)
    x, y = dm.reference_images("test")
    assert x.shape == (10000, 1, 32, 32) and torch.bincount(y).tolist() == [1000] * 10
    dm.setup("fit")
    assert len(dm.dataset("train")) == 60000 and len(dm.train_dataloader()) == 60000 // 64


# ------------------------------------------------------------------------------------------------ exact resume
class Recorder(L.LightningModule):
    """Records a checksum of every training batch it sees; one dummy parameter."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))
        self.seen = []

    def training_step(self, batch, i):
        x, y = batch
        self.seen.append(float(x.sum()) + 1000 * float(y.float().sum()))
        return (self.w * 0).sum() + self.w.sum() * 0

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.0)


def _trainer(tmp_path, **kw):
    return L.Trainer(accelerator="cpu", logger=False, enable_progress_bar=False, enable_model_summary=False,
                     default_root_dir=str(tmp_path), **kw)


def test_batch_order_is_seeded_per_epoch(tmp_path):
    idx_dir(tmp_path)
    a, b = (FashionMNISTDataModule(data_dir=str(tmp_path), batch_size=8, seed=3) for _ in range(2))
    ea = [torch.cat([y for _, y in a.train_dataloader()]) for _ in range(1)]
    dl = b.train_dataloader()
    e0 = torch.cat([y for _, y in dl])
    e1 = torch.cat([y for _, y in dl])
    assert torch.equal(ea[0], e0) and not torch.equal(e0, e1)


@pytest.mark.parametrize("stop_at", [5, 10], ids=["mid-epoch", "epoch-boundary"])
def test_resume_sees_the_same_batches(tmp_path, stop_at):
    """5 batches an epoch; a run checkpointed after ``stop_at`` batches and resumed sees the uninterrupted run's
    remaining batches, in order."""
    idx_dir(tmp_path / "data")
    dm = lambda: FashionMNISTDataModule(data_dir=str(tmp_path / "data"), batch_size=8, seed=1)  # noqa: E731
    full = Recorder()
    _trainer(tmp_path / "a", max_epochs=3, enable_checkpointing=False).fit(full, dm())
    assert len(full.seen) == 15

    class Stop(L.Callback):
        def on_train_batch_end(self, trainer, *a):
            if trainer.global_step == stop_at:
                trainer.save_checkpoint(tmp_path / "ck.ckpt")
                raise KeyError("stop")

    part = Recorder()
    with pytest.raises(KeyError):
        _trainer(tmp_path / "b", max_epochs=3, enable_checkpointing=False, callbacks=[Stop()]).fit(part, dm())
    assert part.seen == full.seen[:stop_at]
    torch.manual_seed(999)  # the global RNG plays no part in the order
    resumed = Recorder()
    tr = _trainer(tmp_path / "c", max_epochs=3, enable_checkpointing=False)
    tr.fit(resumed, dm(), ckpt_path=tmp_path / "ck.ckpt")
    assert resumed.seen == full.seen[stop_at:]


def test_resume_with_another_batch_size_is_refused(tmp_path):
    idx_dir(tmp_path)
    dm = FashionMNISTDataModule(data_dir=str(tmp_path), batch_size=8)
    state = dm.state_dict()
    with pytest.raises(ValueError, match="batch_size=8 but this run has batch_size=4"):
        FashionMNISTDataModule(data_dir=str(tmp_path), batch_size=4).load_state_dict(state)


def test_ranks_read_disjoint_shards_that_side_by_side_are_one_process_batches(tmp_path):
    """Under DDP (the sampler's rank and world size; tests/test_ddp.py runs it on 2 real processes): every rank reads
    its own batch_size of each global batch, and the ranks' batches side by side are one process's batches of
    batch_size x ranks, epoch after epoch, also from a mid-epoch resume position."""
    from ganzoo.data.base import EpochSampler

    idx_dir(tmp_path)  # 40 images
    dm = FashionMNISTDataModule(data_dir=str(tmp_path), batch_size=4, seed=1)
    ranks = [EpochSampler(dm, 40, 4, seed=1, rank=r, world_size=2) for r in (0, 1)]
    single = EpochSampler(dm, 40, 8, seed=1)
    for _ in range(2):  # two epochs
        shards = [list(s) for s in ranks]
        assert len(shards[0]) == len(shards[1]) == len(ranks[0]) == 20  # 5 batches of 4 on each rank
        assert not set(shards[0]) & set(shards[1])
        joined = [i for b in range(5) for r in (0, 1) for i in shards[r][4 * b: 4 * b + 4]]
        assert joined == list(single)
    resumed = [EpochSampler(dm, 40, 4, seed=1, epoch=1, skip=3, rank=r, world_size=2) for r in (0, 1)]
    for r in (0, 1):
        assert list(resumed[r]) == list(EpochSampler(dm, 40, 4, seed=1, epoch=1, rank=r, world_size=2))[12:]


def test_resume_on_another_number_of_processes_is_refused(tmp_path):
    idx_dir(tmp_path)
    dm = FashionMNISTDataModule(data_dir=str(tmp_path), batch_size=4)
    state = {**dm.state_dict(), "world_size": 2}
    with pytest.raises(ValueError, match="world_size=2 but this run has world_size=1"):
        dm.load_state_dict(state)


def test_limit_trains_every_run_on_the_same_seeded_subset(tmp_path):
    """``limit``: the batches come from ``limit`` images of the training split, the same ones whatever the run's
    seed; each epoch shows each of them once; the reference images are still the whole split."""
    idx_dir(tmp_path)  # 40 images
    a = FashionMNISTDataModule(data_dir=str(tmp_path), batch_size=4, seed=0, limit=16)
    b = FashionMNISTDataModule(data_dir=str(tmp_path), batch_size=4, seed=5, limit=16)
    assert torch.equal(a.limit_indices(), b.limit_indices()) and len(a.limit_indices()) == 16
    full, _ = a.reference_images("train")
    assert len(full) == 40
    subset = {tuple(img.flatten().tolist()) for img in full[a.limit_indices()]}
    dl = b.train_dataloader()
    for _ in range(2):
        seen = [tuple(img.flatten().tolist()) for x, _ in dl for img in x]
        assert len(seen) == 16 and set(seen) == subset
    assert len(FashionMNISTDataModule(data_dir=str(tmp_path), batch_size=4, limit=17).limit_indices()) == 17
    assert not set(FashionMNISTDataModule(data_dir=str(tmp_path), limit=16).limit_indices().tolist()) == set(range(16))


def test_limit_is_checked_and_a_resume_with_another_limit_is_refused(tmp_path):
    idx_dir(tmp_path)
    with pytest.raises(ValueError, match="limit must be an integer >= 1"):
        FashionMNISTDataModule(data_dir=str(tmp_path), limit=0)
    with pytest.raises(ValueError, match="limit=41 is more than the 40 images"):
        FashionMNISTDataModule(data_dir=str(tmp_path), limit=41).training_set()
    state = FashionMNISTDataModule(data_dir=str(tmp_path), batch_size=4, limit=16).state_dict()
    with pytest.raises(ValueError, match="limit=16 but this run has limit=None"):
        FashionMNISTDataModule(data_dir=str(tmp_path), batch_size=4).load_state_dict(state)
