"""``ganzoo search MODEL --examples DIR_OR_NPY --n 64 --seed 0 --out grid.png``: more samples like the examples.

MODEL is a local folder, a zoo name or a Hub repository id; ``--examples`` a folder of images or a ``.npy`` file
(images as uint8 or floats in [0, 1]; points for 2-D models). ``--out`` ending in ``.png`` writes a figure: the
examples on the left, the found samples on the right, MMD^2 before (random samples) and after in the title;
``.npy`` writes the found samples. Does not import Lightning.
"""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace
from typing import Literal

import torch

from ganzoo.cli import api_defaults, command_parser, run
from ganzoo.imageio import image_grid, npy_bytes, read_examples
from ganzoo.io import atomic_write_bytes
from ganzoo.loading import load
from ganzoo.search import FEATURES, KERNELS, search

OUT_SUFFIXES = (".png", ".npy")


ARGPARSE_STYLE = {"labels": {"nargs": "+"}}
_API = api_defaults(search)


def _parser():
    return command_parser(search_command, argparse_style=ARGPARSE_STYLE)


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


def search_command(
    model: str,
    *,
    examples: str,
    n: int = _API["n"],
    seed: int = 0,
    steps: int = _API["steps"],
    lr: float = _API["lr"],
    pool: int = _API["pool"],
    features: Literal[FEATURES] = _API["features"],
    kernel: Literal[KERNELS] = _API["kernel"],
    labels: list[int] | None = None,
    out: str = "search.png",
    revision: str | None = None,
    device: str = "cpu",
) -> Path:
    """Samples of a pretrained generator like the examples (MMD^2 over the latents).

    Jitkrittum et al. 2019. Returns the path written.

    Args:
        model: local folder, zoo name (ganzoo.list_pretrained()) or Hub repo id org/name
        examples: folder of example images, or a .npy file
        n: number of samples to find
        seed: random seed (the starting latents)
        steps: Adam steps on the latents
        lr: Adam learning rate
        pool: start from the best n of pool*n candidates
        features: feature space of the kernel
        kernel: kernel on the features
        labels: class labels for a conditional model: one for all samples, or one per sample
        out: output file: .png (figure) or .npy (the found samples)
        revision: Hub revision (branch, tag or commit)
        device: torch device

    Examples:
        ganzoo search MODEL --examples DIR_OR_NPY --n 64 --seed 0 --out grid.png
    """
    args = SimpleNamespace(**locals())
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
        data = npy_bytes(found)
    else:
        data = figure_png(examples, found, f"{args.model}: {args.n} samples like {len(examples)} examples\n{summary}")
    atomic_write_bytes(out, data)
    print(f"wrote {out}: {summary}")
    return out


def main(argv: list[str] | None = None) -> Path:
    """Run ``ganzoo search``; returns the path written."""
    return run(search_command, _parser(), argv)


if __name__ == "__main__":
    main()
