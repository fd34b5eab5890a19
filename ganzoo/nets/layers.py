"""Layers and checks shared by the image networks (DCGAN, SN-GAN ResNet).

* ``ConditionalBatchNorm2d``: batch norm whose affine parameters are looked up per class (generators).
* ``ProjectionHead``: the projection discriminator's output layer (Miyato & Koyama 2018).
* ``norm2d``: the critic normalisations ("batch", "layer", "instance", "none").
* argument / input checks that raise ``ValueError`` naming the argument or the expected shape.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ganzoo.checks import check_int

NORMS = ("batch", "layer", "instance", "none")


def check_resolution(resolution: int, minimum: int = 16) -> int:
    """Validate an image side length (a power of two >= ``minimum``); returns ``log2(resolution)``."""
    check_int("resolution", resolution, 1)
    if resolution < minimum or resolution & (resolution - 1):
        raise ValueError(f"resolution must be a power of two >= {minimum} (e.g. 32 or 64), got {resolution!r}")
    return int(math.log2(resolution))


def check_num_classes(num_classes: int) -> None:
    """``num_classes`` must be an integer >= 0 (0: unconditional)."""
    check_int("num_classes", num_classes, 0)


def check_labels(labels: Tensor | None, num_classes: int, batch_size: int, who: str) -> None:
    """Check that ``labels`` (``(B,)`` integer tensor) are given exactly when ``num_classes > 0``.

    The range ``[0, num_classes)`` is checked for CPU tensors only (a check on an accelerator would
    synchronise it); out-of-range labels on an accelerator fail inside the embedding lookup.
    """
    if num_classes == 0:
        if labels is not None:
            raise ValueError(f"{who} is unconditional (num_classes=0) but labels were given")
        return
    if labels is None:
        raise ValueError(f"{who} is conditional (num_classes={num_classes}): labels, a (B,) int64 tensor, are required")
    if not isinstance(labels, Tensor) or labels.dtype.is_floating_point or labels.dtype.is_complex \
            or labels.dtype == torch.bool:
        raise ValueError(f"{who}: labels must be an integer tensor of shape (B,), got {labels!r}")
    if tuple(labels.shape) != (batch_size,):
        raise ValueError(f"{who}: labels must have shape ({batch_size},) to match the batch, got {tuple(labels.shape)}")
    if labels.device.type == "cpu" and labels.numel() and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"{who}: labels must lie in [0, {num_classes - 1}], got values in "
                         f"[{int(labels.min())}, {int(labels.max())}]")


def check_latent(z: Tensor, latent_dim: int, who: str) -> None:
    """``z`` must be ``(B, latent_dim)``."""
    if z.dim() != 2 or z.shape[1] != latent_dim:
        raise ValueError(f"{who}: expected latent of shape (B, {latent_dim}), got {tuple(z.shape)}")


def check_image(x: Tensor, input_shape: tuple[int, int, int], who: str) -> None:
    """``x`` must be ``(B, *input_shape)``."""
    if x.dim() != 4 or tuple(x.shape[1:]) != tuple(input_shape):
        raise ValueError(f"{who}: expected input of shape (B, {', '.join(map(str, input_shape))}), "
                         f"got {tuple(x.shape)}")


def norm2d(kind: str, channels: int) -> nn.Module:
    """A critic normalisation over ``channels`` feature maps.

    ``"batch"``: BatchNorm2d (not valid with gradient penalties: the penalty is per sample, batch norm mixes
    samples; Gulrajani et al. 2017, sec. 4). ``"layer"``: layer norm over (C, H, W) with a per-channel affine
    (``GroupNorm(1, C)``), the WGAN-GP critic's choice. ``"instance"``: InstanceNorm2d with affine.
    ``"none"``: identity.
    """
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "layer":
        return nn.GroupNorm(1, channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"norm must be one of {NORMS}, got {kind!r}")


class ConditionalBatchNorm2d(nn.Module):
    """BatchNorm2d without affine, followed by a per-class scale and shift (de Vries et al. 2017).

    ``forward(x (B, C, H, W), labels (B,) int64) -> (B, C, H, W)``: ``gamma[y] * BN(x) + beta[y]``. ``gamma``
    starts at 1 and ``beta`` at 0 for every class, so a fresh layer is plain batch norm.
    """

    def __init__(self, num_features: int, num_classes: int, eps: float = 1e-5, momentum: float = 0.1):
        super().__init__()
        check_int("num_features", num_features)
        check_int("num_classes", num_classes)
        self.num_features, self.num_classes = num_features, num_classes
        self.bn = nn.BatchNorm2d(num_features, eps=eps, momentum=momentum, affine=False)
        self.gamma = nn.Embedding(num_classes, num_features)
        self.beta = nn.Embedding(num_classes, num_features)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.ones_(self.gamma.weight)
        nn.init.zeros_(self.beta.weight)

    def forward(self, x: Tensor, labels: Tensor) -> Tensor:
        h = self.bn(x)
        return self.gamma(labels)[:, :, None, None] * h + self.beta(labels)[:, :, None, None]


def batch_norm2d(num_features: int, num_classes: int) -> nn.Module:
    """Plain BatchNorm2d when ``num_classes == 0``, else ``ConditionalBatchNorm2d``."""
    if num_classes:
        return ConditionalBatchNorm2d(num_features, num_classes)
    return nn.BatchNorm2d(num_features)


def apply_norm(norm: nn.Module, x: Tensor, labels: Tensor | None) -> Tensor:
    """Call ``norm`` with the labels if it is conditional."""
    return norm(x, labels) if isinstance(norm, ConditionalBatchNorm2d) else norm(x)


class ProjectionHead(nn.Module):
    """Critic output layer: ``linear(phi) [+ <embed(y), phi>]`` (projection discriminator, Miyato & Koyama 2018).

    ``forward(phi (B, F), labels (B,) | None) -> (B, out_dim)``. The projection term exists only for scalar
    critics: ``num_classes > 0`` with ``out_dim > 1`` raises ``ValueError``.
    """

    def __init__(self, features: int, out_dim: int = 1, num_classes: int = 0):
        super().__init__()
        check_int("out_dim", out_dim)
        check_num_classes(num_classes)
        if num_classes and out_dim != 1:
            raise ValueError(f"out_dim must be 1 for a conditional (projection) critic, got out_dim={out_dim} "
                             f"with num_classes={num_classes}")
        self.linear = nn.Linear(features, out_dim)
        self.embed = nn.Embedding(num_classes, features) if num_classes else None

    def forward(self, phi: Tensor, labels: Tensor | None = None) -> Tensor:
        out = self.linear(phi)
        if self.embed is not None and labels is not None:
            out = out + (self.embed(labels) * phi).sum(dim=1, keepdim=True)
        return out


__all__ = [
    "NORMS", "ConditionalBatchNorm2d", "ProjectionHead", "apply_norm", "batch_norm2d", "check_image",
    "check_labels", "check_latent", "check_num_classes", "check_resolution", "norm2d",
]
