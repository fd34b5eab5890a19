"""Train Fashion-MNIST recipes for a given number of epochs and regenerate their table in docs/benchmarks.md.

    python -m bench.quality.fmnist [--variants dcgan ...] [--epochs 1] [--out runs/bench_fmnist] [--no-readme]

Each variant runs ``ganzoo fit --config recipes/<variant>/fashion_mnist.yaml --trainer.max_epochs N`` unchanged
through the CLI (10,000 generated vs 10,000 real training images, shipped classifier as the feature extractor).
Writes ``<out>/results.json``, ``bench/results/fmnist.json``, ``docs/fmnist_<variant>_grid.png`` (the run's
``samples.png``) and the table between the markers ``<!-- fmnist:start -->`` / ``<!-- fmnist:end -->``
(docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import time
from pathlib import Path

from bench.common import RESULTS_DIR, ROOT, fill_table
from ganzoo.cli import GanzooCLI


def run(variant: str, epochs: int, out: Path) -> dict:
    t = time.perf_counter()
    GanzooCLI(args=["fit", "--config", str(ROOT / "recipes" / variant / "fashion_mnist.yaml"),
                    "--trainer.max_epochs", str(epochs), "--trainer.default_root_dir", str(out / variant),
                    "--trainer.enable_model_summary", "false"])
    m = json.loads((out / variant / "metrics.json").read_text())
    m["wall_s"] = time.perf_counter() - t
    m["epochs"] = epochs
    m["max_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    shutil.copyfile(out / variant / "samples.png", ROOT / "docs" / f"fmnist_{variant}_grid.png")
    return m


def table(results: dict[str, dict]) -> str:
    rows = ["| recipe | epochs | G iters | FID | KID | classes covered | cGAN class accuracy | wall time |",
            "|---|---|---|---|---|---|---|---|"]
    for v, m in sorted(results.items(), key=lambda kv: kv[1]["fid"]):
        cov = m.get("class_coverage", {})
        acc = f"{100 * cov['accuracy']:.1f}%" if "accuracy" in cov else "–"
        rows.append(f"| `recipes/{v}/fashion_mnist.yaml` | {m['epochs']} | {m['generator_iterations']} | "
                    f"{m['fid']:.1f} | {m['kid_mean']:.2f} ± {m['kid_std']:.2f} | "
                    f"{cov.get('classes_covered', '?')}/10 | {acc} | {m['wall_s']:.0f} s |")
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", nargs="*", default=["dcgan"])
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--out", default="runs/bench_fmnist")
    ap.add_argument("--no-readme", action="store_true")
    ap.add_argument("--table-only", action="store_true", help="rebuild the docs table from the recorded results")
    args = ap.parse_args()
    out = Path(args.out)
    record = RESULTS_DIR / "fmnist.json"  # earlier runs of other variants are kept
    results = json.loads(record.read_text()) if record.is_file() else {}
    if not args.table_only:
        for v in args.variants:
            results[v] = run(v, args.epochs, out)
        (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
        record.write_text(json.dumps(results, indent=1) + "\n")
    md = table(results)
    print(md)
    if not args.no_readme:
        fill_table("fmnist", md)


if __name__ == "__main__":
    main()
