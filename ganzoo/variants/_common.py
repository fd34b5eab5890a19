"""Pieces shared by the variants: the MLP pair for 2-D data and an Adam spec."""

from __future__ import annotations

from ganzoo.nets import MLPCritic, MLPGenerator
from ganzoo.training import OptimizerSpec


def mlp_pair(
    data_dim: int, latent_dim: int, hidden_dim: int, n_layers: int, critic_out: int = 1
) -> tuple[MLPGenerator, MLPCritic]:
    """The WGAN-GP toy networks: generator z -> x and critic x -> (B, critic_out), ReLU MLPs."""
    return (
        MLPGenerator(latent_dim=latent_dim, out_dim=data_dim, hidden_dim=hidden_dim, n_layers=n_layers),
        MLPCritic(in_dim=data_dim, out_dim=critic_out, hidden_dim=hidden_dim, n_layers=n_layers),
    )


def adam(lr: float, betas: tuple[float, float]) -> OptimizerSpec:
    return OptimizerSpec("adam", lr, tuple(betas))
