"""A progress bar that counts generator iterations (papers' unit), not Lightning batches."""

from __future__ import annotations

from typing import Any

from lightning.pytorch.callbacks import TQDMProgressBar


class GeneratorIterationBar(TQDMProgressBar):
    """TQDM bar whose position is the module's ``gen_iters`` and whose total is ``max_gen_iters`` (or fewer, when
    ``max_epochs`` stops training first).

    The postfix shows the critic iterations and the logged distance estimate.
    """

    def on_train_epoch_start(self, trainer, pl_module, *args: Any) -> None:
        super().on_train_epoch_start(trainer, pl_module)
        total = getattr(pl_module, "max_gen_iters", None)
        if total is not None:
            total = min(total, _gen_iters_within_epochs(trainer, pl_module, total))
            self.train_progress_bar.reset(total=total)
            self.train_progress_bar.n = getattr(pl_module, "gen_iters", 0)
            self.train_progress_bar.set_description("generator iterations")

    def get_metrics(self, trainer, pl_module) -> dict[str, Any]:
        metrics = super().get_metrics(trainer, pl_module)
        if hasattr(pl_module, "progress_metrics"):
            metrics.update(pl_module.progress_metrics())
        return metrics

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        if not hasattr(pl_module, "gen_iters") or getattr(pl_module, "max_gen_iters", None) is None:
            return super().on_train_batch_end(trainer, pl_module, outputs, batch, batch_idx)
        bar, n = self.train_progress_bar, pl_module.gen_iters
        if bar is not None and n != bar.n and self._should_update(n, bar.total):
            bar.n = n
            bar.set_postfix(self.get_metrics(trainer, pl_module))
            bar.refresh()


def _gen_iters_within_epochs(trainer, pl_module, cap: int) -> int:
    """Generator iterations that ``trainer.max_epochs`` epochs of critic steps complete (``cap`` when unknown)."""
    epochs, batches = trainer.max_epochs, trainer.num_training_batches
    schedule = getattr(pl_module, "schedule", None)
    if epochs is None or epochs < 0 or not isinstance(batches, int) or schedule is None:
        return cap
    budget, steps, g = epochs * batches, 0, 0
    while g < cap:
        steps += schedule.critic_steps(g)
        if steps > budget:
            break
        g += 1
    return g
