"""Where a two-way Fashion-MNIST translator's misses go: the shipped classifier's classes for the real test images of
each domain (its own ceiling) and for their translations.

    python bench/translation_confusion.py [cyclegan-sneaker2boot]

Prints, per direction, the four most frequent classes and their shares. The zoo's score for CycleGAN is the share
classified as the target class; the real images' share is the most it could be with this classifier.
"""

from __future__ import annotations

import argparse
import collections

import torch

import ganzoo
from ganzoo.data.pairs import SneakerToBootDataModule
from ganzoo.metrics.classifier import predict

NAMES = ("T-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot")


def shares(images: torch.Tensor) -> str:
    p = predict(images)
    top = collections.Counter(p.tolist()).most_common(4)
    return ", ".join(f"{NAMES[k]} {v / len(p):.1%}" for k, v in top)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", nargs="?", default="cyclegan-sneaker2boot", help="a zoo name, folder or Hub id")
    args = ap.parse_args()
    a, b = (x.float() / 255 for x in SneakerToBootDataModule()._arrays("test"))  # uint8 -> [0, 1]
    model = ganzoo.load(args.model)
    print(f"real sneakers (A, {len(a)}): {shares(a)}")
    print(f"real ankle boots (B, {len(b)}): {shares(b)}")
    print(f"sneaker -> boot (AtoB): {shares(ganzoo.translate(model, a, 'AtoB'))}")
    print(f"boot -> sneaker (BtoA): {shares(ganzoo.translate(model, b, 'BtoA'))}")


if __name__ == "__main__":
    main()
