"""Pieces shared by the variants: the networks (the MLP pair for 2-D data, or registered architectures named in
the config) and an Adam spec."""

from __future__ import annotations

from typing import Any

from torch import nn

from ganzoo.nets import MLPCritic, MLPGenerator
from ganzoo.registry import build_model
from ganzoo.training import OptimizerSpec

NetSpec = dict[str, Any]
"""A network by registered architecture name and arguments, e.g.
``{"arch": "dcgan_generator", "channels": 1, "resolution": 32}`` (see ``ganzoo.list_models()``)."""


def build_net(spec: NetSpec, role: str) -> nn.Module:
    """Build the network ``spec`` names; ``role`` ("generator"/"critic") names the parameter in errors."""
    if not isinstance(spec, dict) or "arch" not in spec:
        raise ValueError(
            f"{role} must be a mapping with an 'arch' key naming a registered architecture and its arguments, "
            f"e.g. {{'arch': 'dcgan_{role}', 'channels': 1}}; got {spec!r}"
        )
    args = {k: v for k, v in spec.items() if k != "arch"}
    try:
        return build_model(spec["arch"], args)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{role}: {e}") from e


def networks(
    generator: NetSpec | None,
    critic: NetSpec | None,
    *,
    data_dim: int,
    latent_dim: int,
    hidden_dim: int,
    n_layers: int,
    critic_out: int = 1,
) -> tuple[nn.Module, nn.Module, tuple[int, ...] | None]:
    """The variant's networks and the data shape to check them against.

    Without specs: the WGAN-GP toy networks, ReLU MLPs ``z -> x`` and ``x -> (B, critic_out)``, for ``data_dim``-d
    data. With specs (both required): the registered architectures they name; the data shape then comes from the
    generator and is checked against the datamodule at setup. Feature critics (Cramer, MMD) need
    ``out_dim = critic_out`` in the critic spec unless it says otherwise.
    """
    if (generator is None) != (critic is None):
        raise ValueError("give both generator and critic specs, or neither (the 2-D MLP pair)")
    if generator is None:
        return (
            MLPGenerator(latent_dim=latent_dim, out_dim=data_dim, hidden_dim=hidden_dim, n_layers=n_layers),
            MLPCritic(in_dim=data_dim, out_dim=critic_out, hidden_dim=hidden_dim, n_layers=n_layers),
            (data_dim,),
        )
    if critic_out != 1 and "out_dim" not in critic:
        critic = {**critic, "out_dim": critic_out}
    return build_net(generator, "generator"), build_net(critic, "critic"), None


def mlp_pair(
    data_dim: int, latent_dim: int, hidden_dim: int, n_layers: int, critic_out: int = 1
) -> tuple[MLPGenerator, MLPCritic]:
    """The WGAN-GP toy networks: generator z -> x and critic x -> (B, critic_out), ReLU MLPs."""
    g, d, _ = networks(
        None, None, data_dim=data_dim, latent_dim=latent_dim, hidden_dim=hidden_dim, n_layers=n_layers,
        critic_out=critic_out,
    )
    return g, d


def adam(lr: float, betas: tuple[float, float]) -> OptimizerSpec:
    return OptimizerSpec("adam", lr, tuple(betas))
