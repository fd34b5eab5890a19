"""``ganzoo translate MODEL --input DIR --output DIR [--direction AtoB]``: translate a folder of images.

MODEL is an exported pix2pix/CycleGAN folder, a zoo name or a Hub repository id (loaded as by ``ganzoo.load``).
Every image in ``--input`` (png, jpg, jpeg, bmp, webp) is converted to the generator's channel count, translated
and written to ``--output`` as PNG under the same stem. Does not import Lightning.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

from ganzoo.checks import DIRECTIONS, check_direction
from ganzoo.imageio import read_images, to_pil
from ganzoo.io import atomic_write_bytes
from ganzoo.loading import load
from ganzoo.nets.base import ImageTranslator
from ganzoo.translators import translate


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ganzoo translate", description="Translate a folder of images.")
    p.add_argument("model", help="exported translation model: folder, zoo name or Hub repo id org/name")
    p.add_argument("--input", required=True, help="folder of input images")
    p.add_argument("--output", required=True, help="folder for the translated PNGs (created)")
    p.add_argument("--direction", default="AtoB", help=f"one of {list(DIRECTIONS)} (default AtoB)")
    p.add_argument("--revision", default=None, help="Hub revision (branch, tag or commit)")
    p.add_argument("--device", default="cpu", help="torch device (default cpu)")
    p.add_argument("--batch_size", type=int, default=16)
    return p


def main(argv: list[str] | None = None) -> list[Path]:
    """Run ``ganzoo translate``; returns the written files."""
    args = _parser().parse_args(argv)
    try:
        check_direction(args.direction)
        src = Path(args.input)
        if not src.is_dir():
            raise FileNotFoundError(f"--input {src}: not a folder")
        model = load(args.model, args.revision, device=args.device)
        if not isinstance(model, ImageTranslator):
            raise ValueError(f"{args.model} is not a translation model (use ganzoo sample for generators)")
        check_direction(args.direction, model.directions)
        try:
            stems, x = read_images(src, model.channels(args.direction)[0])
        except ValueError as e:
            raise ValueError(f"--input {e}") from None
        y = translate(model, x, args.direction, batch_size=args.batch_size, device=args.device)
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(f"ganzoo translate: {e}") from None
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, img in zip(stems, to_pil(y)):
        buf = io.BytesIO()
        img.save(buf, format="png")
        atomic_write_bytes(out / f"{stem}.png", buf.getvalue())
        written.append(out / f"{stem}.png")
    print(f"translated {len(written)} images ({args.direction}) into {out}")
    return written


if __name__ == "__main__":
    main()
