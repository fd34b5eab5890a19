"""``ganzoo eval MODEL --data fashion_mnist --metrics fid,kid,is --n 10000``: image metrics of a generator as JSON.

MODEL is a local folder, a zoo name or a Hub repository id (loaded as by ``ganzoo.load``). The reference images
come from an image datamodule (``--data``: fashion_mnist, mnist, cifar10, celeba, image_folder with
``--data_dir``). The printed JSON holds the metrics and their protocol (extractor, weights hash, resize mode,
sample counts, reference split); ``--out`` also writes it to a file.

A translation model (pix2pix, CycleGAN) is scored on the test split of ``--data`` (edges2fashion, sneaker2boot,
or paired / unpaired with ``--data_dir``): L1, PSNR and FID for paired data; target-class fraction, cycle L1 and FID
for unpaired data (see ``ganzoo.metrics.translation``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ganzoo.io import atomic_write_bytes
from ganzoo.nets.base import ImageTranslator


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ganzoo eval", description="FID/KID/IS of an image generator, printed as JSON.")
    p.add_argument("model", help="local folder, zoo name (ganzoo.list_pretrained()) or Hub repo id org/name")
    p.add_argument("--data", default="fashion_mnist", help="reference dataset (default fashion_mnist)")
    p.add_argument("--data_dir", default=None, help="folder of the reference data (default: the dataset's own)")
    p.add_argument("--split", default="train", help="reference split (default train)")
    p.add_argument("--metrics", default="fid,kid",
                   help="comma-separated subset of fid,kid,is,prdc (default fid,kid)")
    p.add_argument("--n", type=int, default=10000, help="generated images (and real images), default 10000")
    p.add_argument("--extractor", default=None,
                   help="fmnist (the shipped classifier; default for 1x32x32 data) or inception")
    p.add_argument("--weights_path", default=None, help="local weights file of the FID Inception network")
    p.add_argument("--seed", type=int, default=0, help="sample seed; sample i depends only on (seed, i)")
    p.add_argument("--revision", default=None, help="Hub revision (branch, tag or commit)")
    p.add_argument("--device", default=None,
                   help="where sampling and feature extraction run: cpu, cuda, cuda:1, ... (default: cuda when "
                   "available)")
    p.add_argument("--out", default=None, help="also write the JSON to this file")
    return p


def main(argv: list[str] | None = None) -> dict:
    """Run ``ganzoo eval``; prints and returns the metrics with their protocol."""
    args = _parser().parse_args(argv)
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()]
    try:
        from ganzoo.data.images import image_datamodule
        from ganzoo.sampling import load
        from ganzoo.training.image_eval import check_metrics, evaluate_images

        check_metrics(metrics)
        if args.n < 1:
            raise ValueError(f"--n must be a positive integer, got {args.n}")
        model = load(args.model, args.revision, device=_device(args.device))
        if isinstance(model, ImageTranslator):
            return _translation(args, model, metrics)
        if len(getattr(model, "output_shape", ())) != 3:
            raise ValueError(f"{args.model} is not an image generator (output shape {model.output_shape})")
        dm = image_datamodule(args.data, **({"data_dir": args.data_dir} if args.data_dir else {}))
        if tuple(dm.data_shape) != tuple(model.output_shape):
            raise ValueError(
                f"{args.model} makes images of shape {tuple(model.output_shape)} but --data {args.data} has "
                f"{tuple(dm.data_shape)}"
            )
        out = evaluate_images(
            model, dm, metrics=metrics, n=args.n, extractor=args.extractor, weights_path=args.weights_path,
            split=args.split, seed=args.seed, progress=True,
        )
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(f"ganzoo eval: {e}") from None
    out = {"model": str(args.model), **out}
    text = json.dumps(out, indent=1)
    print(text)
    if args.out:
        atomic_write_bytes(Path(args.out), text.encode())
    return out


def _device(name: str | None):
    import torch

    if name is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as e:
        raise ValueError(f"--device {name!r}: {e}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"--device {name}: CUDA is not available on this machine (use --device cpu)")
    return device


TRANSLATION_DATA = {
    "edges2fashion": "EdgesToFashionDataModule", "sneaker2boot": "SneakerToBootDataModule",
    "paired": "PairedImageDataModule", "unpaired": "UnpairedImageDataModule",
}


def _translation(args: argparse.Namespace, model, metrics: list[str]) -> dict:
    from ganzoo import data
    from ganzoo.training.translation_eval import evaluate_translation

    if args.data not in TRANSLATION_DATA:
        raise SystemExit(f"ganzoo eval: --data for a translation model must be one of {sorted(TRANSLATION_DATA)}, "
                         f"got {args.data!r}")
    try:
        dm = getattr(data, TRANSLATION_DATA[args.data])(**({"data_dir": args.data_dir} if args.data_dir else {}))
        n = min(args.n, dm.test_size()) if hasattr(dm, "test_size") else args.n
        scores, _ = evaluate_translation(model, dm, n=n, fid="fid" in metrics, split="test")
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(f"ganzoo eval: {e}") from None
    out = {"model": str(args.model), "data": args.data, "split": "test", **scores}
    skipped = sorted(set(metrics) - {"fid"})
    if skipped:  # KID/IS describe unconditional samples; translations get L1/PSNR or class fraction/cycle L1
        out["not_computed_for_translation"] = skipped
    text = json.dumps(out, indent=1)
    print(text)
    if args.out:
        atomic_write_bytes(Path(args.out), text.encode())
    return out


if __name__ == "__main__":
    main()
