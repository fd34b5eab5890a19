"""Cold-start time of sampling: a fresh process that imports ganzoo, loads a generator and draws 64 samples.

    python -m bench.perf.cold_start [--model wgan_gp-8gaussians] [--repeats 5]

Each row is the wall time of a new Python process (median and min over ``--repeats`` runs, no network:
``HF_HUB_OFFLINE=1``). ``import torch`` is the floor every PyTorch program pays; ``ganzoo sample`` is the
console command writing a PNG (a scatter plot for 2-D models, through matplotlib).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def _time(cmd: list[str], env: dict, cwd: str) -> tuple[float, str]:
    t0 = time.perf_counter()
    out = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=True)
    return time.perf_counter() - t0, out.stdout.strip()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="wgan_gp-8gaussians", help="zoo name, folder or Hub id")
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()
    tmp = tempfile.mkdtemp()
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    ganzoo_cmd = shutil.which("ganzoo") or ""
    py = sys.executable
    api = ("import sys, ganzoo; x = ganzoo.sample(ganzoo.load(sys.argv[1]), 64, seed=0); "
           "print(tuple(x.shape), 'lightning' in sys.modules)")
    rows = [
        ("python -c 'import torch'", [py, "-c", "import torch"]),
        ("python -c 'import ganzoo'", [py, "-c", "import ganzoo"]),
        ("import ganzoo; ganzoo.sample(ganzoo.load(MODEL), 64, seed=0)", [py, "-c", api, args.model]),
        (f"ganzoo sample {args.model} --n 64 --seed 0 --out grid.png",
         [ganzoo_cmd or py, *([] if ganzoo_cmd else ["-m", "ganzoo.cli"]), "sample", args.model, "--n", "64",
          "--seed", "0", "--out", os.path.join(tmp, "grid.png")]),
    ]
    _time(rows[0][1], env, tmp)  # warm the OS file cache once
    print(f"cold start, {args.repeats} fresh processes each, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, "
          f"{os.cpu_count()} CPUs")
    print("| command | median (s) | min (s) | output |\n|---|---|---|---|")
    for label, cmd in rows:
        times, out = [], ""
        for _ in range(args.repeats):
            t, out = _time(cmd, env, tmp)
            times.append(t)
        last = out.splitlines()[-1] if out else ""
        print(f"| `{label}` | {statistics.median(times):.2f} | {min(times):.2f} | {last} |")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
