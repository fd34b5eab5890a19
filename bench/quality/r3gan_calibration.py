"""R3GAN's gamma for a small unconditional network on a CPU: the zoo recipe (``recipes/r3gan/fashion_mnist.yaml``)
trained for the same time with R1 + R2 at the official presets' gammas (CIFAR-10, class-conditional: 0.05;
ImageNet-32: 0.5; FFHQ-64, unconditional: 2) on the paper's simplified ResNeXt at a CPU width, and the middle one in
float32 and on the DCGAN recipe's networks (the critic without batch norm; what the recipe trains now), each with the
recipe's cosine decay to a tenth; the FID of 2,000 samples over training, the critic's loss at the end.

    python -m bench.quality.r3gan_calibration                      # every setting, 10 minutes each, one after the other
    python -m bench.quality.r3gan_calibration --only gamma_0.5 --minutes 10
    python -m bench.quality.r3gan_calibration --table --readme     # the table of the saved results only

Why: at the paper's CIFAR-10 gamma, 15 minutes of the recipe on Stacked Fashion-MNIST left the discriminator's loss
at 0.01-0.1 and the FID flat from iteration 1,000 (``bench/results/stacked_modes.json``); the official code uses
larger gammas for its unconditional and its 32x32 presets (``brownvc/R3GAN``, ``train.py``). Runs in
``runs/r3gan_calibration/<setting>``; results in ``bench/results/r3gan_calibration.json``; the table to the pages
holding ``<!-- r3gan-calibration:start/end -->``.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from bench.common import RESULTS_DIR, ROOT, publish, table_options
from bench.zoo.make_entry import train_and_record

RESULTS = RESULTS_DIR / "r3gan_calibration.json"
RECIPE = "recipes/r3gan/fashion_mnist.yaml"


def _gamma(g: float) -> dict:
    return {"model.init_args.constraints": [{"name": "r1_r2", "gamma": g}]}


# the networks of the first zoo recipe: the paper's simplified ResNeXt at a CPU width (stages of 128, 64, 32 and 16
# channels, one block each); the recipe now trains the DCGAN recipe's networks (the critic without batch norm)
RESNEXT = {
    "model.init_args.generator": {"arch": "r3gan_generator", "latent_dim": 64, "channels": 1, "resolution": 32,
                                  "widths": [128, 64, 32, 16], "blocks": 1},
    "model.init_args.critic": {"arch": "r3gan_critic", "channels": 1, "resolution": 32, "widths": [128, 64, 32, 16],
                               "blocks": 1},
}
SETTINGS = {
    "gamma_0.05": {**_gamma(0.05), **RESNEXT}, "gamma_0.5": {**_gamma(0.5), **RESNEXT},
    "gamma_2": {**_gamma(2.0), **RESNEXT}, "gamma_0.5_fp32": {**_gamma(0.5), **RESNEXT, "trainer.precision": "32-true"},
    "gamma_0.5_dcgan_nets": _gamma(0.5),  # the recipe's networks
}


def score(work: Path) -> dict:
    info = json.loads((work / "train_info.json").read_text())
    history = json.loads((work / "eval_history.json").read_text())
    rows = []
    for path in sorted(work.glob("logs/version_*/metrics.csv")):
        with path.open() as f:
            rows += [r for r in csv.DictReader(f) if r.get("train/d_loss")]
    tail = rows[-max(1, len(rows) // 10):]  # the last tenth of the logged steps
    return {
        "curve": [[r["generator_iterations"], round(r["fid"], 2)] for r in history if "fid" in r],
        "d_loss_end": round(sum(float(r["train/d_loss"]) for r in tail) / len(tail), 4),
        "penalty_end": round(sum(float(r["train/penalty"]) for r in tail) / len(tail), 4),
        "generator_iterations": info["generator_iterations"], "train_seconds": info["train_seconds"],
        "hardware": info["hardware"], "threads": info["threads"], "overrides": info["overrides"],
    }


def table(res: dict) -> str:
    rows = ["| setting | FID (2k) by generator iteration | best | D loss at the end | penalty at the end | "
            "G iterations | time |", "|---|---|---|---|---|---|---|"]
    for name in [n for n in SETTINGS if n in res]:
        r = res[name]
        curve = ", ".join(f"{g:,}: {f:.0f}" for g, f in r["curve"])
        rows.append(f"| `{name}` | {curve} | {min(f for _, f in r['curve']):.1f} | {r['d_loss_end']:.3f} | "
                    f"{r['penalty_end']:.3f} | {r['generator_iterations']:,} | {r['train_seconds'] / 60:.0f} min |")
    machines = sorted({f"{r['hardware']} ({r['threads']} thread{'s' * (r['threads'] != 1)})" for r in res.values()})
    return "\n".join(rows) + f"\n\nOne run a setting, seed 0, on {', '.join(machines)}."


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", nargs="+", choices=list(SETTINGS), default=list(SETTINGS))
    p.add_argument("--minutes", type=float, default=10.0, help="training time of each run")
    table_options(p, "r3gan-calibration")
    args = p.parse_args()
    res = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    if not args.table:
        for name in args.only:
            res = train_and_record(RESULTS, name, {"kind": "image", "recipe": RECIPE, "set": SETTINGS[name]},
                                   ROOT / "runs" / "r3gan_calibration" / name, args.minutes, score)
    publish("r3gan-calibration", table(res), args.readme)


if __name__ == "__main__":
    main()
