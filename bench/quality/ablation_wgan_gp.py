"""WGAN-GP on Fashion-MNIST: quality per CPU minute of the paper's schedule against the zoo's recipe.

    python -m bench.quality.ablation_wgan_gp --minutes 10   # all runs, one after the other, each on every core
    python -m bench.quality.ablation_wgan_gp --plot_only    # redraw the figure from bench/results/ablation_wgan_gp.json

The runs (the networks of ``recipes/wgan_gp/fashion_mnist.yaml``, batch 64, seed 0, each stopped after ``--minutes``
of wall time):

* ``paper_fp32``: Gulrajani et al.'s schedule (n_critic 5, Adam 1e-4 betas (0, 0.9)) in float32;
* ``paper_bf16``: the same in bf16 autocast with channels-last (the penalty under autocast too);
* ``paper_bf16_fp32_penalty``: the same with the penalty's double backward in float32 (what ganzoo did before):
  compared with ``paper_bf16`` at equal generator iterations, it measures what the penalty under autocast costs in
  FID;
* ``ttur_ema``: the zoo's recipe as it was (two time scales: n_critic 1, lr 1e-4, critic lr 3e-4; bf16; channels-last;
  the recipe now doubles both learning rates) with the
  generator average (EMA 0.999 with the StyleGAN2-ADA ramp). Both the raw generator (``ttur``: two time scales
  alone; the average does not change the training) and the average (``ttur_ema``) are evaluated.

Every run records the FID of 2,000 samples (seed 0) against 2,000 training images in the shipped classifier's
features, with the training seconds so far (evaluations excluded). The figure plots FID against training minutes
and against generator iterations; the JSON has every point. Each run is a fresh process.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from bench.common import RESULTS_DIR, ROOT, hardware, stamp

RESULTS = RESULTS_DIR / "ablation_wgan_gp.json"
FIGURE = ROOT / "docs" / "ablation_wgan_gp.png"

PAPER = {"n_critic": 5, "lr": 1e-4}
TTUR = {"n_critic": 1, "lr": 1e-4, "d_lr": 3e-4}
RUNS = {  # name: (model arguments, precision, penalty in float32, evaluate the raw generator too, eval every)
    "paper_fp32": (PAPER, "32-true", False, False, 100),
    "paper_bf16": ({**PAPER, "channels_last": True}, "bf16-mixed", False, False, 100),
    "paper_bf16_fp32_penalty": ({**PAPER, "channels_last": True}, "bf16-mixed", True, False, 100),
    "ttur_ema": ({**TTUR, "channels_last": True, "ema_decay": 0.999, "ema_rampup": 0.05}, "bf16-mixed", False, True,
                 250),
}
LABELS = {
    "paper_fp32": "paper schedule, fp32", "paper_bf16": "paper schedule, bf16",
    "paper_bf16_fp32_penalty": "paper schedule, bf16, penalty in fp32", "ttur": "two time scales (bf16)",
    "ttur_ema": "two time scales + EMA (bf16)",
}
N_EVAL = 2000


def run_one(name: str, minutes: float, out: Path) -> None:
    """One run in this process; writes ``out`` (the eval history, per generator: raw and/or average)."""
    import lightning as L
    import torch
    import yaml

    import ganzoo
    from ganzoo.constraints import GradientPenalty
    from ganzoo.data import FashionMNISTDataModule
    from ganzoo.training.image_eval import ImageEvalCallback, evaluate_images

    class Float32Penalty(GradientPenalty):
        """The gradient penalty with autocast disabled (the critic's double backward in float32)."""

        def penalty(self, witness, real, fake):
            with torch.autocast(device_type=real.device.type, enabled=False):
                return super().penalty(witness, real, fake)

    class AlsoRaw(ImageEvalCallback):
        """Also evaluates the raw generator (the EMA's source) at each evaluation."""

        def _evaluate(self, trainer, pl_module):
            record = super()._evaluate(trainer, pl_module)
            raw = evaluate_images(pl_module.generator.eval(), trainer.datamodule, metrics=["fid"], n=N_EVAL)
            pl_module.generator.train()
            record["fid_raw"] = float(raw["fid"])
            return record

    args, precision, fp32_penalty, raw, every = RUNS[name]
    cfg = yaml.safe_load((ROOT / "recipes" / "wgan_gp" / "fashion_mnist.yaml").read_text())["model"]["init_args"]
    L.seed_everything(0)
    constraints = [Float32Penalty(10.0)] if fp32_penalty else None
    model = ganzoo.WGANGP(generator=cfg["generator"], critic=cfg["critic"], max_gen_iters=10**6,
                          **({"constraints": constraints} if constraints else {}), **args)
    model.export_dir = None
    cb = (AlsoRaw if raw else ImageEvalCallback)(every_n_gen_iters=every, metrics=["fid"], n_eval=N_EVAL)
    trainer = L.Trainer(accelerator="cpu", devices=1, precision=precision, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, callbacks=[cb], max_epochs=-1,
                        max_time={"minutes": minutes}, default_root_dir=str(out.parent))
    trainer.fit(model, FashionMNISTDataModule(batch_size=64))
    out.write_text(json.dumps({"history": cb.history, "gen_iters": model.gen_iters,
                               "threads": torch.get_num_threads()}, indent=1))


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_t, ax_i) = plt.subplots(1, 2, figsize=(12, 4.5))
    for name, res in results["runs"].items():
        hist = res["history"]
        if not hist:
            continue
        curves = {name: [r["fid"] for r in hist]}
        if "fid_raw" in hist[0]:
            curves = {"ttur": [r["fid_raw"] for r in hist], name: curves[name]}
        for label, fids in curves.items():
            minutes = [r["train_seconds"] / 60 for r in hist]
            iters = [r["generator_iterations"] for r in hist]
            ax_t.plot(minutes, fids, marker=".", label=LABELS[label])
            if label.startswith("paper"):
                ax_i.plot(iters, fids, marker=".", label=LABELS[label])
    for ax, xlabel in ((ax_t, "training wall time (minutes, evaluations excluded)"),
                       (ax_i, "generator iterations")):
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(f"FID ({N_EVAL:,} samples, classifier features)")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    ax_t.set_title(f"WGAN-GP, Fashion-MNIST: FID against time ({results['machine']})", fontsize=9)
    ax_i.set_title("the paper's schedule: the precision at equal iterations", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--minutes", type=float, default=10.0, help="wall time of each run")
    p.add_argument("--runs", nargs="*", default=list(RUNS), choices=list(RUNS))
    p.add_argument("--work", default=str(ROOT / "runs" / "ablation_wgan_gp"))
    p.add_argument("--plot_only", action="store_true")
    p.add_argument("--_run", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    work = Path(args.work)
    if args._run:
        run_one(args._run, args.minutes, work / args._run / "result.json")
        return
    if not args.plot_only:
        results = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {"runs": {}}
        results.update(machine=hardware("cpu"), minutes=args.minutes, python=platform.python_version(),
                       stamp=stamp())
        for name in args.runs:
            (work / name).mkdir(parents=True, exist_ok=True)
            t0 = time.time()
            print(f"+ {name}: {args.minutes} min", flush=True)
            subprocess.run([sys.executable, "-m", "bench.quality.ablation_wgan_gp", "--_run", name, "--minutes",
                            str(args.minutes), "--work", str(work)], check=True, cwd=ROOT,
                           env={**os.environ, "PYTHONWARNINGS": "ignore"})
            res = json.loads((work / name / "result.json").read_text())
            res["wall_seconds"] = round(time.time() - t0)
            results["runs"][name] = res
            RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    results = json.loads(RESULTS.read_text())
    plot(results, FIGURE)
    print(f"wrote {RESULTS} and {FIGURE}")


if __name__ == "__main__":
    main()
