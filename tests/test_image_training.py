"""Image recipes, networks named in configs, conditional training, the LR schedule and image evaluation.

The smoke tests train on the real Fashion-MNIST files (Debian's ``dataset-fashion-mnist``, installed by
``.ci/run``) and are skipped with a reason where they are absent.
"""

import json
from pathlib import Path

import lightning as L
import pytest
import torch
from conftest import quiet_trainer

import ganzoo
from ganzoo.cli import main
from ganzoo.cli.fit import GanzooCLI

ROOT = Path(__file__).resolve().parents[1]
FM_RECIPES = sorted((ROOT / "recipes").glob("*/fashion_mnist.yaml"))
C10_RECIPES = sorted((ROOT / "recipes").glob("*/cifar10.yaml"))
needs_fmnist = pytest.mark.fashion_mnist
GEN = {"arch": "dcgan_generator", "latent_dim": 8, "channels": 1, "resolution": 32, "width": 8}
CRIT = {"arch": "dcgan_critic", "channels": 1, "resolution": 32, "width": 8, "norm": "none"}


def test_recipe_sets():
    assert {p.parent.name for p in FM_RECIPES} == set(ganzoo.list_variants("latent"))  # all train on images
    assert {p.parent.name for p in C10_RECIPES} == {"wgan_gp", "sngan", "cgan"}


@pytest.mark.parametrize("recipe", FM_RECIPES + C10_RECIPES, ids=lambda p: f"{p.parent.name}-{p.stem}")
def test_image_recipe_parses_and_instantiates(recipe, tmp_path):
    cli = GanzooCLI(args=["--config", str(recipe), "--trainer.default_root_dir", str(tmp_path)], run=False)
    assert isinstance(cli.model, ganzoo.variants.get_variant(recipe.parent.name))
    assert cli.model.max_gen_iters is not None
    shape = (1, 32, 32) if recipe.stem == "fashion_mnist" else (3, 32, 32)
    assert cli.model.output_shape == shape == tuple(cli.datamodule.data_shape)
    assert cli.model.num_classes == (10 if recipe.parent.name == "cgan" else 0)
    if recipe.stem == "cifar10":  # the papers' settings
        assert cli.model.generator.arch_name == "resnet_generator"
        assert cli.model.critic.arch_name == "resnet_critic"
        assert cli.model.lr_schedule == "linear"
        assert cli.model.schedule.n_critic == 5
    if recipe.parent.name in ("sngan", "cgan"):
        assert [c.name for c in cli.model.constraints] == ["spectral_norm"]
        assert cli.model.objective.name == "hinge"


@needs_fmnist
@pytest.mark.parametrize("recipe", FM_RECIPES, ids=lambda p: p.parent.name)
def test_fashion_mnist_recipe_smoke_fit(recipe, tmp_path):
    """Each Fashion-MNIST recipe through the real CLI for 2 generator iterations: a sample grid, FID/KID with their
    protocol in metrics.json, logs, and an exported generator that ganzoo.sample reads."""
    args = ["fit", "--config", str(recipe), "--trainer.default_root_dir", str(tmp_path),
            "--model.init_args.max_gen_iters", "2", "--eval_n", "100"]
    if recipe.parent.name == "wgan":
        args += ["--model.init_args.schedule", "{}"]
    main(args)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["generator_iterations"] == 2
    assert metrics["fid"] > 0 and "kid_mean" in metrics
    proto = metrics["protocol"]
    assert proto["n_fake"] == 100 and proto["extractor"] == "fmnist" and proto["dataset"] == "fashion_mnist"
    assert (tmp_path / "samples.png").stat().st_size > 1000
    assert list((tmp_path / "samples").glob("grid_*.png"))  # the callback's grid at the end of training
    g = ganzoo.load(tmp_path / "generator")
    x = ganzoo.sample(g, 3, seed=0, labels=[0, 1, 2] if recipe.parent.name == "cgan" else None)
    assert x.shape == (3, 1, 32, 32) and 0 <= x.min() and x.max() <= 1
    card = (tmp_path / "generator" / "README.md").read_text()
    assert "FID" in card and "fmnist" in card


def test_networks_by_registered_name_only():
    with pytest.raises(ValueError, match="generator.*unknown architecture 'os.system'"):
        ganzoo.DCGAN(generator={"arch": "os.system"}, critic=CRIT)
    with pytest.raises(ValueError, match="critic must be a mapping with an 'arch' key"):
        ganzoo.DCGAN(generator=GEN, critic={"channels": 1})
    with pytest.raises(ValueError, match="both generator and critic"):
        ganzoo.DCGAN(generator=GEN)
    with pytest.raises(ValueError, match="critic.*does not take argument"):
        ganzoo.DCGAN(generator=GEN, critic={**CRIT, "bogus": 1})


def test_gradient_penalty_refuses_a_batch_norm_critic():
    with pytest.raises(ValueError, match="batch norm"):
        ganzoo.WGANGP(generator=GEN, critic={**CRIT, "norm": "batch"})
    ganzoo.WGANGP(generator=GEN, critic={**CRIT, "norm": "layer"})  # the paper's choice is accepted


def test_conditional_generator_and_critic_must_agree():
    with pytest.raises(ValueError, match="num_classes"):
        ganzoo.CGAN(generator={**GEN, "num_classes": 10}, critic={**CRIT, "num_classes": 5})
    with pytest.raises(ValueError, match="conditional generator"):
        ganzoo.CGAN(generator=GEN, critic=CRIT)


class _Labelled(L.LightningDataModule):
    """A small in-memory labelled image set (stands in for a datamodule in the fast unit tests)."""

    def __init__(self, num_classes=3, n=64):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.y = torch.arange(n) % num_classes
        # class k: a bright horizontal band at row block k, so classes are distinguishable
        self.x = -torch.ones(n, 1, 32, 32)
        for k in range(num_classes):
            self.x[self.y == k, :, 8 * k: 8 * k + 8] = 1.0
        self.x += 0.05 * torch.randn(self.x.shape, generator=g)
        self.data_shape, self.num_classes = (1, 32, 32), num_classes

    def train_dataloader(self):
        ds = torch.utils.data.TensorDataset(self.x.clamp(-1, 1), self.y)
        return torch.utils.data.DataLoader(ds, batch_size=16, shuffle=False, drop_last=True)


def test_conditional_training_passes_the_batch_labels(tmp_path):
    seen = []
    m = ganzoo.CGAN(generator={**GEN, "num_classes": 3}, critic={**CRIT, "num_classes": 3}, n_critic=1,
                    max_gen_iters=3)
    orig = m.critic.forward

    def spy(x, labels=None):  # records the labels every critic call gets
        seen.append(None if labels is None else labels.clone())
        return orig(x, labels)

    m.critic.forward = spy
    m.export_dir = None
    quiet_trainer(tmp_path).fit(m, _Labelled())
    assert m.gen_iters == 3
    assert seen and all(lab is not None for lab in seen)
    assert torch.equal(seen[0], torch.arange(16) % 3)  # the real batch's labels, for real and fake alike


def test_label_count_mismatch_fails_at_setup_naming_num_classes(tmp_path):
    m = ganzoo.CGAN(generator={**GEN, "num_classes": 10}, critic={**CRIT, "num_classes": 10}, max_gen_iters=1)
    with pytest.raises(ValueError, match="num_classes=10 but datamodule _Labelled has 3 classes"):
        quiet_trainer(tmp_path).fit(m, _Labelled(num_classes=3))
    assert m.gen_iters == 0


def test_linear_lr_decay_per_generator_iteration(tmp_path):
    """lr_schedule='linear': lr = lr0 * (1 - (k - start) / (N - start)) after k generator iterations."""
    lrs = []

    class Record(L.Callback):
        def on_train_batch_end(self, trainer, pl_module, *a):
            if pl_module._cycle == 0:  # a generator step was just made
                lrs.append([o.param_groups[0]["lr"] for o in pl_module.optimizers()])

    from ganzoo.data import Toy2DDataModule

    m = ganzoo.WGANGP(hidden_dim=16, n_layers=2, lr=1e-3, max_gen_iters=10, lr_schedule="linear", lr_decay_start=4)
    m.export_dir = None
    quiet_trainer(tmp_path, callbacks=[Record()]).fit(m, Toy2DDataModule(batch_size=16))
    expected = [1e-3 * min(1.0, 1 - (k - 4) / 6) for k in range(1, 11)]
    assert [g for g, _ in lrs] == pytest.approx(expected)
    assert [d for _, d in lrs] == pytest.approx(expected)
    assert lrs[-1][0] == 0.0


def test_lr_schedule_arguments_are_checked():
    with pytest.raises(ValueError, match="lr_schedule must be one of"):
        ganzoo.WGANGP(lr_schedule="exponential", max_gen_iters=10)  # "cosine" is one since R3GAN
    with pytest.raises(ValueError, match="set max_gen_iters"):
        ganzoo.WGANGP(lr_schedule="linear")
    with pytest.raises(ValueError, match="lr_decay_start"):
        ganzoo.WGANGP(lr_schedule="linear", max_gen_iters=10, lr_decay_start=10)


@needs_fmnist
def test_ganzoo_eval_prints_metrics_with_protocol(tmp_path, capsys):
    from ganzoo.hub import save_generator
    from ganzoo.nets import DCGANGenerator

    torch.manual_seed(0)
    save_generator(DCGANGenerator(width=8, num_classes=10), tmp_path / "g")
    main(["eval", str(tmp_path / "g"), "--data", "fashion_mnist", "--metrics", "fid,kid,is", "--n", "300",
          "--out", str(tmp_path / "m.json"), "--device", "cpu"])
    out = json.loads(capsys.readouterr().out)
    assert out == json.loads((tmp_path / "m.json").read_text())
    assert out["fid"] > 0 and {"kid_mean", "kid_std", "is_mean", "is_std"} <= set(out)
    assert out["protocol"]["n_fake"] == out["protocol"]["n_real"] == 300 and out["protocol"]["split"] == "train"
    cov = out["class_coverage"]  # an untrained conditional generator: the classifier's view of its classes
    assert len(cov["per_class_accuracy"]) == 10 and 0 <= cov["accuracy"] <= 1


def test_ganzoo_eval_bad_input(tmp_path):
    with pytest.raises(SystemExit, match="metrics must be a non-empty subset"):
        main(["eval", "wgan_gp-8gaussians", "--metrics", "fid,lpips"])
    with pytest.raises(SystemExit, match="not an image generator"):
        main(["eval", "wgan_gp-8gaussians"])
    with pytest.raises(SystemExit, match="unknown dataset 'svhn'"):
        from ganzoo.hub import save_generator
        from ganzoo.nets import DCGANGenerator

        save_generator(DCGANGenerator(width=8), tmp_path / "g")
        main(["eval", str(tmp_path / "g"), "--data", "svhn"])
    with pytest.raises(SystemExit, match="--device 'gpu0'"):
        main(["eval", "dcgan-fashion_mnist", "--device", "gpu0"])
    if not torch.cuda.is_available():
        with pytest.raises(SystemExit, match="--device cuda: CUDA is not available"):
            main(["eval", "dcgan-fashion_mnist", "--device", "cuda"])
