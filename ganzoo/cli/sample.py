"""``ganzoo sample MODEL --n 64 --seed 0 --out grid.png``: sample a generator without importing Lightning.

MODEL is a local folder, a zoo name or a Hub repository id. ``--out`` ending in ``.png`` writes an image grid
(image models) or a scatter plot (2-D models); ``.npy`` writes the raw samples.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import numpy as np
import torch

from ganzoo.io import atomic_write_bytes
from ganzoo.sampling import grid_png, load, sample

OUT_SUFFIXES = (".png", ".npy")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ganzoo sample", description="Sample a pretrained generator (folder, zoo name or Hub repo id).",
    )
    p.add_argument("model", help="local folder, zoo name (ganzoo.list_pretrained()) or Hub repo id org/name")
    p.add_argument("--n", type=int, default=64, help="number of samples (default 64)")
    p.add_argument("--seed", type=int, default=0, help="random seed; sample i depends only on (seed, i)")
    p.add_argument("--out", default="grid.png", help="output file: .png (grid or scatter plot) or .npy")
    p.add_argument("--labels", type=int, nargs="+", default=None,
                   help="class labels for a conditional model: one for all samples, or one per sample")
    p.add_argument("--revision", default=None, help="Hub revision (branch, tag or commit)")
    p.add_argument("--device", default="cpu", help="torch device (default cpu)")
    p.add_argument("--batch_size", type=int, default=256)
    p.add_argument("--nrow", type=int, default=None, help="images per grid row (default sqrt(n))")
    return p


def scatter_png(points: torch.Tensor, title: str) -> bytes:
    """A scatter plot of ``(n, 2)`` points as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.scatter(points[:, 0].numpy(), points[:, 1].numpy(), s=4, c="tab:blue", alpha=0.6)
    ax.set_aspect("equal")
    ax.set_title(title, fontsize=9)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> Path:
    """Run ``ganzoo sample``; returns the path written."""
    args = _parser().parse_args(argv)
    out = Path(args.out)
    if out.suffix not in OUT_SUFFIXES:
        raise SystemExit(f"ganzoo sample: --out must end in {' or '.join(OUT_SUFFIXES)}, got {str(out)!r}")
    if args.n < 1:
        raise SystemExit(f"ganzoo sample: --n must be >= 1, got {args.n}")
    if args.seed < 0:
        raise SystemExit(f"ganzoo sample: --seed must be >= 0, got {args.seed}")
    labels = args.labels[0] if args.labels is not None and len(args.labels) == 1 else args.labels
    try:
        model = load(args.model, args.revision, device=args.device)
        x = sample(model, args.n, seed=args.seed, labels=labels, batch_size=args.batch_size, device=args.device)
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(f"ganzoo sample: {e}") from None
    if out.suffix == ".npy":
        buf = io.BytesIO()
        np.save(buf, x.numpy())
        data = buf.getvalue()
    elif x.dim() == 4:
        data = grid_png(x, args.nrow)
    elif x.dim() == 2 and x.shape[1] == 2:
        data = scatter_png(x, f"{args.model}: {args.n} samples, seed {args.seed}")
    else:
        raise SystemExit(f"ganzoo sample: cannot draw samples of shape {tuple(x.shape[1:])} as a PNG; use .npy")
    atomic_write_bytes(out, data)
    print(f"wrote {out} ({args.n} samples of {args.model}, seed {args.seed})")
    return out


if __name__ == "__main__":
    main()
