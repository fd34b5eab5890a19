"""Per-rank state in checkpoints: every rank's tensors gathered so that rank 0 writes all of them, and each rank's
row read back on resume (RNG states in :class:`~ganzoo.training.gan_module.GanModule`, CycleGAN's image pools).
Checkpoints stay loadable with ``torch.load(weights_only=True)``."""

from __future__ import annotations

from typing import Any

from torch import Tensor


def gather_ranks(module: Any, state: dict[str, Tensor]) -> dict[str, Tensor]:
    """``state`` of every rank stacked on a new leading dimension (one row when single-process), on the CPU.

    Collective under DDP: every rank must call it (Lightning calls ``on_save_checkpoint`` on every rank), with
    tensors of the same shapes."""
    if module._trainer is not None and module.trainer.world_size > 1:
        stacked = {k: module.all_gather(v) for k, v in state.items()}
    else:
        stacked = {k: v.unsqueeze(0) for k, v in state.items()}
    return {k: v.cpu() for k, v in stacked.items()}


def this_rank(module: Any, stacked: dict[str, Tensor] | None) -> dict[str, Tensor] | None:
    """This rank's row of :func:`gather_ranks`'s output (``None`` if absent or saved by fewer ranks)."""
    if not stacked:
        return None
    rank = module.trainer.global_rank if module._trainer is not None else 0
    first = next(iter(stacked.values()))
    return {k: v[rank] for k, v in stacked.items()} if rank < len(first) else None
