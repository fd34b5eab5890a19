"""Pieces every ganzoo LightningModule shares: buffered per-step logging, trainer preparation and the export of
the generator (or translator) at the end of fit."""

from __future__ import annotations

import os
from typing import Any

import torch
from torch import Tensor


def prepare_trainer(trainer: Any) -> None:
    """Refuse float16, make local checkpoint writes atomic and let DDP tolerate the alternating steps."""
    precision = str(trainer.precision)
    if precision.startswith("16"):
        raise ValueError(
            f"precision={precision!r} is not supported by ganzoo: float16 needs loss scaling, and the critic's "
            "gradient penalties take autograd.grad of its output, which the scaler would also have to scale "
            "and unscale. Use precision='bf16-mixed' (float32's exponent range, no scaler; penalties are "
            "computed in float32) or '32-true'."
        )
    from lightning.pytorch.plugins.io import TorchCheckpointIO

    from .checkpoint_io import AtomicCheckpointIO
    from .ddp import ensure_gan_compatible

    ensure_gan_compatible(trainer.strategy)
    if type(trainer.strategy.checkpoint_io) is TorchCheckpointIO:
        trainer.strategy.checkpoint_io = AtomicCheckpointIO()


class GanzooModuleMixin:
    """Mixin for a LightningModule with ``gen_iters``/``critic_iters`` counters, ``export_dir``,
    ``export_generator`` and ``export_metadata()``."""

    def on_fit_end(self) -> None:
        if self.export_dir and self.trainer.is_global_zero and self.gen_iters > 0:
            from ganzoo.hub import save_generator

            folder = os.path.join(self.trainer.default_root_dir, self.export_dir)
            save_generator(self.export_generator, folder, extra=self.export_metadata())

    _log_buffer: list[tuple[int, int, dict[str, Tensor]]]
    _last_logs: dict[str, Tensor]

    # Lightning's ``self.log`` costs milliseconds per call, more than a 2-D training step. Per-step values are
    # buffered as tensors and written to the loggers every ``log_every_n_steps`` critic steps, each with its
    # own step (the critic iteration), so every step's value is kept at a fraction of the cost.
    def _record(self, logs: dict[str, Tensor]) -> None:
        self._last_logs = logs
        self._log_buffer.append((self.critic_iters, self.gen_iters, logs))
        every = self.trainer.log_every_n_steps if self._trainer is not None else 50
        if len(self._log_buffer) >= max(1, every):
            self._flush_logs()

    def _flush_logs(self) -> None:
        buf = self._log_buffer
        if buf and self._trainer is not None and self.loggers:
            flat = torch.stack([v.float().reshape(()) for _, _, logs in buf for v in logs.values()]).tolist()
            i = 0
            for d_iter, g_iter, logs in buf:
                metrics = {"g_iter": g_iter}
                for k in logs:
                    metrics[f"train/{k}"] = flat[i]
                    i += 1
                for lg in self.loggers:
                    lg.log_metrics(metrics, step=d_iter)
        buf.clear()

