"""Objectives: divergences as small stateless objects (see :mod:`ganzoo.objectives.base`)."""

from .base import Objective, scalar
from .energy import Energy, energy_distance_sq
from .fdiv import F_DIVERGENCES, FGAN, FDivergence, variational_bound
from .mmd import KERNELS, MMD, Kernel, MixRBF, MixRQ, make_kernel, mmd2
from .reconstruction import cycle_loss, identity_loss, l1, reference_scale
from .simple import Hinge, LeastSquares, Logistic, RelativisticAverage, Wasserstein

OBJECTIVES = {
    "minimax": lambda: Logistic(nonsaturating=False),
    "nonsaturating": lambda: Logistic(nonsaturating=True),
    "wasserstein": Wasserstein,
    "hinge": Hinge,
    "least_squares": LeastSquares,
    "relativistic_average": RelativisticAverage,
    "energy": Energy,
    "mmd": MMD,
    **{f"f-{name}": (lambda name=name: FGAN(name)) for name in F_DIVERGENCES},
}


def make_objective(name: str) -> Objective:
    """Build an objective by name: one of ``OBJECTIVES`` (f-divergences as ``"f-kl"``, ``"f-js"``, ...)."""
    if name not in OBJECTIVES:
        raise ValueError(f"objective must be one of {sorted(OBJECTIVES)}, got {name!r}")
    return OBJECTIVES[name]()


__all__ = [
    "Objective", "scalar", "Energy", "energy_distance_sq", "F_DIVERGENCES", "FGAN", "FDivergence",
    "variational_bound", "KERNELS", "MMD", "Kernel", "MixRBF", "MixRQ", "make_kernel", "mmd2", "Hinge",
    "LeastSquares", "Logistic", "RelativisticAverage",
    "Wasserstein", "OBJECTIVES", "make_objective", "cycle_loss", "identity_loss", "l1",
    "reference_scale",
]
