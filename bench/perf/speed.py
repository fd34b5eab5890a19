"""Speed of ganzoo against a plain PyTorch loop doing the same work, measured alternately in one process.

    python -m bench.perf.speed --device cpu --threads 2 --clock wall --out bench/results/speed_cpu.json [--readme]
    python -m bench.perf.speed --device cpu --quick --cases wgan_gp_fmnist --skip ops sampling import startup fit
    python -m bench.perf.speed --device cuda --out bench/results/speed_cuda.json

Parts (each wrapped: a failure is recorded in the JSON and the table, the rest still runs; the JSON is written
after every part):

* **training**: every ``recipes/*/fashion_mnist.yaml`` whose model is a latent GAN (found from the files and the
  model classes, not a hand-kept list), each in two settings: **fp32** (the recipe with ``precision: 32-true`` and
  ``channels_last: false``) and **zoo** (the recipe as written: its precision, channels-last, ``n_critic``, ``d_lr``,
  EMA; only where it sets bf16 or channels-last, else it is the fp32 row; on a CPU without bf16 instructions in fp32,
  as ``bench/zoo/make_entry.py`` trains it there); the paper's WGAN-GP schedule in fp32
  (``bench/perf/recipes/wgan_gp_paper.yaml``: the recipe as it was at commit ``3b0cb96``, ``n_critic`` 5, one
  learning rate), against which the zoo's WGAN-GP iteration is compared; and ``recipes/wgan_gp/8gaussians.yaml`` as
  written. The settings are read from the recipe files at run time. ganzoo runs the recipe's module under
  ``lightning.Trainer`` at the recipe's precision with every feature on (divergence guard, log buffer with CSV and
  TensorBoard loggers, EMA where the recipe has it, counters, ganzoo's progress bar; not the recipe's checkpoint and
  evaluation callbacks). The plain loop (:class:`PlainLoop`) does the same math by hand, without Lightning: copies of
  ganzoo's initial networks and its objective and constraint objects, ``zero_grad`` / ``backward`` / ``step`` with
  torch's optimizers built from the same specs (fused Adam), ``torch.autocast`` bf16 around the whole iteration when
  the recipe says ``bf16-mixed`` (as Lightning does), channels-last batches, the recipe's ``n_critic`` and critic
  learning rate, the critic frozen during the generator step, the EMA as one ``torch._foreach_lerp_``. Both draw
  batches the same way (images: slices of a shuffled tensor of random values in [-1, 1] on the device, with random
  labels for a conditional model: the step time does not depend on them; 2-D: the recipe's ``ToySampler``). The WGAN
  warm-up schedule (100 critic steps on the first 25 generator iterations) is turned off for both: the rows are the
  steady state. The plain loop warms up first (at least ``--warmup`` iterations and a few seconds), which sizes the
  segments (about ``--seg_s`` seconds each); ganzoo warms up as many iterations; then a timing callback runs a
  segment of the plain loop after every segment of ganzoo, so the two alternate in one process. Per pair of segments
  the ratio ganzoo / plain; the table shows medians (ms per generator iteration, device synchronised at segment ends;
  torch threads set again after ganzoo's set-up, which gives a CPU process its cores).
* **ops**: the torch operations that compute (ATen calls, forward and backward; views aside) per generator
  iteration of each training case, ganzoo against the plain loop (``bench_ops``). On a GPU each one is at least
  one kernel launch, so equal counts mean that what ganzoo adds to a step is host-side Python, not device work.
* **sampling**: ``ganzoo.sample`` against ``G(torch.randn(...))`` batch by batch (``+ .cpu()`` when the device is
  not the CPU), alternated, for the DCGAN generator (batch 1000) and the 2-D generator (batch 1000 and 10000).
* **import**: ``import torch`` and ``import ganzoo`` in fresh processes, alternated.
* **startup**: ``ganzoo fit`` of the 2-D recipe from the shell to its first training step.
* **fit**: the README's 1-epoch DCGAN fit from the shell to its exit, and the share of its wall time spent outside
  the training steps (``bench_fit``).

``--cases`` picks training (and ops) cases by name (``dcgan_fmnist-zoo``), by recipe (``dcgan_fmnist``: its
settings) or by setting (``zoo``, ``fp32``, ``paper_fp32``).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import dataclasses
import functools
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, NamedTuple

import torch
import yaml

from bench.common import RESULTS_DIR, ROOT, cpu_name, fill_table, stamp
from ganzoo.constraints import reusing_witness
from ganzoo.hardware import cpu_precision
from ganzoo.objectives import Objective, scalar

TOY_RECIPE = "recipes/wgan_gp/8gaussians.yaml"  # the 2-D case, and the start-up part's fit
FIT_RECIPE = "recipes/dcgan/fashion_mnist.yaml"  # the fit part's 1-epoch demo
# the paper's schedule in fp32, before the zoo's: (commit, the recipe as it was at that commit, its pinned copy)
PAPER_WGAN_GP = ("3b0cb96", "recipes/wgan_gp/fashion_mnist.yaml", "bench/perf/recipes/wgan_gp_paper.yaml")
CALLBACKS = "bench.perf.callbacks"  # the start-up and fit parts' timing callbacks (``--trainer.callbacks+=``)


# ---------------------------------------------------------------------------------------------- cases
class Case(NamedTuple):
    """A training case: a recipe file in a setting: ``fp32`` (precision 32-true, channels-last off, the rest as
    written), ``zoo`` or ``recipe`` (as written). A pinned case is the recipe as it was at ``commit``, read from the
    copy ``pinned`` (a file of the repository)."""

    recipe: str
    setting: str
    commit: str | None = None
    pinned: str | None = None

    @property
    def source(self) -> str:
        return f"{self.recipe} at {self.commit}" if self.commit else self.recipe


def model_class(cfg: dict[str, Any]) -> type:
    mod, _, name = cfg["model"]["class_path"].rpartition(".")
    return getattr(importlib.import_module(mod), name)


def fp32_precision(precision: Any) -> bool:
    return str(precision) in ("32", "32-true")


def zoo_speed_settings(cfg: dict[str, Any]) -> bool:
    """Does the recipe as written differ from its fp32 setting (a lower precision or channels-last)?"""
    precision = (cfg.get("trainer") or {}).get("precision", "32-true")
    return not fp32_precision(precision) or bool(cfg["model"].get("init_args", {}).get("channels_last"))


def find_cases() -> dict[str, Case]:
    """Every Fashion-MNIST recipe of a latent GAN in its settings (the paper's WGAN-GP after the recipe's own
    rows), then the 2-D WGAN-GP recipe."""
    from ganzoo.training import LatentGAN

    cases: dict[str, Case] = {}
    for path in sorted(ROOT.glob("recipes/*/fashion_mnist.yaml")):
        cfg = yaml.safe_load(path.read_text())
        if not issubclass(model_class(cfg), LatentGAN):
            continue
        rel, name = path.relative_to(ROOT).as_posix(), f"{path.parent.name}_fmnist"
        cases[f"{name}-fp32"] = Case(rel, "fp32")
        if zoo_speed_settings(cfg):
            cases[f"{name}-zoo"] = Case(rel, "zoo")
        if rel == PAPER_WGAN_GP[1]:
            cases[f"{name}-paper_fp32"] = Case(rel, "fp32", PAPER_WGAN_GP[0], PAPER_WGAN_GP[2])
    cases["wgan_gp_8gaussians"] = Case(TOY_RECIPE, "recipe")
    return cases


CASES = find_cases()


def select_cases(patterns: list[str]) -> list[str]:
    """The cases named by ``patterns``: a case's name, its recipe part (before ``-``) or its setting part."""
    picked = []
    for p in patterns:
        found = [c for c in CASES if p in (c, c.split("-")[0], c.partition("-")[2])]
        if not found:
            raise SystemExit(f"--cases: {p!r} names no case; the cases: {', '.join(CASES)}")
        picked += [c for c in found if c not in picked]
    return [c for c in CASES if c in picked]


# ---------------------------------------------------------------------------------------------- helpers
CLOCK = time.perf_counter  # --clock cpu: time.process_time (CPU time of this process, robust on a shared machine)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def recipe(case: str, device: torch.device) -> dict[str, Any]:
    """The case's recipe in its setting on ``device`` (the zoo setting on a CPU: at the precision the zoo builds use
    there, :func:`~ganzoo.hardware.cpu_precision`)."""
    c = CASES[case]
    cfg = yaml.safe_load((ROOT / (c.pinned or c.recipe)).read_text())
    if c.setting == "fp32":
        cfg["trainer"] = {**(cfg.get("trainer") or {}), "precision": "32-true"}
        cfg["model"]["init_args"] = {**cfg["model"].get("init_args", {}), "channels_last": False}
    elif c.setting == "zoo" and device.type == "cpu":
        cfg["trainer"] = {**(cfg.get("trainer") or {}), "precision": cpu_precision(precision_of(cfg))}
    return cfg


def precision_of(cfg: dict[str, Any]) -> str:
    return str((cfg.get("trainer") or {}).get("precision", "32-true"))


def build_module(cfg: dict[str, Any]):
    return model_class(cfg)(**cfg["model"].get("init_args", {}))


def steady_state(module) -> bool:
    """Turn the WGAN warm-up schedule off (100 critic steps a generator iteration for the first 25 and every 500th):
    the rows time the steady state. Whether it was on."""
    if module.schedule.warmup is None:
        return False
    module.schedule = dataclasses.replace(module.schedule, warmup=None)
    return True


def describe(cfg: dict[str, Any], module, warmup_off: bool) -> str:
    """The setting in words: precision, memory format, schedule, learning rates, EMA."""
    precision = precision_of(cfg)
    parts = ["fp32" if fp32_precision(precision) else precision]
    if module.channels_last:
        parts.append("channels-last")
    parts.append(f"n_critic {module.schedule.n_critic}" + (" (WGAN warm-up off)" if warmup_off else ""))
    if module.schedule.lazy_every > 1:
        parts.append(f"penalty every {module.schedule.lazy_every} critic steps")
    g, d = module.g_spec, module.d_spec
    parts.append(f"{g.name} lr {g.lr:g}" + (f", critic {d.lr:g}" if d.lr != g.lr else ""))
    if module.lr_schedule != "constant":
        parts.append(f"{module.lr_schedule} lr decay")
    if module.generator_ema is not None:
        parts.append("EMA" + (" with warm-up" if module.ema_rampup else ""))
    return ", ".join(parts)


class TensorBatches:
    """Endless batches: slices of a shuffled tensor of random images in [-1, 1] on ``device``; with ``num_classes``
    batches of (images, random labels)."""

    def __init__(self, shape: tuple[int, ...], batch_size: int, device: torch.device, n: int = 4096, seed: int = 0,
                 num_classes: int = 0):
        g = torch.Generator().manual_seed(seed)
        self.data = (torch.rand((n, *shape), generator=g) * 2 - 1).to(device)
        self.labels = torch.randint(num_classes, (n,), generator=g).to(device) if num_classes else None
        self.batch_size, self.i = batch_size, 0

    def next(self):
        if self.i + self.batch_size > len(self.data):
            self.i = 0
        s = slice(self.i, self.i + self.batch_size)
        self.i += self.batch_size
        return self.data[s] if self.labels is None else (self.data[s], self.labels[s])


def is_toy(cfg: dict[str, Any]) -> bool:
    return cfg["data"]["class_path"].endswith("Toy2DDataModule")


def make_datamodule(cfg: dict[str, Any], module, device: torch.device):
    import lightning as L
    from torch.utils.data import DataLoader, IterableDataset

    init = cfg["data"].get("init_args", {})
    if is_toy(cfg):
        from ganzoo.data import Toy2DDataModule

        return Toy2DDataModule(**init)

    batches = TensorBatches(tuple(module.output_shape), init.get("batch_size", 64), device,
                            num_classes=module.num_classes)

    class Stream(IterableDataset):
        def __iter__(self):
            while True:
                yield batches.next()

    class TensorDataModule(L.LightningDataModule):
        data_shape = tuple(module.output_shape)
        num_classes = module.num_classes

        def train_dataloader(self):
            return DataLoader(Stream(), batch_size=None, num_workers=0)

    return TensorDataModule()


# ---------------------------------------------------------------------------------------------- the plain loop
class PlainLoop:
    """ganzoo's math at the recipe's settings, hand-written without Lightning: copies of the module's initial networks
    (and of its EMA copy), its objective and constraint objects and schedule, torch's optimizers built from the
    module's specs (fused Adam, like ``OptimizerSpec``), one ``torch.autocast`` around the iteration under
    ``bf16-mixed`` (Lightning's: cache off), channels-last real batches where the module has channels-last networks,
    the critic frozen during the generator step, the EMA as one ``torch._foreach_lerp_`` (with the warm-up's decay)
    and the batch-norm buffers copied. Not done: logging, the divergence guard and its masks, Lightning's hooks."""

    def __init__(self, cfg: dict[str, Any], module, device: torch.device):
        from ganzoo.training.ema import ema_decay_at

        self.device = device
        self.G = copy.deepcopy(module.generator).to(device).train()
        self.D = copy.deepcopy(module.critic).to(device).train()
        self.objective, self.constraints, self.schedule = module.objective, module.constraints, module.schedule
        self.channels_last = module.channels_last
        self.opt_g, self.opt_d = module.g_spec.build(self.G.parameters()), module.d_spec.build(self.D.parameters())
        self.scheds = []
        if module.lr_schedule != "constant":  # linear or cosine, and Adam's beta2 along it (beta2_end)
            self.scheds = [torch.optim.lr_scheduler.LambdaLR(o, module.lr_lambda()) for o in (self.opt_g, self.opt_d)]
        self.set_beta2 = functools.partial(module.set_beta2, (self.opt_g, self.opt_d))
        self.max_gen_iters = module.max_gen_iters
        self.ema = copy.deepcopy(module.generator_ema).to(device) if module.generator_ema is not None else None
        if self.ema is not None:
            rampup, decay = module.ema_rampup, module.ema_decay
            self.ema_decay = (lambda t: decay) if rampup is None else (lambda t: ema_decay_at(decay, rampup, t))
            self.ema_params, self.g_params = list(self.ema.parameters()), list(self.G.parameters())
            self.ema_buffers = list(zip(self.ema.buffers(), self.G.buffers(), strict=True))
        precision = precision_of(cfg)
        if precision == "bf16-mixed":
            self.autocast = functools.partial(torch.autocast, device.type, dtype=torch.bfloat16, cache_enabled=False)
        elif fp32_precision(precision):
            self.autocast = contextlib.nullcontext
        else:
            raise ValueError(f"the plain loop runs precision 32-true or bf16-mixed, not {precision!r}")
        init = cfg["data"].get("init_args", {})
        if is_toy(cfg):
            from ganzoo.data.toy2d import ToySampler

            sampler = ToySampler(init.get("dataset", "8gaussians"), init.get("seed", 0))
            bs = init.get("batch_size", 256)
            self.next_batch = lambda: sampler.sample(bs).to(device)
        else:
            self.next_batch = TensorBatches(tuple(module.output_shape), init.get("batch_size", 64), device, seed=1,
                                            num_classes=module.num_classes).next
        self.gen_iters = self.critic_iters = 0

    def batch(self):
        b = self.next_batch()
        real, labels = b if isinstance(b, tuple) else (b, None)
        if self.channels_last and real.dim() == 4:
            real = real.contiguous(memory_format=torch.channels_last)
        return real, labels

    def fake(self, n: int, labels):
        z = self.G.sample_latent(n, device=self.device)
        return self.G(z) if labels is None else self.G(z, labels)

    def iteration(self) -> None:
        """One generator iteration: the schedule's critic steps, then the generator step (and the EMA)."""
        with self.autocast():
            for _ in range(self.schedule.critic_steps(self.gen_iters)):
                real, labels = self.batch()
                self.critic_step(real, labels)
            self.generator_step(real, labels)

    def critic_step(self, real, labels) -> None:
        obj, n = self.objective, real.shape[0]
        D = self.D if labels is None else functools.partial(self.D, labels=labels)
        with torch.no_grad():
            fakes = [self.fake(n, labels) for _ in range(obj.n_fake_batches)]
        factor = self.schedule.penalty_factor(self.critic_iters, self.gen_iters, self.max_gen_iters)
        reuse = bool(factor) and any(c.at_samples for c in self.constraints) and (
            type(obj).witness is Objective.witness)  # R1 / R2 at the loss's own samples
        if reuse:
            real = real.detach().float().requires_grad_(True)
            fakes = [fakes[0].detach().float().requires_grad_(True), *fakes[1:]]
        real_out = D(real).float()
        fake_outs = [D(f).float() for f in fakes]
        loss = obj.critic_loss(real_out, fake_outs)
        if factor and self.constraints:
            witness = obj.witness(D, real_out, fake_outs)
            if reuse:
                witness = reusing_witness(witness, [(real, scalar(real_out)), (fakes[0], scalar(fake_outs[0]))])
            for c in self.constraints:
                p = c.penalty(witness, real, fakes[0])
                if p is not None:
                    loss = loss + (p if factor == 1 else factor * p)
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        for c in self.constraints:
            c.after_critic_step(self.D)
        self.critic_iters += 1

    def generator_step(self, real, labels) -> None:
        obj, n = self.objective, real.shape[0]
        self.D.requires_grad_(False)
        D = self.D if labels is None else functools.partial(self.D, labels=labels)
        fakes = [self.fake(n, labels) for _ in range(obj.n_fake_batches)]
        fake_outs = [D(f).float() for f in fakes]
        real_out = D(real).float() if obj.needs_real_for_generator else None
        loss = obj.generator_loss(fake_outs, real_out)
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_g.step()
        self.D.requires_grad_(True)
        for s in self.scheds:
            s.step()
        self.gen_iters += 1
        self.set_beta2(self.gen_iters)
        if self.ema is not None:
            with torch.no_grad():
                torch._foreach_lerp_(self.ema_params, self.g_params, 1.0 - self.ema_decay(self.gen_iters))
                for be, b in self.ema_buffers:
                    be.copy_(b)


# ---------------------------------------------------------------------------------------------- training part
def ganzoo_trainer(root: Path, cfg: dict[str, Any], device: torch.device, callback):
    """The trainer of ``ganzoo fit`` for the recipe ``cfg``: its precision, loggers and progress bar, ``callback``
    (not the recipe's checkpoint and evaluation callbacks)."""
    import lightning as L

    from ganzoo.training.loggers import default_loggers
    from ganzoo.training.progress import GeneratorIterationBar

    return L.Trainer(accelerator=device.type if device.type != "cuda" else "gpu", devices=1, max_epochs=-1,
                     precision=precision_of(cfg), default_root_dir=str(root), logger=default_loggers(str(root)),
                     callbacks=[GeneratorIterationBar(), callback], enable_model_summary=False,
                     log_every_n_steps=(cfg.get("trainer") or {}).get("log_every_n_steps", 50))


def bench_training(case: str, device: torch.device, pairs: int, warmup: int, workdir: Path, seg: int | None = None,
                   seg_s: float = 2.0, warmup_s: float = 0.0, compile: bool = False) -> dict:
    """ganzoo against the plain loop on ``case``: ``pairs`` alternated segments of ``seg`` generator iterations each
    (``None``: about ``seg_s`` seconds of the plain loop), after a warm-up of at least ``warmup`` iterations and
    ``warmup_s`` seconds of the plain loop and as many of ganzoo."""
    import lightning as L

    cfg = recipe(case, device)
    if compile:  # the fast mode; the plain loop stays eager
        cfg["model"].setdefault("init_args", {})["compile"] = True
    torch.manual_seed(0)
    module = build_module(cfg)
    warmup_off = steady_state(module)
    plain = PlainLoop(cfg, module, device)
    threads = torch.get_num_threads()
    times: list[float] = []
    t_end = time.perf_counter() + warmup_s
    while len(times) < warmup or time.perf_counter() < t_end:  # the plain loop's warm-up sizes the segments
        t0 = CLOCK()
        plain.iteration()
        sync(device)
        times.append(CLOCK() - t0)
    warmup = len(times)
    if seg is None:
        seg = max(2, round(seg_s / statistics.median(times[len(times) // 2:])))
    module.max_gen_iters = warmup + seg * pairs
    ganzoo_s: list[float] = []
    plain_s: list[float] = []
    seen_threads: list[int] = []

    class Alternate(L.Callback):
        start: float | None = None
        last = -1

        def on_train_start(self, trainer, pl_module):
            torch.set_num_threads(threads)  # ganzoo's set-up gives a CPU process the cores it may run on

        def on_train_batch_end(self, trainer, pl_module, *args):
            g = pl_module.gen_iters
            if g == self.last:
                return
            self.last = g
            if g == warmup:
                sync(device)
                seen_threads.append(torch.get_num_threads())
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
        trainer.fit(module, datamodule=make_datamodule(cfg, module, device))  # the bar draws into /dev/null
    wall = time.perf_counter() - t0
    ratios = [a / b for a, b in zip(ganzoo_s, plain_s, strict=True)]
    c = CASES[case]
    return {
        "recipe": c.recipe, "commit": c.commit, "setting": c.setting, "settings": describe(cfg, module, warmup_off),
        "compile": compile, "threads": seen_threads[0] if seen_threads else None,
        "generator_iterations": module.gen_iters, "warmup_iterations": warmup, "segments": len(ratios),
        "iters_per_segment": seg,
        "ganzoo_ms": 1e3 * statistics.median(ganzoo_s) / seg, "plain_ms": 1e3 * statistics.median(plain_s) / seg,
        "ratio": statistics.median(ratios), "ratios": ratios, "wall_s": wall,
    }


# ---------------------------------------------------------------------------------------------- ops part
def bench_ops(case: str, device: torch.device, workdir: Path, iters: int = 3) -> dict:
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

    cfg = recipe(case, device)
    torch.manual_seed(0)
    module = build_module(cfg)
    warmup_off = steady_state(module)
    start = 2
    module.max_gen_iters = start + iters
    plain = PlainLoop(cfg, module, device)
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
        trainer.fit(module, datamodule=make_datamodule(cfg, module, device))
    for _ in range(start):
        plain.iteration()
    with theirs:
        theirs.on = True
        for _ in range(iters):
            plain.iteration()
    per_ganzoo = sum(ours.ops.values()) / iters
    per_plain = sum(theirs.ops.values()) / iters
    extra = {k: (ours.ops[k] - theirs.ops[k]) / iters for k in set(ours.ops) | set(theirs.ops)}
    c = CASES[case]
    return {"recipe": c.recipe, "commit": c.commit, "setting": c.setting,
            "settings": describe(cfg, module, warmup_off), "iters": iters, "ganzoo_ops": per_ganzoo,
            "plain_ops": per_plain, "ratio": per_ganzoo / per_plain,
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
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    exe = str(Path(sys.executable).parent / "ganzoo")  # the console script, as a user runs it
    accelerator = "gpu" if device.type == "cuda" else "cpu"

    def fit(tmp: str) -> tuple[float, float]:
        marker = os.path.join(tmp, "first_step")
        cb = json.dumps({"class_path": f"{CALLBACKS}.FirstStep", "init_args": {"path": marker}})
        t0 = time.time()
        subprocess.run([exe, "fit", "--config", str(ROOT / TOY_RECIPE),
                        "--trainer.default_root_dir", os.path.join(tmp, "run"), "--trainer.accelerator", accelerator,
                        "--model.init_args.max_gen_iters", "1", f"--trainer.callbacks+={cb}"],
                       check=True, env=env, capture_output=True, cwd=tmp)
        t2 = time.time()
        return float(Path(marker).read_text()) - t0, t2 - t0

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
    from the shell to its exit, with ``bench.perf.callbacks.StepClock`` timing every ``training_step``: where the
    wall time goes outside the training steps (start-up; between the steps: data, hooks, progress bar and the
    in-training evaluations; after training: the end-of-fit evaluation of 10,000 samples, export, card, figures)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    exe = str(Path(sys.executable).parent / "ganzoo")
    with tempfile.TemporaryDirectory() as tmp:
        clock = os.path.join(tmp, "clock.json")
        cb = json.dumps({"class_path": f"{CALLBACKS}.StepClock", "init_args": {"path": clock}})
        run = os.path.join(tmp, "run")
        t0 = time.time()
        subprocess.run([exe, "fit", "--config", str(ROOT / FIT_RECIPE), "--trainer.max_epochs", "1",
                        "--trainer.default_root_dir", run,
                        "--trainer.accelerator", "gpu" if device.type == "cuda" else "cpu",
                        f"--trainer.callbacks+={cb}"], check=True, env=env, capture_output=True, cwd=tmp)
        wall = time.time() - t0
        c = json.loads(Path(clock).read_text())
        history = json.loads(Path(run, "eval_history.json").read_text())
    between = c["train_end"] - c["first_step"] - c["steps_s"]
    return {"recipe": FIT_RECIPE, "wall_s": wall, "steps": c["steps"], "steps_s": c["steps_s"],
            "startup_s": c["first_step"] - t0, "between_steps_s": between,
            "in_training_eval_s": sum(r.get("seconds", 0.0) for r in history), "in_training_evals": len(history),
            "after_training_s": t0 + wall - c["train_end"], "outside_fraction": 1 - c["steps_s"] / wall}


# ---------------------------------------------------------------------------------------------- table
def ms(x: float) -> str:
    return f"{x:,.1f}" if x >= 100 else f"{x:.2f}"


def source(r: dict) -> str:
    return f"`{r['recipe']}`" + (f" at {r['commit']}" if r.get("commit") else "")


def setting_cell(r: dict) -> str:
    name = {"fp32": "fp32", "zoo": "zoo", "recipe": "as written"}.get(r.get("setting"), r.get("setting", "as written"))
    if r.get("commit"):
        name = "the paper's schedule, fp32"
    return f"{name}: {r['settings']}" if r.get("settings") else name


def training_rows(res: dict) -> list[str]:
    info = res.get("case_info", {})
    rows = ["| training: recipe | setting | ganzoo, ms per generator iteration | plain loop, ms | ganzoo / plain | "
            "segments |", "|---|---|---|---|---|---|"]
    for case, r in res["training"].items():
        if "error" in r:
            meta = info.get(case.split("+")[0], {"recipe": case})
            rows.append(f"| {source(meta)} | {setting_cell(meta)} | failed: {r['error']} | | | |")
            continue
        fast = ", `compile: true` (plain loop eager)" if r.get("compile") else ""
        rows.append(f"| {source(r)} | {setting_cell(r)}{fast} | {ms(r['ganzoo_ms'])} | {ms(r['plain_ms'])} | "
                    f"{r['ratio']:.2f}x | {r['segments']} x {r['iters_per_segment']} |")
    missing = [c for c in res.get("cases", []) if c not in res["training"]]
    # a run stopped by its time limit (the JSON is written after every part), not a part skipped on purpose
    if missing and "training" not in res.get("skip", []):
        rows.append(f"| {', '.join(f'`{c}`' for c in missing)} | | not measured: the run was stopped before these "
                    "cases | | | |")
    rows += ["", *paper_lines(res)]
    return rows


def paper_lines(res: dict) -> list[str]:
    """The zoo's iteration against the paper's schedule in fp32, for each recipe that has both rows."""
    lines = []
    done = [r for r in res["training"].values() if "error" not in r and not r.get("compile")]
    for paper in (r for r in done if r.get("commit")):
        zoos = [r for r in done if r["recipe"] == paper["recipe"] and r.get("setting") == "zoo" and not r.get("commit")]
        for zoo in zoos:
            lines.append(f"The zoo's `{zoo['recipe']}` iteration ({zoo['settings']}) takes {ms(zoo['ganzoo_ms'])} ms "
                         f"in ganzoo against {ms(paper['ganzoo_ms'])} ms for the paper's schedule in fp32 "
                         f"({paper['settings']}; the recipe at {paper['commit']}): "
                         f"{paper['ganzoo_ms'] / zoo['ganzoo_ms']:.1f}x cheaper (plain loops: "
                         f"{paper['plain_ms'] / zoo['plain_ms']:.1f}x).")
    return lines + [""] if lines else lines


def table(res: dict) -> str:
    dev = res["device"]
    clock = ("CPU time of the process" if res.get("clock") == "cpu" else "wall time")
    rows = [f"Measured by `python -m bench.perf.speed {res.get('command', '')}` on {dev['name']} "
            f"(PyTorch {res['torch']}, Lightning {res.get('lightning', '?')}; {clock}, "
            f"{res.get('threads')} torch threads).", ""]
    if res["training"]:
        rows += training_rows(res)
    head = len(rows)
    for case, r in res.get("ops", {}).items():
        if "error" in r:
            rows.append(f"| ops `{case}` | failed: {r['error']} | | |")
            continue
        setting = f" ({setting_cell(r)})" if r.get("settings") else ""
        rows.append(f"| {source(r)}{setting}, torch ops per generator iteration (views aside; on a GPU, a kernel "
                    f"launch or more each) | {r['ganzoo_ops']:,.0f} | {r['plain_ops']:,.0f} | {r['ratio']:.2f}x |")
    for key, r in res["sampling"].items():
        if "error" in r:
            rows.append(f"| sampling {key} | failed: {r['error']} | | |")
            continue
        plain = "`G(randn)`" + (" + `.cpu()`" if r["plain_includes_cpu_copy"] else "")
        rows.append(f"| `ganzoo.sample` {r['model']}, n={r['n']}, batch {r['batch_size']}, samples/s (vs {plain}) | "
                    f"{r['ganzoo_per_s']:,.0f} | {r['plain_per_s']:,.0f} | {r['speed_ratio']:.2f}x speed |")
    parts = {
        "import": lambda p: (f"| `import ganzoo` vs `import torch`, s (fresh processes, median) | "
                             f"{p['import_ganzoo_s']:.2f} | {p['import_torch_s']:.2f} | +{p['extra_s']:.2f} s |"),
        "startup": lambda p: (f"| `ganzoo fit --config {TOY_RECIPE}`: shell to the first training "
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
    if len(rows) > head:
        rows[head:head] = ["| what | ganzoo | plain loop | ratio |", "|---|---|---|---|"]
    return "\n".join(rows).rstrip()


def device_info(device: torch.device) -> dict:
    if device.type == "cuda":
        return {"type": "cuda", "name": torch.cuda.get_device_name(device)}
    return {"type": "cpu", "name": f"a {os.cpu_count()}-core CPU ({cpu_name()})"}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu", choices=["cpu", "cuda"])
    p.add_argument("--out", default=None, help="JSON file (default bench/results/speed_<device>.json)")
    p.add_argument("--from_json", default=None,
                   help="print (and with --readme, fill) the table of an earlier run's JSON, e.g. one stopped early")
    p.add_argument("--quick", action="store_true", help="fewer and shorter segments")
    p.add_argument("--cases", nargs="*", default=list(CASES), metavar="CASE",
                   help=f"training and ops cases, by name, recipe or setting (default: all): {', '.join(CASES)}")
    p.add_argument("--pairs", type=int, default=None, help="alternated segment pairs per case (default 11; quick 5)")
    p.add_argument("--seg_s", type=float, default=None,
                   help="seconds of the plain loop per segment (default 2; quick 0.5)")
    p.add_argument("--warmup", type=int, default=None,
                   help="warm-up generator iterations, at least (default 10; quick 3; also at least 3 s, quick 1 s)")
    p.add_argument("--skip", nargs="*", default=[], choices=["training", "ops", "sampling", "import", "startup",
                                                                        "fit"])
    p.add_argument("--compile", action="store_true",
                   help="also time each training case in the fast mode (compile: true) against the eager plain loop")
    p.add_argument("--readme", action="store_true", help="put the table in docs/benchmarks.md (CPU: speed markers)")
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    p.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                   help="cpu: this process's CPU time (for a shared, busy machine with --threads 1)")
    args = p.parse_args()
    if args.from_json:
        res = json.loads(Path(args.from_json).read_text())
        text = table(res)
        print(text)
        if args.readme:
            fill_table("speed" if res["device"]["type"] == "cpu" else "speed-gpu", text)
        return
    cases = select_cases(args.cases)
    from ganzoo.quiet import install

    install()  # Lightning's messages that ganzoo fit silences too
    global CLOCK
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.clock == "cpu":
        CLOCK = time.process_time
    device = torch.device(args.device)
    out = Path(args.out or RESULTS_DIR / f"speed_{device.type}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    import lightning

    res: dict[str, Any] = {"device": device_info(device), "torch": torch.__version__,
                           "lightning": lightning.__version__, "quick": args.quick, "training": {}, "ops": {},
                           "sampling": {}, "import": {}, "startup": {}, "fit": {}, "clock": args.clock,
                           "skip": args.skip, "cases": cases,
                           "case_info": {c: {"recipe": CASES[c].recipe, "commit": CASES[c].commit,
                                             "setting": CASES[c].setting} for c in cases},
                           "threads": torch.get_num_threads(),
                           "command": " ".join(sys.argv[1:]), "stamp": stamp(accelerator=device.type)}

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
    budget = {"pairs": args.pairs or (5 if args.quick else 11),
              "seg_s": args.seg_s or (0.5 if args.quick else 2.0),
              "warmup": args.warmup if args.warmup is not None else (3 if args.quick else 10),
              "warmup_s": 1.0 if args.quick else 3.0}
    with tempfile.TemporaryDirectory() as tmp:
        if "training" not in args.skip:
            for case in cases:
                for fast in (False, True) if args.compile else (False,):
                    attempt(res["training"], case + ("+compile" if fast else ""),
                            lambda case=case, fast=fast: bench_training(case, device, workdir=Path(tmp),
                                                                        compile=fast, **budget))
        if "ops" not in args.skip:
            for case in cases:
                attempt(res["ops"], case, lambda case=case: bench_ops(case, device, Path(tmp)))
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
        fill_table("speed" if not gpu else "speed-gpu", text)


if __name__ == "__main__":
    main()
