"""``ganzoo translate MODEL --input DIR --output DIR [--direction AtoB]``: translate a folder of images.

MODEL is an exported pix2pix/CycleGAN folder, a zoo name or a Hub repository id (loaded as by ``ganzoo.load``).
Every image in ``--input`` (png, jpg, jpeg, bmp, webp) is converted to the generator's channel count, translated
and written to ``--output`` as PNG under the same stem. Does not import Lightning.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Literal

from ganzoo.checks import DIRECTIONS, check_direction
from ganzoo.cli import api_defaults, command_parser, run
from ganzoo.imageio import read_images, to_pil
from ganzoo.io import atomic_write_bytes
from ganzoo.loading import load
from ganzoo.nets.base import ImageTranslator
from ganzoo.translators import translate

_API = api_defaults(translate)


def translate_command(
    model: str,
    *,
    input: str,
    output: str,
    direction: Literal[DIRECTIONS] = _API["direction"],
    revision: str | None = None,
    device: str = "cpu",
    batch_size: int = 16,
) -> list[Path]:
    """Translate a folder of images with a pix2pix or CycleGAN model.

    Returns the written files.

    Args:
        model: exported translation model: folder, zoo name or Hub repo id org/name
        input: folder of input images
        output: folder for the translated PNGs (created)
        direction: which way to translate: A to B or B to A
        revision: Hub revision (branch, tag or commit)
        device: torch device
        batch_size: images translated at once

    Examples:
        ganzoo translate MODEL --input DIR --output DIR [--direction AtoB]
    """
    try:
        check_direction(direction)
        src = Path(input)
        if not src.is_dir():
            raise FileNotFoundError(f"--input {src}: not a folder")
        net = load(model, revision, device=device)
        if not isinstance(net, ImageTranslator):
            raise ValueError(f"{model} is not a translation model (use ganzoo sample for generators)")
        check_direction(direction, net.directions)
        try:
            stems, x = read_images(src, net.channels(direction)[0])
        except ValueError as e:
            raise ValueError(f"--input {e}") from None
        y = translate(net, x, direction, batch_size=batch_size, device=device)
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(f"ganzoo translate: {e}") from None
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, img in zip(stems, to_pil(y)):
        buf = io.BytesIO()
        img.save(buf, format="png")
        atomic_write_bytes(out / f"{stem}.png", buf.getvalue())
        written.append(out / f"{stem}.png")
    print(f"translated {len(written)} images ({direction}) into {out}")
    return written


def _parser():
    return command_parser(translate_command)


def main(argv: list[str] | None = None) -> list[Path]:
    """Run ``ganzoo translate``; returns the written files."""
    return run(translate_command, _parser(), argv)


if __name__ == "__main__":
    main()
