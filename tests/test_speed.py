"""Start-up and speed plumbing: ``import ganzoo`` stays light; ``bench/perf/speed.py`` runs end to end (quick)."""

import subprocess
import sys

import pytest
from variant_cases import variant_names

HEAVY = ("ot", "matplotlib", "tensorboard", "tensorboardX", "torch.utils.tensorboard", "huggingface_hub",
         "lightning", "pytorch_lightning", "scipy", "torchvision", "jsonargparse")


def test_import_ganzoo_imports_none_of_the_heavy_optional_modules():
    # POT, matplotlib, TensorBoard, the Hub client and Lightning are imported where they are used (training,
    # metrics, plots, the Hub), never by `import ganzoo` or by loading and sampling a bundled generator
    code = ("import sys, ganzoo; g = ganzoo.load('wgan_gp-8gaussians'); ganzoo.sample(g, 4, seed=0); "
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip().splitlines()[-1] == "[]", res.stdout + res.stderr


def test_speed_bench_runs_each_part_on_a_small_budget(tmp_path):
    """``bench/perf/speed.py``'s pieces run end to end (tiny budgets; the numbers themselves are not checked)."""
    import torch

    from bench.perf import speed

    cpu = torch.device("cpu")
    r = speed.bench_training("wgan_gp_8gaussians", cpu, seg=2, pairs=2, warmup=1, workdir=tmp_path)
    assert r["segments"] == 2 and r["generator_iterations"] == 5 and r["ganzoo_ms"] > 0 and r["plain_ms"] > 0
    from ganzoo.nets import MLPGenerator

    s = speed.bench_sampling("mlp", MLPGenerator(hidden_dim=8), 64, 16, cpu, reps=2)
    assert s["speed_ratio"] > 0 and not s["plain_includes_cpu_copy"]
    # the ops part: with the same (fused) Adam, ganzoo's step computes what the plain loop computes, plus a few
    # small ops per step (the log vector, the EMA's mask, the guard's flag): on a GPU no more kernel launches
    ops = speed.bench_ops("wgan_gp_8gaussians", cpu, iters=1, workdir=tmp_path)
    assert ops["plain_ops"] > 500 and 1.0 <= ops["ratio"] < 1.1, ops
    zoo = {**r, "recipe": "recipes/wgan_gp/fashion_mnist.yaml", "setting": "zoo", "settings": "bf16-mixed",
           "ganzoo_ms": 150.0, "plain_ms": 145.0}
    paper = {**zoo, "setting": "fp32", "commit": "3b0cb96", "settings": "fp32, n_critic 5", "ganzoo_ms": 900.0,
             "plain_ms": 870.0}
    res = {"device": speed.device_info(cpu), "torch": torch.__version__, "quick": True,
           "training": {"wgan_gp_8gaussians": r, "dcgan_fmnist-zoo": {"error": "RuntimeError: boom"},
                        "wgan_gp_fmnist-zoo": zoo, "wgan_gp_fmnist-paper_fp32": paper},
           "case_info": {"dcgan_fmnist-zoo": {"recipe": "recipes/dcgan/fashion_mnist.yaml", "setting": "zoo"}},
           "ops": {"wgan_gp_8gaussians": ops}, "sampling": {"mlp": s}, "import": {}}
    text = speed.table(res)
    assert "| `recipes/wgan_gp/8gaussians.yaml` | as written: " in text, text
    assert "| `recipes/dcgan/fashion_mnist.yaml` | zoo | failed: RuntimeError: boom |" in text
    assert "| `recipes/wgan_gp/fashion_mnist.yaml` | zoo: bf16-mixed | 150.0 | 145.0 |" in text
    assert "| `recipes/wgan_gp/fashion_mnist.yaml` at 3b0cb96 | the paper's schedule, fp32: fp32, n_critic 5 |" in text
    assert "takes 150.0 ms in ganzoo against 900.0 ms for the paper's schedule in fp32" in text
    assert "6.0x cheaper (plain loops: 6.0x)" in text
    assert "torch ops per generator iteration" in text


def test_speed_cases_cover_every_latent_fashion_mnist_recipe_in_both_settings():
    """The training part's cases come from the recipe files: every latent Fashion-MNIST recipe in fp32 and, where it
    sets bf16 or channels-last, as written (on a CPU, at the zoo builds' precision there); the fp32 setting turns
    those two off and keeps the rest."""
    from pathlib import Path

    import torch
    import yaml

    from bench.perf import speed
    from ganzoo.hardware import cpu_precision

    root = Path(__file__).resolve().parents[1]
    from ganzoo import list_variants

    latent = set(list_variants("latent"))
    recipes = sorted(p for p in root.glob("recipes/*/fashion_mnist.yaml") if p.parent.name in latent)
    assert recipes and {p.parent.name for p in recipes} >= {"dcgan", "wgan_gp", "cgan"}
    cpu, cuda = torch.device("cpu"), torch.device("cuda")  # device descriptors: nothing runs on them here
    for path in recipes:
        rel, cfg = path.relative_to(root).as_posix(), yaml.safe_load(path.read_text())
        name = f"{path.parent.name}_fmnist"
        assert speed.CASES[f"{name}-fp32"] == speed.Case(rel, "fp32")
        fp32 = speed.recipe(f"{name}-fp32", cpu)
        assert fp32["trainer"]["precision"] == "32-true" and fp32["model"]["init_args"]["channels_last"] is False
        assert {k: v for k, v in fp32["model"]["init_args"].items() if k != "channels_last"} == {
            k: v for k, v in cfg["model"]["init_args"].items() if k != "channels_last"}
        assert (f"{name}-zoo" in speed.CASES) == speed.zoo_speed_settings(cfg)
        if f"{name}-zoo" in speed.CASES:
            assert speed.recipe(f"{name}-zoo", cuda) == cfg
            # on a CPU: at the precision the zoo builds use on this one (fp32 where it has no bf16 instructions)
            on_cpu = speed.recipe(f"{name}-zoo", cpu)
            assert on_cpu["trainer"]["precision"] == cpu_precision(cfg["trainer"].get("precision", "32-true"))
            assert on_cpu["model"] == cfg["model"]
    paper = speed.recipe("wgan_gp_fmnist-paper_fp32", cpu)["model"]["init_args"]
    assert "n_critic" not in paper and "d_lr" not in paper and "ema_decay" not in paper  # WGANGP()'s: 5, one lr
    wgan_gp = speed.select_cases(["wgan_gp_fmnist"])  # a recipe's settings, the paper's last
    assert wgan_gp[0] == "wgan_gp_fmnist-fp32" and wgan_gp[-1] == "wgan_gp_fmnist-paper_fp32"
    assert all(c.endswith("-zoo") for c in speed.select_cases(["zoo"]))


@pytest.mark.parametrize("recipe", ["cgan_fmnist", "wgan_gp_fmnist"])
def test_speed_plain_loop_does_ganzoos_math(tmp_path, recipe):
    """The plain loop that ganzoo is timed against computes what ganzoo computes: from the same networks, batches and
    RNG state, two generator iterations leave the same generator, critic and EMA (bitwise). The zoo setting where
    the recipe has one: bf16 autocast with the penalty, channels-last, labels, spectral norm, critic lr, EMA ramp."""
    import contextlib
    import os

    import lightning as L
    import torch

    from bench.perf import speed

    case = f"{recipe}-zoo" if f"{recipe}-zoo" in speed.CASES else f"{recipe}-fp32"
    cpu = torch.device("cpu")
    cfg = speed.recipe(case, torch.device("cuda"))  # as written (bf16 where it says so), even on a CPU whose zoo
    # rows run fp32 for speed (no bf16 instructions): this is about the math, which runs on the CPU below
    torch.manual_seed(0)
    module = speed.build_module(cfg)
    speed.steady_state(module)
    module.max_gen_iters, module.export_dir = 2, None  # no export: it would recompute the EMA's batch-norm statistics
    plain = speed.PlainLoop(cfg, module, cpu)
    plain.next_batch = speed.TensorBatches(tuple(module.output_shape), cfg["data"]["init_args"]["batch_size"], cpu,
                                           num_classes=module.num_classes).next  # the batches ganzoo is given

    class Seed(L.Callback):  # after Lightning's own draws (the data loader's seed)
        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
            if batch_idx == 0:
                torch.manual_seed(1)

    trainer = speed.ganzoo_trainer(tmp_path, cfg, cpu, Seed())
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull), contextlib.redirect_stderr(devnull):
        trainer.fit(module, datamodule=speed.make_datamodule(cfg, module, cpu))
    torch.manual_seed(1)
    for _ in range(2):
        plain.iteration()
    assert (module.gen_iters, module.critic_iters) == (plain.gen_iters, plain.critic_iters)
    pairs = [(module.generator, plain.G), (module.critic, plain.D)]
    if module.generator_ema is not None:
        pairs.append((module.generator_ema, plain.ema))
    for ours, theirs in pairs:
        a, b = ours.state_dict(), theirs.state_dict()
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a), case


def test_step_clock_times_every_training_step_and_the_fit_row_reads_it(tmp_path):
    """``bench/perf/speed.py``'s fit part: the callback counts and times each ``training_step`` of a real fit, and the
    table row shows the share of the wall time outside the steps (the 1-epoch DCGAN fit itself is too long here)."""
    import json

    import lightning as L
    import torch
    from conftest import quiet_trainer

    import ganzoo
    from bench.perf import speed
    from bench.perf.callbacks import StepClock
    from ganzoo.data import Toy2DDataModule

    L.seed_everything(0)
    path = tmp_path / "clock.json"
    model = ganzoo.WGANGP(hidden_dim=16, n_layers=2, n_critic=5, max_gen_iters=3)
    quiet_trainer(tmp_path, callbacks=[StepClock(str(path))]).fit(model, Toy2DDataModule(batch_size=32))
    c = json.loads(path.read_text())
    assert c["steps"] == 15 and 0 < c["steps_s"] < c["train_end"] - c["first_step"]
    fit = {"recipe": "recipes/dcgan/fashion_mnist.yaml", "wall_s": 100.0, "steps": 937, "steps_s": 80.0,
           "startup_s": 5.0, "between_steps_s": 6.0, "in_training_eval_s": 3.0, "in_training_evals": 2,
           "after_training_s": 9.0, "outside_fraction": 0.2}
    res = {"device": speed.device_info(torch.device("cpu")), "torch": torch.__version__, "training": {},
           "sampling": {}, "fit": fit}
    row = speed.table(res).splitlines()[-1]
    assert row.startswith("| `ganzoo fit --config recipes/dcgan/fashion_mnist.yaml --trainer.max_epochs 1`")
    assert "| 100.0 | 80.0 | 20% outside |" in row and "after training 9.0 s" in row


# ---------------------------------------------------------------------------------------------- host syncs
class HostSyncs:
    """Records the ops that read a tensor's value on the host (``.item()``, ``bool(t)``, ``nonzero``, ``equal``)
    while ``on``: on a GPU each one waits for the device to finish its queue, which stalls a launch-bound step.
    On the CPU they cost nothing, so this is how a CPU test sees a GPU stall. Not seen: ``.tolist()`` and
    ``.cpu()``, which on a CPU tensor do not dispatch. Skipped, as reads of tensors that stay on the host on a GPU
    too (on the CPU every tensor is a host tensor, so the test tells them apart by where they are read): the
    label range check, made for CPU tensors only (``check_labels``), CycleGAN's image pool, which draws its
    swaps from a CPU generator (``ImagePool.query``), the data pipeline (``torch/utils/data``) and the step
    counter of torch's non-fused optimizers (``torch/optim``)."""

    HOST_FUNCTIONS = ("check_labels", "query")
    HOST_FILES = (("torch", "optim"), ("torch", "utils", "data"))

    OPS = ("aten._local_scalar_dense", "aten.nonzero", "aten.is_nonzero", "aten.equal")

    def __init__(self):
        from torch.utils._python_dispatch import TorchDispatchMode

        outer = self

        class Mode(TorchDispatchMode):
            def __torch_dispatch__(self, func, types, args=(), kwargs=None):
                if outer.on and str(func).rsplit(".", 1)[0] in outer.OPS:
                    outer.record(str(func))
                return func(*args, **(kwargs or {}))

        self.mode, self.on, self.found = Mode(), False, []

    def record(self, op: str) -> None:
        import os
        import traceback

        stack = traceback.extract_stack()[:-3]
        files = [os.sep.join(parts) + os.sep for parts in self.HOST_FILES]
        if any(f.name in self.HOST_FUNCTIONS or any(d in f.filename for d in files) for f in stack):
            return
        mine = [f for f in stack if "ganzoo" in f.filename or "lightning" in f.filename][-4:]
        self.found.append(f"{op} at " + " < ".join(f"{os.path.basename(f.filename)}:{f.lineno}" for f in mine[::-1]))


@pytest.mark.parametrize("name", variant_names())
def test_training_steps_never_read_a_device_value_between_log_flushes(tmp_path, name):
    """Every variant's training steps (after the first) run without a host sync, with ganzoo's progress bar on:
    the divergence guard and the loggers read the device once per ``log_every_n_steps`` critic steps, at the
    flush (here: never, as the flush interval is longer than the run)."""
    import lightning as L
    from variant_cases import case

    from ganzoo.training.progress import GeneratorIterationBar

    syncs = HostSyncs()

    class Between(L.Callback):
        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
            syncs.on = batch_idx >= 1  # the first step creates the optimizers' state

        def on_train_epoch_end(self, trainer, pl_module):  # before the module's own hook flushes the logs
            syncs.on = False

    c = case(name)
    m = c.build()
    trainer = L.Trainer(accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                        enable_model_summary=False, default_root_dir=str(tmp_path), max_epochs=1,
                        limit_train_batches=6, log_every_n_steps=1000, callbacks=[GeneratorIterationBar(), Between()])
    with syncs.mode:
        trainer.fit(m, c.data())
    assert m.critic_iters >= 5
    assert not syncs.found, "\n".join(syncs.found)
