"""Objectives: divergences as small stateless objects (see :mod:`ganzoo.objectives.base`)."""

from typing import Any

from ganzoo.registry import build_spec

from .base import Objective, scalar
from .energy import Energy, energy_distance_sq
from .fdiv import F_DIVERGENCES, FGAN, FDivergence
from .mmd import KERNELS, MMD, Kernel, MixRBF, MixRQ, make_kernel, mmd2
from .reconstruction import cycle_loss, identity_loss, l1
from .simple import Hinge, LeastSquares, Logistic, RelativisticAverage, RelativisticPairing, Wasserstein

OBJECTIVES = {
    "minimax": lambda: Logistic(nonsaturating=False),
    "nonsaturating": lambda: Logistic(nonsaturating=True),
    "wasserstein": Wasserstein,
    "hinge": Hinge,
    "least_squares": LeastSquares,
    "relativistic_average": RelativisticAverage,
    "relativistic_pairing": RelativisticPairing,
    "energy": Energy,
    "mmd": MMD,
    "fgan": FGAN,
    **{f"f-{name}": (lambda name=name: FGAN(name)) for name in F_DIVERGENCES},
}


def make_objective(spec: str | dict[str, Any] | Objective) -> Objective:
    """Build an objective from a config value: a name of ``OBJECTIVES`` (f-divergences also as ``"f-kl"``,
    ``"f-js"``, ...), a mapping with its arguments (``{"name": "fgan", "divergence": "kl"}``,
    ``{"name": "mmd", "kernel": "rbf"}``) or the class_path form; a built :class:`Objective` is returned as is."""
    return build_spec(OBJECTIVES, spec, "objective", Objective)


__all__ = [
    "Objective", "scalar", "Energy", "energy_distance_sq", "F_DIVERGENCES", "FGAN", "FDivergence",
    "KERNELS", "MMD", "Kernel", "MixRBF", "MixRQ", "make_kernel", "mmd2", "Hinge",
    "LeastSquares", "Logistic", "RelativisticAverage", "RelativisticPairing",
    "Wasserstein", "OBJECTIVES", "make_objective", "cycle_loss", "identity_loss", "l1",
]
