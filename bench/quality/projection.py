"""Measured result of ``ganzoo.project``: reconstructing Fashion-MNIST test images with the zoo's DCGAN.

    python -m bench.quality.projection [--model dcgan-fashion_mnist] [--n 100] [--pool 10000] [--steps 200] [--seed 0]
    python -m bench.quality.projection --table-only        # rebuild the docs table from the recorded JSON

Targets: the first ``n`` (100) Fashion-MNIST test images (test-set order). Two methods:

* **nearest of random samples** (the baseline): ``ganzoo.sample(model, pool, seed)`` (10,000 samples), and for each
  target the sample with the lowest pixel MSE;
* **projection**: ``ganzoo.project(model, targets, steps, seed, candidates)`` with its defaults otherwise (pixel MSE +
  the shipped classifier's features, Adam on the latent from the best of ``candidates`` of the same samples).

Reported for both: the mean reconstruction PSNR (dB, images in [0, 1]), the fraction of reconstructions the shipped
classifier (``ganzoo.metrics.classifier.predict``) puts in the target's class, and the wall and CPU seconds
(``torch.set_num_threads(--threads)``; on a machine shared with other work the wall time is inflated, the CPU time
much less). Writes ``bench/results/projection.json``, ``docs/projection.png`` (targets, nearest samples,
projections) and the table between ``<!-- projection:start -->`` / ``<!-- projection:end -->`` (docs/howto/project.md).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import torch

import ganzoo
from bench.common import RESULTS_DIR, ROOT, cpu_name, fill_table, stamp
from ganzoo.data import FashionMNISTDataModule
from ganzoo.imageio import image_grid
from ganzoo.io import atomic_write_bytes
from ganzoo.metrics.classifier import load_fmnist_classifier, predict
from ganzoo.projection import psnr


def nearest(x: torch.Tensor, pool: torch.Tensor, chunk: int = 1000) -> torch.Tensor:
    """Index in ``pool`` of the lowest pixel MSE to each row of ``x``."""
    xf = x.flatten(1).double()
    best = torch.full((len(x),), float("inf"), dtype=torch.float64)
    idx = torch.zeros(len(x), dtype=torch.long)
    for i in range(0, len(pool), chunk):
        p = pool[i: i + chunk].flatten(1).double()
        d = (xf * xf).sum(1, keepdim=True) - 2 * xf @ p.T + (p * p).sum(1)
        val, j = d.min(1)
        better = val < best
        best, idx = torch.where(better, val, best), torch.where(better, j + i, idx)
    return idx


def table(res: dict) -> str:
    rows = ["| method | mean PSNR | reconstructions in the target's class | wall time | CPU time |",
            "|---|---|---|---|---|"]
    for key, name in (("nearest", f"nearest (pixel MSE) of {res['pool']:,} random samples"),
                      ("projection", f"`ganzoo.project`, {res['steps']} steps from the best of "
                                     f"{res['candidates']} samples")):
        r = res[key]
        rows.append(f"| {name} | {r['psnr_mean']:.2f} dB | {100 * r['class_fraction']:.0f}% | {r['seconds']:.0f} s | "
                    f"{r['cpu_seconds']:.0f} s |")
    env = res["environment"]
    rows += ["", f"Model `{res['model']}`, the first {res['n']} Fashion-MNIST test images, seed {res['seed']}; the "
                 f"projection's start (its best candidate) averages {res['projection']['start_psnr_mean']:.2f} dB. "
                 f"Class by the shipped classifier (test accuracy {100 * res['classifier_accuracy_on_targets']:.0f}% "
                 f"on these targets). {env['threads']} CPU threads ({env['processor']}, {env['cpu_count']} cores"
                 f"{', ' + env['note'] if env['note'] else ''}), torch {env['torch']}."]
    return "\n".join(rows)


def figure(x: torch.Tensor, near: torch.Tensor, proj: torch.Tensor, res: dict, path: Path, k: int = 16) -> None:
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = ("targets (test images)", f"nearest of {res['pool']:,} samples, {res['nearest']['psnr_mean']:.1f} dB",
             f"projection ({res['steps']} steps), {res['projection']['psnr_mean']:.1f} dB")
    fig, axes = plt.subplots(3, 1, figsize=(11, 2.6))
    for ax, im, name in zip(axes, (x, near, proj), names):
        ax.imshow(image_grid(im[:k], nrow=k)[0], cmap="gray", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="dcgan-fashion_mnist")
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--pool", type=int, default=10_000)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--candidates", type=int, default=ganzoo.projection.CANDIDATES)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--note", default="", help="what else ran on the machine (recorded with the environment)")
    ap.add_argument("--table-only", action="store_true")
    ap.add_argument("--out", default=str(RESULTS_DIR / "projection.json"))
    args = ap.parse_args()
    if args.table_only:
        res = json.loads(Path(args.out).read_text())
        print(table(res))
        fill_table("projection", table(res))
        return
    torch.set_num_threads(args.threads)
    model = ganzoo.load(args.model)
    x, y = FashionMNISTDataModule().reference_images("test", args.n)
    x = ((x + 1) / 2).clamp(0, 1)
    res: dict = {"model": args.model, "n": args.n, "pool": args.pool, "steps": args.steps,
                 "candidates": args.candidates, "seed": args.seed,
                 "targets": f"the first {args.n} Fashion-MNIST test images",
                 "classifier_accuracy_on_targets": float((predict(x) == y).float().mean()),
                 "classifier_test_accuracy": load_fmnist_classifier().test_accuracy,
                 "environment": {"threads": args.threads, "processor": cpu_name(),
                                 "cpu_count": os.cpu_count(), "torch": torch.__version__, "note": args.note},
                 "stamp": stamp()}

    t, c = time.perf_counter(), time.process_time()
    samples = ganzoo.sample(model, args.pool, seed=args.seed, batch_size=500)
    near = samples[nearest(x, samples)]
    p = psnr(near, x)
    res["nearest"] = {"psnr_mean": float(p.mean()), "psnr": p.tolist(),
                      "class_fraction": float((predict(near) == y).float().mean()),
                      "seconds": time.perf_counter() - t, "cpu_seconds": time.process_time() - c}
    print("nearest", json.dumps({k: v for k, v in res["nearest"].items() if k != "psnr"}), flush=True)
    del samples

    t, c = time.perf_counter(), time.process_time()
    r = ganzoo.project(model, x, steps=args.steps, seed=args.seed, candidates=args.candidates, progress=True)
    res["projection"] = {"psnr_mean": r.mean_psnr, "psnr": r.psnr.tolist(),
                         "start_psnr_mean": float(r.start_psnr.mean()),
                         "class_fraction": float((predict(r.images) == y).float().mean()),
                         "features": r.features, "feature_weight": ganzoo.projection.FEATURE_WEIGHT,
                         "lr": ganzoo.projection.LR, "latent_norms": r.latents.norm(dim=1).tolist(),
                         "seconds": time.perf_counter() - t, "cpu_seconds": time.process_time() - c}
    print("projection", json.dumps({k: v for k, v in res["projection"].items()
                                    if k not in ("psnr", "latent_norms")}), flush=True)
    figure(x, near, r.images, res, ROOT / "docs" / "projection.png")
    atomic_write_bytes(Path(args.out), (json.dumps(res, indent=2) + "\n").encode())
    md = table(res)
    print(md)
    fill_table("projection", md)
    print(f"wrote {args.out}, {ROOT / 'docs' / 'projection.png'}")


if __name__ == "__main__":
    main()
