"""Where a two-way Fashion-MNIST translator's misses go: the shipped classifier's classes for the real test images of
each domain (its own ceiling) and for their translations.

    python -m bench.quality.translation_confusion [cyclegan-sneaker2boot]

Prints, per direction, the four most frequent classes and their shares. The zoo's score for CycleGAN is the share
classified as the target class; the real images' share is the most it could be with this classifier.
"""

from __future__ import annotations

import argparse

import ganzoo
from ganzoo.data import SneakerToBootDataModule
from ganzoo.data.images import FASHION_MNIST_CLASSES
from ganzoo.metrics.classifier import class_coverage, predict


def shares(images) -> str:
    """The four most frequent classes among ``images`` ([0, 1]) and their shares of the predictions."""
    fractions = class_coverage(predict(images))["class_fractions"]
    top = sorted(range(len(fractions)), key=lambda k: -fractions[k])[:4]
    return ", ".join(f"{FASHION_MNIST_CLASSES[k]} {fractions[k]:.1%}" for k in top if fractions[k] > 0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", nargs="?", default="cyclegan-sneaker2boot", help="a zoo name, folder or Hub id")
    args = ap.parse_args()
    dm = SneakerToBootDataModule()
    a, b = ((dm.reference_domain("test", d) + 1) / 2 for d in ("A", "B"))  # [-1, 1] -> [0, 1]
    model = ganzoo.load(args.model)
    print(f"real sneakers (A, {len(a)}): {shares(a)}")
    print(f"real ankle boots (B, {len(b)}): {shares(b)}")
    print(f"sneaker -> boot (AtoB): {shares(ganzoo.translate(model, a, 'AtoB'))}")
    print(f"boot -> sneaker (BtoA): {shares(ganzoo.translate(model, b, 'BtoA'))}")


if __name__ == "__main__":
    main()
