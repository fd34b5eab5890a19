"""The network interfaces the rest of ganzoo reads instead of probing attributes.

- :class:`Generator`: latents ``(B, latent_dim)`` [+ labels ``(B,)``] -> samples ``(B, *output_shape)``. It states its
  latent size and distribution, its classes (0: unconditional), its output shape and range (``None`` for points);
  ``ganzoo.sample``, ``ganzoo.search``, the training module and the folder format read these.
- :class:`ImageTranslator`: images ``(B, in_channels, H, W)`` in [-1, 1] -> ``(B, out_channels, H, W)`` in [-1, 1];
  ``ganzoo.translate`` and the translation GANs take these.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

LATENT_DISTRIBUTIONS = ("normal", "uniform")


class Generator(nn.Module):
    """Base of the latent generators (subclass it for your own: set the attributes in ``__init__``)."""

    latent_dim: int
    latent_distribution: str = "normal"  # "normal": N(0, I); "uniform": U[-1, 1]^latent_dim
    num_classes: int = 0  # > 0: class-conditional, called as generator(z, labels)
    output_shape: tuple[int, ...]
    output_range: tuple[float, float] | None = None  # (lo, hi) of the raw output (images), None for points

    def sample_latent(self, n: int, generator: torch.Generator | None = None, device=None) -> Tensor:
        """``n`` latent vectors ``(n, latent_dim)`` from the generator's latent distribution."""
        device = device if device is not None else next(self.parameters()).device
        shape = (n, self.latent_dim)
        if self.latent_distribution == "uniform":
            z = torch.rand(shape, generator=generator) * 2 - 1
        else:
            z = torch.randn(shape, generator=generator)
        return z.to(device)


class ImageTranslator(nn.Module):
    """Base of the image-to-image networks (and of :class:`ganzoo.translators.Translator`)."""

    in_channels: int
    out_channels: int
    output_range: tuple[float, float] = (-1.0, 1.0)


class Exportable:
    """A training module that exports a network: ``export_model`` (a :class:`Generator` or an
    :class:`ImageTranslator`). ``ganzoo.sample``, ``ganzoo.translate`` and ``ganzoo.search`` accept one and use its
    exported network; every ganzoo LightningModule is one (:class:`ganzoo.training.gan_module.GanModule`)."""

    @property
    def export_model(self) -> nn.Module:
        raise NotImplementedError


def exported(model: object) -> object:
    """The network ``model`` exports if it is a training module, else ``model``."""
    return model.export_model if isinstance(model, Exportable) else model


def require_generator(model: object, what: str = "model") -> Generator:
    """``model`` if it is a :class:`Generator`, else a ``ValueError`` naming ``what``."""
    model = exported(model)
    if isinstance(model, ImageTranslator):
        raise ValueError(f"{what} is an image-to-image translator ({type(model).__name__}), not a latent generator; "
                         "use ganzoo.translate for translators")
    if not isinstance(model, Generator):
        raise ValueError(f"{what} ({type(model).__name__}) is not a ganzoo generator: subclass ganzoo.nets.Generator "
                         "(latent_dim, output_shape, ...)")
    return model
