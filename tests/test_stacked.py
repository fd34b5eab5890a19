"""Stacked Fashion-MNIST (issue 36): the datamodule (three independent training images as the channels, a fixed
seeded list of triples, exact resume, DDP shards), the 1,000-mode count and its KL to uniform with the real-data
floor, the stacked feature space of FID/precision/recall, and ``ganzoo eval`` of a 3-channel generator. On the real
Fashion-MNIST files, the shipped classifier and the real command line."""

import json
import math

import lightning as L
import pytest
import torch
from torch import nn

from ganzoo.cli import main
from ganzoo.data import FashionMNISTDataModule, StackedFashionMNISTDataModule
from ganzoo.data.base import EpochSampler
from ganzoo.data.images import stacked_triples, to_unit
from ganzoo.metrics.classifier import predict
from ganzoo.metrics.extractors import Extractor, default_extractor
from ganzoo.metrics.images import evaluate
from ganzoo.metrics.modes import NUM_MODES, modes_and_kl, real_floor, stacked_modes, triple_labels
from ganzoo.nets import Generator

needs_fmnist = pytest.mark.fashion_mnist
LOG_1000 = math.log(1000)


@pytest.fixture(scope="module")
def dm():
    return StackedFashionMNISTDataModule()


@pytest.fixture(scope="module")
def plain():
    return FashionMNISTDataModule()


def modes_of(images01: torch.Tensor) -> torch.Tensor:
    """The modes of stacked images in [0, 1], classifying each channel as a 1-channel Fashion-MNIST image."""
    return sum(predict(images01[:, c: c + 1].contiguous()) * w for c, w in enumerate((100, 10, 1)))


# ------------------------------------------------------------------------------------------------ the datamodule
@needs_fmnist
def test_a_sample_is_three_training_images_as_channels_with_the_triples_label(dm, plain):
    assert dm.data_shape == (3, 32, 32) and dm.num_classes == NUM_MODES == len(dm.class_names)
    assert dm.class_names[193] == "Trouser | Ankle boot | Dress" and dm.dataset_name == "stacked_fashion_mnist"
    x, y = dm.reference_images("train", 500)
    assert x.shape == (500, 3, 32, 32) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert float(x.min()) == -1.0 and float(x.max()) == 1.0
    assert torch.all(x[:, :, :2] == -1) and torch.all(x[:, :, :, -2:] == -1)  # padded 28 -> 32 like the 1-channel one
    t = dm.dataset("train").triples[:500]
    base = plain.dataset("train")
    for c in range(3):  # channel c is training image t[:, c], exactly as FashionMNISTDataModule serves it
        assert torch.equal(x[:, c: c + 1], to_unit(base.images[t[:, c]]))
    assert torch.equal(y, 100 * base.labels[t[:, 0]] + 10 * base.labels[t[:, 1]] + base.labels[t[:, 2]])
    assert len(dm.dataset("train")) == 60000 and len(dm.dataset("test")) == 26000
    assert int(dm.dataset("test").triples.max()) == 9999  # test triples are of test images
    dm.setup("fit")
    xb, yb = next(iter(dm.train_dataloader()))
    assert xb.shape == (64, 3, 32, 32) and yb.shape == (64,) and int(yb.max()) < 1000
    with pytest.raises(ValueError, match="train_triples must be an integer >= 1, got 0"):
        StackedFashionMNISTDataModule(train_triples=0)
    with pytest.raises(ValueError, match="split must be 'train' or 'test', got 'valid'"):
        dm.reference_images("valid", 2)


@needs_fmnist
def test_the_triples_are_fixed_seeded_and_use_every_image_once_per_channel_per_pass(dm):
    train, test = dm.dataset("train").triples, dm.dataset("test").triples
    assert torch.equal(train, StackedFashionMNISTDataModule().dataset("train").triples)  # fixed: the same dataset
    assert torch.equal(train, StackedFashionMNISTDataModule(seed=5).dataset("train").triples)  # seed orders batches
    assert not torch.equal(train, StackedFashionMNISTDataModule(triples_seed=1).dataset("train").triples)
    for c in range(3):
        assert torch.equal(train[:, c].sort().values, torch.arange(60000))  # one pass: every image once per channel
        for p in range(2):  # 26,000 test triples: two full passes over the 10,000 test images, then part of a third
            assert torch.equal(test[p * 10000: (p + 1) * 10000, c].sort().values, torch.arange(10000))
    assert len(set(test[20000:, 0].tolist())) == 6000
    shorter = StackedFashionMNISTDataModule(test_triples=1234).dataset("test").triples
    assert torch.equal(shorter, test[:1234])  # a longer list begins with the shorter one
    assert torch.equal(stacked_triples(7, 30, 3)[:11], stacked_triples(7, 11, 3))


@needs_fmnist
def test_the_three_channels_are_independent(dm):
    """The class of one channel says nothing about another's: chi-squared tests of independence of each pair of
    channels' classes (81 degrees of freedom: mean 81, sd 12.7) and of the 1,000 modes' uniformity (999 degrees of
    freedom: mean 999, sd 44.7) on the 60,000 training triples. Three copies of one permutation score 540,000."""
    ds = dm.dataset("train")
    labels = ds.labels[ds.triples]  # (60000, 3) classes
    for a, b in ((0, 1), (0, 2), (1, 2)):
        table = torch.zeros(10, 10).index_put_((labels[:, a], labels[:, b]), torch.ones(len(labels)), accumulate=True)
        expected = table.sum(1, keepdim=True) * table.sum(0, keepdim=True) / table.sum()
        chi2 = float(((table - expected) ** 2 / expected).sum())
        assert chi2 < 81 + 5 * 12.7, (a, b, chi2)
    counts = torch.bincount(labels @ torch.tensor([100, 10, 1]), minlength=1000).double()
    assert int((counts > 0).sum()) == 1000
    assert float(((counts - 60) ** 2 / 60).sum()) < 999 + 5 * 44.7
    assert int((ds.triples[:, 0] == ds.triples[:, 1]).sum()) < 10  # no channel copies another (1 expected)


class Recorder(L.LightningModule):
    """Keeps every training batch it sees; one dummy parameter."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))
        self.seen = []

    def training_step(self, batch, i):
        self.seen.append((batch[0].clone(), batch[1].clone()))
        return self.w.sum() * 0

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.0)


def _trainer(root, **kw):
    return L.Trainer(accelerator="cpu", logger=False, enable_progress_bar=False, enable_model_summary=False,
                     enable_checkpointing=False, default_root_dir=str(root), max_epochs=3, **kw)


@needs_fmnist
def test_resume_mid_epoch_sees_bitwise_the_same_batches(tmp_path):
    """40 triples, 5 batches an epoch, 3 epochs; checkpointed after 7 batches (mid-epoch 2) and resumed, the run
    sees the uninterrupted run's remaining 8 batches, bit for bit. A resume with other triples is refused."""
    dm = lambda **kw: StackedFashionMNISTDataModule(train_triples=40, batch_size=8, seed=1, **kw)  # noqa: E731
    full = Recorder()
    _trainer(tmp_path / "a").fit(full, dm())
    assert len(full.seen) == 15
    assert not torch.equal(full.seen[0][0], full.seen[5][0])  # epoch 2 reorders the triples

    class Stop(L.Callback):
        def on_train_batch_end(self, trainer, *a):
            if trainer.global_step == 7:
                trainer.save_checkpoint(tmp_path / "ck.ckpt")
                raise KeyError("stop")

    part = Recorder()
    with pytest.raises(KeyError):
        _trainer(tmp_path / "b", callbacks=[Stop()]).fit(part, dm())
    torch.manual_seed(999)  # the global RNG plays no part
    resumed = Recorder()
    _trainer(tmp_path / "c").fit(resumed, dm(), ckpt_path=tmp_path / "ck.ckpt")
    assert len(resumed.seen) == 8
    for (x, y), (xf, yf) in zip(resumed.seen, full.seen[7:], strict=True):
        assert torch.equal(x, xf) and torch.equal(y, yf)
    state = torch.load(tmp_path / "ck.ckpt", weights_only=False)["StackedFashionMNISTDataModule"]
    assert state["triples_seed"] == 0 and state["train_triples"] == 40
    with pytest.raises(ValueError, match="triples_seed=0 but this run has triples_seed=2"):
        dm(triples_seed=2).load_state_dict(state)
    with pytest.raises(ValueError, match="train_triples=40 but this run has train_triples=60000"):
        StackedFashionMNISTDataModule(batch_size=8, seed=1).load_state_dict(state)


@needs_fmnist
def test_ddp_ranks_read_disjoint_shards_that_side_by_side_are_one_process_batches():
    dm = StackedFashionMNISTDataModule(train_triples=48, batch_size=4, seed=1)
    ds = dm.dataset("train")
    ranks = [EpochSampler(dm, 48, 4, seed=1, rank=r, world_size=2) for r in (0, 1)]
    single = EpochSampler(dm, 48, 8, seed=1)
    for _ in range(2):  # two epochs
        shards = [list(s) for s in ranks]
        assert len(shards[0]) == len(shards[1]) == 24 and not set(shards[0]) & set(shards[1])
        one = list(single)
        for b in range(6):
            x0, y0 = ds.__getitems__(shards[0][4 * b: 4 * b + 4])
            x1, y1 = ds.__getitems__(shards[1][4 * b: 4 * b + 4])
            x, y = ds.__getitems__(one[8 * b: 8 * b + 8])
            assert torch.equal(torch.cat([x0, x1]), x) and torch.equal(torch.cat([y0, y1]), y)
    resumed = EpochSampler(dm, 48, 4, seed=1, epoch=1, skip=2, rank=1, world_size=2)
    assert list(resumed) == list(EpochSampler(dm, 48, 4, seed=1, epoch=1, rank=1, world_size=2))[8:]


# ------------------------------------------------------------------------------------------------ counting modes
def test_modes_and_kl_on_hand_made_histograms():
    out = modes_and_kl(torch.full((1000,), 26))
    assert out == {"modes": 1000, "modes_kl": 0.0, "n": 26000, "num_modes": 1000}
    for k in (1, 10, 500, 999):  # k modes used equally: KL = log(1000 / k)
        counts = torch.zeros(1000, dtype=torch.long)
        counts[torch.randperm(1000, generator=torch.Generator().manual_seed(k))[:k]] = 7
        out = modes_and_kl(counts)
        assert out["modes"] == k and out["n"] == 7 * k
        assert math.isclose(out["modes_kl"], math.log(1000 / k), rel_tol=1e-12, abs_tol=1e-12), k
    counts = torch.full((1000,), 26)
    counts[[3, 500, 999]] = 0  # missing modes are not covered
    assert modes_and_kl(counts)["modes"] == 997
    counts = torch.arange(1000) % 5  # uneven: the definition, sum p log(p / q)
    p = counts.double() / counts.sum()
    kl = float(sum(pi * math.log(pi * 1000) for pi in p.tolist() if pi > 0))
    out = modes_and_kl(counts)
    assert out["modes"] == 800 and math.isclose(out["modes_kl"], kl, rel_tol=1e-12)
    for bad in (torch.ones(999, dtype=torch.long), torch.full((1000,), 0.5), -torch.ones(1000, dtype=torch.long)):
        with pytest.raises(ValueError, match="counts must be 1000 non-negative integer counts"):
            modes_and_kl(bad)
    with pytest.raises(ValueError, match="counts: no images"):
        modes_and_kl(torch.zeros(1000, dtype=torch.long))


@needs_fmnist
def test_the_stacked_feature_space_is_the_classifier_on_each_channel(dm):
    """``fmnist_stacked``: features the 1-channel extractor's features of channels 0, 1, 2 side by side; the logits'
    argmax the mode of the three channels' classes; the default extractor of the stacked datamodule only."""
    x = (dm.reference_images("test", 200)[0] + 1) / 2
    feats, logits = Extractor("fmnist_stacked").extract(x)
    one = Extractor("fmnist")
    per_channel = torch.cat([one.extract(x[:, c: c + 1].contiguous())[0] for c in range(3)], 1)
    assert feats.shape == (200, 384) and logits.shape == (200, 1000)
    assert torch.allclose(feats, per_channel, atol=1e-5)
    modes = modes_of(x)
    assert torch.equal(logits.argmax(1), modes) and torch.equal(triple_labels(x), modes)
    assert len(set(modes.tolist())) > 150  # real triples: many modes
    assert default_extractor((3, 32, 32), "stacked_fashion_mnist") == "fmnist_stacked"
    assert default_extractor((3, 32, 32), "cifar10") is None and default_extractor((3, 32, 32)) is None
    assert default_extractor((1, 32, 32), "fashion_mnist") == "fmnist"
    with pytest.raises(ValueError, match=r"'fmnist_stacked' extractor takes images with \(3,\) channel"):
        Extractor("fmnist_stacked").extract(x[:, :1])
    with pytest.raises(ValueError, match=r"stacked Fashion-MNIST images \(N, 3, 32, 32\), got \(4, 1, 32, 32\)"):
        triple_labels(x[:4, :1])


@needs_fmnist
def test_the_real_floor_is_the_protocol_on_real_stacked_test_images(dm, tmp_path):
    """:func:`real_floor` classifies each distinct test image once; the result is the protocol's on the stacked
    images themselves, and it is cached."""
    x = (dm.reference_images("test", 800)[0] + 1) / 2
    direct = stacked_modes(x)
    floor = real_floor(800, datamodule=dm, cache_dir=tmp_path)
    assert {k: floor[k] for k in direct} == direct and floor["split"] == "test"
    assert 800 > floor["modes"] > 450 and 0.5 < floor["modes_kl"] < 1  # also the classifier's errors
    assert len(list(tmp_path.glob("floor_*.json"))) == 1
    assert real_floor(800, datamodule=dm, cache_dir=tmp_path) == floor
    with pytest.raises(ValueError, match="n=26001: the test split of StackedFashionMNISTDataModule has 26000"):
        real_floor(26001, datamodule=dm, cache_dir=tmp_path)
    with pytest.raises(ValueError, match="datamodule must be a StackedFashionMNISTDataModule"):
        real_floor(10, datamodule=FashionMNISTDataModule())


class Replay(Generator):
    """A "generator" whose sample i is the i-th of the given images (in [-1, 1])."""

    def __init__(self, images: torch.Tensor):
        super().__init__()
        self.latent_dim, self.output_shape, self.output_range = 2, tuple(images.shape[1:]), (-1.0, 1.0)
        self.register_buffer("images", images)
        self.anchor = nn.Parameter(torch.zeros(()))
        self.next = 0

    def forward(self, z, labels=None):
        out = self.images[self.next: self.next + len(z)]
        self.next += len(z)
        return out + 0 * self.anchor


def _real_and_collapsed(n: int):
    other = StackedFashionMNISTDataModule(triples_seed=1)  # other triples of the same test images
    real = other.reference_images("test", n)[0]
    return Replay(real), Replay(real[:1].expand(n, -1, -1, -1).contiguous())  # collapsed: one image, n times


@needs_fmnist
def test_a_generator_of_real_test_images_scores_near_the_floor_and_a_collapsed_one_one_mode(dm):
    """1,000 samples (the protocol's 26,000 in the slow test below): a generator that outputs real stacked test
    images (other triples than the floor's) is within sampling noise of the floor (at 1,000, triple seeds 0-5:
    613-642 modes, KL 0.549-0.602); a constant image covers 1 mode, KL log 1000."""
    real, collapsed = _real_and_collapsed(1000)
    out = evaluate(real, dm, metrics=("fid", "prdc"), n=1000)
    floor = out["modes_floor"]
    assert floor["n"] == 1000 and floor["split"] == "test" and out["protocol"]["extractor"] == "fmnist_stacked"
    assert abs(out["modes"] - floor["modes"]) <= 30 and abs(out["modes_kl"] - floor["modes_kl"]) <= 0.07, out
    assert out["protocol"]["feature_dim"] == 384 and out["recall"] > 0.5 and out["fid"] < 40
    out = evaluate(collapsed, dm, metrics=("fid", "prdc"), n=300)
    assert out["modes"] == 1 and math.isclose(out["modes_kl"], LOG_1000, rel_tol=1e-12)
    assert out["modes_floor"]["n"] == 300 and out["recall"] == 0.0 and out["fid"] > 200, out["fid"]


@pytest.mark.slow
@needs_fmnist
def test_the_protocol_of_26000_samples(dm):
    """``evaluate``'s default for a stacked generator: 26,000 samples, against the floor of 26,000 test images."""
    real, collapsed = _real_and_collapsed(26000)
    out = evaluate(real, dm, metrics=("fid",))
    floor = out["modes_floor"]
    assert out["protocol"]["n_fake"] == out["protocol"]["n_real"] == floor["n"] == 26000
    assert floor["modes"] == 1000 and 0.015 < floor["modes_kl"] < 0.03  # 0.0205: mostly the 26,000 draws' noise
    assert abs(out["modes"] - floor["modes"]) <= 5 and abs(out["modes_kl"] - floor["modes_kl"]) <= 0.02, out
    out = evaluate(collapsed, dm, metrics=("fid",))
    assert out["modes"] == 1 and math.isclose(out["modes_kl"], LOG_1000, rel_tol=1e-12)


# ------------------------------------------------------------------------------------------------ ganzoo eval
@needs_fmnist
def test_ganzoo_eval_of_an_exported_3_channel_generator_prints_modes_and_kl(tmp_path, capsys):
    from ganzoo.hub import save_generator
    from ganzoo.nets import DCGANGenerator

    torch.manual_seed(0)
    g = DCGANGenerator(channels=3, width=8)
    save_generator(g, tmp_path / "g", extra={"variant": "DCGAN", "dataset": "stacked_fashion_mnist"})
    main(["eval", str(tmp_path / "g"), "--n", "300", "--metrics", "fid,prdc", "--device", "cpu"])
    out = json.loads(capsys.readouterr().out)
    assert out["protocol"]["dataset"] == "stacked_fashion_mnist" and out["protocol"]["extractor"] == "fmnist_stacked"
    assert out["protocol"]["n_fake"] == 300 and out["protocol"]["feature_dim"] == 384
    assert 1 <= out["modes"] <= 1000 and 0 <= out["modes_kl"] <= LOG_1000
    floor = out["modes_floor"]
    assert floor["n"] == 300 and floor["modes"] > 200 and floor["modes_kl"] < 2 and "modes" in out["protocol"]

    save_generator(g, tmp_path / "unrecorded")  # no dataset in config.json: --data names it
    with pytest.raises(SystemExit, match=r"makes images of shape \(3, 32, 32\) but --data fashion_mnist has .*--data"):
        main(["eval", str(tmp_path / "unrecorded"), "--n", "300"])
    main(["eval", str(tmp_path / "unrecorded"), "--data", "stacked_fashion_mnist", "--n", "300", "--metrics", "fid",
          "--device", "cpu"])
    again = json.loads(capsys.readouterr().out)
    assert (again["modes"], again["modes_kl"], again["fid"]) == (out["modes"], out["modes_kl"], out["fid"])

    main(["stats", "--data", "stacked_fashion_mnist", "--n", "300", "--out", str(tmp_path / "s.safetensors")])
    stats = json.loads(capsys.readouterr().out)
    assert stats["extractor"] == "fmnist_stacked" and stats["feature_dim"] == 384


@needs_fmnist
def test_fit_on_stacked_fashion_mnist_then_ganzoo_eval_finds_the_dataset(tmp_path, capsys):
    """The real ``ganzoo fit`` on the stacked datamodule: modes in its metrics.json and eval history, the dataset in
    the exported config.json, which ``ganzoo eval`` then scores against without being told."""
    config = tmp_path / "stacked.yaml"
    config.write_text(f"""
seed_everything: 0
trainer:
  accelerator: cpu
  devices: 1
  default_root_dir: {tmp_path / "run"}
  callbacks:
    - class_path: ganzoo.training.image_eval.ImageEvalCallback
      init_args: {{every_n_gen_iters: 100, n_eval: 200, metrics: [fid]}}
model:
  class_path: ganzoo.DCGAN
  init_args:
    generator: {{arch: dcgan_generator, latent_dim: 8, channels: 3, resolution: 32, width: 8}}
    critic: {{arch: dcgan_critic, channels: 3, resolution: 32, width: 8, norm: batch}}
    max_gen_iters: 2
data:
  class_path: ganzoo.data.StackedFashionMNISTDataModule
  init_args: {{batch_size: 16}}
""")
    main(["fit", "--config", str(config), "--eval_n", "200"])
    capsys.readouterr()
    run = tmp_path / "run"
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["protocol"]["extractor"] == "fmnist_stacked" and "modes" in metrics and "modes_kl" in metrics
    assert metrics["modes_floor"]["n"] == 200
    history = json.loads((run / "eval_history.json").read_text())
    assert {"modes", "modes_kl"} <= set(history[-1])
    assert json.loads((run / "generator" / "config.json").read_text())["training"]["dataset"] == \
        "stacked_fashion_mnist"
    main(["eval", str(run / "generator"), "--n", "200", "--metrics", "fid", "--device", "cpu"])
    out = json.loads(capsys.readouterr().out)
    assert out["protocol"]["dataset"] == "stacked_fashion_mnist" and out["modes"] == metrics["modes"]
