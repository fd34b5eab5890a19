"""FID, precision and recall of the zoo's DCGAN against the truncation psi (a truncated normal latent).

    python -m bench.quality.truncation [--n 10000] [--model dcgan-fashion_mnist] [--threads 2]

For each psi in ``PSIS`` (``None``: no truncation), ``n`` samples (seed 0, ``ganzoo.sample(..., truncation=psi)``)
against ``n`` Fashion-MNIST training images, in the shipped classifier's feature space as the model cards use:
FID, and precision/recall (k = 3, Kynkäänniemi et al. 2019; the training images are the "real" set). Writes
``bench/results/truncation.json`` (with the machine) and ``docs/truncation.png`` (the curves, and sample grids
at a few psi). The psi = None row reproduces the card's FID (same seed, count and reference).
"""

from __future__ import annotations

import argparse
import json
import os
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from tqdm import tqdm  # noqa: E402

import ganzoo  # noqa: E402
from bench.common import RESULTS_DIR, ROOT, cpu_name, stamp  # noqa: E402
from ganzoo.data import FashionMNISTDataModule  # noqa: E402
from ganzoo.imageio import image_grid  # noqa: E402
from ganzoo.io import atomic_write_bytes  # noqa: E402
from ganzoo.metrics.images import compute_image_metrics  # noqa: E402
from ganzoo.plots import save_figure  # noqa: E402

PSIS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, None)
GRID_PSIS = (0.25, 0.5, 1.0, None)
SEED = 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10000, help="samples and real images per point (default 10000)")
    ap.add_argument("--model", default="dcgan-fashion_mnist", help="zoo entry (an unconditional 1x32x32 model)")
    ap.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    g = ganzoo.load(args.model)
    real, _ = FashionMNISTDataModule().reference_images("train", args.n)
    real = (real + 1) / 2
    rows = []
    t_all = time.time()
    for psi in tqdm(PSIS, desc="psi"):
        t0, c0 = time.time(), time.process_time()
        fake = ganzoo.sample(g, args.n, seed=SEED, truncation=psi)
        m = compute_image_metrics(fake, real, metrics=("fid", "prdc"), dataset="fashion_mnist", split="train",
                                  real_name=f"{args.n} Fashion-MNIST training images",
                                  fake_name=f"{args.n} samples of {args.model}, seed {SEED}, truncation {psi}")
        rows.append({"psi": psi, "fid": round(m["fid"], 3),
                     **{k: round(m[k], 4) for k in ("precision", "recall", "density", "coverage")},
                     "classes_covered": m.get("class_coverage", {}).get("classes_covered"),
                     "seconds": round(time.time() - t0, 1), "cpu_seconds": round(time.process_time() - c0, 1)})
        tqdm.write(json.dumps(rows[-1]))
        protocol = m["protocol"]
    entry = ganzoo.zoo.get_entry(args.model)
    result = {
        "model": args.model, "card_fid": entry.metrics.get("fid") if entry else None, "n": args.n, "seed": SEED,
        "reference": "fashion_mnist train", "extractor": "fmnist (shipped classifier)", "prdc_k": 3,
        "truncation": "coordinates outside +-psi redrawn from the normal restricted to [-psi, psi] "
                      "(ganzoo.sampling.latents)",
        "rows": rows, "protocol": protocol, "total_seconds": round(time.time() - t_all, 1),
        "machine": {"processor": cpu_name(), "cpus": os.cpu_count(),
                    "threads": args.threads, "device": "cpu", "torch": torch.__version__},
        "stamp": stamp(),
    }
    atomic_write_bytes(RESULTS_DIR / "truncation.json", (json.dumps(result, indent=1) + "\n").encode())
    plot(result, g)


def plot(result: dict, g: torch.nn.Module) -> None:
    rows = result["rows"]
    finite = [r["psi"] for r in rows if r["psi"] is not None]
    none_x = max(finite) * 1.35  # psi = None (no truncation) drawn at the right, labelled "off"
    xs = [r["psi"] if r["psi"] is not None else none_x for r in rows]
    fig = plt.figure(figsize=(12, 6.6))
    top = fig.add_gridspec(2, 2, height_ratios=[1, 1.05], hspace=0.38, wspace=0.22, top=0.9, bottom=0.02)
    ax_fid, ax_pr = fig.add_subplot(top[0, 0]), fig.add_subplot(top[0, 1])
    ax_fid.plot(xs, [r["fid"] for r in rows], "o-", color="tab:red")
    ax_fid.set_ylabel("FID (lower is better)")
    ax_fid.set_ylim(bottom=0)
    ax_pr.plot(xs, [r["precision"] for r in rows], "o-", label="precision (fidelity)")
    ax_pr.plot(xs, [r["recall"] for r in rows], "s-", label="recall (diversity)")
    ax_pr.set_ylim(0, 1)
    ax_pr.legend(loc="lower right", fontsize=9)
    for ax in (ax_fid, ax_pr):
        ax.set_xticks(xs, [f"{x:g}" for x in finite] + ["off"])
        ax.set_xlabel("truncation psi")
        ax.grid(alpha=0.3)
    grids = top[1, :].subgridspec(1, len(GRID_PSIS), wspace=0.08)
    for k, psi in enumerate(GRID_PSIS):
        ax = fig.add_subplot(grids[0, k])
        x = ganzoo.sample(g, 16, seed=SEED, truncation=psi)
        ax.imshow(image_grid(x, nrow=4)[0], cmap="gray", vmin=0, vmax=1)
        ax.set_title(f"psi = {psi if psi is not None else 'off'}", fontsize=10)
        ax.axis("off")
    m = result["machine"]
    fig.suptitle(f"{result['model']}: FID and precision/recall (k = 3) against truncation, {result['n']} samples vs "
                 f"{result['n']} training images, shipped classifier's features ({m['processor']}, CPU)\n"
                 "samples 0-15 of seed 0 at each psi: a coordinate within +-psi is kept, one outside is redrawn",
                 fontsize=10)
    save_figure(fig, ROOT / "docs" / "truncation.png")


if __name__ == "__main__":
    main()
