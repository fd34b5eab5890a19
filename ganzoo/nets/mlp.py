"""MLP generator and critic for low-dimensional data (the WGAN-GP paper's toy networks: 3 hidden ReLU layers)."""

from __future__ import annotations

from torch import Tensor, nn

from ganzoo.checks import check_int
from ganzoo.registry import register_model

from .base import LATENT_DISTRIBUTIONS, Generator


def _mlp(in_dim: int, hidden_dim: int, n_layers: int, out_dim: int, act: type[nn.Module]) -> nn.Sequential:
    layers: list[nn.Module] = []
    d = in_dim
    for _ in range(n_layers):
        layers += [nn.Linear(d, hidden_dim), act()]
        d = hidden_dim
    layers.append(nn.Linear(d, out_dim))
    return nn.Sequential(*layers)


@register_model("mlp_generator")
class MLPGenerator(Generator):
    """z (B, latent_dim) -> x (B, out_dim); ``n_layers`` hidden ReLU layers of width ``hidden_dim``."""

    def __init__(
        self,
        latent_dim: int = 2,
        out_dim: int = 2,
        hidden_dim: int = 512,
        n_layers: int = 3,
        latent_distribution: str = "normal",
    ):
        super().__init__()
        for name, v in (("latent_dim", latent_dim), ("out_dim", out_dim), ("hidden_dim", hidden_dim)):
            check_int(name, v)
        check_int("n_layers", n_layers, 0)
        if latent_distribution not in LATENT_DISTRIBUTIONS:
            raise ValueError(
                f"latent_distribution must be one of {LATENT_DISTRIBUTIONS}, got {latent_distribution!r}"
            )
        self.latent_dim, self.latent_distribution = latent_dim, latent_distribution
        self.output_shape = (out_dim,)
        self.net = _mlp(latent_dim, hidden_dim, n_layers, out_dim, nn.ReLU)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z)


@register_model("mlp_critic")
class MLPCritic(nn.Module):
    """x (B, in_dim) -> (B, out_dim); ``out_dim=1`` for scalar critics, larger for feature critics (Cramer, MMD)."""

    def __init__(self, in_dim: int = 2, out_dim: int = 1, hidden_dim: int = 512, n_layers: int = 3):
        super().__init__()
        for name, v in (("in_dim", in_dim), ("out_dim", out_dim), ("hidden_dim", hidden_dim)):
            check_int(name, v)
        check_int("n_layers", n_layers, 1)
        self.in_dim = in_dim
        self.net = _mlp(in_dim, hidden_dim, n_layers, out_dim, nn.ReLU)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x.reshape(x.shape[0], -1))
