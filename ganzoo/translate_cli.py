"""``ganzoo translate MODEL --input DIR --output DIR [--direction AtoB]``: translate a folder of images.

MODEL is an exported pix2pix/CycleGAN folder, a zoo name or a Hub repository id (loaded as by ``ganzoo.load``).
Every image in ``--input`` (png, jpg, jpeg, bmp, webp) is converted to the generator's channel count, translated
and written to ``--output`` as PNG under the same stem. Does not import Lightning.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import numpy as np
import torch

from ganzoo.io import atomic_write_bytes
from ganzoo.nets.base import ImageTranslator
from ganzoo.sampling import load, to_pil
from ganzoo.translation import DIRECTIONS, check_direction, translate

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")


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


def read_images(folder: Path, channels: int) -> tuple[list[str], torch.Tensor]:
    """The folder's images as ``(N, channels, H, W)`` in [0, 1] (all must share one size) and their stems."""
    from PIL import Image, UnidentifiedImageError

    files = sorted(f for f in folder.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ValueError(f"--input {folder}: no images ({', '.join(IMAGE_SUFFIXES)})")
    arrays = []
    for f in files:
        try:
            with Image.open(f) as im:
                arr = np.asarray(im.convert("L" if channels == 1 else "RGB"), dtype=np.uint8)
        except (UnidentifiedImageError, OSError) as e:
            raise ValueError(f"{f}: not a readable image ({e})") from None
        if arrays and arr.shape != arrays[0].shape:
            raise ValueError(f"{f}: size {arr.shape[1]}x{arr.shape[0]} differs from {files[0]} "
                             f"({arrays[0].shape[1]}x{arrays[0].shape[0]}); resize the inputs to one size")
        arrays.append(arr)
    x = torch.from_numpy(np.stack(arrays)).float().div(255)
    x = x[:, None] if channels == 1 else x.permute(0, 3, 1, 2)
    return [f.stem for f in files], x.contiguous()


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
        stems, x = read_images(src, model.channels(args.direction)[0])
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
