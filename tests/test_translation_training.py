"""pix2pix and CycleGAN: reference losses, LR schedule, image pool, cycle/identity terms, training, translate."""

import json
import math
from pathlib import Path

import lightning as L
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import ganzoo
from ganzoo.nets import receptive_field
from ganzoo.objectives import cycle_loss, identity_loss
from ganzoo.training.optim import reference_lr_factor
from ganzoo.training.translation_gan import ImagePool
from ganzoo.translators import Translator, translate

UNET = {"arch": "unet_generator", "in_channels": 1, "out_channels": 1, "num_downs": 5, "width": 8}
PATCH2 = {"arch": "patch_discriminator", "in_channels": 2, "n_layers": 2, "width": 8}
needs_fmnist = pytest.mark.fashion_mnist
RESNET = {"arch": "resnet_translator", "in_channels": 1, "out_channels": 1, "n_blocks": 2, "width": 8}
PATCH1 = {"arch": "patch_discriminator", "in_channels": 1, "n_layers": 2, "width": 8, "norm": "instance"}


class PairsInMemory(L.LightningDataModule):
    """(a, b) batches of smooth random 1x32x32 images (4x4 noise upsampled) with b = -a: a known mapping."""

    shape_a = shape_b = (1, 32, 32)
    paired = True
    dataset_name = "negation"

    def __init__(self, n: int = 16, batch_size: int = 4):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        coarse = torch.rand(n, 1, 4, 4, generator=g) * 2 - 1
        self.a = F.interpolate(coarse, size=32, mode="bilinear", align_corners=False)
        self.batch_size = batch_size

    def train_dataloader(self):
        return DataLoader(TensorDataset(self.a, -self.a), batch_size=self.batch_size)


def trainer(tmp_path, **kw):
    return L.Trainer(default_root_dir=tmp_path, enable_progress_bar=False, logger=False, enable_checkpointing=False,
                     enable_model_summary=False, **kw)


# ---------------------------------------------------------------- schedule and pool
def test_reference_lr_schedule_at_epoch_boundaries():
    # the reference 'linear' policy with n_epochs=100, n_epochs_decay=100 (epoch_count=1), 0-based epochs
    assert [reference_lr_factor(e, 100, 100) for e in (0, 50, 98, 99)] == [1.0, 1.0, 1.0, 1.0]
    assert reference_lr_factor(100, 100, 100) == pytest.approx(1 - 1 / 101)
    assert reference_lr_factor(149, 100, 100) == pytest.approx(1 - 50 / 101)
    assert reference_lr_factor(199, 100, 100) == pytest.approx(1 / 101)  # the last epoch never reaches zero
    factors = [reference_lr_factor(e, 3, 4) for e in range(7)]
    assert factors == pytest.approx([1, 1, 1, 4 / 5, 3 / 5, 2 / 5, 1 / 5])


def test_schedule_is_applied_per_epoch_in_training(tmp_path):
    m = ganzoo.Pix2Pix(UNET, PATCH2, n_epochs=2, n_epochs_decay=3, lr=1e-3)
    lrs = []

    class Spy(L.Callback):
        def on_train_epoch_start(self, trainer, pl_module):
            lrs.append([o.param_groups[0]["lr"] for o in pl_module.optimizers()])

    trainer(tmp_path, max_epochs=-1, callbacks=[Spy()]).fit(m, PairsInMemory(8, 4))  # -1: the schedule decides
    expected = [1e-3 * reference_lr_factor(e, 2, 3) for e in range(5)]
    assert [g for g, _ in lrs] == pytest.approx(expected) and [d for _, d in lrs] == pytest.approx(expected)
    assert m.gen_iters == 5 * 2


def test_image_pool_statistics():
    pool = ImagePool(50, seed=0)
    first = torch.arange(50, dtype=torch.float32)[:, None]
    assert torch.equal(pool.query(first), first)  # filling: every image stored and returned
    swapped, trials, returned_old = 0, 10000, []
    for t in range(trials):  # one image per query: a returned image differs from the new one iff it was swapped
        out = pool.query(torch.full((1, 1), 1000.0 + t))
        if out.item() != 1000.0 + t:
            swapped += 1
            returned_old.append((t, out.item()))
        assert len(pool.images) == 50
    # Binomial(10000, 1/2): sd 0.005; 0.47..0.53 is six standard deviations
    assert 0.47 < swapped / trials < 0.53, swapped / trials
    # a returned image is a uniformly chosen stored one; each slot is overwritten with probability 1/2 * 1/50 per
    # query, so its age (queries since it was stored) is geometric with mean 100
    ages = torch.tensor([t - (v - 1000.0) for t, v in returned_old if v >= 1000.0])
    assert 90 < ages.float().mean().item() < 110, ages.float().mean().item()
    assert any(v < 50 for _, v in returned_old)  # the images stored while filling are returned too
    assert torch.equal(ImagePool(0).query(first), first)
    assert not ImagePool(0).query(first.clone().requires_grad_()).requires_grad  # never a path back into G
    with pytest.raises(ValueError, match="pool_size"):
        ImagePool(-1)


def test_image_pool_state_round_trips():
    a, b = ImagePool(4, seed=3), ImagePool(4, seed=9)
    a.query(torch.randn(6, 1, 2, 2))
    b.load_state_dict(a.state_dict())
    x = torch.randn(8, 1, 2, 2)
    assert torch.equal(a.query(x), b.query(x))


# ---------------------------------------------------------------- losses
class Identity(nn.Module):
    def forward(self, x):
        return x


def test_cycle_and_identity_terms_vanish_for_identity_generators():
    x, y = torch.randn(3, 1, 8, 8), torch.randn(3, 1, 8, 8)
    G = F_ = Identity()
    assert cycle_loss(x, F_(G(x)), y, G(F_(y))).item() == 0.0
    assert identity_loss(x, F_(x), y, G(y)).item() == 0.0
    assert cycle_loss(x, x + 0.5, y, y).item() == pytest.approx(0.5)  # and they measure what they should
    assert identity_loss(x, x, y, y - 2).item() == pytest.approx(2.0)


def test_cyclegan_generator_loss_terms_vanish_when_translators_are_identities():
    torch.manual_seed(0)
    m = ganzoo.CycleGAN(RESNET, PATCH1)
    a, b = torch.rand(2, 1, 32, 32) * 2 - 1, torch.rand(2, 1, 32, 32) * 2 - 1
    loss, logs, _, _ = m.generator_loss(a, b)  # trained-from-scratch translators: both terms are far from 0
    assert logs["cycle"] > 0.1 and logs["identity"] > 0.1
    expected = logs["g_adv"] + 10 * logs["cycle"] + 0.5 * 10 * logs["identity"]
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)
    for net in m.translator.nets.values():  # now make both translators exact identities
        net.forward = lambda x: x
    loss, logs, fake_b, fake_a = m.generator_loss(a, b)
    assert logs["cycle"].item() == 0.0 and logs["identity"].item() == 0.0
    assert torch.equal(fake_b, a) and torch.equal(fake_a, b) and loss.item() == logs["g_adv"].item()


def test_pix2pix_losses_equal_the_reference_formulas():
    torch.manual_seed(0)
    m = ganzoo.Pix2Pix(UNET, PATCH2)
    D = m.critics["pair"]
    a, b = torch.rand(2, 1, 32, 32) * 2 - 1, torch.rand(2, 1, 32, 32) * 2 - 1
    fake = m.translator(a)
    real_ab, fake_ab = torch.cat([a, b], 1), torch.cat([a, fake], 1)
    bce = nn.BCEWithLogitsLoss()
    ref_d = 0.5 * (bce(D(real_ab), torch.ones_like(D(real_ab))) + bce(D(fake_ab), torch.zeros_like(D(fake_ab))))
    ref_g = bce(D(fake_ab), torch.ones_like(D(fake_ab)))
    assert m.adversarial_d(D, real_ab, fake_ab).item() == pytest.approx(ref_d.item(), rel=1e-5)
    assert m.adversarial_g(D, fake_ab).item() == pytest.approx(ref_g.item(), rel=1e-5)
    assert m.lambda_l1 == 100.0 and m.opt_spec.lr == 2e-4 and m.opt_spec.betas == (0.5, 0.999)


def test_cyclegan_lsgan_losses_equal_the_reference_formulas():
    torch.manual_seed(0)
    m = ganzoo.CycleGAN(RESNET, PATCH1)
    D = m.critics["B"]
    real, fake = torch.rand(2, 1, 32, 32), torch.rand(2, 1, 32, 32)
    ref_d = 0.5 * (F.mse_loss(D(real), torch.ones_like(D(real))) + F.mse_loss(D(fake), torch.zeros_like(D(fake))))
    ref_g = F.mse_loss(D(fake), torch.ones_like(D(fake)))
    assert m.adversarial_d(D, real, fake).item() == pytest.approx(ref_d.item(), rel=1e-5)
    assert m.adversarial_g(D, fake).item() == pytest.approx(ref_g.item(), rel=1e-5)
    assert (m.lambda_cycle, m.lambda_identity, m.pools["A"].size) == (10.0, 0.5, 50)


# ---------------------------------------------------------------- training, export, translate
def test_pix2pix_learns_a_known_mapping_and_exports(tmp_path):
    torch.manual_seed(0)
    dm = PairsInMemory(16, 4)
    m = ganzoo.Pix2Pix(UNET, PATCH2, n_epochs=15, n_epochs_decay=0, lr=1e-3)
    a = (dm.a[:8] + 1) / 2
    before = (translate(m, a) - (1 - a)).abs().mean().item()
    trainer(tmp_path, max_epochs=m.max_epochs).fit(m, dm)
    after = (translate(m, a) - (1 - a)).abs().mean().item()
    print("pix2pix negation L1 before/after", before, after)
    assert m.gen_iters == 60
    assert after < 0.4 * before, (before, after)  # measured 0.180 -> 0.038
    loaded = ganzoo.load(tmp_path / "generator")
    assert isinstance(loaded, Translator) and loaded.directions == ("AtoB",)
    assert torch.allclose(translate(loaded, a), translate(m, a), atol=1e-6)
    with pytest.raises(ValueError, match="direction must be one of"):
        translate(loaded, a, "BtoA")


def test_cyclegan_trains_checkpoints_pools_and_translates_both_ways(tmp_path):
    m = ganzoo.CycleGAN(RESNET, PATCH1, n_epochs=1, n_epochs_decay=1, pool_size=6)
    start = {d: [p.detach().clone() for p in net.parameters()] for d, net in m.translator.nets.items()}
    t = L.Trainer(default_root_dir=tmp_path, max_epochs=m.max_epochs, enable_progress_bar=False, logger=False,
                  enable_model_summary=False)
    t.fit(m, PairsInMemory(8, 2))
    assert m.gen_iters == 8 and len(m.pools["A"].images) == 6
    for d, net in m.translator.nets.items():  # both directions were trained
        assert any(not torch.equal(p, q) for p, q in zip(net.parameters(), start[d], strict=True)), d
    assert set(m._last_logs) == {"g_adv", "cycle", "identity", "d_loss"}
    assert all(math.isfinite(float(v)) for v in m._last_logs.values())
    ckpt = next((tmp_path / "checkpoints").glob("*.ckpt"))
    state = torch.load(ckpt, weights_only=True)
    pools = state["ganzoo_image_pools"]  # every rank's pool, stacked: (ranks, images, C, H, W)
    assert state["ganzoo_counters"]["gen_iters"] == 8 and pools["B"]["images"].shape[:2] == (1, 6)
    assert state["ganzoo_rng"]["torch"].shape[0] == 1  # every rank's RNG states, as the latent GANs
    fresh = ganzoo.CycleGAN(RESNET, PATCH1, n_epochs=1, n_epochs_decay=1, pool_size=6)
    fresh.on_load_checkpoint(state)
    assert all(torch.equal(x, y) for x, y in zip(fresh.pools["B"].images, m.pools["B"].images, strict=True))
    loaded = ganzoo.load(tmp_path / "generator")
    assert loaded.directions == ("AtoB", "BtoA")
    x = torch.rand(3, 1, 32, 32, generator=torch.Generator().manual_seed(0))
    out = {}
    for d in ("AtoB", "BtoA"):
        out[d] = translate(loaded, x, d)
        # each direction is the trained module's own network for it: [0, 1] -> [-1, 1] -> net -> [0, 1]
        with torch.no_grad():
            net = m.translator.nets[d].eval()
            expected = ((net(2 * x - 1) + 1) / 2).clamp(0, 1)
        assert out[d].shape == x.shape
        torch.testing.assert_close(out[d], expected, atol=1e-5, rtol=0)
    assert (out["AtoB"] - out["BtoA"]).abs().mean() > 0.01  # two networks, not one used twice (measured 0.116)


def test_translate_cli_writes_files(tmp_path, capsys):
    from PIL import Image

    from ganzoo.cli import main

    m = ganzoo.Pix2Pix(UNET, PATCH2)
    from ganzoo.hub import save_generator

    save_generator(m.export_model, tmp_path / "model")
    (tmp_path / "in").mkdir()
    for i in range(3):
        Image.fromarray((torch.rand(32, 32) * 255).byte().numpy(), "L").save(tmp_path / "in" / f"x{i}.png")
    main(["translate", str(tmp_path / "model"), "--input", str(tmp_path / "in"), "--output", str(tmp_path / "out")])
    outs = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert outs == ["x0.png", "x1.png", "x2.png"]
    with Image.open(tmp_path / "out" / "x0.png") as im:
        assert im.size == (32, 32) and im.mode == "L"
    with pytest.raises(SystemExit):  # the choices are checked before any work (the option's type)
        main(["translate", str(tmp_path / "model"), "--input", str(tmp_path / "in"), "--output", "o",
              "--direction", "sideways"])
    assert "--direction: must be one of AtoB, BtoA, got 'sideways'" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="not a folder"):
        main(["translate", str(tmp_path / "model"), "--input", str(tmp_path / "nope"), "--output", "o"])


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="in_channels must be 1 \\+ 1 = 2"):
        ganzoo.Pix2Pix(UNET, {**PATCH2, "in_channels": 1})
    with pytest.raises(ValueError, match="lambda_l1"):
        ganzoo.Pix2Pix(UNET, PATCH2, lambda_l1=-1)
    with pytest.raises(ValueError, match="lambda_identity > 0"):
        ganzoo.CycleGAN({**RESNET, "out_channels": 3}, PATCH1)
    with pytest.raises(ValueError, match="objective"):
        ganzoo.CycleGAN(RESNET, PATCH1, objective="mmd")
    with pytest.raises(ValueError, match="n_epochs"):
        ganzoo.Pix2Pix(UNET, PATCH2, n_epochs=-1)
    with pytest.raises(ValueError, match="direction must be one of"):
        Translator({"sideways": UNET})
    with pytest.raises(TypeError, match="translation model"):
        translate(nn.Identity(), torch.rand(1, 1, 32, 32))
    with pytest.raises(ValueError, match="3 channels, the AtoB generator takes 1"):
        translate(Translator({"AtoB": UNET}), torch.rand(1, 3, 32, 32))


def test_datamodule_channel_mismatch_fails_at_setup(tmp_path):
    class RGB(PairsInMemory):
        shape_a = shape_b = (3, 32, 32)

    with pytest.raises(ValueError, match="AtoB generator maps 1 to 1 channels"):
        trainer(tmp_path, max_epochs=1).fit(ganzoo.Pix2Pix(UNET, PATCH2), RGB())


@pytest.mark.parametrize("arch", ["unet_generator", "resnet_translator"])
def test_every_registered_translator_round_trips(tmp_path, arch):
    """Registry-driven: each translator architecture saves and loads through the generator folder format."""
    from ganzoo.hub import save_generator
    from ganzoo.registry import get_model_class, list_models

    assert {n for n in list_models() if getattr(get_model_class(n), "__name__", "") in
            ("UNetGenerator", "ResNetTranslator")} == {"unet_generator", "resnet_translator"}
    spec = {"arch": arch, "in_channels": 1, "out_channels": 3, "width": 8}
    if arch == "unet_generator":
        spec["num_downs"] = 5  # 32 px
    t = Translator({"AtoB": spec})
    folder = save_generator(t, tmp_path / arch)
    loaded = ganzoo.load(folder)
    x = torch.rand(2, 1, 32, 32)
    torch.testing.assert_close(translate(loaded, x), translate(t, x))
    assert translate(loaded, x).shape == (2, 3, 32, 32)


# ---------------------------------------------------------------- recipes
RECIPES = Path(__file__).resolve().parents[1] / "recipes"


def test_reference_recipes_parse_with_the_papers_settings(tmp_path):
    from ganzoo.cli.fit import GanzooCLI

    facades = tmp_path / "facades" / "train"
    facades.mkdir(parents=True)
    Image.fromarray(np.zeros((8, 16, 3), np.uint8), "RGB").save(facades / "1.jpg")
    cli = GanzooCLI(args=["--config", str(RECIPES / "pix2pix" / "facades.yaml"), "--data.init_args.data_dir",
                          str(tmp_path / "facades")], run=False)
    m, dm = cli.model, cli.datamodule
    assert isinstance(m, ganzoo.Pix2Pix) and m.objective.name == "nonsaturating" and m.lambda_l1 == 100
    assert (m.n_epochs, m.n_epochs_decay, m.opt_spec.lr, m.opt_spec.betas) == (100, 100, 2e-4, (0.5, 0.999))
    g = m.translator.nets["AtoB"]
    assert g.arch_name == "unet_generator" and g.config["num_downs"] == 8 and g.config["norm"] == "batch"
    assert receptive_field(m.critics["pair"]) == 70
    assert (dm.direction, dm.load_size, dm.crop_size, dm.flip, dm.batch_size) == ("BtoA", 286, 256, True, 1)
    for d in ("trainA", "trainB"):
        (tmp_path / "h2z" / d).mkdir(parents=True)
        Image.fromarray(np.zeros((8, 8, 3), np.uint8), "RGB").save(tmp_path / "h2z" / d / "1.jpg")
    cli = GanzooCLI(args=["--config", str(RECIPES / "cyclegan" / "horse2zebra.yaml"), "--data.init_args.data_dir",
                          str(tmp_path / "h2z")], run=False)
    m = cli.model
    assert isinstance(m, ganzoo.CycleGAN) and m.objective.name == "least_squares"
    assert (m.lambda_cycle, m.lambda_identity, m.pools["A"].size, m.max_epochs) == (10, 0.5, 50, 200)
    assert m.translator.nets["BtoA"].config["n_blocks"] == 9 and m.translator.nets["AtoB"].config["norm"] == "instance"
    assert receptive_field(m.critics["A"]) == receptive_field(m.critics["B"]) == 70


@pytest.mark.slow  # 20-40 s each: keeps `pytest -m "not slow"` near 8 minutes
@needs_fmnist
@pytest.mark.parametrize("task", ["pix2pix/edges2fashion", "cyclegan/sneaker2boot"])
def test_demo_recipe_trains_a_few_iterations(task, tmp_path):
    from ganzoo.cli import main

    main(["fit", "--config", str(RECIPES / f"{task}.yaml"), "--model.init_args.max_gen_iters", "2",
          "--trainer.default_root_dir", str(tmp_path), "--trainer.enable_progress_bar", "false", "--eval_n", "64"])
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["generator_iterations"] == 2 and metrics["split"] == "test"
    assert ("l1" in metrics and "psnr_db" in metrics) if task.startswith("pix2pix") else \
        ("AtoB/target_fraction" in metrics and "BtoA/cycle_l1" in metrics)
    assert (tmp_path / "samples.png").is_file()
    # one file per fact: no copy of the last grid (samples.png) or of the final scores (metrics.json)
    assert not (tmp_path / "translation_grid.png").exists() and not (tmp_path / "translation_metrics.json").exists()
    card = (tmp_path / "generator" / "README.md").read_text()
    assert "ganzoo.translate" in card and "image-to-image" in card
    loaded = ganzoo.load(tmp_path / "generator")
    assert translate(loaded, torch.rand(2, 1, 32, 32)).shape == (2, 1, 32, 32)
    from ganzoo.cli.eval import main as eval_main

    out = eval_main([str(tmp_path / "generator"), "--data", task.split("/")[1], "--n", "64"])
    assert out["split"] == "test" and "fid" in json.dumps(out) and out["not_computed_for_translation"] == ["kid"]


def test_translate_does_not_import_lightning(tmp_path):
    import subprocess
    import sys

    from ganzoo.hub import save_generator

    save_generator(Translator({"AtoB": UNET}), tmp_path / "t")
    code = ("import sys, torch, ganzoo; y = ganzoo.translate(sys.argv[1], torch.rand(2, 1, 32, 32)); "
            "print(tuple(y.shape), 'lightning' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "t")], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["(2,", "1,", "32,", "32)", "False"], out.stdout + out.stderr
