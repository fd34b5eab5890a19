"""DDP for GANs, through Lightning's own strategies.

The critic step leaves the generator's parameters without gradients (and the generator step freezes the
critic), which plain DDP rejects. Two ways are supported:

* ``strategy="ddp"`` (or ``ddp_spawn``, ...): Lightning wraps the whole module in one DDP wrapper; ganzoo
  turns on ``find_unused_parameters`` at setup (DDP then walks the autograd graph before every backward and
  all-reduces the buckets of both networks at every step).
* ``strategy="ddp_gan"``: :class:`GanDDPStrategy` wraps the generator and the critic in separate DDP wrappers;
  the critic step all-reduces only critic gradients and the generator step only generator gradients. The
  translation GANs (pix2pix, CycleGAN: several networks a step) it wraps whole, as ``strategy="ddp"`` does, so the
  trainer recipes serve every variant.

Both give the same parameters as one process on the concatenated batch for per-sample-mean losses
(tests/test_ddp.py); ``bench/perf/ddp_overhead.py`` measures their cost.
"""

from __future__ import annotations

from typing import Any

from lightning.pytorch.strategies import DDPStrategy, StrategyRegistry
from lightning.pytorch.utilities import rank_zero_info
from torch import nn
from torch.nn.parallel import DistributedDataParallel


class GanDDPStrategy(DDPStrategy):
    """DDP with separate wrappers for the generator and the critic of a ``LatentGAN``.

    Accepts every argument of Lightning's ``DDPStrategy``; ``find_unused_parameters`` is not needed.
    """

    strategy_name = "ddp_gan"

    def _setup_model(self, model: nn.Module) -> nn.Module:
        if not hasattr(model, "set_ddp_wrappers"):  # pix2pix, CycleGAN: one wrapper, as strategy="ddp" makes it
            self._whole_module = True
            self._ddp_kwargs["find_unused_parameters"] = True
            rank_zero_info(f"ganzoo: strategy 'ddp_gan' wraps {type(model).__name__} whole (as strategy 'ddp', with "
                           "find_unused_parameters=True): separate wrappers are for the latent GANs")
            return super()._setup_model(model)
        device_ids = self.determine_ddp_device_ids()
        kwargs = {k: v for k, v in self._ddp_kwargs.items() if k != "find_unused_parameters"}

        def wrap(m: nn.Module) -> DistributedDataParallel:
            return DistributedDataParallel(m, device_ids=device_ids, **kwargs)

        model.set_ddp_wrappers(wrap)
        return model  # the LightningModule itself stays unwrapped; Lightning calls its hooks directly

    def _register_ddp_hooks(self) -> None:  # communication hooks would target the outer wrapper
        if getattr(self, "_whole_module", False):
            return super()._register_ddp_hooks()
        if self._ddp_comm_hook is not None or self._ddp_comm_state is not None:
            raise ValueError("strategy 'ddp_gan' does not support DDP communication hooks")

    def teardown(self) -> None:
        lm = self.lightning_module
        if lm is not None and hasattr(lm, "set_ddp_wrappers"):
            lm.set_ddp_wrappers(None)
        super().teardown()

    @classmethod
    def register_strategies(cls, strategy_registry: Any) -> None:
        strategy_registry.register(
            "ddp_gan", cls, description="DDP with separate generator and critic wrappers", start_method="popen"
        )
        strategy_registry.register(
            "ddp_gan_spawn", cls, description="'ddp_gan' with the 'spawn' start method", start_method="spawn"
        )


def ensure_gan_compatible(strategy: Any) -> None:
    """Make Lightning's whole-module DDP strategies work with the critic/generator alternation."""
    if isinstance(strategy, GanDDPStrategy) or not isinstance(strategy, DDPStrategy):
        return
    kwargs = getattr(strategy, "_ddp_kwargs", None)
    if kwargs is None:
        raise RuntimeError(
            "ganzoo could not enable find_unused_parameters on this DDPStrategy; pass "
            "strategy='ddp_gan' or strategy='ddp_find_unused_parameters_true'"
        )
    if not kwargs.get("find_unused_parameters", False):
        kwargs["find_unused_parameters"] = True
        rank_zero_info(
            "ganzoo: DDP with find_unused_parameters=True (the critic step leaves generator parameters unused); "
            "strategy='ddp_gan' wraps generator and critic separately instead."
        )


if "ddp_gan" not in StrategyRegistry:
    GanDDPStrategy.register_strategies(StrategyRegistry)
