"""``ganzoo search MODEL --examples DIR_OR_NPY --n 64 --seed 0 --out grid.png``: more samples like the examples.

MODEL is a local folder, a zoo name or a Hub repository id; ``--examples`` a folder of images or a ``.npy`` file
(images as uint8 or floats in [0, 1]; points for 2-D models). ``--out`` ending in ``.png`` writes a figure: the
examples on the left, the found samples on the right, MMD^2 before (random samples) and after in the title;
``.npy`` writes the found samples. Does not import Lightning.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import numpy as np
import torch

from ganzoo.imageio import image_grid, read_examples
from ganzoo.io import atomic_write_bytes
from ganzoo.loading import load
from ganzoo.search import FEATURES, KERNELS, search

OUT_SUFFIXES = (".png", ".npy")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ganzoo search",
        description="Find samples of a pretrained generator that match example images (MMD^2 over the latents, "
                    "Jitkrittum et al. 2019).",
    )
    p.add_argument("model", help="local folder, zoo name (ganzoo.list_pretrained()) or Hub repo id org/name")
    p.add_argument("--examples", required=True, help="folder of example images, or a .npy file")
    p.add_argument("--n", type=int, default=64, help="number of samples to find (default 64)")
    p.add_argument("--seed", type=int, default=0, help="random seed (the starting latents)")
    p.add_argument("--steps", type=int, default=100, help="Adam steps on the latents (default 100)")
    p.add_argument("--lr", type=float, default=0.05, help="Adam learning rate (default 0.05)")
    p.add_argument("--pool", type=int, default=16, help="start from the best n of pool*n candidates (default 16)")
    p.add_argument("--features", default="auto", choices=FEATURES, help="feature space of the kernel")
    p.add_argument("--kernel", default="rq", choices=KERNELS, help="kernel on the features (default rq)")
    p.add_argument("--labels", type=int, nargs="+", default=None,
                   help="class labels for a conditional model: one for all samples, or one per sample")
    p.add_argument("--out", default="search.png", help="output file: .png (figure) or .npy (the found samples)")
    p.add_argument("--revision", default=None, help="Hub revision (branch, tag or commit)")
    p.add_argument("--device", default="cpu", help="torch device (default cpu)")
    return p


def figure_png(examples: torch.Tensor, found: torch.Tensor, title: str) -> bytes:
    """Examples (left) and found samples (right) as one PNG: image grids, or scatter plots for 2-D points."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    images = examples.dim() == 4
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.9), gridspec_kw={"width_ratios": [1, 1]})
    for ax, x, name in ((axes[0], examples, "examples"), (axes[1], found, "found")):
        if images:
            grid = image_grid(x).permute(1, 2, 0).numpy()
            ax.imshow(grid[..., 0] if grid.shape[-1] == 1 else grid, cmap="gray", vmin=0, vmax=1)
            ax.axis("off")
        else:
            ax.scatter(x[:, 0].numpy(), x[:, 1].numpy(), s=6, c="tab:orange" if name == "found" else "tab:blue")
            ax.set_aspect("equal")
        ax.set_title(f"{len(x)} {name}", fontsize=10)
    if not images:
        lims = torch.cat([examples, found])
        for ax in axes:
            ax.set_xlim(float(lims[:, 0].min()) - 0.3, float(lims[:, 0].max()) + 0.3)
            ax.set_ylim(float(lims[:, 1].min()) - 0.3, float(lims[:, 1].max()) + 0.3)
    fig.suptitle(title, fontsize=10, y=1.03)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> Path:
    """Run ``ganzoo search``; returns the path written."""
    args = _parser().parse_args(argv)
    out = Path(args.out)
    if out.suffix not in OUT_SUFFIXES:
        raise SystemExit(f"ganzoo search: --out must end in {' or '.join(OUT_SUFFIXES)}, got {str(out)!r}")
    labels = args.labels[0] if args.labels is not None and len(args.labels) == 1 else args.labels
    try:
        model = load(args.model, args.revision, device=args.device)
        found, info = search(model, args.examples, args.n, seed=args.seed, steps=args.steps, lr=args.lr,
                             pool=args.pool, features=args.features, kernel=args.kernel, labels=labels,
                             device=args.device, return_info=True)
        shape = tuple(model.output_shape)
        examples = read_examples(args.examples, shape, len(shape) == 3)
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(f"ganzoo search: {e}") from None
    summary = (f"MMD^2 {info['mmd2_before']:.4f} (random samples) -> {info['mmd2_after']:.4f} (found); "
               f"{info['features']} features, {info['kernel']} kernel, {info['seconds']:.1f} s")
    if out.suffix == ".npy":
        buf = io.BytesIO()
        np.save(buf, found.numpy())
        data = buf.getvalue()
    else:
        data = figure_png(examples, found, f"{args.model}: {args.n} samples like {len(examples)} examples\n{summary}")
    atomic_write_bytes(out, data)
    print(f"wrote {out}: {summary}")
    return out


if __name__ == "__main__":
    main()
