"""The shared adversarial LightningModule: one critic step per batch, a generator step every n_critic."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import lightning as L
import torch
from torch import Tensor, nn

from ganzoo.constraints import Constraint
from ganzoo.objectives import Objective
from ganzoo.objectives.base import check_positive

from .ema import make_ema, update_ema
from .schedule import CriticSchedule

OPTIMIZERS = {"adam": torch.optim.Adam, "rmsprop": torch.optim.RMSprop, "sgd": torch.optim.SGD}


@dataclass(frozen=True)
class OptimizerSpec:
    """An optimizer by name (``adam``, ``rmsprop``, ``sgd``), learning rate and Adam betas."""

    name: str = "adam"
    lr: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)

    def __post_init__(self) -> None:
        if self.name not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)}, got {self.name!r}")
        check_positive("lr", self.lr)
        if len(self.betas) != 2 or not all(0 <= b < 1 for b in self.betas):
            raise ValueError(f"betas must be two numbers in [0, 1), got {self.betas!r}")

    def build(self, params) -> torch.optim.Optimizer:
        if self.name == "adam":
            return torch.optim.Adam(params, lr=self.lr, betas=tuple(self.betas))
        return OPTIMIZERS[self.name](params, lr=self.lr)


def sample_latent(generator: nn.Module, n: int, device: torch.device) -> Tensor:
    """Latents for ``generator`` (its ``sample_latent`` if it has one, else N(0, I) of ``latent_dim``)."""
    if hasattr(generator, "sample_latent"):
        return generator.sample_latent(n, device=device)
    return torch.randn(n, generator.latent_dim, device=device)


class AdversarialModule(L.LightningModule):
    """Generator + critic + objective + constraints + schedule, with manual optimization.

    Every ``training_step`` receives a fresh real batch and makes one critic step; after
    ``schedule.critic_steps(gen_iters)`` critic steps it makes one generator step on the last real batch.
    ``gen_iters``/``critic_iters`` count generator and critic iterations (Lightning's ``global_step``
    counts both). Training stops after ``max_gen_iters`` generator iterations. With ``ema_decay`` an
    exponential moving average of the generator is kept and exported instead of the raw weights.

    Args:
        generator: maps latents ``(B, latent_dim)`` to samples ``(B, *data_shape)``; must expose
            ``latent_dim`` (and optionally ``sample_latent``).
        critic: maps samples to ``(B,)``/``(B, 1)`` (scalar objectives) or ``(B, D)`` (Cramer, MMD).
        objective: the divergence (:mod:`ganzoo.objectives`).
        constraints: Lipschitz constraints (:mod:`ganzoo.constraints`).
        data_shape: shape of one data sample; checked against the generator's output now and against
            the datamodule's ``data_shape`` at setup.
    """

    def __init__(
        self,
        generator: nn.Module,
        critic: nn.Module,
        objective: Objective,
        constraints: Sequence[Constraint] = (),
        n_critic: int = 1,
        wgan_warmup: bool = False,
        g_optimizer: OptimizerSpec = OptimizerSpec(),
        d_optimizer: OptimizerSpec = OptimizerSpec(),
        max_gen_iters: int | None = None,
        ema_decay: float | None = None,
        data_shape: Sequence[int] | None = None,
        export_dir: str | None = "generator",
    ):
        super().__init__()
        self.automatic_optimization = False
        self.schedule = CriticSchedule(n_critic, wgan_warmup)
        if max_gen_iters is not None and (not isinstance(max_gen_iters, int) or max_gen_iters < 1):
            raise ValueError(f"max_gen_iters must be a positive integer or None, got {max_gen_iters!r}")
        if ema_decay is not None and not 0 < ema_decay < 1:
            raise ValueError(f"ema_decay must be in (0, 1) or None, got {ema_decay!r}")
        if not hasattr(generator, "latent_dim"):
            raise ValueError("generator must have a `latent_dim` attribute")
        self.generator, self.critic = generator, critic
        self.objective, self.constraints = objective, list(constraints)
        for c in self.constraints:
            c.prepare(self.critic)
        self.g_spec, self.d_spec = g_optimizer, d_optimizer
        self.max_gen_iters, self.ema_decay, self.export_dir = max_gen_iters, ema_decay, export_dir
        self.output_shape = self._check_networks(data_shape)
        self.generator_ema = make_ema(generator) if ema_decay else None
        self.gen_iters = 0
        self.critic_iters = 0
        self._cycle = 0  # critic steps done towards the next generator step
        self._log_buffer: list[tuple[int, int, dict[str, Tensor]]] = []
        self._last_logs: dict[str, Tensor] = {}

    # ------------------------------------------------------------------ construction checks
    @torch.no_grad()
    def _check_networks(self, data_shape: Sequence[int] | None) -> tuple[int, ...]:
        was_training = (self.generator.training, self.critic.training)
        self.generator.eval()
        self.critic.eval()
        try:
            fake = self.generator(sample_latent(self.generator, 2, torch.device("cpu")))
            out_shape = tuple(fake.shape[1:])
            if data_shape is not None and tuple(data_shape) != out_shape:
                raise ValueError(
                    f"generator output shape {out_shape} does not match data_shape {tuple(data_shape)}"
                )
            out = self.critic(fake)
            if self.objective.scalar_critic and out.shape[1:].numel() != 1:
                raise ValueError(
                    f"objective {self.objective.name!r} needs a scalar critic, but the critic outputs "
                    f"{tuple(out.shape[1:])} per sample"
                )
        finally:
            self.generator.train(was_training[0])
            self.critic.train(was_training[1])
        return out_shape

    def setup(self, stage: str) -> None:
        dm = getattr(self.trainer, "datamodule", None) if self._trainer is not None else None
        shape = getattr(dm, "data_shape", None)
        if shape is not None and tuple(shape) != self.output_shape:
            raise ValueError(
                f"generator output shape {self.output_shape} does not match the data's shape {tuple(shape)} "
                f"(datamodule {type(dm).__name__}); set the model's data_dim to match"
            )

    # ------------------------------------------------------------------ optimisation
    def configure_optimizers(self):
        return [self.g_spec.build(self.generator.parameters()), self.d_spec.build(self.critic.parameters())]

    def forward(self, z: Tensor) -> Tensor:
        return self.generator(z)

    def _fakes(self, n: int) -> list[Tensor]:
        return [
            self.generator(sample_latent(self.generator, n, self.device))
            for _ in range(self.objective.n_fake_batches)
        ]

    def critic_step(self, real: Tensor, opt) -> dict[str, Tensor]:
        with torch.no_grad():
            fakes = self._fakes(real.shape[0])
        real_out = self.critic(real)
        fake_outs = [self.critic(f) for f in fakes]
        loss = self.objective.critic_loss(real_out, fake_outs)
        witness = self.objective.witness(self.critic, real_out, fake_outs)
        penalty = torch.zeros((), device=self.device)
        for c in self.constraints:
            p = c.penalty(witness, real, fakes[0])
            if p is not None:
                penalty = penalty + p
        opt.zero_grad(set_to_none=True)
        self.manual_backward(loss + penalty)
        opt.step()
        for c in self.constraints:
            c.after_critic_step(self.critic)
        with torch.no_grad():
            estimate = self.objective.estimate(real_out.detach(), [o.detach() for o in fake_outs])
        return {"d_loss": loss.detach(), "penalty": penalty.detach(), "estimate": estimate}

    def generator_step(self, real: Tensor, opt) -> dict[str, Tensor]:
        self.toggle_optimizer(opt)
        fakes = self._fakes(real.shape[0])
        fake_outs = [self.critic(f) for f in fakes]
        real_out = self.critic(real) if self.objective.needs_real_for_generator else None
        loss = self.objective.generator_loss(fake_outs, real_out)
        opt.zero_grad(set_to_none=True)
        self.manual_backward(loss)
        opt.step()
        self.untoggle_optimizer(opt)
        if self.generator_ema is not None:
            update_ema(self.generator_ema, self.generator, self.ema_decay)
        return {"g_loss": loss.detach()}

    def training_step(self, batch: Any, batch_idx: int) -> None:
        real = batch[0] if isinstance(batch, (list, tuple)) else batch
        g_opt, d_opt = self.optimizers()
        logs = self.critic_step(real, d_opt)
        self.critic_iters += 1
        self._cycle += 1
        if self._cycle >= self.schedule.critic_steps(self.gen_iters):
            logs.update(self.generator_step(real, g_opt))
            self._cycle = 0
            self.gen_iters += 1
            if self.max_gen_iters is not None and self.gen_iters >= self.max_gen_iters:
                self.trainer.should_stop = True
        est_name = "distance" if self.objective.is_distance else "critic_value"
        logs[est_name] = logs.pop("estimate")
        self._record(logs)

    # ------------------------------------------------------------------ logging
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

    def progress_metrics(self) -> dict[str, float]:
        """What the progress bar shows: counters and the last distance estimate."""
        out: dict[str, float] = {"g_iter": self.gen_iters, "d_iter": self.critic_iters}
        if "distance" in self._last_logs:
            out["distance"] = round(float(self._last_logs["distance"]), 4)
        return out

    def on_train_epoch_end(self) -> None:
        self._flush_logs()

    def on_train_end(self) -> None:
        self._flush_logs()

    # ------------------------------------------------------------------ state
    @property
    def export_generator(self) -> nn.Module:
        """The generator to export: the EMA copy when kept, else the trained weights."""
        return self.generator_ema if self.generator_ema is not None else self.generator

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["ganzoo_counters"] = {
            "gen_iters": self.gen_iters, "critic_iters": self.critic_iters, "cycle": self._cycle,
        }

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        c = checkpoint.get("ganzoo_counters", {})
        self.gen_iters = c.get("gen_iters", 0)
        self.critic_iters = c.get("critic_iters", 0)
        self._cycle = c.get("cycle", 0)

    def on_fit_end(self) -> None:
        if self.export_dir and self.trainer.is_global_zero and self.gen_iters > 0:
            from ganzoo.hub import save_generator

            folder = os.path.join(self.trainer.default_root_dir, self.export_dir)
            save_generator(self.export_generator, folder, extra=self.export_metadata())

    def export_metadata(self) -> dict[str, Any]:
        return {
            "variant": type(self).__name__,
            "objective": self.objective.name,
            "constraints": [c.name for c in self.constraints],
            "generator_iterations": self.gen_iters,
            "ema": self.generator_ema is not None,
        }
