"""Train several zoo entries at once on one GPU, each for a fixed time, and pack what comes back.

    python -m bench.zoo.gpu --out OUTDIR --max_time 480 [NAME ...]     # default: every image and translation entry

Each entry runs ``python -m bench.zoo.make_entry NAME --train_only --accelerator gpu --max_time T`` in its own
process (one CPU thread each), so the GPU is shared by all of them. Afterwards each run's small files (the exported
generator, train_info.json, eval_history.json / translation_history.json, samples.png, the last sample grids, the
CSV log) go into ``OUTDIR/zoo_runs.tar.gz.partNN`` (15 MiB pieces: ``cat`` them and untar into ``runs/zoo/``), with
``OUTDIR/zoo_gpu.json`` holding each process's exit code, wall time and log tail. Then, on any machine:
``python -m bench.zoo.make_entry NAME --skip_train`` evaluates, writes the card and bundles.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path

from bench.common import ROOT
from bench.zoo.entries import ENTRIES

PART = 15 * 2**20
KEEP = ("train_info.json", "eval_history.json", "translation_history.json", "samples.png", "metrics.json",
        "recipe.yaml", "config.yaml")


def pack(work: Path, names: list[str], out: Path, limit: int = 56 * 2**20) -> list[str]:
    """The runs' files in ``limit`` bytes at most (the device tool returns about 60 MiB in all; a first version of
    this script lost the last entry's weights to a truncated archive): every exported generator first, then the
    small files, then the logs; what does not fit is listed in ``left_out.json`` instead of cutting a file."""
    groups: list[list[tuple[str, bytes]]] = [[], [], []]
    for name in names:
        run = work / name
        if not run.is_dir():
            continue
        gen = run / "generator"
        if (gen / "model.safetensors").is_file():
            groups[0].append((f"{name}/generator/model.safetensors", (gen / "model.safetensors").read_bytes()))
        for f in [gen / "config.json", *(run / k for k in KEEP), *sorted((run / "samples").glob("grid_*.png"))[-3:]]:
            if f.is_file():
                groups[1].append((str(f.relative_to(work)), f.read_bytes()))
        for f in [*sorted((run / "logs").glob("version_*/metrics.csv")), run / "train.log"]:
            if f.is_file():
                groups[2].append((str(f.relative_to(work)), f.read_bytes()))
    buf, left_out = io.BytesIO(), []
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for group in groups:
            for arcname, data in group:
                if buf.tell() + len(data) > limit:  # compressed size so far + this file uncompressed: a bound
                    left_out.append(arcname)
                    continue
                info = tarfile.TarInfo(arcname)
                info.size, info.mtime = len(data), int(time.time())
                tar.addfile(info, io.BytesIO(data))
    data, parts = buf.getvalue(), []
    for i in range(0, len(data), PART):
        path = out / f"zoo_runs.tar.gz.part{i // PART:02d}"
        path.write_bytes(data[i:i + PART])
        parts.append(path.name)
    (out / "left_out.json").write_text(json.dumps(left_out))
    return parts


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("names", nargs="*", help="entries (default: every image and translation entry)")
    p.add_argument("--out", required=True)
    p.add_argument("--work", default=str(ROOT / "runs" / "zoo"))
    p.add_argument("--max_time", type=int, default=480, help="seconds of training per entry")
    p.add_argument("--accelerator", default="gpu")
    p.add_argument("--data_dir", default=os.environ.get("GANZOO_FMNIST_DIR"))
    p.add_argument("--eval_every", type=int, default=1000)
    p.add_argument("--threads", type=int, default=1, help="CPU threads per process")
    args = p.parse_args()
    names = args.names or [n for n, e in ENTRIES.items() if e["kind"] != "toy"]
    out, work = Path(args.out), Path(args.work)
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "MKL_NUM_THREADS": str(args.threads),
           "PYTHONUNBUFFERED": "1", "HF_HUB_OFFLINE": "1", "MPLBACKEND": "Agg",
           "GANZOO_ZOO_CONCURRENT": str(len(names))}
    procs, t0 = {}, time.time()
    for name in names:
        (work / name).mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "bench.zoo.make_entry", name, "--train_only", "--work",
               str(work / name), "--accelerator", args.accelerator, "--max_time", str(args.max_time),
               "--eval_every", str(args.eval_every)]
        if args.data_dir:
            cmd += ["--data_dir", args.data_dir]
        # make_entry removes the folder before training: the log goes beside it, then moves in
        log = open(work / f"{name}.train.log", "wb")
        procs[name] = (subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT), log)
    summary: dict = {"max_time": args.max_time, "names": names, "runs": {}}
    deadline = t0 + args.max_time + 110  # start-up, export and report take ~40 s on the GPU machine
    for name, (proc, log) in procs.items():
        try:
            proc.wait(max(1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        logf = work / f"{name}.train.log"
        if (work / name).is_dir():
            os.replace(logf, work / name / "train.log")
            logf = work / name / "train.log"
        tail = logf.read_text(errors="replace")[-3000:] if logf.is_file() else ""
        info = work / name / "train_info.json"
        summary["runs"][name] = {"returncode": proc.returncode, "wall_s": round(time.time() - t0),
                                 "train_info": json.loads(info.read_text()) if info.is_file() else None,
                                 "log_tail": tail}
        print(name, proc.returncode, summary["runs"][name]["train_info"], flush=True)
    summary["parts"] = pack(work, names, out)
    summary["total_s"] = round(time.time() - t0)
    (out / "zoo_gpu.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps({k: v for k, v in summary.items() if k != "runs"}), flush=True)


if __name__ == "__main__":
    main()
