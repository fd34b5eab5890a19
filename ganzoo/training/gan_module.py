"""GanModule, the one training base of every ganzoo GAN: what latent and translation GANs share.

:class:`GanModule` owns manual optimization, the generator/critic counters and the budget in generator iterations,
the per-step log buffer, the divergence guard, every rank's RNG states in checkpoints, the trainer preparation
(atomic checkpoint writes, refusing float16, DDP for alternating steps), the progress-bar metrics and the export at
the end of fit. Its two subclasses, :class:`~ganzoo.training.latent_gan.LatentGAN` (latents -> samples) and
:class:`~ganzoo.training.translation_gan.TranslationGAN` (images -> images), implement ``training_step`` and the
interface below; every variant derives from one of them.

**The divergence guard** checks without a per-step host sync: the losses of every step stay (as device tensors) in
the log buffer, and non-finite values are sticky in the weights (an optimizer step with a NaN or infinite gradient
leaves NaN or infinite weights: Adam, RMSprop, SGD, clipping and spectral norm all keep them), so one check of the
buffered losses and of the weights, every ``log_every_n_steps`` critic steps and before every checkpoint and
export, sees every divergence since the last check. The bound: training stops within ``log_every_n_steps`` critic
steps of a divergence, which never reaches a checkpoint or an export (nor the EMA: its update is masked on the
device).
"""

from __future__ import annotations

import itertools
import os
import warnings
from dataclasses import dataclass
from typing import Any

import lightning as L
import torch
from torch import Tensor, nn

from ganzoo.checks import check_int
from ganzoo.hardware import cpu_precision, cpu_threads
from ganzoo.nets.base import Exportable

from . import rng
from .guard import DivergenceError, first_nonfinite_log, nonfinite_tensors
from .state import gather_ranks, this_rank


def prepare_trainer(trainer: Any) -> None:
    """Refuse float16, make local checkpoint writes atomic, let DDP tolerate the alternating steps, and on the CPU
    run one torch thread per core given to each process (:func:`~ganzoo.hardware.cpu_threads`)."""
    precision = str(trainer.precision)
    if precision.startswith("16"):
        raise ValueError(
            f"precision={precision!r} is not supported by ganzoo: float16 needs loss scaling, and the critic's "
            "gradient penalties take autograd.grad of its output, which the scaler would also have to scale "
            "and unscale. Use precision='bf16-mixed' (float32's exponent range, no scaler; the gradient norms are "
            "computed in float32) or '32-true'."
        )
    from lightning.pytorch.plugins.io import TorchCheckpointIO

    from .checkpoint_io import AtomicCheckpointIO
    from .ddp import ensure_gan_compatible

    ensure_gan_compatible(trainer.strategy)
    if trainer.strategy.root_device.type == "cpu":
        torch.set_num_threads(cpu_threads(trainer.num_devices))
        if cpu_precision(precision) != precision:  # bf16 emulated on this CPU
            warnings.warn(f"precision={precision!r} on a CPU without bf16 instructions (AMX-BF16, AVX512-BF16): "
                          "bfloat16 is emulated there, about 3x slower than precision='32-true'", stacklevel=2)
    if type(trainer.strategy.checkpoint_io) is TorchCheckpointIO:
        trainer.strategy.checkpoint_io = AtomicCheckpointIO()


@dataclass
class Report:
    """What :meth:`GanModule.report` returns: the metrics, the model card's dataset and results, the sample grid."""

    metrics: dict[str, Any]
    dataset: str
    results: list
    grid: str


def float_weights(net: nn.Module) -> list[tuple[str, Tensor]]:
    """The floating-point parameters and buffers of ``net``, named."""
    named = itertools.chain(net.named_parameters(), net.named_buffers())
    return [(n, t) for n, t in named if t.is_floating_point()]


class GanModule(Exportable, L.LightningModule):
    """Base of every ganzoo GAN (see the module docstring for what it owns).

    The interface a subclass provides:

    - a constructor from a config (network specs, names, numbers) that ends with ``self.save_hyperparameters()``: its
      arguments are the model's configuration, the one record of it (the checkpoints' hyperparameters; under
      LightningCLI the command line's configuration). A variant's constructor is its declared one with its paper's
      values as the defaults (:func:`~ganzoo.variants.register_variant`);
    - ``training_step``, which calls :meth:`begin_step` first, :meth:`end_generator_iteration` after each generator
      step and :meth:`record` with the step's losses (device tensors);
    - :meth:`guarded_networks`: the networks whose weights the divergence guard checks;
    - :attr:`export_model`: the network exported at the end of fit (a generator or a translator),
      :meth:`export_metadata`: what its folder's ``config.json`` records about the training, and :meth:`report`:
      its end-of-fit evaluation (``ganzoo fit`` writes the model card from it);
    - optionally :meth:`check_datamodule` (shapes and classes at setup), :meth:`checkpoint_counters` /
      :meth:`load_counters` for further counters, and the class attributes ``generator_log_keys`` (the losses logged
      by the generator step, to name the step of a divergence) and ``progress_keys`` (losses on the progress bar).
    """

    generator_log_keys: tuple[str, ...] = ("g_loss",)
    progress_keys: tuple[str, ...] = ()

    def __init__(self, max_gen_iters: int | None = None, export_dir: str | None = "generator",
                 check_finite: bool = True):
        super().__init__()
        self.automatic_optimization = False
        if max_gen_iters is not None:
            check_int("max_gen_iters", max_gen_iters)
        self.max_gen_iters, self.export_dir, self.check_finite = max_gen_iters, export_dir, check_finite
        self.gen_iters = 0
        self.critic_iters = 0
        self._log_buffer: list[tuple[int, int, tuple[str, ...], Tensor]] = []
        self._last_logs: dict[str, Tensor] = {}
        self._shown: dict[str, float] = {}  # the progress bar's losses, as of the last flush
        self._pending_rng: dict[str, Tensor] | None = None
        self.last_fid: float | None = None  # set by the image-metrics callback, shown in the progress bar

    # ------------------------------------------------------------------ the subclass interface
    def guarded_networks(self) -> dict[str, nn.Module]:
        raise NotImplementedError

    def export_metadata(self) -> dict[str, Any]:
        return {"variant": type(self).__name__, "generator_iterations": self.gen_iters}

    def report(self, datamodule: Any, out_dir: str, *, n: int, metrics: list[str] | None) -> Report | None:
        """The end-of-fit evaluation of the exported model on ``datamodule``'s data (``samples.png`` and
        ``metrics.json`` in ``out_dir``), or ``None`` where the data has no evaluation."""
        return None

    def check_datamodule(self, datamodule: Any) -> None:
        """Raise ``ValueError`` at setup if the datamodule does not fit the networks."""

    def checkpoint_counters(self) -> dict[str, int]:
        return {"gen_iters": self.gen_iters, "critic_iters": self.critic_iters}

    def load_counters(self, counters: dict[str, int]) -> None:
        self.gen_iters = counters.get("gen_iters", 0)
        self.critic_iters = counters.get("critic_iters", 0)

    # ------------------------------------------------------------------ setup and steps
    def setup(self, stage: str) -> None:
        if self._trainer is None:
            return
        prepare_trainer(self.trainer)
        self.check_datamodule(getattr(self.trainer, "datamodule", None))
        if stage == "fit" and self.trainer.world_size > 1:
            rng.seed_rank(self.trainer.global_rank)

    def begin_step(self) -> None:
        """First thing in ``training_step``: restore a resumed run's RNG states, once, after Lightning's own
        start-up draws (dataloader iterators, seeding), so the resumed run draws what the uninterrupted one drew."""
        if self._pending_rng is not None:
            rng.restore(self._pending_rng)
            self._pending_rng = None

    def on_train_start(self) -> None:
        if self.max_gen_iters is not None and self.gen_iters >= self.max_gen_iters:
            self.trainer.should_stop = True  # resumed at its budget: not one iteration more (checked after each one)

    def end_generator_iteration(self) -> None:
        """Count a generator iteration and stop at the budget ``max_gen_iters``."""
        self.gen_iters += 1
        if self.max_gen_iters is not None and self.gen_iters >= self.max_gen_iters:
            self.trainer.should_stop = True

    # Lightning's ``self.log`` costs milliseconds per call, more than a 2-D training step. Per-step values are
    # buffered on the device (one vector per step) and written to the loggers every ``log_every_n_steps`` critic
    # steps, each with its own step (the critic iteration), so every step's value is kept at a fraction of the
    # cost: one device-to-host copy per flush, shared by the divergence guard and the loggers.
    def record(self, logs: dict[str, Tensor]) -> None:
        """Buffer one step's losses (0-dim device tensors), after the counters were advanced."""
        self._last_logs = logs
        self._log_buffer.append((self.critic_iters, self.gen_iters, tuple(logs), torch.stack(list(logs.values()))))
        every = self.trainer.log_every_n_steps if self._trainer is not None else 50
        if len(self._log_buffer) >= max(1, every):
            self._flush_logs()

    def _buffered_rows(self) -> list[tuple[int, int, dict[str, float]]]:
        """The buffered steps as ``(critic iteration, generator iteration, {key: value})`` (one host sync)."""
        buf = self._log_buffer
        if not buf:
            return []
        flat = torch.cat([v for *_, v in buf]).float().tolist()
        rows, i = [], 0
        for d_iter, g_iter, keys, _ in buf:
            rows.append((d_iter, g_iter, dict(zip(keys, flat[i:i + len(keys)]))))
            i += len(keys)
        return rows

    def _flush_logs(self) -> None:
        rows = self._buffered_rows()
        try:
            self.check_divergence("at the periodic check", rows)
        finally:  # the non-finite values are logged too
            if rows and self._trainer is not None and self.loggers:
                for d_iter, g_iter, logs in rows:
                    metrics = {"g_iter": g_iter, **{f"train/{k}": v for k, v in logs.items()}}
                    for lg in self.loggers:
                        lg.log_metrics(metrics, step=d_iter)
            if rows:  # what the progress bar shows until the next flush
                self._shown = {k: v for k, v in rows[-1][2].items() if k in self.progress_keys}
            self._log_buffer.clear()

    def progress_metrics(self) -> dict[str, float]:
        """What the progress bar shows: counters and losses as of the last log flush (every ``log_every_n_steps``
        critic steps), so that refreshing the bar never waits for the device."""
        out: dict[str, float] = {"g_iter": self.gen_iters}
        if self.critic_iters != self.gen_iters:
            out["d_iter"] = self.critic_iters
        if not self._shown and self._last_logs:  # once, before the first flush
            self._shown = {k: float(self._last_logs[k]) for k in self.progress_keys if k in self._last_logs}
        out.update({k: round(v, 4) for k, v in self._shown.items()})
        if self.last_fid is not None:
            out["fid"] = round(float(self.last_fid), 2)
        return out

    def on_train_epoch_end(self) -> None:
        self._flush_logs()

    def on_train_end(self) -> None:
        self._flush_logs()

    # ------------------------------------------------------------------ the divergence guard
    def divergence(self, rows: list[tuple[int, int, dict[str, float]]] | None = None) -> str | None:
        """What is non-finite since the last check: the first buffered loss and the weights (one host sync each;
        ``rows``: the buffer already copied to the host by :meth:`_buffered_rows`)."""
        first = first_nonfinite_log(self._buffered_rows() if rows is None else rows)
        bad = nonfinite_tensors([(f"{name}.{n}", t) for name, net in self.guarded_networks().items()
                                 for n, t in float_weights(net)])
        if first is None and not bad:
            return None
        parts = []
        if first is not None:
            (d_iter, g_iter, logs), key = first
            value = logs[key]
            if key in self.generator_log_keys:
                where = f"generator step, generator iteration {g_iter - 1}, critic iteration {d_iter}"
            else:
                g = g_iter - 1 if any(k in logs for k in self.generator_log_keys) else g_iter
                where = f"critic step, generator iteration {g}, critic iteration {d_iter - 1}"
            parts.append(f"the first non-finite loss is at the {where}: {key} = {value}")
        if bad:
            more = f" (+{len(bad) - 3} more)" if len(bad) > 3 else ""
            parts.append(f"non-finite weights in {', '.join(bad[:3])}{more} (a non-finite gradient was applied)")
        return "; ".join(parts)

    def check_divergence(self, when: str, rows: list[tuple[int, int, dict[str, float]]] | None = None) -> None:
        """Raise :class:`DivergenceError` if a loss since the last check or a weight is not finite."""
        if not self.check_finite:
            return
        found = self.divergence(rows)
        if found is not None:
            raise DivergenceError(
                f"training diverged: {found}. Found {when}, at critic iteration {self.critic_iters} (the guard checks "
                "every log_every_n_steps critic steps and before every checkpoint and export); no checkpoint, EMA "
                "update or export took the non-finite values, the last checkpoint is intact (resume with "
                "--ckpt_path and a lower learning rate, a stronger constraint, or float32 precision)."
            )

    # ------------------------------------------------------------------ checkpoints and export
    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self.check_divergence("before a checkpoint")  # raises before anything is written
        checkpoint["ganzoo_counters"] = self.checkpoint_counters()
        checkpoint["ganzoo_rng"] = gather_ranks(self, rng.capture())

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self.load_counters(checkpoint.get("ganzoo_counters", {}))
        self._pending_rng = this_rank(self, checkpoint.get("ganzoo_rng"))

    def on_fit_end(self) -> None:
        self.check_divergence("before the export")
        if self.export_dir and self.trainer.is_global_zero and self.gen_iters > 0:
            from ganzoo.data.base import LIMIT_SEED
            from ganzoo.hub import save_generator

            folder = os.path.join(self.trainer.default_root_dir, self.export_dir)
            dm = getattr(self.trainer, "datamodule", None)
            dataset = getattr(dm, "dataset_name", None)  # for ganzoo eval
            extra = {**self.export_metadata(), **({"dataset": dataset} if isinstance(dataset, str) else {})}
            if getattr(dm, "limit", None) is not None:  # trained on a seeded subset (the datamodule's limit)
                extra["limit"] = {"images": dm.limit, "seed": LIMIT_SEED}
            if getattr(dm, "holdout", 0):  # a folder's images set aside as its test split
                extra["holdout"] = {"images": dm.holdout, "seed": LIMIT_SEED}
            save_generator(self.export_model, folder, extra=extra)
