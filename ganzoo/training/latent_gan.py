"""The latent GAN (:class:`LatentGAN`): latents -> samples, one critic step per batch and a generator step every
``n_critic``; built from a config (network specs, the pieces by name), what recipes and ``ganzoo.<Variant>(...)`` take.
A latent variant states its paper's values in a :class:`~ganzoo.training.paper.Paper` (its constructor's defaults)."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from ganzoo.augment import Augment
from ganzoo.checks import check_positive
from ganzoo.constraints import Constraint, make_constraint, reusing_witness
from ganzoo.nets import MLPCritic, MLPGenerator
from ganzoo.objectives import Objective, make_objective, scalar
from ganzoo.registry import NetSpec, build_net
from ganzoo.schedules import CriticSchedule, anneal

from .ema import ema_decay_at, has_batch_norm, make_ema, refresh_bn_stats, to_channels_last, update_ema
from .gan_module import GanModule, Report, float_weights
from .guard import all_finite_flag
from .latent_checks import check_datamodule, check_settings, output_shape
from .optim import OptimizerSpec, lr_factor, set_adam_beta2
from .paper import TOY, Paper


class LatentGAN(GanModule):
    """A latent GAN: generator + critic + objective + constraints + schedule, on the shared :class:`GanModule`,
    built from a config.

    Every ``training_step`` receives a fresh real batch and makes one critic step; after
    ``schedule.critic_steps(gen_iters)`` critic steps it makes one generator step on the last real batch.
    ``gen_iters``/``critic_iters`` count generator and critic iterations (Lightning's ``global_step``
    counts both). Training stops after ``max_gen_iters`` generator iterations. With ``ema_decay`` an
    exponential moving average of the generator is kept and exported instead of the raw weights.

    Speed on the CPU (all options, so a recipe can set them): ``trainer.precision: bf16-mixed`` runs every network,
    penalties included, in bfloat16 (AMX/AVX512-BF16 CPUs and GPUs; weights, optimizer state, losses and gradient
    norms stay float32, so checkpoints and exports are float32); ``channels_last: true`` stores the convolutional
    networks and the real batches in channels-last memory format (faster convolutions with oneDNN and cuDNN).

    Args:
        generator: the generator's spec ``{"arch": ..., **arguments}`` (``ganzoo.list_models()``); without specs
            (``generator`` and ``critic`` both ``None``) the 2-D toy MLPs of the WGAN-GP code, sized by ``data_dim``,
            ``latent_dim``, ``hidden_dim`` and ``n_layers`` (2, 2, 512, 3), which are refused when specs are given.
        critic: the critic's spec (see ``generator``).
        objective: a name of ``ganzoo.objectives.OBJECTIVES`` or a mapping with arguments
            (``{"name": "fgan", "divergence": "kl"}``).
        constraints: names of ``ganzoo.constraints.CONSTRAINTS`` or mappings (``{"name": "gradient_penalty",
            "weight": 10}``).
        n_critic: critic steps per generator step.
        schedule: more of the schedule (:class:`~ganzoo.training.CriticSchedule`): ``{"warmup": "wgan"}`` (the
            original WGAN warm-up), ``{"lazy_every": 16}`` (lazy regularisation: penalties every 16 critic steps,
            weighted by 16), ``{"penalty_schedule": "cosine", "penalty_end_factor": 0.1}`` (the penalties' weights
            annealed to a tenth at ``max_gen_iters``, R3GAN).
        optimizer, lr, betas: both networks' optimizer (``adam``, ``rmsprop``, ``sgd``); ``betas`` are Adam's.
        d_lr: the critic's learning rate when it differs from the generator's ``lr``: the two time-scale update rule
            (Heusel et al. 2017: e.g. ``lr: 1e-4, d_lr: 3e-4, n_critic: 1``). ``None`` (every paper's default): ``lr``.
        max_gen_iters: the training budget in generator iterations.
        compile: the fast mode: compile the generator's and the critic's forward passes with ``torch.compile``
            (same training as eager, to float tolerance). A critic whose constraint differentiates its gradient
            (gradient penalty, R1) stays eager, with a one-line warning naming the constraint: torch.compile
            cannot capture a double backward.
        lr_schedule: ``"constant"``, ``"linear"`` or ``"cosine"``: both learning rates decay to ``lr_end_factor``
            times their start (default 0) at ``max_gen_iters``, linearly or along half a cosine (R3GAN), starting at
            generator iteration ``lr_decay_start`` (SN-GAN: 0; pix2pix and CycleGAN: half-way). Stepped once per
            generator iteration and saved in checkpoints.
        lr_end_factor: the learning rates at ``max_gen_iters`` as a fraction of their start (R3GAN: 5e-5 / 2e-4 =
            0.25); needs a ``"linear"`` or ``"cosine"`` schedule.
        beta2_end: Adam's beta2 at ``max_gen_iters``: both optimizers' beta2 moves from its start (``betas[1]``) to
            this value along the learning rates' schedule (R3GAN: 0.9 -> 0.99 by cosine); set once per generator
            iteration, saved in checkpoints with the optimizers.
        ema_decay: keep an exponential moving average of the generator with this decay per generator iteration
            (its half-life is ``ln 0.5 / ln ema_decay`` iterations); the average is what is exported and evaluated.
            Batch-norm statistics are not averaged: before the averaged copy is evaluated or exported, its running
            statistics are recomputed from its own activations (:func:`~ganzoo.training.ema.refresh_bn_stats`).
        ema_rampup: the StyleGAN2-ADA warm-up of the average (Karras et al. 2020: 0.05): at generator iteration
            ``t`` the half-life is ``min(half-life of ema_decay, ema_rampup * t)``, so early in a short run the
            average follows the generator instead of dragging its random initialisation along. ``None``: a constant
            decay.
        channels_last: channels-last memory format for 4-D weights and real batches (see above).
        augment: differentiable augmentation of every critic input (:class:`ganzoo.augment.Augment`):
            ``{"policy": "translation,cutout"}`` (DiffAugment) or with ``"ada_target": 0.6`` (ADA's adaptive
            probability); ``None`` (every paper's default): none. Real and generated images are augmented, in the
            critic's and the generator's steps (the generator's gradient flows through it). A penalty is taken on the
            augmented images, as StyleGAN2-ADA takes R1 on augmented reals: it constrains the critic where it is
            evaluated (WGAN-GP's interpolates lie between augmented real and fake images). ADA's probability is
            summed over ranks, logged (``augment_p``), checkpointed and exported in the generator's config.

    The arguments are the model's hyperparameters (``save_hyperparameters``: what checkpoints keep and LightningCLI
    parses); a variant's constructor is this one with its paper's values as the defaults.

    Conditional models: when the generator has ``num_classes > 0``, batches must be ``(images, labels)``;
    the generator is called as ``generator(z, labels)`` and the critic as ``critic(x, labels)``, and the fakes
    of a step take the real batch's labels (so real and fake share one class distribution, and a penalty's
    interpolates keep their labels).

    Reliability: checkpoints hold both networks, the EMA copy, both optimizers, ganzoo's counters, every
    rank's RNG states and (through the datamodule) the data position, so a resumed run continues exactly.
    Local checkpoint files are written atomically. Under DDP see :mod:`ganzoo.training.ddp`.
    """

    progress_keys = ("distance",)
    paper: ClassVar[Paper] = Paper()
    variant_name: ClassVar[str] = ""

    def __init__(
        self,
        generator: NetSpec | None = None,
        critic: NetSpec | None = None,
        objective: str | dict[str, Any] = "nonsaturating",
        constraints: list[str | dict[str, Any]] | None = None,
        n_critic: int = 1,
        schedule: dict[str, Any] | None = None,
        optimizer: str = "adam",
        lr: float = 2e-4,
        betas: tuple[float, float] | None = (0.5, 0.999),
        max_gen_iters: int | None = None,
        ema_decay: float | None = None,
        lr_schedule: str = "constant",
        lr_decay_start: int = 0,
        compile: bool = False,
        data_dim: int | None = None,
        latent_dim: int | None = None,
        hidden_dim: int | None = None,
        n_layers: int | None = None,
        d_lr: float | None = None,
        ema_rampup: float | None = None,
        channels_last: bool = False,
        lr_end_factor: float | None = None,
        beta2_end: float | None = None,
        augment: dict[str, Any] | None = None,
    ):
        toy = {"data_dim": data_dim, "latent_dim": latent_dim, "hidden_dim": hidden_dim, "n_layers": n_layers}
        g, d, shape = self.networks(generator, critic, {k: v for k, v in toy.items() if v is not None})
        extra = dict(schedule or {})
        keys = ("warmup", "lazy_every", "penalty_schedule", "penalty_end_factor")
        if not set(extra) <= set(keys):
            raise ValueError(f"schedule takes {', '.join(map(repr, keys))} (n_critic is the model's own argument), "
                             f"got {sorted(extra)}")
        sched = CriticSchedule(n_critic=n_critic, **extra)
        if d_lr is not None:
            check_positive("d_lr", d_lr)
        betas = None if betas is None else tuple(betas)
        g_opt = OptimizerSpec(optimizer, lr, betas)
        d_opt = g_opt if d_lr is None else OptimizerSpec(optimizer, d_lr, betas)
        super().__init__(max_gen_iters)
        self.assemble(g, d, objective, constraints or [], sched, g_opt, d_opt, ema_decay=ema_decay, data_shape=shape,
                      lr_schedule=lr_schedule, lr_decay_start=lr_decay_start, compile=compile, ema_rampup=ema_rampup,
                      channels_last=channels_last, lr_end_factor=lr_end_factor, beta2_end=beta2_end, augment=augment)
        self.save_hyperparameters()

    def networks(self, generator: NetSpec | None, critic: NetSpec | None, toy: dict[str, int]):
        """The networks and the data shape to check them against (``None``: from the datamodule at setup)."""
        paper = self.paper
        if (generator is None) != (critic is None):
            raise ValueError("give both generator and critic specs, or neither (the paper's default networks)")
        if generator is None:
            t = {**TOY, **toy}
            return (
                MLPGenerator(latent_dim=t["latent_dim"], out_dim=t["data_dim"], hidden_dim=t["hidden_dim"],
                             n_layers=t["n_layers"]),
                MLPCritic(in_dim=t["data_dim"], out_dim=paper.critic_out, hidden_dim=t["hidden_dim"],
                          n_layers=t["n_layers"]),
                (t["data_dim"],),
            )
        if toy:
            raise ValueError(f"{', '.join(sorted(toy))} size the 2-D toy MLPs only; with generator and critic specs, "
                             "set the networks' sizes in the specs")
        if paper.critic_out != 1 and "out_dim" not in critic:
            critic = {**critic, "out_dim": paper.critic_out}
        g, d = build_net(generator, "generator"), build_net(critic, "critic")
        if paper.conditional and not getattr(g, "num_classes", 0):
            raise ValueError(f"{type(self).__name__} needs a conditional generator: set num_classes in the "
                             "generator spec")
        return g, d, None

    def assemble(
        self,
        generator: nn.Module,
        critic: nn.Module,
        objective: Objective | str | dict[str, Any],
        constraints: Sequence[Constraint | str | dict[str, Any]],
        schedule: CriticSchedule | None,
        g_optimizer: OptimizerSpec,
        d_optimizer: OptimizerSpec,
        *,
        ema_decay: float | None,
        data_shape: Sequence[int] | None,
        lr_schedule: str,
        lr_decay_start: int,
        compile: bool,
        ema_rampup: float | None,
        channels_last: bool,
        lr_end_factor: float | None,
        beta2_end: float | None,
        augment: Augment | dict[str, Any] | None,
    ) -> None:
        """Check the pieces and set them up (after :class:`GanModule`'s ``__init__``, which set ``max_gen_iters``)."""
        check_settings(self.max_gen_iters, generator, g_optimizer, d_optimizer, augment=augment, schedule=schedule,
                       ema_decay=ema_decay, ema_rampup=ema_rampup, lr_schedule=lr_schedule,
                       lr_decay_start=lr_decay_start, lr_end_factor=lr_end_factor, beta2_end=beta2_end)
        self.augment = Augment(**augment) if isinstance(augment, dict) else augment
        self.schedule = schedule or CriticSchedule()
        self.lr_schedule, self.lr_decay_start = lr_schedule, lr_decay_start
        self.lr_end_factor = 0.0 if lr_end_factor is None else float(lr_end_factor)
        self.beta2_end = None if beta2_end is None else float(beta2_end)
        self.generator, self.critic = generator, critic
        self.num_classes = int(generator.num_classes)
        self.objective = make_objective(objective)
        self.constraints = [make_constraint(c) for c in constraints]
        for c in self.constraints:
            c.prepare(self.critic)
        self.g_spec, self.d_spec = g_optimizer, d_optimizer
        self.ema_decay, self.ema_rampup, self.channels_last = ema_decay, ema_rampup, bool(channels_last)
        self._ema_bn_at = -1  # generator iteration at which the average's BN statistics were last recomputed
        self.output_shape = output_shape(self.generator, self.critic, self.objective, data_shape)
        if self.augment is not None and len(self.output_shape) != 3:
            raise ValueError(f"augment transforms images (C, H, W); this generator makes {tuple(self.output_shape)}")
        self.generator_ema = make_ema(generator) if ema_decay else None
        if self.channels_last:
            for net in (self.generator, self.critic, self.generator_ema):
                if net is not None:
                    to_channels_last(net)
        if compile:
            self._compile()
        self._cycle = 0  # critic steps done towards the next generator step
        self._ddp: dict[str, nn.Module] = {}  # separate DDP wrappers ('ddp_gan'); a dict, so not submodules

    def _compile(self) -> None:
        """Compile the networks' forward passes in place (state dicts, checkpoints and exports are unchanged)."""
        self.generator.compile()
        eager = [c.name for c in self.constraints if c.double_backward]
        if eager:
            warnings.warn(f"compile: the critic stays eager: {', '.join(eager)} takes a double backward, which "
                          "torch.compile cannot capture (the generator is compiled)", stacklevel=3)
        else:
            self.critic.compile()

    def check_datamodule(self, dm: Any) -> None:
        check_datamodule(self, dm)

    # ------------------------------------------------------------------ optimisation
    def configure_optimizers(self):
        opts = [self.g_spec.build(self.generator.parameters()), self.d_spec.build(self.critic.parameters())]
        if self.lr_schedule == "constant":
            return opts
        return opts, [torch.optim.lr_scheduler.LambdaLR(o, self.lr_lambda()) for o in opts]

    def lr_lambda(self) -> Callable[[int], float]:
        """The learning rates' factor as a function of the generator iteration (the LR schedulers' lambda)."""
        return functools.partial(lr_factor, start=self.lr_decay_start, end=self.max_gen_iters, shape=self.lr_schedule,
                                 end_factor=self.lr_end_factor)

    def set_beta2(self, optimizers: Sequence[torch.optim.Optimizer], gen_iter: int) -> None:
        """With ``beta2_end``: set Adam's beta2 of the generator's and the critic's optimizers (in that order) for
        generator iteration ``gen_iter``, along the learning rates' schedule; nothing without it."""
        if self.beta2_end is not None:
            t = anneal(self.lr_schedule, gen_iter, self.lr_decay_start, self.max_gen_iters)
            set_adam_beta2(optimizers, (self.g_spec, self.d_spec), self.beta2_end, t)

    @staticmethod
    def _call(net: Callable[..., Tensor], x: Tensor, labels: Tensor | None) -> Tensor:
        return net(x) if labels is None else net(x, labels)

    def _labels(self, batch: Any) -> Tensor | None:
        """The batch's labels for a conditional model (``None`` for an unconditional one)."""
        if not self.num_classes:
            return None
        if not isinstance(batch, (list, tuple)) or len(batch) < 2:
            raise ValueError("a conditional model (num_classes > 0) needs batches of (images, labels)")
        return batch[1]

    def forward(self, z: Tensor) -> Tensor:
        return self.generator(z)

    def set_ddp_wrappers(self, wrap) -> None:
        """Wrap generator and critic separately (``wrap(module) -> DDP``), or drop the wrappers (``None``)."""
        self._ddp = {} if wrap is None else {"generator": wrap(self.generator), "critic": wrap(self.critic)}

    def _fakes(self, n: int, generator: nn.Module | None = None, labels: Tensor | None = None) -> list[Tensor]:
        g = generator if generator is not None else self.generator
        return [
            self._call(g, self.generator.sample_latent(n, device=self.device), labels)
            for _ in range(self.objective.n_fake_batches)
        ]

    def critic_step(self, real: Tensor, opt, labels: Tensor | None = None) -> dict[str, Tensor]:
        critic = self._ddp.get("critic", self.critic)  # all critic calls of this step go through its wrapper
        if labels is not None:
            critic = functools.partial(critic, labels=labels)  # fakes and interpolates share the real labels
        with torch.no_grad():
            fakes = self._fakes(real.shape[0], labels=labels)
        if self.augment is not None:  # the critic sees only augmented images; penalties are taken on them too
            real, fakes = self.augment(real), [self.augment(f) for f in fakes]
        # lazy regularisation (0 or lazy_every) times the penalty schedule's factor
        factor = self.schedule.penalty_factor(self.critic_iters, self.gen_iters, self.max_gen_iters)
        reuse = bool(factor) and any(c.at_samples for c in self.constraints) and (
            type(self.objective).witness is Objective.witness)  # the witness is the critic: its outputs serve both
        if reuse and any(c.at_samples and c.double_backward for c in self.constraints):  # R1 / R2: d D / d x
            real = real.detach().float().requires_grad_(True)
            fakes = [fakes[0].detach().float().requires_grad_(True), *fakes[1:]]
        real_out = critic(real).float()  # losses in float32 under mixed precision
        fake_outs = [critic(f).float() for f in fakes]
        if self.augment is not None and self.augment.adaptive:  # ADA's r_t, over every rank
            ddp = self._trainer is not None and self.trainer.world_size > 1
            self.augment.observe(real_out, self._sum_over_ranks if ddp else None)
        loss = self.objective.critic_loss(real_out, fake_outs)
        witness = self.objective.witness(critic, real_out, fake_outs)
        if reuse:  # R1 / R2 at the loss's own samples: no second forward pass
            witness = reusing_witness(witness, [(real, scalar(real_out)), (fakes[0], scalar(fake_outs[0]))])
        penalty = None
        for c in self.constraints if factor else ():
            p = c.penalty(witness, real, fakes[0])  # a float32 penalty (the critic's layers in the step's precision)
            if p is not None:
                p = p if factor == 1 else factor * p
                penalty = p if penalty is None else penalty + p
        opt.zero_grad(set_to_none=True)
        self.manual_backward(loss if penalty is None else loss + penalty)
        if penalty is None:
            penalty = torch.zeros((), device=self.device)
        opt.step()
        for c in self.constraints:
            c.after_critic_step(self.critic)
        if type(self.objective).estimate is Objective.estimate:  # the default estimate is -critic_loss: reuse it
            estimate = -loss.detach()
        else:
            with torch.no_grad():
                estimate = self.objective.estimate(real_out.detach(), [o.detach() for o in fake_outs])
        return {"d_loss": loss.detach(), "penalty": penalty.detach(), "estimate": estimate}

    def generator_step(self, real: Tensor, opt, labels: Tensor | None = None) -> dict[str, Tensor]:
        self.toggle_optimizer(opt)  # freezes the critic: only generator gradients are computed (and synced)
        fakes = self._fakes(real.shape[0], self._ddp.get("generator"), labels)
        if self.augment is not None:  # the same augmentation as the critic's step, differentiated through
            fakes = [self.augment(f) for f in fakes]
            real = self.augment(real) if self.objective.needs_real_for_generator else real
        fake_outs = [self._call(self.critic, f, labels).float() for f in fakes]
        real_out = self._call(self.critic, real, labels).float() if self.objective.needs_real_for_generator else None
        loss = self.objective.generator_loss(fake_outs, real_out)
        opt.zero_grad(set_to_none=True)
        self.manual_backward(loss)
        opt.step()
        self.untoggle_optimizer(opt)
        if self.generator_ema is not None:  # masked on the device: non-finite weights never reach the EMA
            finite = all_finite_flag([t for _, t in float_weights(self.generator)]) if self.check_finite else None
            update_ema(self.generator_ema, self.generator, self.current_ema_decay(), finite)
        return {"g_loss": loss.detach()}

    def training_step(self, batch: Any, batch_idx: int) -> None:
        self.begin_step()
        real = batch[0] if isinstance(batch, (list, tuple)) else batch
        if self.channels_last and real.dim() == 4:
            real = real.contiguous(memory_format=torch.channels_last)
        labels = self._labels(batch)
        g_opt, d_opt = self.optimizers()
        logs = self.critic_step(real, d_opt, labels)
        self.critic_iters += 1
        self._cycle += 1
        if self._cycle >= self.schedule.critic_steps(self.gen_iters):
            logs.update(self.generator_step(real, g_opt, labels))
            self._cycle = 0
            if self.lr_schedule != "constant":
                for sched in self.lr_schedulers():
                    sched.step()
            self.end_generator_iteration()
            self.set_beta2((g_opt, d_opt), self.gen_iters)
        est_name = "distance" if self.objective.is_distance else "critic_value"
        logs[est_name] = logs.pop("estimate")
        if self.augment is not None and self.augment.adaptive:
            logs["augment_p"] = torch.tensor(self.augment.p, device=self.device)
        self.record(logs)

    def _sum_over_ranks(self, t: Tensor) -> Tensor:
        return self.trainer.strategy.reduce(t, reduce_op="sum")

    # ------------------------------------------------------------------ the GanModule interface
    def guarded_networks(self) -> dict[str, nn.Module]:
        return {"generator": self.generator, "critic": self.critic}

    def current_ema_decay(self) -> float:
        """The EMA decay of this generator iteration: ``ema_decay``, or with ``ema_rampup`` the decay whose
        half-life is ``min(half-life of ema_decay, ema_rampup * gen_iters)`` (StyleGAN2-ADA's ramp)."""
        if self.ema_rampup is None:
            return self.ema_decay
        return ema_decay_at(self.ema_decay, self.ema_rampup, self.gen_iters + 1)

    @property
    def export_model(self) -> nn.Module:
        """The generator to export and evaluate: the EMA copy when kept (its batch-norm statistics recomputed for
        its own weights, once per generator iteration it is asked for), else the trained weights."""
        if self.generator_ema is None:
            return self.generator
        if self._ema_bn_at != self.gen_iters and has_batch_norm(self.generator_ema):
            refresh_bn_stats(self.generator_ema, self._bn_latents)
            self._ema_bn_at = self.gen_iters
        return self.generator_ema

    def _bn_latents(self, n: int, seed: int) -> tuple[Tensor, Tensor | None]:
        """Latents (and labels for a conditional generator) for the EMA's batch-norm statistics, drawn from
        ``seed`` without touching the training RNG."""
        device = next(self.generator_ema.parameters()).device
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(seed)
            z = self.generator_ema.sample_latent(n, device=device)
        labels = torch.arange(n, device=device) % self.num_classes if self.num_classes else None
        return z, labels

    def report(self, datamodule: Any, out_dir: str, *, n: int, metrics: list[str] | None) -> Report | None:
        """The end-of-fit report of :func:`ganzoo.training.report.latent_report`."""
        from .report import latent_report

        return latent_report(self, datamodule, out_dir, n=n, metrics=metrics)

    def checkpoint_counters(self) -> dict[str, int]:
        return {**super().checkpoint_counters(), "cycle": self._cycle}

    def load_counters(self, counters: dict[str, int]) -> None:
        super().load_counters(counters)
        self._cycle = counters.get("cycle", 0)

    def export_metadata(self) -> dict[str, Any]:
        out = {
            **super().export_metadata(),
            "objective": self.objective.name,
            "constraints": [c.name for c in self.constraints],
            "ema": self.generator_ema is not None,
        }
        if self.augment is not None:  # the policy and, for ADA, where p ended (the cards report it)
            out["augment"] = {"policy": ",".join(self.augment.policy), "p": round(self.augment.p, 4),
                              **({"ada_target": self.augment.ada_target} if self.augment.adaptive else {})}
        return out

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        super().on_save_checkpoint(checkpoint)
        if self.augment is not None:
            checkpoint["ganzoo_augment"] = self.augment.state_dict()
        if any(states := [c.state_dict() for c in self.constraints]):  # LeCam's anchors
            checkpoint["ganzoo_constraints"] = states

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        super().on_load_checkpoint(checkpoint)
        if self.augment is not None and "ganzoo_augment" in checkpoint:
            self.augment.load_state_dict(checkpoint["ganzoo_augment"])
        for c, state in zip(self.constraints, checkpoint.get("ganzoo_constraints", ())):
            c.load_state_dict(state)
