"""Time per generator iteration: 1 process vs 2 DDP processes (gloo, CPU), and the two DDP wrappings.

    python -m bench.perf.ddp_overhead [--iters 300] [--warmup 10] [--hidden 128 512] [--no-readme]

Model: the WGAN-GP 8-Gaussians recipe's networks (MLP, hidden 128, n_critic 5, batch 128 per process).
Runs, one after another in this one invocation so the ratios compare like with like:

* ``1 proc``: one process, one thread;
* ``ddp``: 2 processes, Lightning's whole-module DDP wrapper with ``find_unused_parameters=True``;
* ``ddp_gan``: 2 processes, separate generator and critic DDP wrappers (``GanDDPStrategy``).

Each process uses one thread (the machine this was written on has 2 cores). Every DDP process draws its own
batch of 128, so 2 processes handle twice the samples per generator iteration (weak scaling). The time is
measured on rank 0 between generator iteration ``warmup`` and ``warmup + iters`` (start-up excluded).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.common import RESULTS_DIR, ROOT, fill_table, stamp


def worker(strategy: str, devices: int, iters: int, warmup: int, hidden: int) -> None:
    import lightning as L
    import torch

    import ganzoo
    from ganzoo.data import Toy2DDataModule

    torch.set_num_threads(1)

    class Clock(L.Callback):
        def on_train_batch_end(self, trainer, pl_module, *args):
            if pl_module.gen_iters == warmup and pl_module._cycle == 0:
                self.t0 = time.perf_counter()
            if pl_module.gen_iters == warmup + iters and pl_module._cycle == 0:
                self.t1 = time.perf_counter()

    L.seed_everything(0, verbose=False)
    model = ganzoo.WGANGP(hidden_dim=hidden, constraints=[{"name": "gradient_penalty", "weight": 0.1}],
                          lr=5e-4, betas=(0.5, 0.9), max_gen_iters=warmup + iters)
    model.export_dir = None
    clock = Clock()
    kw = {} if devices == 1 else {"strategy": strategy}
    trainer = L.Trainer(
        accelerator="cpu", devices=devices, max_epochs=-1, logger=False, enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False, callbacks=[clock], **kw,
    )
    trainer.fit(model, Toy2DDataModule(batch_size=128))
    if trainer.is_global_zero:
        print("RESULT", json.dumps({"ms_per_gen_iter": 1000 * (clock.t1 - clock.t0) / iters}), flush=True)


def run(strategy: str, devices: int, iters: int, warmup: int, hidden: int) -> float:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    cmd = [sys.executable, "-m", "bench.perf.ddp_overhead", "--worker", strategy, str(devices), "--iters", str(iters),
           "--warmup", str(warmup), "--hidden", str(hidden)]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    lines = [line for line in r.stdout.splitlines() if line.startswith("RESULT ")]
    if r.returncode != 0 or not lines:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{r.stderr[-3000:]}")
    return json.loads(lines[-1][7:])["ms_per_gen_iter"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--iters", type=int, default=300)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--hidden", type=int, nargs="+", default=[128, 512],
                   help="MLP widths; a width w runs iters * 128 / w iterations (at least 30)")
    p.add_argument("--out", default=str(RESULTS_DIR / "ddp_overhead.json"))
    p.add_argument("--no-readme", action="store_true",
                   help="do not write the table into the page with the ddp markers (docs/benchmarks.md)")
    p.add_argument("--worker", nargs=2, metavar=("STRATEGY", "DEVICES"), help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.worker:
        return worker(a.worker[0], int(a.worker[1]), a.iters, a.warmup, a.hidden[0])

    runs = {"1 proc": ("auto", 1), "ddp (find_unused_parameters)": ("ddp", 2), "ddp_gan (separate wrappers)":
            ("ddp_gan", 2)}
    results = {}
    for hidden in a.hidden:
        ms = {}
        for name, (strategy, devices) in runs.items():
            print(f"running hidden={hidden}: {name} ...", flush=True)
            ms[name] = run(strategy, devices, max(30, a.iters * 128 // hidden), a.warmup, hidden)
        results[hidden] = ms
    lines = [f"WGAN-GP 8-Gaussians networks (3 hidden layers), batch 128 per process, {a.iters} x 128 / width "
             "generator iterations (n_critic 5) after a warm-up, one thread per process", "",
             "| MLP width | run | ms / generator iteration | time vs 1 proc | samples/s vs 1 proc |",
             "|---|---|---|---|---|"]
    for hidden, ms in results.items():
        base = ms["1 proc"]
        for name, v in ms.items():
            lines.append(f"| {hidden} | {name} | {v:.1f} | {v / base:.2f} | {runs[name][1] * base / v:.2f} |")
    lines.append("")
    for hidden, ms in results.items():
        ratio = ms["ddp (find_unused_parameters)"] / ms["ddp_gan (separate wrappers)"]
        lines.append(f"width {hidden}: whole-module ddp / ddp_gan time = {ratio:.2f}")
    print("\n" + "\n".join(lines))
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"iters": a.iters, "warmup": a.warmup, "ms_per_gen_iter": results, "stamp": stamp()},
                              indent=2) + "\n")
    if not a.no_readme:
        fill_table("ddp", "Measured by `python -m bench.perf.ddp_overhead` on the 2-core CPU (gloo):\n\n"
                   + "\n".join(lines))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
