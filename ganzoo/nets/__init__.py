"""Generators and critics. Widths, depths and sizes are constructor arguments."""

from .mlp import MLPCritic, MLPGenerator

__all__ = ["MLPCritic", "MLPGenerator"]
