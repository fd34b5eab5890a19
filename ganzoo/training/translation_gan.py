"""The translation GAN: images -> images, the base of pix2pix and CycleGAN, with the translator/discriminator pair of
optimizers, the reference LR schedule, the image history pool and patch-wise adversarial losses.

:class:`~ganzoo.training.LatentGAN` draws latents; translation GANs map images to images and add reconstruction
terms, so they implement their own steps on :class:`GanModule` (manual optimization, one discriminator step and one
generator step per batch: ``n_critic = 1``, as both papers). Objectives are the core ones (``ganzoo.objectives``),
applied to every patch of a PatchGAN's output map. A translation variant states its paper's values in a
:class:`TranslationPaper`, which become its constructor's defaults (:func:`~ganzoo.variants.register_variant`).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from ganzoo.checks import check_int
from ganzoo.objectives import make_objective
from ganzoo.registry import NetSpec
from ganzoo.translators import Translator

from .gan_module import GanModule, Report
from .optim import OptimizerSpec, reference_lr_factor


@dataclass(frozen=True)
class TranslationPaper:
    """What an image-to-image translation paper states: the defaults of its variant's constructor.

    ``generator`` and ``critic`` are the paper's networks, built where the constructor's ``generator`` and ``critic``
    are ``None`` (their defaults). ``options`` are the paper's values of the variant's own arguments (pix2pix:
    ``lambda_l1``; CycleGAN: ``lambda_cycle``, ``lambda_identity``, ``pool_size``). ``lr``, ``betas``, ``n_epochs``
    and ``n_epochs_decay``: Adam's and the reference schedule's (:class:`TranslationGAN`).
    """

    generator: NetSpec
    critic: NetSpec
    objective: str
    options: dict[str, Any] = field(default_factory=dict)
    lr: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    n_epochs: int = 100
    n_epochs_decay: int = 100

    @property
    def defaults(self) -> dict[str, Any]:
        """The constructor defaults this paper sets (the variant's arguments of the same names)."""
        return {"generator": None, "critic": None, "objective": self.objective, **self.options, "lr": self.lr,
                "betas": self.betas, "n_epochs": self.n_epochs, "n_epochs_decay": self.n_epochs_decay}


class ImagePool:
    """History of generated images (Shrivastava et al. 2017; CycleGAN uses ``size=50``).

    ``query(images)`` returns a batch of the same size: while fewer than ``size`` images are stored, each image
    is stored and returned; afterwards each image is, with probability 1/2, swapped for a uniformly chosen stored
    one (which is returned, the new one taking its place), else returned as is. ``size=0`` disables the pool.
    """

    def __init__(self, size: int = 50, seed: int = 0):
        check_int("pool_size", size, 0)
        self.size = size
        self.images: list[Tensor] = []
        self.generator = torch.Generator().manual_seed(seed)

    @torch.no_grad()
    def query(self, images: Tensor) -> Tensor:
        if self.size == 0:
            return images.detach()  # the discriminator step must not reach back into the generators' graph
        if self.images and self.images[0].device != images.device:  # loaded from a checkpoint onto the CPU
            self.images = [x.to(images.device) for x in self.images]
        out = []
        for img in images.detach():
            img = img.unsqueeze(0)
            if len(self.images) < self.size:
                self.images.append(img.clone())
                out.append(img)
            elif torch.rand((), generator=self.generator).item() < 0.5:
                j = int(torch.randint(len(self.images), (), generator=self.generator))
                out.append(self.images[j].clone())
                self.images[j] = img.clone()
            else:
                out.append(img)
        return torch.cat(out)

    def state_dict(self) -> dict[str, Any]:
        stored = torch.cat(self.images).cpu() if self.images else torch.zeros(0)
        return {"size": self.size, "images": stored, "rng": self.generator.get_state()}

    def load_state_dict(self, state: dict[str, Any], device: torch.device | None = None) -> None:
        self.size = int(state["size"])
        self.images = [x.unsqueeze(0).to(device) for x in state["images"]] if state["images"].numel() else []
        self.generator.set_state(state["rng"])


class TranslationGAN(GanModule):
    """Base of :class:`~ganzoo.variants.Pix2Pix` and :class:`~ganzoo.variants.CycleGAN`.

    Holds ``translator`` (a :class:`~ganzoo.translators.Translator`, one generator per direction, all trained by
    one Adam optimizer) and ``critics`` (a ``ModuleDict`` of discriminators, one Adam optimizer). Training runs
    ``n_epochs + n_epochs_decay`` epochs with the reference LR schedule
    (:func:`~ganzoo.training.optim.reference_lr_factor`), stepped at every epoch end (a Trainer with
    ``max_epochs=-1``, the CLI's default, gets this length; ``--trainer.max_epochs`` or ``max_gen_iters`` stop
    earlier).

    A subclass states a ``paper`` (:class:`TranslationPaper`) and writes its constructor's arguments (without
    defaults: they are the paper's); the constructor builds the networks, calls ``GanModule.__init__(max_gen_iters)``,
    then :meth:`assemble`, and ends with ``self.save_hyperparameters()``. It implements ``translation_step(a, b)``
    using :meth:`adversarial_d`, :meth:`adversarial_g` and :meth:`step`.

    Losses follow the reference implementation: the discriminator loss is the objective's real + fake terms
    halved, the generator's adversarial term is the objective's generator loss, both on every patch of the
    discriminator's output (``least_squares`` is rescaled to plain MSE:
    :attr:`~ganzoo.objectives.Objective.reference_scale`).
    """

    generator_log_keys = ("g_adv", "l1", "cycle", "identity")
    progress_keys = ("g_adv", "d_loss", "l1", "cycle")
    paper: ClassVar[TranslationPaper]
    variant_name: ClassVar[str] = ""

    def assemble(self, directions: dict[str, NetSpec], critics: dict[str, nn.Module], objective: str, lr: float,
                 betas: tuple[float, float], n_epochs: int, n_epochs_decay: int) -> None:
        """Check the schedule and the objective, build the translator and set the pieces up (after
        :class:`GanModule`'s ``__init__``)."""
        check_int("n_epochs", n_epochs, 0)
        check_int("n_epochs_decay", n_epochs_decay, 0)
        if n_epochs + n_epochs_decay < 1:
            raise ValueError("n_epochs + n_epochs_decay must be at least 1")
        self.translator = Translator(directions)
        self.critics = nn.ModuleDict(critics)
        self.objective = make_objective(objective)
        if not self.objective.scalar_critic or self.objective.n_fake_batches != 1:
            raise ValueError(f"objective {objective!r} needs a feature critic; translation GANs take a scalar one "
                             "(minimax, nonsaturating, least_squares, hinge, wasserstein)")
        self.scale = self.objective.reference_scale
        self.opt_spec = OptimizerSpec("adam", lr, tuple(betas))
        self.n_epochs, self.n_epochs_decay = n_epochs, n_epochs_decay

    # ------------------------------------------------------------------ setup
    @property
    def max_epochs(self) -> int:
        """Epochs of the reference schedule: ``n_epochs`` at the initial LR plus ``n_epochs_decay`` decaying."""
        return self.n_epochs + self.n_epochs_decay

    def setup(self, stage: str) -> None:
        if self._trainer is not None:
            loop = self.trainer.fit_loop
            if loop.max_epochs in (None, -1) and self.max_gen_iters is None:
                loop.max_epochs = self.max_epochs  # the schedule's length, unless the trainer says otherwise
        super().setup(stage)

    def check_datamodule(self, dm: Any) -> None:
        for d in self.translator.directions:
            src, dst = ("a", "b") if d == "AtoB" else ("b", "a")
            want = getattr(dm, f"shape_{src}", None), getattr(dm, f"shape_{dst}", None)
            c_in, c_out = self.translator.channels(d)
            if want[0] is not None and (want[0][0], want[1][0]) != (c_in, c_out):
                raise ValueError(
                    f"the {d} generator maps {c_in} to {c_out} channels but datamodule {type(dm).__name__} has "
                    f"{want[0][0]}-channel {src.upper()} images and {want[1][0]}-channel {dst.upper()} images; set "
                    "in_channels/out_channels of the networks to match"
                )

    def configure_optimizers(self):
        opts = [self.opt_spec.build(self.translator.parameters()), self.opt_spec.build(self.critics.parameters())]
        decay = functools.partial(reference_lr_factor, n_epochs=self.n_epochs, n_epochs_decay=self.n_epochs_decay)
        return opts, [torch.optim.lr_scheduler.LambdaLR(o, decay) for o in opts]

    def on_train_epoch_end(self) -> None:
        for sched in self.lr_schedulers():
            sched.step()
        super().on_train_epoch_end()

    # ------------------------------------------------------------------ losses
    def _patches(self, out: Tensor) -> Tensor:
        return out.float().reshape(-1, 1)  # every patch of a PatchGAN map is one critic output

    def adversarial_d(self, critic: nn.Module, real: Tensor, fake: Tensor) -> Tensor:
        """Discriminator loss: 1/2 (real term + fake term) of the objective, over all patches."""
        return 0.5 * self.scale * self.objective.critic_loss(self._patches(critic(real)), [self._patches(critic(fake))])

    def adversarial_g(self, critic: nn.Module, fake: Tensor) -> Tensor:
        """Generator's adversarial loss on the fakes ``fake`` (callers freeze ``critic`` with ``toggle_optimizer``)."""
        return self.scale * self.objective.generator_loss([self._patches(critic(fake))])

    def step(self, opt: Any, loss: Tensor) -> None:
        """Backward ``loss`` and step ``opt`` (the divergence guard checks the recorded losses and the weights)."""
        opt.zero_grad(set_to_none=True)
        self.manual_backward(loss)
        opt.step()

    # ------------------------------------------------------------------ training
    def translation_step(self, a: Tensor, b: Tensor) -> dict[str, Tensor]:
        raise NotImplementedError

    def training_step(self, batch: Any, batch_idx: int) -> None:
        self.begin_step()  # a resumed run's RNG states (dropout masks), after Lightning's start-up draws
        if not isinstance(batch, (list, tuple)) or len(batch) != 2:
            raise ValueError("translation GANs need batches (a, b) of images; use a paired or unpaired datamodule")
        logs = self.translation_step(*batch)
        self.critic_iters += 1
        self.end_generator_iteration()
        self.record({k: v.detach() for k, v in logs.items()})

    # ------------------------------------------------------------------ the GanModule interface
    def guarded_networks(self) -> dict[str, nn.Module]:
        return {"translator": self.translator, "critics": self.critics}

    @property
    def export_model(self) -> Translator:
        return self.translator

    def report(self, datamodule: Any, out_dir: str, *, n: int, metrics: list[str] | None) -> Report:
        """Scores of the translators on the test split (:mod:`ganzoo.training.translation_eval`); FID when
        ``metrics`` names it."""
        from ganzoo.cards import translation_results

        from .translation_eval import translation_report

        m = translation_report(self, datamodule, out_dir, n=n, fid="fid" in (metrics or []))
        return Report(m, datamodule.dataset_name, translation_results(m, datamodule.dataset_name),
                      os.path.join(out_dir, "samples.png"))

    def export_metadata(self) -> dict[str, Any]:
        return {
            **super().export_metadata(), "objective": self.objective.name, "constraints": [], "ema": False,
            "directions": list(self.translator.directions),
        }
