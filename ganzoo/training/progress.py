"""A progress bar that counts generator iterations (papers' unit), not Lightning batches.

On a terminal it is one tqdm line updated in place. Without a terminal (a log file, CI, a pipe) tqdm would
write a new copy of the line at every update (669 KB for the 2-minute toy run), so the bar prints a plain
line every 5% of the run or every 30 seconds instead, and the last one at the end. ``ganzoo fit`` sets
``final_after_fit``: the last line then comes after the end-of-fit evaluation and shows its FID (not the last
in-training evaluation's, e.g. an untrained translator's baseline).
"""

from __future__ import annotations

import sys
import time
from typing import Any

from lightning.pytorch.callbacks import TQDMProgressBar
from lightning.pytorch.callbacks.progress.tqdm_progress import Tqdm


class GeneratorIterationBar(TQDMProgressBar):
    """TQDM bar whose position is the module's ``gen_iters`` and whose total is ``max_gen_iters`` (or fewer, when
    ``max_epochs`` stops training first).

    The postfix shows the critic iterations and the logged distance estimate.
    ``plain`` (default: stdout is not a terminal) prints a line every ``plain_fraction`` of the run or every
    ``plain_seconds`` instead of redrawing a bar. On a terminal the bar is redrawn at most every ``redraw_seconds``
    (as tqdm's own ``mininterval``), so fast runs do not pay a redraw per generator iteration.
    """

    def __init__(self, *args: Any, plain: bool | None = None, plain_fraction: float = 0.05,
                 plain_seconds: float = 30.0, redraw_seconds: float = 0.1, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._plain = plain
        self.plain_fraction, self.plain_seconds = plain_fraction, plain_seconds
        self.redraw_seconds = redraw_seconds  # terminal: redraw at most this often (and at the last iteration)
        self._last_draw = 0.0
        self._last_line_n, self._first_n, self._last_line_t, self._t0 = -1, 0, 0.0, 0.0
        self._t_end: float | None = None  # end of training: the final line's time and rate exclude the evaluation
        self.final_after_fit = False  # set by ganzoo fit, which then calls final_line() after its evaluation

    @property
    def plain(self) -> bool:
        return self._plain if self._plain is not None else not sys.stdout.isatty()

    def _quiet_tqdm(self, desc: str) -> Tqdm:
        return Tqdm(desc=desc, disable=True, file=sys.stdout)

    def init_sanity_tqdm(self) -> Tqdm:
        return self._quiet_tqdm("Sanity Checking") if self.plain else super().init_sanity_tqdm()

    def init_train_tqdm(self) -> Tqdm:
        return self._quiet_tqdm("Training") if self.plain else super().init_train_tqdm()

    def init_validation_tqdm(self) -> Tqdm:
        return self._quiet_tqdm("Validating") if self.plain else super().init_validation_tqdm()

    def on_train_start(self, trainer, pl_module) -> None:
        super().on_train_start(trainer, pl_module)
        self._t0 = self._last_line_t = time.monotonic()
        self._t_end = None
        self._last_line_n = self._first_n = getattr(pl_module, "gen_iters", 0)  # > 0 when resumed
        self._set_total(trainer, pl_module)  # resumed mid-epoch, Lightning skips on_train_epoch_start

    def _plain_line(self, trainer, pl_module, n: int, total: int | None) -> None:
        now = self._t_end or time.monotonic()
        elapsed = now - self._t0
        done = n - self._first_n
        rate = f"{done / elapsed:.2f} it/s" if elapsed > 0 and done > 0 else "? it/s"
        pct = f" ({100 * n / total:.0f}%)" if total else ""
        post = ", ".join(f"{k}={_fmt(v)}" for k, v in self.get_metrics(trainer, pl_module).items() if k != "v_num")
        print(f"generator iterations {n}/{total if total else '?'}{pct} {_clock(elapsed)} elapsed, {rate}"
              + (f", {post}" if post else ""), flush=True)
        self._last_line_n, self._last_line_t = n, now

    def on_train_end(self, trainer, pl_module) -> None:
        self._t_end = time.monotonic()
        if self.final_after_fit and trainer.state.status != "interrupted":
            return  # final_line() comes after the end-of-fit evaluation
        self.final_line(trainer, pl_module)

    def final_line(self, trainer, pl_module, fid: float | None = None) -> None:
        """Print (plain) or draw and close (terminal) the last line; ``fid``: the end-of-fit FID, shown instead of
        the last in-training evaluation's (``None`` after ``final_after_fit``: no FID, none was computed at the
        end)."""
        if self.final_after_fit and hasattr(pl_module, "last_fid"):
            pl_module.last_fid = fid
        bar = self.train_progress_bar if self._train_progress_bar is not None else None
        n = getattr(pl_module, "gen_iters", None)
        if self.plain:
            if n is not None and n != self._last_line_n and trainer.is_global_zero:
                self._plain_line(trainer, pl_module, n, bar.total if bar is not None else None)
        elif bar is not None and not bar.disable:
            if n is not None:
                bar.n = n
            bar.set_postfix(self.get_metrics(trainer, pl_module))
        if bar is not None:
            bar.close()

    def on_train_epoch_start(self, trainer, pl_module, *args: Any) -> None:
        super().on_train_epoch_start(trainer, pl_module)
        self._set_total(trainer, pl_module)

    def _set_total(self, trainer, pl_module) -> None:
        total = getattr(pl_module, "max_gen_iters", None)
        if total is not None:
            total = min(total, _gen_iters_within_epochs(trainer, pl_module, total))
            self.train_progress_bar.reset(total=total)
            self.train_progress_bar.n = getattr(pl_module, "gen_iters", 0)
            self.train_progress_bar.initial = self.train_progress_bar.n  # the rate counts this run's iterations
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
        if self.plain:
            if bar is not None:
                bar.n = n
            total = bar.total if bar is not None else None
            step = max(1, int((total or 0) * self.plain_fraction))
            due = n // step > self._last_line_n // step if total else False
            if n == total:
                return  # the last line comes at the end of training (after the final evaluation)
            if n != self._last_line_n and (due
                                           or time.monotonic() - self._last_line_t >= self.plain_seconds):
                if trainer.is_global_zero:
                    self._plain_line(trainer, pl_module, n, total)
            return
        if bar is not None and n != bar.n and self._should_update(n, bar.total):
            bar.n = n
            now = time.monotonic()
            if n == bar.total or now - self._last_draw >= self.redraw_seconds:  # a redraw costs ~0.1 ms
                bar.set_postfix(self.get_metrics(trainer, pl_module), refresh=False)
                bar.refresh()
                self._last_draw = now


def _fmt(v: Any) -> str:
    try:
        v = float(v)
    except (TypeError, ValueError):
        return str(v)
    return f"{int(v)}" if v.is_integer() and abs(v) < 1e9 else f"{v:.4g}"


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


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
