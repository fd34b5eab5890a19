"""Train the two offline image-to-image demos and regenerate their table in docs/benchmarks.md.

    python -m bench.quality.translation [--tasks pix2pix/edges2fashion cyclegan/sneaker2boot] [--iters 1000 400]
                                [--out runs/bench_translation] [--no-readme | --table-only]

Each task runs ``ganzoo fit --config recipes/<task>.yaml --model.init_args.max_gen_iters N`` through the CLI; the
recipe's ``TranslationEvalCallback`` scores the untrained model, then every K generator iterations, on 1,000 test
images. The end-of-fit report scores the whole test split (10,000 edge maps; 1,000 sneakers and 1,000 boots).
Writes ``bench/results/translation.json``, ``docs/<variant>_<task>_grid.png`` (input | output | target, or input |
translation | reconstruction for both directions) and the table between the markers (docs/benchmarks.md)
``<!-- translation:start -->`` / ``<!-- translation:end -->``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

from bench.common import RESULTS_DIR, ROOT, fill_table
from ganzoo.cli import GanzooCLI

DEFAULT_ITERS = {"pix2pix/edges2fashion": 1000, "cyclegan/sneaker2boot": 400}


def run(task: str, iters: int, out: Path) -> dict:
    folder = out / task.replace("/", "_")
    t = time.perf_counter()
    GanzooCLI(args=["fit", "--config", str(ROOT / "recipes" / f"{task}.yaml"),
                    "--model.init_args.max_gen_iters", str(iters), "--trainer.default_root_dir", str(folder),
                    "--trainer.enable_model_summary", "false"])
    final = json.loads((folder / "metrics.json").read_text())
    history = json.loads((folder / "translation_history.json").read_text())
    shutil.copyfile(folder / "samples.png", ROOT / "docs" / f"{task.replace('/', '_')}_grid.png")
    return {"final": final, "untrained": history[0], "history": history, "wall_s": time.perf_counter() - t}


METRICS = {
    "l1": ("L1 to the ground truth", "{:.3f}"), "psnr_db": ("PSNR (dB)", "{:.1f}"), "fid": ("FID", "{:.1f}"),
    "target_fraction": ("classified as the target class", "{:.1%}"), "cycle_l1": ("cycle L1", "{:.3f}"),
}


def _rows(task: str, r: dict) -> list[str]:
    f, u = r["final"], r["untrained"]
    rows = []
    for key, value in f.items():
        direction, _, name = key.rpartition("/")
        if name not in METRICS or not isinstance(value, (int, float)):
            continue
        label, fmt = METRICS[name]
        n = f[f"{direction}/n" if direction else "n"]
        rows.append(f"| `recipes/{task}.yaml` | {f['generator_iterations']} | {direction or 'AtoB'} {label} | "
                    f"{fmt.format(u[key])} | **{fmt.format(value)}** ({n}) | {r['wall_s']:.0f} s |")
    return rows


def table(results: dict[str, dict]) -> str:
    rows = ["| recipe | G iters | score (test split) | untrained (1,000 images) | trained (images) | wall time |",
            "|---|---|---|---|---|---|"]
    for task, r in results.items():
        rows += _rows(task, r)
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", nargs="*", default=list(DEFAULT_ITERS))
    ap.add_argument("--iters", nargs="*", type=int, default=None, help="generator iterations per task")
    ap.add_argument("--out", default="runs/bench_translation")
    ap.add_argument("--no-readme", action="store_true")
    ap.add_argument("--table-only", action="store_true", help="rebuild the docs table from the recorded results")
    args = ap.parse_args()
    iters = args.iters or [DEFAULT_ITERS.get(t, 500) for t in args.tasks]
    if len(iters) != len(args.tasks):
        raise SystemExit(f"--iters needs one number per task ({len(args.tasks)}), got {len(iters)}")
    record = RESULTS_DIR / "translation.json"
    results = json.loads(record.read_text()) if record.is_file() else {}
    if not args.table_only:
        for task, n in zip(args.tasks, iters):
            results[task] = run(task, n, Path(args.out))
            record.write_text(json.dumps(results, indent=1) + "\n")
    md = table(results)
    print(md)
    if not args.no_readme:
        fill_table("translation", md)


if __name__ == "__main__":
    main()
