"""The FID paper's sanity figure on real Fashion-MNIST with the shipped classifier as extractor.

    python -m bench.quality.fid_sanity [--n 5000]

FID between ``n`` corrupted test images and 10,000 training images, for Gaussian noise, Gaussian blur and
salt-and-pepper of increasing strength, next to the clean test-vs-train FID. Writes ``docs/fid_sanity.png`` and
``bench/results/fid_sanity.json``. ``tests/test_image_metrics.py`` asserts the same monotone curves.
"""

from __future__ import annotations

import argparse
import json

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
import torchvision.transforms.functional as TF

from bench.common import RESULTS_DIR, ROOT
from ganzoo.data.idx import default_fashion_mnist_dir, load_idx_split
from ganzoo.metrics.images import compute_image_metrics
from ganzoo.plots import save_figure

LEVELS = {
    "gaussian noise (σ)": (0.0, 0.05, 0.1, 0.2, 0.3, 0.4),
    "gaussian blur (σ, 9x9 kernel)": (0.0, 0.5, 1.0, 1.5, 2.0, 2.5),
    "salt and pepper (fraction)": (0.0, 0.02, 0.05, 0.1, 0.15, 0.2),
}


def load(split: str, n: int) -> torch.Tensor:
    folder = default_fashion_mnist_dir()
    if folder is None:
        raise SystemExit("Fashion-MNIST IDX files not found: apt-get install dataset-fashion-mnist")
    x, _ = load_idx_split(folder, split)
    return F.pad(torch.from_numpy(x[:n]).float().div(255)[:, None], (2, 2, 2, 2))


def corrupt(kind: str, x: torch.Tensor, s: float, g: torch.Generator) -> torch.Tensor:
    if s == 0:
        return x
    if kind.startswith("gaussian noise"):
        return (x + s * torch.randn(x.shape, generator=g)).clamp(0, 1)
    if kind.startswith("gaussian blur"):
        return TF.gaussian_blur(x, kernel_size=9, sigma=s)
    u = torch.rand(x.shape, generator=g)
    return torch.where(u < s / 2, 0.0, torch.where(u > 1 - s / 2, 1.0, x))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5000, help="test images per point (default 5000)")
    args = ap.parse_args()
    test, ref = load("test", args.n), load("train", 10000)
    g = torch.Generator().manual_seed(0)
    curves = {}
    for kind, levels in LEVELS.items():
        curves[kind] = [compute_image_metrics(corrupt(kind, test, s, g), ref, metrics=("fid",),
                                              dataset="fashion_mnist")["fid"] for s in levels]
        print(kind, [round(f, 2) for f in curves[kind]], flush=True)
    result = {"n_test": args.n, "n_train": 10000, "extractor": "fmnist", "levels": LEVELS, "fid": curves}
    (RESULTS_DIR / "fid_sanity.json").write_text(json.dumps(result, indent=1) + "\n")
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    for ax, (kind, levels) in zip(axes, LEVELS.items()):
        ax.plot(levels, curves[kind], "o-")
        ax.set_xlabel(kind)
        ax.set_ylabel("FID")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        img = corrupt(kind, test[:1], levels[-1], torch.Generator().manual_seed(1))[0, 0]
        inset = ax.inset_axes([0.05, 0.55, 0.35, 0.4])
        inset.imshow(img, cmap="gray", vmin=0, vmax=1)
        inset.set_xticks([])
        inset.set_yticks([])
    fig.suptitle(f"FID ({args.n} test vs 10,000 train images, shipped classifier) under corruption; "
                 "inset: strongest level", fontsize=10)
    save_figure(fig, ROOT / "docs" / "fid_sanity.png")


if __name__ == "__main__":
    main()
