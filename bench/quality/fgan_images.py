"""Which f-GAN divergences train on images: every divergence of ``ganzoo.objectives.F_DIVERGENCES`` on the
Fashion-MNIST recipe ``recipes/fgan/fashion_mnist.yaml``, each for the same time, all at once.

    python -m bench.quality.fgan_images --max_time 150 --accelerator gpu --out runs/fgan_images   # one GPU, ~3 min
    python -m bench.quality.fgan_images --max_time 600 --accelerator cpu                           # a CPU, slower

Each run is the recipe through ``ganzoo fit`` with
``--model.init_args.objective '{"name": "fgan", "divergence": D}'``; the training callback's FID
(2,000 samples, shipped classifier) every 500 generator iterations is the curve. A run that hits a non-finite loss
stops with ganzoo's ``DivergenceError``; the table says which did and when. Writes ``OUT/fgan_images.json`` and
prints a Markdown table (``--readme`` puts it in docs/benchmarks.md between ``<!-- fgan-images:start/end -->``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from bench.common import ROOT, fill_table
from ganzoo.objectives import F_DIVERGENCES


def verdict(r: dict) -> str:
    """``learns`` when the FID at least halved between the first and the last evaluation, else ``stalls``; a run
    stopped by a non-finite loss or an error keeps its own result."""
    h = r["history"]
    if r["result"] != "trained" or len(h) < 2:
        return r["result"]
    return "learns" if h[-1]["fid"] <= 0.5 * h[0]["fid"] else "stalls (no finite-loss failure)"


def table(res: dict) -> str:
    rows = ["| divergence | G iters in the time | FID at 500 / 1k / last | result |", "|---|---|---|---|"]
    for d, r in res.items():
        fid = {x["generator_iterations"]: x["fid"] for x in r["history"]}
        last = r["history"][-1]["fid"] if r["history"] else None
        fids = " / ".join("–" if v is None else f"{v:.1f}" for v in (fid.get(500), fid.get(1000), last))
        rows.append(f"| `{d}` | {r['generator_iterations']} | {fids} | {verdict(r)} |")
    return "\n".join(rows)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--max_time", type=int, default=150)
    p.add_argument("--accelerator", default="gpu")
    p.add_argument("--out", default=str(ROOT / "runs" / "fgan_images"))
    p.add_argument("--data_dir", default=os.environ.get("GANZOO_FMNIST_DIR"))
    p.add_argument("--readme", action="store_true")
    p.add_argument("--from_json", default=None, help="print (and with --readme, fill) the table of a saved run")
    args = p.parse_args()
    if args.from_json:
        md = table(json.loads(Path(args.from_json).read_text()))
        print(md)
        if args.readme:
            fill_table("fgan-images", md)
        return
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    procs = {}
    for d in F_DIVERGENCES:
        cmd = [sys.executable, "-m", "ganzoo.cli", "fit", "--config", str(ROOT / "recipes/fgan/fashion_mnist.yaml"),
               "--model.init_args.objective", json.dumps({"name": "fgan", "divergence": d}),
               "--trainer.default_root_dir", str(out / d),
               "--trainer.accelerator", args.accelerator, "--trainer.enable_progress_bar", "false",
               "--trainer.max_time", f"00:00:{args.max_time // 60:02d}:{args.max_time % 60:02d}",
               "--eval_metrics", "[]", "--overwrite", "true"]
        if args.data_dir:
            cmd += ["--data.init_args.data_dir", args.data_dir]
        log = open(out / f"{d}.log", "wb")
        procs[d] = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                                    env={**os.environ, "OMP_NUM_THREADS": "1"})
    t0, res = time.time(), {}
    for d, proc in procs.items():
        try:
            proc.wait(max(1, t0 + args.max_time + 240 - time.time()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log = (out / f"{d}.log").read_text(errors="replace")
        hist_path = out / d / "eval_history.json"
        history = json.loads(hist_path.read_text()) if hist_path.is_file() else []
        history = [{"generator_iterations": h["generator_iterations"], "fid": round(h["fid"], 2)} for h in history
                   if "fid" in h]
        cfg = out / d / "generator" / "config.json"
        iters = json.loads(cfg.read_text()).get("training", {}).get("generator_iterations") if cfg.is_file() else None
        m = re.search(r"DivergenceError: (.*)", log)
        if m:
            result = "diverged: " + m.group(1)[:160]
            iters = iters or (history[-1]["generator_iterations"] if history else None)
        elif proc.returncode == 0:
            result = "trained"
        else:
            result = f"failed (exit {proc.returncode}): {log.strip().splitlines()[-1][:160] if log.strip() else ''}"
        res[d] = {"generator_iterations": iters, "history": history, "result": result, "returncode": proc.returncode}
        print(d, res[d]["result"], iters, flush=True)
    (out / "fgan_images.json").write_text(json.dumps(res, indent=1))
    md = table(res)
    print(md)
    if args.readme:
        fill_table("fgan-images", md)


if __name__ == "__main__":
    main()
