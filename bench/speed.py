"""Speed of ganzoo against a plain PyTorch loop doing the same work, measured alternately in one process.

    python bench/speed.py --device cpu --quick --out bench/results/speed_cpu.json [--readme]
    python bench/speed.py --device cuda --out bench/results/speed_cuda.json

Parts (each wrapped: a failure is recorded in the JSON and the table, the rest still runs; the JSON is written
after every part):

* **training**: the networks, losses, penalties and Adam settings of ``recipes/dcgan/fashion_mnist.yaml``,
  ``recipes/wgan_gp/fashion_mnist.yaml`` and ``recipes/wgan_gp/8gaussians.yaml``. ganzoo runs the recipe's module
  under ``lightning.Trainer`` with every feature on (divergence guard, log buffer with CSV and TensorBoard
  loggers, EMA where the recipe has it, counters, ganzoo's progress bar); the plain loop is hand-written
  (``zero_grad`` / ``backward`` / ``step``, the critic frozen during the generator step, the recipe's EMA).
  Both draw batches the same way (images: slices of a shuffled tensor on the device, random values in
  [-1, 1]: the step time does not depend on them; 2-D: the recipe's ``ToySampler``). A timing callback
  runs a segment of the plain loop after every ``--seg`` generator iterations of ganzoo, so the two alternate
  in one process; per pair of segments the ratio ganzoo / plain, and the table shows medians (ms per generator
  iteration, device synchronised at segment ends).
* **ops**: the torch operations that compute (ATen calls, forward and backward; views aside) per generator
  iteration of each training case, ganzoo against the plain loop (``bench_ops``). On a GPU each one is at least
  one kernel launch, so equal counts mean that what ganzoo adds to a step is host-side Python, not device work.
  The count depends on the device only through the plain loop's Adam: torch's default is one op per parameter
  and update term on the CPU, multi-tensor ops on CUDA; ganzoo's fused Adam is one op a step (``--plain_fused``
  gives it to both).
* **sampling**: ``ganzoo.sample`` against ``G(torch.randn(...))`` batch by batch (``+ .cpu()`` when the device is
  not the CPU), alternated, for the DCGAN generator (batch 1000) and the 2-D generator (batch 1000 and 10000).
* **import**: ``import torch`` and ``import ganzoo`` in fresh processes, alternated.
* **startup**: ``ganzoo fit`` of the 2-D recipe from the shell to its first training step.
* **fit**: the README's 1-epoch DCGAN fit from the shell to its exit, and the share of its wall time spent outside
  the training steps (``bench_fit``).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import importlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import yaml  # noqa: E402

CASES = {
    "dcgan_fmnist": "recipes/dcgan/fashion_mnist.yaml",
    "wgan_gp_fmnist": "recipes/wgan_gp/fashion_mnist.yaml",
    "wgan_gp_8gaussians": "recipes/wgan_gp/8gaussians.yaml",
}


# ---------------------------------------------------------------------------------------------- helpers
CLOCK = time.perf_counter  # --clock cpu: time.process_time (CPU time of this process, robust on a shared machine)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def recipe(case: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / CASES[case]).read_text())


def build_module(cfg: dict[str, Any]):
    path = cfg["model"]["class_path"]
    mod, _, name = path.rpartition(".")
    cls = getattr(importlib.import_module(mod), name)
    return cls(**cfg["model"].get("init_args", {}))


class TensorBatches:
    """Endless batches: slices of a shuffled tensor of random images in [-1, 1] on ``device``."""

    def __init__(self, shape: tuple[int, ...], batch_size: int, device: torch.device, n: int = 4096, seed: int = 0):
        g = torch.Generator().manual_seed(seed)
        self.data = (torch.rand((n, *shape), generator=g) * 2 - 1).to(device)
        self.batch_size, self.i = batch_size, 0

    def next(self):
        if self.i + self.batch_size > len(self.data):
            self.i = 0
        b = self.data[self.i: self.i + self.batch_size]
        self.i += self.batch_size
        return b


def make_datamodule(case: str, cfg: dict[str, Any], module, device: torch.device):
    import lightning as L
    from torch.utils.data import DataLoader, IterableDataset

    init = cfg["data"].get("init_args", {})
    if case.endswith("8gaussians"):
        from ganzoo.data import Toy2DDataModule

        return Toy2DDataModule(**init)

    batches = TensorBatches(tuple(module.output_shape), init.get("batch_size", 64), device)

    class Stream(IterableDataset):
        def __iter__(self):
            while True:
                yield batches.next()

    class TensorDataModule(L.LightningDataModule):
        data_shape = tuple(module.output_shape)

        def train_dataloader(self):
            return DataLoader(Stream(), batch_size=None, num_workers=0)

    return TensorDataModule()


# ---------------------------------------------------------------------------------------------- plain loops
class PlainLoop:
    """The hand-written loop: the recipe's networks (copies of ganzoo's initial ones), losses, penalty, Adam, EMA."""

    def __init__(self, case: str, cfg: dict[str, Any], module, device: torch.device, fused: bool = False):
        args = cfg["model"].get("init_args", {})
        self.device = device
        self.G = copy.deepcopy(module.generator).to(device).train()
        self.D = copy.deepcopy(module.critic).to(device).train()
        self.latent_dim = module.generator.latent_dim
        self.wgan = "WGANGP" in cfg["model"]["class_path"]
        if self.wgan:
            lr, betas = args.get("lr", 1e-4), tuple(args.get("betas", (0.0, 0.9)))
            self.n_critic, self.gp = args.get("n_critic", 5), module.constraints[0].weight
        else:
            lr, betas = args.get("lr", 2e-4), tuple(args.get("betas", (0.5, 0.999)))
            self.n_critic, self.gp = args.get("n_critic", 1), 0.0
        # torch's default Adam (what a hand-written loop uses) unless --plain_fused: ganzoo runs the fused one
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=lr, betas=betas, fused=fused or None)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=lr, betas=betas, fused=fused or None)
        self.ema_decay = args.get("ema_decay")
        self.ema = copy.deepcopy(self.G).requires_grad_(False) if self.ema_decay else None
        init = cfg["data"].get("init_args", {})
        if case.endswith("8gaussians"):
            from ganzoo.data.toy2d import ToySampler

            sampler = ToySampler(init.get("dataset", "8gaussians"), init.get("seed", 0))
            bs = init.get("batch_size", 256)
            self.next_batch = lambda: sampler.sample(bs).to(device)
        else:
            self.next_batch = TensorBatches(tuple(module.output_shape), init.get("batch_size", 64), device, seed=1).next

    def d_out(self, x):
        return self.D(x).reshape(x.shape[0])

    def iteration(self) -> None:
        """One generator iteration: ``n_critic`` critic steps, then the generator step (and the EMA)."""
        G, D = self.G, self.D
        for _ in range(self.n_critic):
            real = self.next_batch()
            z = torch.randn(real.shape[0], self.latent_dim, device=self.device)
            with torch.no_grad():
                fake = G(z)
            if self.wgan:
                loss = self.d_out(fake).mean() - self.d_out(real).mean()
                eps = torch.rand((real.shape[0],) + (1,) * (real.dim() - 1), device=self.device)
                x = (eps * real + (1 - eps) * fake).requires_grad_(True)
                (grad,) = torch.autograd.grad(self.d_out(x).sum(), x, create_graph=True)
                loss = loss + self.gp * (grad.reshape(grad.shape[0], -1).norm(2, dim=1) - 1).pow(2).mean()
            else:
                loss = F.softplus(-self.d_out(real)).mean() + F.softplus(self.d_out(fake)).mean()
            self.opt_d.zero_grad(set_to_none=True)
            loss.backward()
            self.opt_d.step()
        D.requires_grad_(False)
        z = torch.randn(real.shape[0], self.latent_dim, device=self.device)
        out = self.d_out(G(z))
        g_loss = -out.mean() if self.wgan else F.softplus(-out).mean()
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_g.step()
        D.requires_grad_(True)
        if self.ema is not None:
            with torch.no_grad():
                for pe, p in zip(self.ema.parameters(), G.parameters()):
                    pe.lerp_(p, 1.0 - self.ema_decay)
                for be, b in zip(self.ema.buffers(), G.buffers()):
                    be.copy_(b)


# ---------------------------------------------------------------------------------------------- training part
def ganzoo_trainer(root: Path, cfg: dict[str, Any], device: torch.device, callback):
    """The trainer of ``ganzoo fit`` for the recipe ``cfg``: its loggers, its progress bar, ``callback``."""
    import lightning as L

    from ganzoo.fit_cli import default_loggers
    from ganzoo.training.progress import GeneratorIterationBar

    return L.Trainer(accelerator=device.type if device.type != "cuda" else "gpu", devices=1, max_epochs=-1,
                     default_root_dir=str(root), logger=default_loggers(str(root)),
                     callbacks=[GeneratorIterationBar(), callback], enable_model_summary=False,
                     log_every_n_steps=cfg.get("trainer", {}).get("log_every_n_steps", 50))


def bench_training(case: str, device: torch.device, seg: int, pairs: int, warmup: int, workdir: Path,
                   compile: bool = False, plain_fused: bool = False) -> dict:
    import lightning as L

    cfg = recipe(case)
    if compile:  # the fast mode; the plain loop stays eager
        cfg["model"].setdefault("init_args", {})["compile"] = True
    torch.manual_seed(0)
    module = build_module(cfg)
    total = warmup + seg * pairs
    module.max_gen_iters = total
    plain = PlainLoop(case, cfg, module, device, fused=plain_fused)
    dm = make_datamodule(case, cfg, module, device)
    ganzoo_s: list[float] = []
    plain_s: list[float] = []

    class Alternate(L.Callback):
        start: float | None = None
        last = -1

        def on_train_batch_end(self, trainer, pl_module, *args):
            g = pl_module.gen_iters
            if g == self.last:
                return
            self.last = g
            if g == warmup:
                for _ in range(warmup):  # the plain loop's own warm-up
                    plain.iteration()
                sync(device)
                self.start = CLOCK()
            elif g > warmup and (g - warmup) % seg == 0:
                sync(device)
                ganzoo_s.append(CLOCK() - self.start)
                t0 = CLOCK()
                for _ in range(seg):
                    plain.iteration()
                sync(device)
                plain_s.append(CLOCK() - t0)
                self.start = CLOCK()

    trainer = ganzoo_trainer(workdir / (case + ("-compile" if compile else "")), cfg, device, Alternate())
    t0 = time.perf_counter()
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull), contextlib.redirect_stderr(devnull):
        trainer.fit(module, datamodule=dm)  # the progress bar draws into /dev/null (its cost is kept)
    wall = time.perf_counter() - t0
    ratios = [a / b for a, b in zip(ganzoo_s, plain_s)]
    return {
        "recipe": CASES[case], "compile": compile, "plain_fused": plain_fused, "generator_iterations": module.gen_iters,
        "segments": len(ratios),
        "iters_per_segment": seg,
        "ganzoo_ms": 1e3 * statistics.median(ganzoo_s) / seg, "plain_ms": 1e3 * statistics.median(plain_s) / seg,
        "ratio": statistics.median(ratios), "ratios": ratios, "wall_s": wall,
    }


# ---------------------------------------------------------------------------------------------- ops part
def bench_ops(case: str, device: torch.device, workdir: Path, iters: int = 3, plain_fused: bool = False) -> dict:
    """ATen operations that compute (views aside) per generator iteration: ganzoo (from generator iteration 2 on,
    with its loggers, progress bar and guard) against the plain loop, each counted over ``iters`` iterations after
    warm-up."""
    import collections

    import lightning as L
    from torch.utils._python_dispatch import TorchDispatchMode

    class Count(TorchDispatchMode):
        def __init__(self):
            super().__init__()
            self.ops: collections.Counter = collections.Counter()
            self.on = False

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            if self.on and computes(func):
                self.ops[str(func)] += 1
            return func(*args, **(kwargs or {}))

    def computes(func) -> bool:  # not a view, a profiler marker or a host-side query (dtype promotion, .item())
        returns = [str(r.type) for r in func._schema.returns]  # in-place multi-tensor ops return nothing
        host_query = bool(returns) and not any("Tensor" in t for t in returns)
        return func.namespace == "aten" and not func.is_view and not host_query

    cfg = recipe(case)
    torch.manual_seed(0)
    module = build_module(cfg)
    start = 2
    module.max_gen_iters = start + iters
    plain = PlainLoop(case, cfg, module, device, fused=plain_fused)
    ours, theirs = Count(), Count()

    class Window(L.Callback):  # the steps of generator iterations start .. start + iters - 1, hooks included
        def on_train_batch_start(self, trainer, pl_module, *args):
            if pl_module.gen_iters == start and pl_module._cycle == 0:
                ours.on = True

        def on_train_batch_end(self, trainer, pl_module, *args):
            if pl_module.gen_iters == start + iters:
                ours.on = False  # before the end-of-training flush, checks and export

    trainer = ganzoo_trainer(workdir / (case + "-ops"), cfg, device, Window())
    with ours, open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull), \
            contextlib.redirect_stderr(devnull):
        trainer.fit(module, datamodule=make_datamodule(case, cfg, module, device))
    for _ in range(start):
        plain.iteration()
    with theirs:
        theirs.on = True
        for _ in range(iters):
            plain.iteration()
    per_ganzoo = sum(ours.ops.values()) / iters
    per_plain = sum(theirs.ops.values()) / iters
    extra = {k: (ours.ops[k] - theirs.ops[k]) / iters for k in set(ours.ops) | set(theirs.ops)}
    return {"recipe": CASES[case], "iters": iters, "plain_fused": plain_fused, "ganzoo_ops": per_ganzoo,
            "plain_ops": per_plain,
            "ratio": per_ganzoo / per_plain,
            "differences": {k: v for k, v in sorted(extra.items(), key=lambda kv: -abs(kv[1])) if v}}


# ---------------------------------------------------------------------------------------------- sampling part
@torch.no_grad()
def bench_sampling(name: str, g, n: int, batch_size: int, device: torch.device, reps: int) -> dict:
    import ganzoo

    g = g.to(device).eval()
    ld = g.latent_dim
    to_cpu = device.type != "cpu"

    def plain():
        out = []
        for s in range(0, n, batch_size):
            x = g(torch.randn(min(batch_size, n - s), ld, device=device))
            out.append(x.cpu() if to_cpu else x)
        sync(device)
        return out

    def ours():
        x = ganzoo.sample(g, n, seed=0, batch_size=batch_size, device=device)
        sync(device)
        return x

    plain()
    ours()
    tp, to, ratios = [], [], []
    for _ in range(reps):
        t0 = CLOCK()
        plain()
        t1 = CLOCK()
        ours()
        t2 = CLOCK()
        tp.append(t1 - t0)
        to.append(t2 - t1)
        ratios.append((t1 - t0) / (t2 - t1))
    return {"model": name, "n": n, "batch_size": batch_size, "plain_per_s": n / statistics.median(tp),
            "ganzoo_per_s": n / statistics.median(to), "speed_ratio": statistics.median(ratios),
            "plain_includes_cpu_copy": to_cpu}


# ---------------------------------------------------------------------------------------------- import part
def bench_import(reps: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}

    def run(code: str) -> float:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True)
        return time.perf_counter() - t0

    run("import torch")
    tt, tg = [], []
    for _ in range(reps):
        tt.append(run("import torch"))
        tg.append(run("import ganzoo"))
    return {"import_torch_s": statistics.median(tt), "import_ganzoo_s": statistics.median(tg),
            "extra_s": statistics.median([g - t for g, t in zip(tg, tt)])}


def bench_startup(reps: int, device: torch.device) -> dict:
    """``ganzoo fit`` from the shell to its first training step (the 8 Gaussians recipe, 1 generator iteration, a
    callback writing the time of the first ``on_train_batch_start``), against ``python -c "import torch"``: what
    Lightning and ganzoo add (imports, config parsing, trainer set-up, data, model, loggers)."""
    paths = [str(ROOT), str(ROOT / "bench"), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    exe = str(Path(sys.executable).parent / "ganzoo")  # the console script, as a user runs it
    accelerator = "gpu" if device.type == "cuda" else "cpu"

    def fit(tmp: str) -> tuple[float, float]:
        stamp = os.path.join(tmp, "first_step")
        cb = json.dumps({"class_path": "_first_step.FirstStep", "init_args": {"path": stamp}})
        t0 = time.time()
        subprocess.run([exe, "fit", "--config", str(ROOT / CASES["wgan_gp_8gaussians"]),
                        "--trainer.default_root_dir", os.path.join(tmp, "run"), "--trainer.accelerator", accelerator,
                        "--model.init_args.max_gen_iters", "1", f"--trainer.callbacks+={cb}"],
                       check=True, env=env, capture_output=True, cwd=tmp)
        t2 = time.time()
        return float(Path(stamp).read_text()) - t0, t2 - t0

    def imports() -> float:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import torch"], check=True, env=env, capture_output=True)
        return time.perf_counter() - t0

    imports()
    first, total, base = [], [], []
    for _ in range(reps):
        with tempfile.TemporaryDirectory() as tmp:
            f, t = fit(tmp)
        first.append(f)
        total.append(t)
        base.append(imports())
    return {"first_step_s": statistics.median(first), "fit_1_iter_s": statistics.median(total),
            "import_torch_s": statistics.median(base)}


def bench_fit(device: torch.device) -> dict:
    """The README's quick demo, ``ganzoo fit --config recipes/dcgan/fashion_mnist.yaml --trainer.max_epochs 1``,
    from the shell to its exit, with ``_first_step.StepClock`` timing every ``training_step``: where the wall time
    goes outside the training steps (start-up; between the steps: data, hooks, progress bar and the in-training
    evaluations; after training: the end-of-fit evaluation of 10,000 samples, export, card, figures)."""
    paths = [str(ROOT), str(ROOT / "bench"), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    exe = str(Path(sys.executable).parent / "ganzoo")
    with tempfile.TemporaryDirectory() as tmp:
        clock = os.path.join(tmp, "clock.json")
        cb = json.dumps({"class_path": "_first_step.StepClock", "init_args": {"path": clock}})
        run = os.path.join(tmp, "run")
        t0 = time.time()
        subprocess.run([exe, "fit", "--config", str(ROOT / CASES["dcgan_fmnist"]), "--trainer.max_epochs", "1",
                        "--trainer.default_root_dir", run,
                        "--trainer.accelerator", "gpu" if device.type == "cuda" else "cpu",
                        f"--trainer.callbacks+={cb}"], check=True, env=env, capture_output=True, cwd=tmp)
        wall = time.time() - t0
        c = json.loads(Path(clock).read_text())
        history = json.loads(Path(run, "eval_history.json").read_text())
    between = c["train_end"] - c["first_step"] - c["steps_s"]
    return {"recipe": CASES["dcgan_fmnist"], "wall_s": wall, "steps": c["steps"], "steps_s": c["steps_s"],
            "startup_s": c["first_step"] - t0, "between_steps_s": between,
            "in_training_eval_s": sum(r.get("seconds", 0.0) for r in history), "in_training_evals": len(history),
            "after_training_s": t0 + wall - c["train_end"], "outside_fraction": 1 - c["steps_s"] / wall}


# ---------------------------------------------------------------------------------------------- table
PLAIN_FUSED = " (plain loop with fused Adam too)"


def table(res: dict) -> str:
    dev = res["device"]
    clock = ("CPU time of the process" if res.get("clock") == "cpu" else "wall time")
    rows = [f"Measured by `python bench/speed.py {res.get('command', '')}` on {dev['name']} (PyTorch {res['torch']}, "
            f"Lightning {res.get('lightning', '?')}; {clock}, {res.get('threads')} torch threads).", "",
            "| what | ganzoo | plain loop | ratio |", "|---|---|---|---|"]
    for case, r in res["training"].items():
        if "error" in r:
            rows.append(f"| training `{CASES[case.split('+')[0]]}` | failed: {r['error']} | | |")
            continue
        fast = " with `compile: true` (plain loop eager)" if r.get("compile") else ""
        fast += PLAIN_FUSED if r.get("plain_fused") else ""
        rows.append(f"| training `{r['recipe']}`{fast}, ms per generator iteration (median of {r['segments']} "
                    "alternated "
                    f"segments of {r['iters_per_segment']}) | {r['ganzoo_ms']:.2f} | {r['plain_ms']:.2f} | "
                    f"{r['ratio']:.2f}x |")
    for case, r in res.get("ops", {}).items():
        if "error" in r:
            rows.append(f"| ops `{CASES[case]}` | failed: {r['error']} | | |")
            continue
        fused = PLAIN_FUSED if r.get("plain_fused") else ""
        rows.append(f"| `{r['recipe']}`{fused}, torch ops per generator iteration (views aside; on a GPU, a kernel "
                    f"launch or more each) | {r['ganzoo_ops']:,.0f} | {r['plain_ops']:,.0f} | {r['ratio']:.2f}x |")
    for key, r in res["sampling"].items():
        if "error" in r:
            rows.append(f"| sampling {key} | failed: {r['error']} | | |")
            continue
        plain = "`G(randn)`" + (" + `.cpu()`" if r["plain_includes_cpu_copy"] else "")
        rows.append(f"| `ganzoo.sample` {r['model']}, n={r['n']}, batch {r['batch_size']}, samples/s (vs {plain}) | "
                    f"{r['ganzoo_per_s']:,.0f} | {r['plain_per_s']:,.0f} | {r['speed_ratio']:.2f}x speed |")
    missing = [CASES[c] for c in res.get("cases", CASES) if c not in res["training"]]
    # a run stopped by its time limit (the JSON is written after every part), not a part skipped on purpose
    if missing and "training" not in res.get("skip", []):
        rows.append(f"| training {', '.join(f'`{m}`' for m in missing)}, sampling | not measured: the run was "
                    "stopped before these parts | | |" if not res["sampling"] else
                    f"| training {', '.join(f'`{m}`' for m in missing)} | not measured | | |")
    parts = {
        "import": lambda p: (f"| `import ganzoo` vs `import torch`, s (fresh processes, median) | "
                             f"{p['import_ganzoo_s']:.2f} | {p['import_torch_s']:.2f} | +{p['extra_s']:.2f} s |"),
        "startup": lambda p: (f"| `ganzoo fit --config {CASES['wgan_gp_8gaussians']}`: shell to the first training "
                              f"step, s (plain: `import torch`; the whole 1-iteration fit with its report: "
                              f"{p['fit_1_iter_s']:.1f} s) | {p['first_step_s']:.2f} | {p['import_torch_s']:.2f} | "
                              f"{p['first_step_s'] - p['import_torch_s']:+.2f} s |"),
        "fit": lambda p: (f"| `ganzoo fit --config {p['recipe']} --trainer.max_epochs 1`, wall s from the shell "
                          f"(plain: its {p['steps']:,} training steps; outside them: start-up {p['startup_s']:.1f} s, "
                          f"between steps {p['between_steps_s']:.1f} s of which {p['in_training_evals']} evaluations "
                          f"{p['in_training_eval_s']:.1f} s, after training {p['after_training_s']:.1f} s) | "
                          f"{p['wall_s']:.1f} | {p['steps_s']:.1f} | {p['outside_fraction']:.0%} outside |"),
    }
    for name, row in parts.items():  # one row a part: its numbers, or why it failed
        part = res.get(name, {})
        if "error" in part:
            rows.append(f"| {name} | failed: {part['error']} | | |")
        elif part:
            rows.append(row(part))
    return "\n".join(rows)


def device_info(device: torch.device) -> dict:
    if device.type == "cuda":
        return {"type": "cuda", "name": torch.cuda.get_device_name(device)}
    return {"type": "cpu", "name": f"a {os.cpu_count()}-core CPU ({platform.processor() or platform.machine()})"}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu", choices=["cpu", "cuda"])
    p.add_argument("--out", default=None, help="JSON file (default bench/results/speed_<device>.json)")
    p.add_argument("--from_json", default=None,
                   help="print (and with --readme, fill) the table of an earlier run's JSON, e.g. one stopped early")
    p.add_argument("--quick", action="store_true", help="fewer and shorter segments (a few minutes on a CPU)")
    p.add_argument("--cases", nargs="*", default=list(CASES), choices=list(CASES))
    p.add_argument("--skip", nargs="*", default=[], choices=["training", "ops", "sampling", "import", "startup",
                                                                        "fit"])
    p.add_argument("--compile", action="store_true",
                   help="also time each training case in the fast mode (compile: true) against the eager plain loop")
    p.add_argument("--plain_fused", action="store_true",
                   help="give the plain loop torch's fused Adam as well (ganzoo's; default: torch's default Adam)")
    p.add_argument("--readme", action="store_true", help="put the table in the README (CPU: speed markers)")
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    p.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                   help="cpu: this process's CPU time (for a shared, busy machine with --threads 1)")
    args = p.parse_args()
    if args.from_json:
        res = json.loads(Path(args.from_json).read_text())
        text = table(res)
        print(text)
        if args.readme:
            from _readme import fill_table

            fill_table("speed" if res["device"]["type"] == "cpu" else "speed-gpu", text)
        return
    global CLOCK
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.clock == "cpu":
        CLOCK = time.process_time
    device = torch.device(args.device)
    out = Path(args.out or ROOT / "bench" / "results" / f"speed_{device.type}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    import lightning

    res: dict[str, Any] = {"device": device_info(device), "torch": torch.__version__,
                           "lightning": lightning.__version__, "quick": args.quick, "training": {}, "ops": {},
                           "sampling": {}, "import": {}, "startup": {}, "fit": {}, "clock": args.clock,
                           "skip": args.skip, "cases": args.cases,
                           "threads": torch.get_num_threads(),
                           "command": " ".join(sys.argv[1:])}

    def save():
        out.write_text(json.dumps(res, indent=2) + "\n")

    def attempt(store: dict, key: str, fn) -> None:
        t0 = time.perf_counter()
        try:
            store[key] = fn()
        except Exception as e:  # noqa: BLE001  (one failing part must not lose the others)
            traceback.print_exc()
            store[key] = {"error": f"{type(e).__name__}: {e}"[:300]}
        print(f"[{key}] {time.perf_counter() - t0:.0f} s: {json.dumps(store[key])[:300]}", flush=True)
        save()

    gpu = device.type == "cuda"
    with tempfile.TemporaryDirectory() as tmp:
        if "training" not in args.skip:
            for case in args.cases:
                toy = case.endswith("8gaussians")
                if args.quick:
                    seg, pairs, warmup = (50, 9, 20) if toy else ((10, 7, 5) if not gpu else (50, 9, 20))
                else:
                    seg, pairs, warmup = (100, 15, 50) if toy else ((20, 11, 10) if not gpu else (100, 15, 50))
                if case == "wgan_gp_fmnist" and not gpu:
                    seg = max(2, seg // 5)  # 5 critic steps per generator iteration
                for fast in (False, True) if args.compile else (False,):
                    attempt(res["training"], case + ("+compile" if fast else ""),
                            lambda case=case, seg=seg, pairs=pairs, warmup=warmup, fast=fast: bench_training(
                                case, device, seg, pairs, warmup, Path(tmp), compile=fast,
                                plain_fused=args.plain_fused))
        if "ops" not in args.skip:
            for case in args.cases:
                attempt(res["ops"], case, lambda case=case: bench_ops(case, device, Path(tmp),
                                                                           plain_fused=args.plain_fused))
    if "sampling" not in args.skip:
        from ganzoo.nets import MLPGenerator
        from ganzoo.registry import build_model

        torch.manual_seed(0)
        dcgan = build_model("dcgan_generator", {"latent_dim": 100, "channels": 1, "resolution": 32, "width": 64})
        mlp = MLPGenerator(latent_dim=2, out_dim=2, hidden_dim=128, n_layers=3)
        reps = 5 if args.quick else 11
        n_img = (2000 if args.quick else 5000) if not gpu else 50000
        attempt(res["sampling"], "dcgan", lambda: bench_sampling("DCGAN generator (F-MNIST recipe)", dcgan, n_img,
                                                                 1000, device, reps))
        for bs in (1000, 10000):
            attempt(res["sampling"], f"mlp_{bs}", lambda bs=bs: bench_sampling(
                "2-D MLP generator (8 Gaussians recipe)", mlp, 20 * bs if not gpu else 100 * bs, bs, device, reps))
    if "import" not in args.skip:
        attempt(res, "import", lambda: bench_import(5 if args.quick else 11))
    if "startup" not in args.skip:
        attempt(res, "startup", lambda: bench_startup(3 if args.quick else 5, device))
    if "fit" not in args.skip:
        attempt(res, "fit", lambda: bench_fit(device))
    text = table(res)
    res["table"] = text
    save()
    print(text)
    if args.readme:
        from _readme import fill_table

        fill_table("speed" if not gpu else "speed-gpu", text)


if __name__ == "__main__":
    main()
