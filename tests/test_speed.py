"""Start-up and speed plumbing: ``import ganzoo`` stays light; ``bench/speed.py`` runs end to end (quick)."""

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
    """``bench/speed.py``'s pieces run end to end (tiny budgets; the numbers themselves are not checked)."""
    import importlib.util
    from pathlib import Path

    import torch

    path = Path(__file__).resolve().parents[1] / "bench" / "speed.py"
    spec = importlib.util.spec_from_file_location("speed_bench", path)
    speed = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(speed)
    cpu = torch.device("cpu")
    r = speed.bench_training("wgan_gp_8gaussians", cpu, seg=2, pairs=2, warmup=1, workdir=tmp_path)
    assert r["segments"] == 2 and r["generator_iterations"] == 5 and r["ganzoo_ms"] > 0 and r["plain_ms"] > 0
    from ganzoo.nets import MLPGenerator

    s = speed.bench_sampling("mlp", MLPGenerator(hidden_dim=8), 64, 16, cpu, reps=2)
    assert s["speed_ratio"] > 0 and not s["plain_includes_cpu_copy"]
    # the ops part: with the same (fused) Adam, ganzoo's step computes what the plain loop computes, plus a few
    # small ops per step (the log vector, the EMA's mask, the guard's flag): on a GPU no more kernel launches
    ops = speed.bench_ops("wgan_gp_8gaussians", cpu, iters=1, workdir=tmp_path, plain_fused=True)
    assert ops["plain_ops"] > 500 and 1.0 <= ops["ratio"] < 1.1, ops
    res = {"device": speed.device_info(cpu), "torch": torch.__version__, "quick": True,
           "training": {"wgan_gp_8gaussians": r, "dcgan_fmnist": {"error": "RuntimeError: boom"}},
           "ops": {"wgan_gp_8gaussians": ops}, "sampling": {"mlp": s}, "import": {}}
    text = speed.table(res)
    assert "| training `recipes/wgan_gp/8gaussians.yaml`" in text and "failed: RuntimeError: boom" in text
    assert "(plain loop with fused Adam too), torch ops per generator iteration" in text


def test_step_clock_times_every_training_step_and_the_fit_row_reads_it(tmp_path):
    """``bench/speed.py``'s fit part: the callback counts and times each ``training_step`` of a real fit, and the
    table row shows the share of the wall time outside the steps (the 1-epoch DCGAN fit itself is too long here)."""
    import importlib.util
    import json
    import sys
    from pathlib import Path

    import lightning as L
    import torch
    from conftest import quiet_trainer

    import ganzoo
    from ganzoo.data import Toy2DDataModule

    bench = Path(__file__).resolve().parents[1] / "bench"
    sys.path.insert(0, str(bench))
    try:
        from _first_step import StepClock
    finally:
        sys.path.remove(str(bench))
    L.seed_everything(0)
    path = tmp_path / "clock.json"
    model = ganzoo.WGANGP(hidden_dim=16, n_layers=2, n_critic=5, max_gen_iters=3)
    quiet_trainer(tmp_path, callbacks=[StepClock(str(path))]).fit(model, Toy2DDataModule(batch_size=32))
    c = json.loads(path.read_text())
    assert c["steps"] == 15 and 0 < c["steps_s"] < c["train_end"] - c["first_step"]
    spec = importlib.util.spec_from_file_location("speed_bench", bench / "speed.py")
    speed = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(speed)
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
