"""``ganzoo stats SOURCE --out ref.safetensors [--extractor fmnist|inception]``: reference statistics of images.

SOURCE is a folder of images (PNG/JPEG/BMP/WebP) or a ``.npy``/``.npz`` array (uint8 in 0..255 or floats in
[0, 1]; ``(N, C, H, W)``, ``(N, H, W, C)`` or ``(N, H, W)``). The file holds the images' features in the extractor's
space (float32, what KID and precision/recall need), their mean and covariance (float64, what FID needs) and the
protocol in its safetensors metadata (extractor, weights sha256, resize, resolution, count, source); ``ganzoo eval
SOURCE --ref ref.safetensors`` scores images or a generator against it. Size: 4 N D + 8 D^2 bytes (D = 128 for
fmnist: 5.2 MB for 10,000 images; D = 2048 for inception: 115 MB for 10,000, 443 MB for 50,000).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ganzoo stats", description="Reference statistics of images for ganzoo eval.")
    p.add_argument("source", metavar="SOURCE", help="images: a folder (PNG/JPEG/...), a .npy or a .npz file")
    p.add_argument("--out", required=True, help="statistics file to write (.safetensors)")
    p.add_argument("--extractor", default=None,
                   help="fmnist (the shipped classifier; default for 1x32x32 images) or inception")
    p.add_argument("--weights_path", default=None, help="local weights file of the FID Inception network")
    p.add_argument("--n", type=int, default=None, help="use the first N images (default all)")
    p.add_argument("--device", default=None,
                   help="where feature extraction runs: cpu, cuda, ... (default: cuda when available)")
    return p


def main(argv: list[str] | None = None) -> dict:
    """Run ``ganzoo stats``; writes the file, prints and returns its protocol."""
    args = _parser().parse_args(argv)
    try:
        from ganzoo.cli.eval import _device
        from ganzoo.metrics.images import EXTRACTORS, check_path, reference_stats, save_stats

        out = Path(args.out)
        if out.suffix != ".safetensors":
            raise ValueError(f"--out: statistics are written as .safetensors, got {out}")
        if out.is_dir():
            raise ValueError(f"--out: {out} is a folder")
        if args.extractor is not None and args.extractor not in EXTRACTORS:
            raise ValueError(f"--extractor must be one of {EXTRACTORS}, got {args.extractor!r}")
        if args.n is not None and args.n < 1:
            raise ValueError(f"--n must be a positive integer, got {args.n}")
        check_path(args.source, "SOURCE", stats_ok=False)
        stats = reference_stats(args.source, extractor=args.extractor, weights_path=args.weights_path,
                                device=_device(args.device), n=args.n, name="SOURCE", progress=True)
        save_stats(stats, out)
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(f"ganzoo stats: {e}") from None
    result = {"out": str(out), "bytes": out.stat().st_size, **stats.protocol}
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
