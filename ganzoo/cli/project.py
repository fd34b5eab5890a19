"""``ganzoo project MODEL --input DIR_OR_NPY --out DIR``: latents of a generator that reconstruct real images.

MODEL is a local folder, a zoo name or a Hub repository id (a latent generator; translators are rejected);
``--input`` a folder of images or a ``.npy`` file (uint8, or floats in [0, 1]), shaped like the model's output.
Writes into ``--out``: ``latents.safetensors`` (``latents`` (n, latent_dim), ``labels`` (n,) for a conditional model,
``psnr`` (n,); the settings in its metadata) and ``comparison.png`` (rows of targets over their reconstructions).
Prints one line: the mean PSNR. Does not import Lightning.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Literal

from ganzoo.cli import api_defaults, command_parser, run
from ganzoo.imageio import read_examples
from ganzoo.io import atomic_write_bytes
from ganzoo.loading import load
from ganzoo.nets.base import require_generator
from ganzoo.projection import FEATURES, comparison_png, project

LATENTS_FILE = "latents.safetensors"
GRID_FILE = "comparison.png"


_API = api_defaults(project)


def project_command(
    model: str,
    *,
    input: str,
    out: str,
    steps: int = _API["steps"],
    seed: int = _API["seed"],
    candidates: int = _API["candidates"],
    features: Literal[(*FEATURES, "none")] = _API["features"],
    feature_weight: float = _API["feature_weight"],
    lr: float = _API["lr"],
    labels: list[int] | None = None,
    batch_size: int = 128,
    nrow: int = 16,
    revision: str | None = None,
    device: str = "cpu",
) -> Path:
    """Latents (and classes) of a pretrained generator that reconstruct real images.

    Writes latents.safetensors and comparison.png into --out; returns that folder.

    Args:
        model: local folder, zoo name (ganzoo.list_pretrained()) or Hub repo id org/name
        input: folder of images, or a .npy file (n, C, H, W) / (n, H, W)
        out: output folder (latents.safetensors, comparison.png)
        steps: Adam steps on the latents
        seed: random seed of the candidate latents
        candidates: start from the best of this many of the model's samples
        features: perceptual term: the shipped Fashion-MNIST classifier's features, or none
        feature_weight: weight of the feature term against the pixel MSE
        lr: Adam learning rate
        labels: classes for a conditional model: one for all images, or one per image (default: chosen)
        batch_size: images optimised at once
        nrow: images per row of the comparison grid
        revision: Hub revision (branch, tag or commit)
        device: torch device

    Examples:
        ganzoo project MODEL --input DIR --out DIR
    """
    args = SimpleNamespace(**locals())

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


def _parser():
    return command_parser(project_command, argparse_style={"labels": {"nargs": "+"}})


def main(argv: list[str] | None = None) -> Path:
    """Run ``ganzoo project``; returns the output folder."""
    return run(project_command, _parser(), argv)


if __name__ == "__main__":
    main()
