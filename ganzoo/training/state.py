"""What every ganzoo LightningModule keeps in its checkpoints for an exact resume: the training counters and every
rank's RNG states (torch CPU/CUDA, numpy, Python), one mechanism for the latent and the translation GANs.

The states are captured when Lightning saves (``ganzoo_rng``: one row per rank, gathered so that rank 0 writes
all of them) and restored at the first ``training_step`` after a resume (:meth:`restore_pending_rng`), after
Lightning's own start-up draws (dataloader iterators, seeding), so the resumed run draws what the uninterrupted
one drew from the step after the checkpoint on. Checkpoints stay loadable with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor

from . import rng


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


class ResumableMixin:
    """Checkpoint counters and RNG states of a LightningModule with ``gen_iters`` and ``critic_iters``.

    Subclasses extend :meth:`checkpoint_counters` / :meth:`load_counters` for further counters, and call
    :meth:`restore_pending_rng` first thing in ``training_step``.
    """

    _pending_rng: dict[str, Tensor] | None = None

    def checkpoint_counters(self) -> dict[str, int]:
        return {"gen_iters": self.gen_iters, "critic_iters": self.critic_iters}

    def load_counters(self, counters: dict[str, int]) -> None:
        self.gen_iters = counters.get("gen_iters", 0)
        self.critic_iters = counters.get("critic_iters", 0)

    def restore_pending_rng(self) -> None:
        """Restore the RNG states of a loaded checkpoint, once (call at the start of ``training_step``)."""
        if self._pending_rng is not None:
            rng.restore(self._pending_rng)
            self._pending_rng = None

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["ganzoo_counters"] = self.checkpoint_counters()
        checkpoint["ganzoo_rng"] = gather_ranks(self, rng.capture())

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self.load_counters(checkpoint.get("ganzoo_counters", {}))
        self._pending_rng = this_rank(self, checkpoint.get("ganzoo_rng"))
