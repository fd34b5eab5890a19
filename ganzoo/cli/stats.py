"""``ganzoo stats SOURCE --out ref.safetensors [--extractor fmnist|inception]``: reference statistics of images.

SOURCE is a folder of images (PNG/JPEG/BMP/WebP) or a ``.npy``/``.npz`` array (uint8 in 0..255 or floats in
[0, 1]; ``(N, C, H, W)``, ``(N, H, W, C)`` or ``(N, H, W)``); or, instead of SOURCE, ``--data NAME`` names a dataset as
``ganzoo eval --data`` does (``fashion_mnist``, ...: the first 10,000 images of its ``--split``, or ``--n``). The file
holds the images' features in the extractor's
space (float32, what KID and precision/recall need), their mean and covariance (float64, what FID needs) and the
protocol in its safetensors metadata (extractor, weights sha256, resize, resolution, count, source); ``ganzoo eval
SOURCE --ref ref.safetensors`` scores images or a generator against it. Size: 4 N D + 8 D^2 bytes (D = 128 for
fmnist: 5.2 MB for 10,000 images; D = 2048 for inception: 115 MB for 10,000, 443 MB for 50,000).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import SimpleNamespace

from ganzoo.cli import api_defaults, command_parser, run
from ganzoo.metrics.reference import reference_stats

_API = api_defaults(reference_stats)


def stats_command(
    source: str | None = None,
    *,
    data: str | None = None,
    data_dir: str | None = None,
    split: str = "train",
    out: str,
    extractor: str | None = _API["extractor"],
    weights_path: str | None = _API["weights_path"],
    n: int | None = _API["n"],
    device: str | None = None,
) -> dict:
    """Write reference statistics for ganzoo eval --ref, of images or of a dataset.

    The statistics are a .safetensors file; prints and returns its protocol.

    Args:
        source: images: a folder (PNG/JPEG/...), a .npy or a .npz file (or --data NAME instead)
        data: a dataset instead of SOURCE, named as by ganzoo eval --data (fashion_mnist, stacked_fashion_mnist,
            mnist, cifar10, celeba, image_folder with --data_dir)
        data_dir: folder of --data's files (default: the dataset's own)
        split: split of --data
        out: statistics file to write (.safetensors)
        extractor: fmnist (the shipped classifier; default for 1x32x32 images), fmnist_stacked (the same per
            channel; default for --data stacked_fashion_mnist) or inception
        weights_path: local weights file of the FID Inception network
        n: use the first N images (default: all of SOURCE; of --data, 10000 or the whole split, as ganzoo eval
            --data)
        device: where feature extraction runs: cpu, cuda, ... (default: cuda when available)

    Examples:
        ganzoo stats DIR_OR_NPY --out ref.safetensors         (or: ganzoo stats --data fashion_mnist --out ...)
    """
    args = SimpleNamespace(**locals())
    try:
        from ganzoo.cli.eval import _device
        from ganzoo.metrics.evaluate import check_path
        from ganzoo.metrics.extractors import EXTRACTORS
        from ganzoo.metrics.reference import save_stats

        out = Path(args.out)
        if out.suffix != ".safetensors":
            raise ValueError(f"--out: statistics are written as .safetensors, got {out}")
        if out.is_dir():
            raise ValueError(f"--out: {out} is a folder")
        if args.extractor is not None and args.extractor not in EXTRACTORS:
            raise ValueError(f"--extractor must be one of {EXTRACTORS}, got {args.extractor!r}")
        if args.n is not None and args.n < 1:
            raise ValueError(f"--n must be a positive integer, got {args.n}")
        if (args.source is None) == (args.data is None):
            raise ValueError("give the images as SOURCE (a folder, .npy or .npz) or a dataset as --data NAME, one of "
                             f"them (got SOURCE {args.source}, --data {args.data})")
        if args.data is None and (args.data_dir is not None or args.split != "train"):
            raise ValueError("--data_dir and --split apply to --data, not to SOURCE")
        extractor = args.extractor
        if args.data is not None:
            images, n, name, desc, extractor = _dataset_images(args)
        else:
            check_path(args.source, "SOURCE", stats_ok=False)
            images, n, name, desc = args.source, args.n, "SOURCE", None
        stats = reference_stats(images, extractor=extractor, weights_path=args.weights_path,
                                device=_device(args.device), n=n, name=name, progress=True)
        if desc is not None:
            stats.protocol["source"] = desc
        save_stats(stats, out)
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(f"ganzoo stats: {e}") from None
    result = {"out": str(out), "bytes": out.stat().st_size, **stats.protocol}
    for line in stats.protocol.get("notes", []):  # e.g. 28x28 images padded to 32x32
        print(f"ganzoo stats: {line}", file=sys.stderr)
    print(json.dumps(result, indent=1))
    return result


def _parser():
    return command_parser(stats_command, argparse_style={"source": {"nargs": "?", "metavar": "SOURCE"}})


def main(argv: list[str] | None = None) -> dict:
    """Run ``ganzoo stats``; writes the file, prints and returns its protocol."""
    return run(stats_command, _parser(), argv)


def _dataset_images(args: SimpleNamespace):
    """``--data``'s first ``--n`` images of ``--split`` (default 10,000 or the whole split, as ``ganzoo eval --data``
    takes them), in [0, 1], with their description and the extractor (``--extractor``, else the dataset's default:
    ``fmnist_stacked`` for stacked_fashion_mnist)."""
    from ganzoo.data.images import image_datamodule
    from ganzoo.metrics.extractors import default_extractor
    from ganzoo.metrics.fid_bias import REFERENCE_N

    dm = image_datamodule(args.data, **({"data_dir": args.data_dir} if args.data_dir else {}))
    size = len(dm.dataset(args.split))
    count = args.n or min(REFERENCE_N, size)
    if count > size:
        raise ValueError(f"--n {count}: --data {args.data} has {size} {args.split} images")
    x, _ = dm.reference_images(args.split, count)
    extractor = args.extractor or default_extractor(dm.data_shape, dm.dataset_name)
    return (x + 1) / 2, None, "--data", f"{args.data} {args.split} split, the first {count} images", extractor


if __name__ == "__main__":
    main()
