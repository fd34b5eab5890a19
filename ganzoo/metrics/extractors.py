"""The feature extractors of the image metrics: images in [0, 1] to features (FID, KID, precision/recall) and class
logits (IS), once per set, with the facts a protocol records (weights hash, resize rule).

* ``"fmnist"``: the shipped Fashion-MNIST classifier (128-d features, 10 logits), for 1x32x32 images; offline.
* ``"fmnist_stacked"``: the same classifier on each channel of 3x32x32 Stacked Fashion-MNIST images
  (:class:`ganzoo.data.StackedFashionMNISTDataModule`): features the three channels' 128-d features concatenated
  (384-d; channel 0's first), logits the 1,000 modes' (``log p0(c0) + log p1(c1) + log p2(c2)`` for mode
  ``100 * c0 + 10 * c1 + c2``, so IS counts modes); offline.
* ``"inception"``: the standard FID InceptionV3 (2048-d pool features, 1008 logits) of torch-fidelity, loaded from
  a local weights file (``weights_path``, torch-fidelity's ``pt_inception-2015-12-05`` format), images resized
  to 299x299 by torchmetrics' bilinear resize with ``antialias=True`` (grey images repeated to 3 channels).

:func:`default_extractor` picks the offline one for a shape, and :func:`pad_for_fmnist` pads raw 28x28 Fashion-MNIST
images to the 32x32 the ``fmnist`` extractor takes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import Tensor, nn

from .features import check_images

EXTRACTORS = ("fmnist", "fmnist_stacked", "inception")


class Extractor:
    """``extract(images in [0, 1]) -> (features (N, D) float32, logits (N, K) float32)`` plus protocol facts."""

    def __init__(self, name: str, weights_path: str | os.PathLike | None = None, device: str | torch.device = "cpu"):
        if name not in EXTRACTORS:
            raise ValueError(f"extractor must be one of {EXTRACTORS}, got {name!r}")
        self.name, self.device = name, torch.device(device)
        if name in ("fmnist", "fmnist_stacked"):
            from .classifier import load_fmnist_classifier

            self.net = load_fmnist_classifier(weights_path).to(self.device)
            self.weights_sha256 = self.net.weights_sha256
            self.resize = "none (native 32x32; 28x28 padded)"
            self.channels = (1,) if name == "fmnist" else (3,)
            if name == "fmnist_stacked":
                self.resize += "; each channel classified alone, features concatenated"
        else:
            self.net = _inception(weights_path).to(self.device)
            from .classifier import sha256

            self.weights_sha256 = sha256(weights_path)
            self.resize = "bilinear to 299x299, antialias=True (torchmetrics NoTrainInceptionV3)"
            self.channels = (1, 3)

    @torch.no_grad()
    def extract(self, images: Tensor, batch_size: int = 250, progress: bool = False) -> tuple[Tensor, Tensor]:
        check_images("images", images)
        if images.shape[1] not in self.channels:
            raise ValueError(f"the {self.name!r} extractor takes images with {self.channels} channel(s), got "
                             f"{tuple(images.shape)}")
        starts = range(0, len(images), batch_size)
        if progress and len(images) > 2 * batch_size:
            from tqdm.auto import tqdm

            starts = tqdm(starts, desc=f"{self.name} features", unit="batch", leave=False)
        feats, logits = [], []
        for s in starts:
            x = images[s: s + batch_size].to(self.device)
            if self.name == "fmnist":
                f = self.net.features(x)
                feats.append(f.float().cpu())
                logits.append(self.net.head(f).float().cpu())
            elif self.name == "fmnist_stacked":  # (B, 3, H, W) -> 3B grey images -> (B, 3 x 128), (B, 1000)
                b = len(x)
                f = self.net.features(x.reshape(b * 3, 1, *x.shape[2:]))
                lp = torch.log_softmax(self.net.head(f).float(), 1).reshape(b, 3, 10)
                feats.append(f.float().reshape(b, -1).cpu())
                logits.append((lp[:, 0, :, None, None] + lp[:, 1, None, :, None] + lp[:, 2, None, None, :])
                              .reshape(b, 1000).cpu())
            else:
                x = x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x
                f, lg = self.net._torch_fidelity_forward((x * 255).round().to(torch.uint8))  # both heads, one pass
                feats.append(f.float().cpu())
                logits.append(lg.float().cpu())
        return torch.cat(feats), torch.cat(logits)


def _inception(weights_path: str | os.PathLike | None) -> nn.Module:
    if weights_path is None:
        raise ValueError(
            "extractor='inception' needs weights_path: a local file of the FID Inception weights "
            "(torch-fidelity's weights-inception-2015-12-05-6726825d.pth); they are not downloaded at run time"
        )
    path = Path(weights_path)
    if not path.is_file():
        raise FileNotFoundError(f"weights_path {path} does not exist")
    # torch-fidelity unpickles the file without weights_only; refuse anything that is not plain tensors first
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        raise ValueError(
            f"weights_path {path} is not a plain state dict (torch.load weights_only=True failed: {e})"
        ) from e
    if not isinstance(state, dict) or not all(isinstance(v, Tensor) for v in state.values()):
        raise ValueError(f"weights_path {path} does not hold a state dict of tensors")
    from torchmetrics.image.fid import NoTrainInceptionV3

    return NoTrainInceptionV3(name="inception-v3-compat", features_list=["2048", "logits_unbiased"],
                              feature_extractor_weights_path=str(path), antialias=True)


def default_extractor(data_shape: Sequence[int], dataset: str | None = None) -> str | None:
    """The offline feature extractor for images of this shape from ``dataset`` (a datamodule's ``dataset_name``,
    when known): the shipped Fashion-MNIST classifier for 1x32x32 images, the same per channel
    (``"fmnist_stacked"``) for Stacked Fashion-MNIST's 3x32x32, else ``None`` (the Inception extractor needs a
    weights file: pass ``extractor="inception"`` and ``weights_path``)."""
    if tuple(data_shape) == (1, 32, 32):
        return "fmnist"
    if tuple(data_shape) == (3, 32, 32) and dataset == "stacked_fashion_mnist":
        return "fmnist_stacked"
    return None


def _extractor_for(shape: tuple[int, ...], dataset: str | None = None) -> str:
    found = default_extractor(shape, dataset)
    if found is None:
        raise ValueError(f"no offline feature extractor for images of shape {shape} (fmnist takes 1x32x32, or 1x28x28 "
                         "padded; fmnist_stacked Stacked Fashion-MNIST's 3x32x32); use the inception extractor with a "
                         "local weights file (extractor='inception' and weights_path in Python, --extractor inception "
                         "--weights_path FILE on the command line)")
    return found


def pad_for_fmnist(images: Tensor, name: str = "images") -> tuple[Tensor, str | None]:
    """1x28x28 images (raw Fashion-MNIST or MNIST) padded to the 1x32x32 the ``fmnist`` extractor takes, with 2 black
    pixels on each side: the rule of ganzoo's Fashion-MNIST and MNIST datamodules (``resize="pad"``,
    ``ganzoo.data.images._pad_or_resize``: 0 in uint8, -1 in [-1, 1]). Returns the images and a one-line note saying
    so, or the images unchanged and ``None`` for any other shape."""
    if tuple(images.shape[1:]) != (1, 28, 28):
        return images, None
    ph = pw = (32 - 28) // 2
    note = (f"{name}: 28x28 images padded to 32x32 with {ph} black pixels on each side, as ganzoo's Fashion-MNIST "
            "datamodule pads them, for the fmnist extractor")
    return torch.nn.functional.pad(images, (pw, pw, ph, ph), value=0.0), note
