"""Train every variant's 8-Gaussians recipe and regenerate the results table (docs/benchmarks.md) and figure grid.

    python -m bench.quality.toy2d [--out runs/bench_toy2d] [--variants wgan_gp sngan ...] [--no-readme]

Writes ``<out>/results.json``, ``docs/toy2d_grid.png`` and the table between the markers (docs/benchmarks.md)
``<!-- toy2d:start -->`` / ``<!-- toy2d:end -->``. Each variant runs its recipe unchanged through the CLI.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import time
from pathlib import Path

import matplotlib.pyplot as plt

import ganzoo
from bench.common import ROOT, fill_table, read_table
from ganzoo.cli import GanzooCLI
from ganzoo.data.toy2d import toy_samples
from ganzoo.plots import plot_toy, save_figure
from ganzoo.sampling import sample
from ganzoo.training.report import critic_surface

# every 2-D variant of the registry (cgan needs labelled images), in the table's order
VARIANTS = ["wgan_gp", "sngan", "cramer_gan", "mmd_gan", "dcgan", "wgan", "fgan"]
VARIANTS += sorted(set(ganzoo.list_variants("latent")) - set(VARIANTS)
                   - {n for n in ganzoo.list_variants("latent") if ganzoo.variants.get_variant(n).paper.conditional})


def run(variant: str, out: Path):
    t = time.perf_counter()
    cli = GanzooCLI(args=["fit", "--config", str(ROOT / "recipes" / variant / "8gaussians.yaml"),
                          "--trainer.default_root_dir", str(out / variant),
                          "--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false"])
    seconds = time.perf_counter() - t
    metrics = json.loads((out / variant / "metrics.json").read_text())
    metrics["wall_s"] = seconds
    return cli.model, metrics


def table(results: dict[str, dict]) -> str:
    rows = ["| variant | W1 | real-vs-real W1 | W1 / baseline | modes | high-quality | G iters | wall time |",
            "|---|---|---|---|---|---|---|---|"]
    for v, m in results.items():
        rows.append(f"| {m['variant']} (`recipes/{v}/8gaussians.yaml`) | {m['w1']:.3f} | {m['w1_baseline']:.3f} | "
                    f"{m['w1'] / m['w1_baseline']:.2f} | {m['modes']}/{m['n_modes']} | {m['high_quality']:.2f} | "
                    f"{m['generator_iterations']} | {m['wall_s']:.0f} s |")
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="runs/bench_toy2d")
    ap.add_argument("--variants", nargs="*", default=VARIANTS)
    ap.add_argument("--no-readme", action="store_true")
    ap.add_argument("--keep", action="store_true",
                    help="keep the table rows of the variants not rerun (the figure then shows only those rerun)")
    args = ap.parse_args()
    out = Path(args.out)
    results, models = {}, {}
    for v in args.variants:
        models[v], results[v] = run(v, out)
        print(json.dumps({v: results[v]}), flush=True)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    cols = min(4, len(results))
    rows = math.ceil(len(results) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.0 * cols, 4.0 * rows), squeeze=False)
    fig.subplots_adjust(wspace=0.45, hspace=0.3)
    real = toy_samples("8gaussians", 1000, 7)
    for ax, (v, m) in zip(axes.ravel(), results.items()):
        model = models[v].cpu()
        fake = sample(model.export_model, 1000, seed=0)
        plot_toy(ax, real, fake, critic_surface(model, real[:512]),
                 f"{m['variant']}: W1 {m['w1']:.3f} ({m['w1'] / m['w1_baseline']:.1f}x), modes {m['modes']}/8")
    for ax in axes.ravel()[len(results):]:
        ax.axis("off")
    save_figure(fig, ROOT / "docs" / ("toy2d_grid.png" if not args.keep else "toy2d_grid_new.png"))
    md = table(results)
    if args.keep:  # the other variants' rows as they are in the docs table, in VARIANTS order
        text = read_table("toy2d")
        rows = re.finditer(r"^\| \w+ \(`recipes/(\w+)/8gaussians.yaml`\).*$", text, re.M)
        old = {m.group(1): m.group(0) for m in rows}
        new = {v: row for v, row in zip(results, md.splitlines()[2:], strict=True)}
        md = "\n".join(md.splitlines()[:2] + [new.get(v) or old[v] for v in VARIANTS if v in new or v in old])
    print(md)
    if not args.no_readme:
        fill_table("toy2d", md)


if __name__ == "__main__":
    main()
