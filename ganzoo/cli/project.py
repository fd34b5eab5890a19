"""``ganzoo project MODEL --input DIR_OR_NPY --out DIR``: latents of a generator that reconstruct real images.

MODEL is a local folder, a zoo name or a Hub repository id (a latent generator; translators are rejected);
``--input`` a folder of images or a ``.npy`` file (uint8, or floats in [0, 1]), shaped like the model's output.
Writes into ``--out``: ``latents.safetensors`` (``latents`` (n, latent_dim), ``labels`` (n,) for a conditional model,
``psnr`` (n,); the settings in its metadata) and ``comparison.png`` (rows of targets over their reconstructions).
Prints one line: the mean PSNR. Does not import Lightning.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ganzoo.imageio import read_examples
from ganzoo.io import atomic_write_bytes
from ganzoo.loading import load
from ganzoo.nets.base import require_generator
from ganzoo.projection import CANDIDATES, FEATURE_WEIGHT, FEATURES, LR, comparison_png, project

LATENTS_FILE = "latents.safetensors"
GRID_FILE = "comparison.png"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ganzoo project",
        description="Find latents (and classes) of a pretrained generator whose samples reconstruct given images.",
    )
    p.add_argument("model", help="local folder, zoo name (ganzoo.list_pretrained()) or Hub repo id org/name")
    p.add_argument("--input", required=True, help="folder of images, or a .npy file (n, C, H, W) / (n, H, W)")
    p.add_argument("--out", required=True, help=f"output folder ({LATENTS_FILE}, {GRID_FILE})")
    p.add_argument("--steps", type=int, default=200, help="Adam steps on the latents (default 200)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the candidate latents (default 0)")
    p.add_argument("--candidates", type=int, default=CANDIDATES,
                   help=f"start from the best of this many of the model's samples (default {CANDIDATES})")
    p.add_argument("--features", default="auto", choices=[*FEATURES, "none"],
                   help="perceptual term: the shipped Fashion-MNIST classifier's features, or none (default auto)")
    p.add_argument("--feature_weight", type=float, default=FEATURE_WEIGHT,
                   help=f"weight of the feature term against the pixel MSE (default {FEATURE_WEIGHT})")
    p.add_argument("--lr", type=float, default=LR, help=f"Adam learning rate (default {LR})")
    p.add_argument("--labels", type=int, nargs="+", default=None,
                   help="classes for a conditional model: one for all images, or one per image (default: chosen)")
    p.add_argument("--batch_size", type=int, default=128, help="images optimised at once (default 128)")
    p.add_argument("--nrow", type=int, default=16, help="images per row of the comparison grid (default 16)")
    p.add_argument("--revision", default=None, help="Hub revision (branch, tag or commit)")
    p.add_argument("--device", default="cpu", help="torch device (default cpu)")
    return p


def main(argv: list[str] | None = None) -> Path:
    """Run ``ganzoo project``; returns the output folder."""
    args = _parser().parse_args(argv)

    def fail(msg: str) -> SystemExit:
        return SystemExit(f"ganzoo project: {msg}")

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise fail(f"--out {str(out)!r} exists and is not a folder")
    for flag, value, least in (("--steps", args.steps, 0), ("--seed", args.seed, 0),
                               ("--candidates", args.candidates, 1), ("--batch_size", args.batch_size, 1),
                               ("--nrow", args.nrow, 1)):
        if value < least:
            raise fail(f"{flag} must be >= {least}, got {value}")
    if not (0 < args.lr < float("inf")):
        raise fail(f"--lr must be a finite number > 0, got {args.lr}")
    if not (0 <= args.feature_weight < float("inf")):
        raise fail(f"--feature_weight must be a finite number >= 0, got {args.feature_weight}")
    if not Path(args.input).exists():
        raise fail(f"--input {args.input!r} does not exist")
    labels = args.labels[0] if args.labels is not None and len(args.labels) == 1 else args.labels
    try:
        model = require_generator(load(args.model, args.revision, device=args.device), "model")
        shape = tuple(model.output_shape)
        targets = read_examples(args.input, shape, True, name="--input images", min_items=1) if len(shape) == 3 \
            else args.input  # not an image model: project() says so
        res = project(model, targets, steps=args.steps, seed=args.seed, candidates=args.candidates,
                      features=None if args.features == "none" else args.features,
                      feature_weight=args.feature_weight, lr=args.lr, labels=labels, device=args.device,
                      batch_size=args.batch_size, progress=True)
    except (FileNotFoundError, ValueError) as e:
        raise fail(str(e).splitlines()[0]) from None
    from safetensors.torch import save

    tensors = {"latents": res.latents.contiguous(), "psnr": res.psnr.float().contiguous()}
    if res.labels is not None:
        tensors["labels"] = res.labels.contiguous()
    settings = {"seed": res.seed, "steps": res.steps, "candidates": res.candidates, "features": res.features,
                "feature_weight": args.feature_weight, "lr": args.lr}
    meta = {"model": str(args.model), "input": str(args.input), "mean_psnr": f"{res.mean_psnr:.3f}",
            "settings": json.dumps(settings)}
    atomic_write_bytes(out / LATENTS_FILE, save(tensors, metadata=meta))
    atomic_write_bytes(out / GRID_FILE, comparison_png(targets, res.images, nrow=args.nrow))
    print(f"projected {len(res.latents)} images: mean PSNR {res.mean_psnr:.2f} dB (best candidate "
          f"{float(res.start_psnr.mean()):.2f} dB), {res.steps} steps, {res.seconds:.1f} s; wrote "
          f"{out / LATENTS_FILE}, {out / GRID_FILE}")
    return out


if __name__ == "__main__":
    main()
