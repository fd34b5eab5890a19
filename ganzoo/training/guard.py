"""The divergence guard: a non-finite loss or gradient stops training before the optimizer step."""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor, nn


class DivergenceError(FloatingPointError):
    """Training produced a non-finite loss or gradient; raised before the offending optimizer step."""


def _grads(params: Iterable[nn.Parameter]) -> list[tuple[str, Tensor]]:
    return [(n, p.grad) for n, p in params if p.grad is not None]


def all_finite(losses: dict[str, Tensor], named_params: list[tuple[str, nn.Parameter]]) -> Tensor:
    """One boolean tensor: every loss and every gradient is finite (a single device sync to read it)."""
    flags = [torch.isfinite(v.detach()).all() for v in losses.values()]
    grads = [g for _, g in _grads(named_params)]
    if grads:
        # max-abs norm: finite exactly when every entry is (an L2 norm overflows for entries above ~1e19)
        flags.append(torch.isfinite(torch.stack(torch._foreach_norm(grads, float("inf")))).all())
    return torch.stack(flags).all()


def describe_divergence(
    losses: dict[str, Tensor], named_params: list[tuple[str, nn.Parameter]], where: str
) -> str:
    """The error message: which loss or gradient is non-finite, its value, and where."""
    parts = [f"{k} = {float(v.detach().float().reshape(-1)[0])}" for k, v in losses.items()
             if not torch.isfinite(v.detach()).all()]
    bad = [n for n, g in _grads(named_params) if not torch.isfinite(g).all()]
    if bad:
        more = f" (+{len(bad) - 3} more)" if len(bad) > 3 else ""
        parts.append(f"non-finite gradient in {', '.join(bad[:3])}{more}")
    return (
        f"training diverged at {where}: {'; '.join(parts)}. The optimizer step was not taken and no checkpoint "
        "was written after it; the last checkpoint is intact (resume with --ckpt_path and a lower learning rate, "
        "a stronger constraint, or float32 precision)."
    )
