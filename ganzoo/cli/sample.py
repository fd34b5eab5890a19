"""``ganzoo sample MODEL --n 64 --seed 0 --out grid.png``: sample a generator without importing Lightning.

MODEL is a local folder, a zoo name or a Hub repository id. ``--out`` ending in ``.png`` writes an image grid
(image models) or a scatter plot (2-D models); ``.npy`` writes the raw samples. ``--truncation PSI`` redraws latent
coordinates outside +-PSI; ``--interpolate A B`` writes the path from seed A's sample 0 to seed B's (one row, or an
animated ``.gif``); ``--grid classes`` writes one column per class of a conditional model.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import numpy as np
import torch

from ganzoo.io import atomic_write_bytes
from ganzoo.sampling import INTERPOLATION_METHODS, class_grid, grid_png, interpolate, load, sample, to_pil

OUT_SUFFIXES = (".png", ".npy", ".gif")
GIF_FRAME_MS = 120


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ganzoo sample", description="Sample a pretrained generator (folder, zoo name or Hub repo id).",
    )
    p.add_argument("model", help="local folder, zoo name (ganzoo.list_pretrained()) or Hub repo id org/name")
    p.add_argument("--n", type=int, default=64, help="number of samples (default 64)")
    p.add_argument("--seed", type=int, default=0, help="random seed; sample i depends only on (seed, i)")
    p.add_argument("--out", default="grid.png",
                   help="output file: .png (grid or scatter plot), .npy, or .gif (an --interpolate animation)")
    p.add_argument("--labels", type=int, nargs="+", default=None,
                   help="class labels for a conditional model: one for all samples, or one per sample")
    p.add_argument("--revision", default=None, help="Hub revision (branch, tag or commit)")
    p.add_argument("--device", default="cpu", help="torch device (default cpu)")
    p.add_argument("--batch_size", type=int, default=256)
    p.add_argument("--nrow", type=int, default=None, help="images per grid row (default sqrt(n))")
    p.add_argument("--truncation", type=float, default=None, metavar="PSI",
                   help="redraw latent coordinates outside +-PSI (a truncated normal; default: off)")
    p.add_argument("--interpolate", type=int, nargs=2, default=None, metavar=("A", "B"),
                   help="interpolate from sample 0 of seed A to sample 0 of seed B (--out .png: one row; .gif)")
    p.add_argument("--steps", type=int, default=8, help="frames of --interpolate, ends included (default 8)")
    p.add_argument("--method", default="slerp", help=f"--interpolate path: {' or '.join(INTERPOLATION_METHODS)}")
    p.add_argument("--grid", default=None, help="'classes': one column per class of a conditional model")
    p.add_argument("--n_per_class", type=int, default=8, help="rows of --grid classes (default 8)")
    return p


def _check(args: argparse.Namespace, out: Path) -> None:
    """Every flag error, as one line naming the flag, before any model is loaded."""
    def fail(msg: str) -> None:
        raise SystemExit(f"ganzoo sample: {msg}")

    if out.suffix not in OUT_SUFFIXES:
        fail(f"--out must end in .png or .npy (or .gif with --interpolate), got {str(out)!r}")
    if args.n < 1:
        fail(f"--n must be >= 1, got {args.n}")
    if args.seed < 0:
        fail(f"--seed must be >= 0, got {args.seed}")
    if args.truncation is not None and not (0 < args.truncation < float("inf")):
        fail(f"--truncation must be a finite number > 0, got {args.truncation}")
    if args.grid is not None and args.grid != "classes":
        fail(f"--grid must be 'classes', got {args.grid!r}")
    if args.interpolate is not None:
        if args.grid is not None:
            fail("--interpolate and --grid are exclusive")
        if min(args.interpolate) < 0:
            fail(f"--interpolate seeds must be >= 0, got {args.interpolate}")
        if args.steps < 2:
            fail(f"--steps must be >= 2, got {args.steps}")
        if args.method not in INTERPOLATION_METHODS:
            fail(f"--method must be one of {INTERPOLATION_METHODS}, got {args.method!r}")
        if args.labels is not None and len(args.labels) != 1:
            fail(f"--labels takes one class for --interpolate (the whole path), got {args.labels}")
    elif out.suffix == ".gif":
        fail(f"--out .gif is for --interpolate; use .png or .npy, got {str(out)!r}")
    if args.grid is not None:
        if args.labels is not None:
            fail("--labels and --grid classes are exclusive (the grid has every class)")
        if args.n_per_class < 1:
            fail(f"--n_per_class must be >= 1, got {args.n_per_class}")


def gif_bytes(frames: torch.Tensor, frame_ms: int = GIF_FRAME_MS) -> bytes:
    """``(n, C, H, W)`` images in [0, 1] as an animated GIF (bytes) that loops forever."""
    images = to_pil(frames)
    buf = io.BytesIO()
    images[0].save(buf, format="GIF", save_all=True, append_images=images[1:], loop=0, duration=frame_ms)
    return buf.getvalue()


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
    _check(args, out)
    labels = args.labels[0] if args.labels is not None and len(args.labels) == 1 else args.labels
    nrow, what = args.nrow, f"{args.n} samples"
    try:
        model = load(args.model, args.revision, device=args.device)
        if args.grid == "classes" and not int(getattr(model, "num_classes", 0) or 0):
            raise SystemExit(f"ganzoo sample: --grid classes needs a conditional model; {args.model} is "
                             "unconditional")
        if args.interpolate is not None:
            a, b = args.interpolate
            x = interpolate(model, a, b, steps=args.steps, method=args.method, labels=labels,
                            truncation=args.truncation, device=args.device)
            nrow, what = args.steps, f"{args.steps}-step {args.method} from seed {a} to seed {b}"
            if out.suffix == ".gif" and x.dim() != 4:
                raise SystemExit(f"ganzoo sample: --out .gif needs an image model; {args.model} outputs "
                                 f"{tuple(x.shape[1:])}")
        elif args.grid == "classes":
            x = class_grid(model, args.n_per_class, seed=args.seed, truncation=args.truncation,
                           batch_size=args.batch_size, device=args.device)
            nrow = int(model.num_classes)
            what = f"class grid, {args.n_per_class} rows x {nrow} classes"
        else:
            x = sample(model, args.n, seed=args.seed, labels=labels, batch_size=args.batch_size, device=args.device,
                       truncation=args.truncation)
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(f"ganzoo sample: {e}") from None
    if out.suffix == ".gif":
        data = gif_bytes(x)
    elif out.suffix == ".npy":
        buf = io.BytesIO()
        np.save(buf, x.numpy())
        data = buf.getvalue()
    elif x.dim() == 4:
        data = grid_png(x, nrow)
    elif x.dim() == 2 and x.shape[1] == 2:
        seed = "" if args.interpolate is not None else f", seed {args.seed}"
        data = scatter_png(x, f"{args.model}: {what}{seed}")
    else:
        raise SystemExit(f"ganzoo sample: cannot draw samples of shape {tuple(x.shape[1:])} as a PNG; use .npy")
    atomic_write_bytes(out, data)
    psi = "" if args.truncation is None else f", truncation {args.truncation:g}"
    seed = "" if args.interpolate is not None else f", seed {args.seed}"
    print(f"wrote {out} ({what} of {args.model}{seed}{psi})")
    return out


if __name__ == "__main__":
    main()
