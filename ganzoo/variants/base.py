"""How a variant is declared: the variant registry and :class:`LatentGAN`, the latent GAN whose paper defaults a
variant states in one :class:`Paper`.

A latent-GAN variant is a subclass of :class:`LatentGAN` with a docstring and a ``paper = Paper(...)``: objective,
constraints, schedule, optimizer and default networks. Its constructor (what a recipe's ``init_args`` and
``ganzoo.<Name>(...)`` take) is :class:`LatentGAN`'s, with the paper's values as its defaults. Decorated with
``@register_variant("name")``, it is listed by ``ganzoo.list_variants()``, importable as ``ganzoo.<Name>``, and picked
up by the tests, benches and docs that loop over the registry.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, ClassVar

from torch import nn

from ganzoo.checks import check_positive
from ganzoo.nets import MLPCritic, MLPGenerator
from ganzoo.registry import build_model
from ganzoo.training import AdversarialModule, CriticSchedule, OptimizerSpec

NetSpec = dict[str, Any]
"""A network by registered architecture name and arguments, e.g.
``{"arch": "dcgan_generator", "channels": 1, "resolution": 32}`` (see ``ganzoo.list_models()``)."""

_VARIANTS: dict[str, type[nn.Module]] = {}


def register_variant(name: str):
    """Class decorator: list the variant under ``name`` (``ganzoo.list_variants()``, recipes' folder name)."""

    def deco(cls):
        if name in _VARIANTS and _VARIANTS[name] is not cls:
            raise ValueError(f"variant name {name!r} is already registered to {_VARIANTS[name].__name__}")
        _VARIANTS[name] = cls
        cls.variant_name = name
        return cls

    return deco


def list_variants(kind: str | None = None) -> list[str]:
    """Names of the registered variants: all, or those of ``kind`` ``"latent"`` (latents -> samples) or
    ``"translation"`` (images -> images)."""
    if kind not in (None, "latent", "translation"):
        raise ValueError(f"kind must be None, 'latent' or 'translation', got {kind!r}")
    return sorted(n for n, cls in _VARIANTS.items() if kind is None or variant_kind(cls) == kind)


def variant_kind(cls: type) -> str:
    return "latent" if issubclass(cls, AdversarialModule) else "translation"


def get_variant(name: str) -> type[nn.Module]:
    """The variant class registered as ``name``."""
    if name not in _VARIANTS:
        raise ValueError(f"unknown variant {name!r}; registered variants: {list_variants()}")
    return _VARIANTS[name]


def build_net(spec: NetSpec, role: str) -> nn.Module:
    """Build the network ``spec`` names; ``role`` ("generator"/"critic") names the parameter in errors."""
    if not isinstance(spec, dict) or "arch" not in spec:
        raise ValueError(
            f"{role} must be a mapping with an 'arch' key naming a registered architecture and its arguments, "
            f"e.g. {{'arch': 'dcgan_{role}', 'channels': 1}}; got {spec!r}"
        )
    args = {k: v for k, v in spec.items() if k != "arch"}
    try:
        return build_model(spec["arch"], args)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{role}: {e}") from e


@dataclass(frozen=True)
class Paper:
    """What a latent-GAN paper states: the defaults of its variant's constructor (see :class:`LatentGAN`).

    ``critic_out`` is the critic's output size (feature critics: Cramer 256, MMD 16), given to the toy MLP critic
    and to critic specs that do not set ``out_dim``; ``conditional`` requires class-conditional networks.
    ``lr_schedule``, ``lr_end_factor``, ``beta2_end``, ``ema_decay`` and ``ema_rampup``: the paper's optimizer
    schedule and generator average (R3GAN), ``LatentGAN``'s arguments of the same names.
    """

    objective: str | dict[str, Any] = "nonsaturating"
    constraints: tuple[str | dict[str, Any], ...] = ()
    n_critic: int = 1
    schedule: dict[str, Any] | None = None
    optimizer: str = "adam"
    lr: float = 2e-4
    betas: tuple[float, float] | None = (0.5, 0.999)
    generator: NetSpec | None = None
    critic: NetSpec | None = None
    critic_out: int = 1
    conditional: bool = False
    lr_schedule: str = "constant"
    lr_end_factor: float | None = None
    beta2_end: float | None = None
    ema_decay: float | None = None
    ema_rampup: float | None = None

    @property
    def defaults(self) -> dict[str, Any]:
        """The constructor defaults this paper sets (``LatentGAN``'s arguments of the same names)."""
        names = ("objective", "n_critic", "schedule", "optimizer", "lr", "betas", "generator", "critic", "lr_schedule",
                 "lr_end_factor", "beta2_end", "ema_decay", "ema_rampup")
        return {**{k: getattr(self, k) for k in names}, "constraints": list(self.constraints)}


MOVED = {  # arguments of the variants before the pieces took their own arguments, and where they went
    "gp_weight": "constraints: [{name: gradient_penalty, weight: ...}]",
    "one_sided": "constraints: [{name: gradient_penalty, weight: ..., one_sided: true}]",
    "clip": "constraints: [{name: weight_clipping, clip: ...}]",
    "wgan_warmup": "schedule: {warmup: wgan} (schedule: {} turns it off)",
    "divergence": "objective: {name: fgan, divergence: ...}",
    "saturating": "objective: {name: fgan, divergence: ..., saturating: true}",
    "kernel": "objective: {name: mmd, kernel: ...}",
    "linear": "objective: {name: mmd, kernel: ..., linear: ...}",
    "feature_dim": "the critic spec's out_dim (the toy MLP critic keeps the paper's size)",
}

TOY = {"data_dim": 2, "latent_dim": 2, "hidden_dim": 512, "n_layers": 3}  # the WGAN-GP toy code's MLPs


class LatentGAN(AdversarialModule):
    """A latent GAN built from a config: network specs, the objective, constraints, schedule and optimizer.

    Args:
        generator, critic: network specs ``{"arch": ..., **arguments}`` (``ganzoo.list_models()``); without them
            (both ``None``) the 2-D toy MLPs of the WGAN-GP code, sized by ``data_dim``, ``latent_dim``,
            ``hidden_dim`` and ``n_layers`` (2, 2, 512, 3), which are refused when specs are given.
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
        max_gen_iters, ema_decay, ema_rampup, lr_schedule, lr_decay_start, compile, channels_last: see
            :class:`~ganzoo.training.AdversarialModule` (``compile: true`` is the fast mode).
        lr_end_factor, beta2_end: the ends of the learning rates' and Adam's beta2 schedules (R3GAN: 0.25, 0.99), see
            :class:`~ganzoo.training.AdversarialModule`.
        augment: differentiable augmentation of every critic input (:class:`ganzoo.augment.Augment`):
            ``{"policy": "translation,cutout"}`` (DiffAugment) or with ``"ada_target": 0.6`` (ADA's adaptive
            probability); ``None`` (every paper's default): none.
    """

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
        super().__init__(g, d, objective, constraints or [], sched, g_opt, d_opt, max_gen_iters=max_gen_iters,
                         ema_decay=ema_decay, data_shape=shape, lr_schedule=lr_schedule, lr_decay_start=lr_decay_start,
                         compile=compile, ema_rampup=ema_rampup, channels_last=channels_last,
                         lr_end_factor=lr_end_factor, beta2_end=beta2_end, augment=augment)
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

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Give each variant :class:`LatentGAN`'s constructor with its paper's values as the defaults (what
        ``--help``, ``--print_config`` and the docs show)."""
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            return
        base = inspect.signature(LatentGAN.__init__)
        defaults = cls.paper.defaults
        sig = base.replace(parameters=[p.replace(default=defaults.get(p.name, p.default))
                                       for p in base.parameters.values()])

        def __init__(self, *args: Any, **kw: Any) -> None:
            moved = sorted(set(kw) & set(MOVED))
            if moved:
                raise TypeError(f"{cls.__name__}: '{moved[0]}' is now set as {MOVED[moved[0]]}")
            bound = sig.bind(self, *args, **kw)
            bound.apply_defaults()
            LatentGAN.__init__(*bound.args, **bound.kwargs)

        __init__.__signature__ = sig  # type: ignore[attr-defined]
        __init__.__annotations__ = LatentGAN.__init__.__annotations__
        __init__.__doc__ = LatentGAN.__doc__
        __init__.__qualname__ = f"{cls.__qualname__}.__init__"
        cls.__init__ = __init__  # type: ignore[method-assign]
