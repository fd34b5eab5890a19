"""The shipped Fashion-MNIST classifier: an offline feature extractor for FID/KID/IS on Fashion-MNIST-like data,
and the class-coverage metric.

The weights (``weights/fmnist_classifier.safetensors``) are trained by ``bench/zoo/classifier.py``; its
test accuracy is stored in the file's metadata.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

WEIGHTS = Path(__file__).with_name("weights") / "fmnist_classifier.safetensors"
NUM_CLASSES = 10
FEATURES = 128


class FashionMNISTClassifier(nn.Module):
    """A small CNN: images ``(B, 1, 32, 32)`` (or ``(B, 1, 28, 28)``, padded) in [0, 1] -> logits ``(B, 10)``.

    ``features(x)`` gives the 128-d penultimate activations (after ReLU), the FID/KID features.
    """

    def __init__(self) -> None:
        super().__init__()

        def block(cin: int, cout: int) -> list[nn.Module]:
            return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]

        self.body = nn.Sequential(
            *block(1, 32), nn.MaxPool2d(2),  # 16x16
            *block(32, 64), *block(64, 64), nn.MaxPool2d(2),  # 8x8
            *block(64, 128), nn.MaxPool2d(2),  # 4x4
            nn.Flatten(), nn.Dropout(0.3), nn.Linear(128 * 16, FEATURES), nn.ReLU(),
        )
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(FEATURES, NUM_CLASSES))

    @staticmethod
    def prepare(x: Tensor) -> Tensor:
        """Check ``x`` and map [0, 1] to the network's input scale (mean 0.5 removed); pads 28x28 to 32x32."""
        if x.dim() != 4 or x.shape[1] != 1 or tuple(x.shape[2:]) not in ((32, 32), (28, 28)):
            raise ValueError(
                f"the Fashion-MNIST classifier takes (B, 1, 32, 32) or (B, 1, 28, 28) images, got {tuple(x.shape)}"
            )
        if x.shape[-1] == 28:
            x = F.pad(x, (2, 2, 2, 2))
        return (x.float() - 0.5) / 0.5

    def features(self, x: Tensor) -> Tensor:
        return self.body(self.prepare(x))

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))


def sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


_CACHE: dict[str, FashionMNISTClassifier] = {}


def load_fmnist_classifier(path: str | Path | None = None) -> FashionMNISTClassifier:
    """The shipped classifier (or the weights file ``path``), strict, eval mode, frozen.

    Has ``weights_sha256`` (the file's hash, recorded in metric protocols) and ``test_accuracy`` (from the
    file's metadata, when present).
    """
    from safetensors import safe_open
    from safetensors.torch import load_file

    path = Path(path) if path is not None else WEIGHTS
    if not path.is_file():
        hint = " (run python -m bench.zoo.classifier in a checkout)" if path == WEIGHTS else ""
        raise FileNotFoundError(f"classifier weights {path} not found{hint}")
    key = str(path.resolve())
    if key not in _CACHE:
        model = FashionMNISTClassifier()
        model.load_state_dict(load_file(str(path)), strict=True)
        model.eval().requires_grad_(False)
        with safe_open(str(path), "pt") as f:
            meta = f.metadata() or {}
        model.weights_sha256 = sha256(path)
        model.test_accuracy = float(meta["test_accuracy"]) if "test_accuracy" in meta else None
        _CACHE[key] = model
    return _CACHE[key]


@torch.no_grad()
def predict(images: Tensor, classifier: FashionMNISTClassifier | None = None, batch_size: int = 500) -> Tensor:
    """Predicted classes ``(N,)`` of images ``(N, 1, 32, 32)`` in [0, 1]."""
    clf = classifier or load_fmnist_classifier()
    return torch.cat([clf(images[i: i + batch_size]).argmax(1) for i in range(0, len(images), batch_size)])


def class_coverage(pred: Tensor, labels: Tensor | None = None, num_classes: int = NUM_CLASSES) -> dict[str, Any]:
    """How many classes the classifier finds among images, from its predictions ``pred`` (``(N,)`` class
    indices: ``predict(images)``, or the argmax of the logits ``compute_image_metrics`` already computed).

    A class is *covered* when it receives at least 10% of its uniform share (``0.1 * N / num_classes``)
    of the predictions. With ``labels`` (the classes a conditional generator was asked for) also the
    per-class accuracy (prediction == requested class) and its mean.
    """
    pred = torch.as_tensor(pred).reshape(-1)
    n = len(pred)
    counts = torch.bincount(pred, minlength=num_classes)
    out: dict[str, Any] = {
        "classes_covered": int((counts >= 0.1 * n / num_classes).sum()),
        "num_classes": num_classes,
        "class_fractions": [round(float(c) / n, 4) for c in counts],
        "rule": "a class is covered with >= 10% of its uniform share of predictions",
    }
    if labels is not None:
        labels = torch.as_tensor(labels).reshape(-1)
        if len(labels) != n:
            raise ValueError(f"labels has {len(labels)} entries for {n} images")
        acc = [float((pred[labels == k] == k).float().mean()) if (labels == k).any() else float("nan")
               for k in range(num_classes)]
        out["per_class_accuracy"] = [round(a, 4) for a in acc]
        out["accuracy"] = round(float((pred == labels).float().mean()), 4)
    return out
