"""Does the critic's value track sample quality? The WGAN paper's claim (Arjovsky et al. 2017, Figures 3-4): the
critic's estimate of W falls as the samples improve, where the standard GAN's discriminator loss says nothing.

For each finished run folder (``ganzoo fit``'s ``logs/version_*/metrics.csv`` and ``eval_history.json``): the
critic's logged estimate (``train/distance`` for WGAN, WGAN-GP, Cramér and MMD GAN: the W estimate, the energy
distance, MMD²; ``train/critic_value`` otherwise: for DCGAN minus the discriminator's loss), averaged over the
logged steps between two evaluations, against the run's 2,000-sample FID at that evaluation; the Spearman rank
correlation over the evaluations after the first (the first ~500 iterations are the start-up, where every loss
moves fast). A positive rho means the estimate falls when the FID falls.

    python -m bench.quality.loss_vs_fid wgan=runs/zoo/wgan-fashion_mnist dcgan=runs/zoo/dcgan-fashion_mnist ...
    python -m bench.quality.loss_vs_fid --train dcgan wgan wgan_gp cramer_gan mmd_gan --minutes 15 --eval_every 250

``--train`` first trains each variant's ``recipes/<variant>/fashion_mnist.yaml`` for ``--minutes`` (a fresh
``ganzoo fit`` process, ``bench/zoo/make_entry.py``'s training) with an evaluation every ``--eval_every`` generator
iterations, in ``runs/loss_vs_fid/<variant>`` (a finished run is reused), and adds those runs to the analysis.

Writes ``bench/results/loss_vs_fid.json`` and ``docs/loss_vs_fid.png`` (one panel a run: the estimate and the FID
over training) and prints a Markdown table (``--readme``: docs/concepts/divergences.md between
``<!-- loss-vs-fid:start/end -->``).
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from bench.common import RESULTS_DIR, ROOT, publish

RESULTS = RESULTS_DIR / "loss_vs_fid.json"
FIGURE = ROOT / "docs" / "loss_vs_fid.png"
KEYS = ("train/distance", "train/critic_value")


def read_run(folder: Path) -> dict:
    """The run's estimate per logged step and its FID per evaluation."""
    logs = sorted(folder.glob("logs/version_*/metrics.csv"), key=lambda p: int(p.parent.name.split("_")[1]))
    if not logs:
        raise SystemExit(f"{folder}: no logs/version_*/metrics.csv (a ganzoo fit run folder with its CSV log)")
    steps: dict[int, float] = {}
    key = None
    for path in logs:  # a resumed run logs into the next version folder; later values win
        with path.open() as f:
            for row in csv.DictReader(f):
                key = key or next((k for k in KEYS if k in row), None)
                if key and row.get(key) and row.get("g_iter"):
                    steps[int(float(row["g_iter"]))] = float(row[key])
    if key is None:
        raise SystemExit(f"{folder}: its log has none of {KEYS}")
    history = json.loads((folder / "eval_history.json").read_text())
    evals = [(h["generator_iterations"], h["fid"]) for h in history if "fid" in h]
    return {"key": key, "steps": steps, "evals": evals}


def windows(run: dict) -> list[tuple[int, float, float]]:
    """(generator iteration, mean estimate over the logged steps since the previous evaluation, FID)."""
    out, prev = [], 0
    for it, fid in run["evals"]:
        vals = [v for s, v in run["steps"].items() if prev < s <= it]
        if vals:
            out.append((it, sum(vals) / len(vals), fid))
        prev = it
    return out


def analyse(label: str, folder: Path) -> dict:
    from scipy.stats import spearmanr

    run = read_run(folder)
    pts = windows(run)[1:]  # after the start-up window
    if len(pts) < 4:
        raise SystemExit(f"{label}: {len(pts)} evaluations after the first; need at least 4 for a rank correlation")
    rho, p = spearmanr([e for _, e, _ in pts], [f for _, _, f in pts])
    return {"folder": str(folder), "estimate": run["key"], "points": [[i, round(e, 5), round(f, 2)] for i, e, f in pts],
            "spearman_rho": round(float(rho), 3), "p_value": float(f"{p:.3g}"), "n": len(pts)}


def table(res: dict) -> str:
    rows = ["| run | estimate | evaluations | Spearman rho (estimate, FID) | p |", "|---|---|---|---|---|"]
    for label, r in res.items():
        rows.append(f"| {label} | `{r['estimate']}` | {r['n']} | {r['spearman_rho']:+.2f} | {r['p_value']:.2g} |")
    return "\n".join(rows)


def figure(res: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(res)
    fig, axes = plt.subplots(1, n, figsize=(3.4 * n, 3.0), dpi=110, squeeze=False)
    for ax, (label, r) in zip(axes[0], res.items()):
        it, est, fid = zip(*r["points"])
        ax.plot(it, est, color="C0")
        ax.set_xlabel("generator iterations")
        ax.set_ylabel(r["estimate"].split("/")[1], color="C0")
        ax2 = ax.twinx()
        ax2.plot(it, fid, color="C3")
        ax2.set_yscale("log")
        ax2.set_ylabel("FID (2,000)", color="C3")
        ax.set_title(f"{label}: rho = {r['spearman_rho']:+.2f}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("runs", nargs="*", metavar="LABEL=FOLDER")
    p.add_argument("--train", nargs="+", default=[], metavar="VARIANT",
                   help="train these variants' Fashion-MNIST recipes first (runs/loss_vs_fid/<variant>)")
    p.add_argument("--minutes", type=float, default=15.0, help="--train: training time of each run")
    p.add_argument("--eval_every", type=int, default=250, help="--train: generator iterations between evaluations")
    p.add_argument("--readme", action="store_true")
    args = p.parse_args()
    if not args.runs and not args.train:
        p.error("name run folders (LABEL=FOLDER) or variants to --train")
    for variant in args.train:
        recipe = ROOT / "recipes" / variant / "fashion_mnist.yaml"
        if not recipe.is_file():
            p.error(f"--train {variant}: no {recipe.relative_to(ROOT)}")
    from bench.zoo.make_entry import train_once

    for variant in args.train:
        work = ROOT / "runs" / "loss_vs_fid" / variant
        train_once({"kind": "image", "recipe": f"recipes/{variant}/fashion_mnist.yaml", "set": {}}, work,
                   max_time=round(args.minutes * 60), eval_every=args.eval_every)
        args.runs.append(f"{variant}={work}")
    res = {}
    for spec in args.runs:
        label, sep, folder = spec.partition("=")
        if not sep:
            raise SystemExit(f"runs: expected LABEL=FOLDER, got {spec!r}")
        res[label] = analyse(label, Path(folder))
    RESULTS.write_text(json.dumps(res, indent=1) + "\n")
    figure(res, FIGURE)
    publish("loss-vs-fid", table(res), args.readme)


if __name__ == "__main__":
    main()
