"""The divergence guard: a non-finite loss, gradient or weight stops training before it reaches a checkpoint, the
EMA or an export.

The guard checks without a per-step host sync: the losses of every step stay (as device tensors) in the
log buffer, and non-finite values are sticky in the weights (an optimizer step with a NaN or infinite gradient
leaves NaN or infinite weights: Adam, RMSprop, SGD, clipping and spectral norm all keep them), so one check of the
buffered losses and of the weights, every ``log_every_n_steps`` critic steps and before every checkpoint and
export, sees every divergence since the last check. The EMA update is masked on the device (it keeps its last
finite value while the generator's weights are not finite). Every ganzoo module checks this way
(:class:`~ganzoo.training.gan_module.GanModule`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch import Tensor


class DivergenceError(FloatingPointError):
    """Training produced a non-finite loss or gradient; raised before the offending optimizer step."""


def nonfinite_tensors(named: Iterable[tuple[str, Tensor]]) -> list[str]:
    """Names of the floating-point tensors with a NaN or infinite entry (one host sync for all of them)."""
    named = [(n, t) for n, t in named if t is not None and t.is_floating_point()]
    if not named:
        return []
    # max-abs norm: finite exactly when every entry is (an L2 norm overflows for entries above ~1e19)
    norms = torch.stack([n.float() for n in torch._foreach_norm([t.detach() for _, t in named], float("inf"))])
    bad = (~torch.isfinite(norms)).nonzero().flatten().tolist()
    return [named[i][0] for i in bad]


def first_nonfinite_log(rows: list[tuple[int, int, dict[str, float]]]) -> tuple[tuple, str] | None:
    """``(row, key)`` of the first non-finite value among buffered per-step logs (rows of ``(critic iteration,
    generator iteration, {key: value})``, on the host), or ``None``."""
    for row in rows:
        for key, value in row[2].items():
            if not math.isfinite(value):
                return row, key
    return None


def all_finite_flag(tensors: list[Tensor]) -> Tensor:
    """A 0-dim bool tensor on the tensors' device: every entry of every tensor is finite (no host sync)."""
    return torch.isfinite(torch.stack(torch._foreach_norm([t.detach() for t in tensors], float("inf")))).all()
