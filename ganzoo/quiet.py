"""Silence Lightning's and torchmetrics' messages that are known not to apply to ganzoo's runs.

Each filter is narrow (one message) and says why the message is harmless here. ``install()`` is idempotent and
is called by ``ganzoo fit`` (``ganzoo.cli.fit``) and by the image metrics. Imports neither Lightning nor
torchmetrics.
"""

from __future__ import annotations

import logging
import warnings

_installed = False


class _DropTips(logging.Filter):
    # Lightning's "💡 Tip: ... try installing litlogger / litmodels" lines advertise other products; they say
    # nothing about the run
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.getMessage()).startswith("💡 Tip:")


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    # Lightning's own _pytree helper calls a torch API that torch deprecated; nothing for a user to change
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)` is deprecated")
    # The eval-mode modules of ganzoo's GANs are the EMA copy of the generator (make_ema: eval and frozen by
    # design, updated by update_ema, never trained by an optimizer) and frozen feature extractors
    warnings.filterwarnings("ignore", message=r"Found \d+ module\(s\) in eval mode at the start of training")
    logging.getLogger("lightning.pytorch.utilities.rank_zero").addFilter(_DropTips())
    # torchmetrics' KID/IS warn that they keep every extracted feature in memory (a concern for unbounded
    # streams); ganzoo feeds them at most ``n`` precomputed features once per evaluation
    warnings.filterwarnings("ignore", message=r".*will save all extracted features in buffer")
    # Resuming mid-epoch: Lightning warns that the *dataloader* is not resumable. ganzoo's datamodules restore the
    # data position themselves (their state_dict, which Lightning saves and restores: the 2-D stream is replayed to
    # the batches consumed, the image and paired samplers restart at the saved epoch and batch), so a resumed run
    # sees the same batches; GanModule also restores every RNG state at its first step
    # (tests/test_resume_cli.py: bitwise-identical weights after kill -9 and --resume)
    warnings.filterwarnings("ignore", message=r"You're resuming from a checkpoint that ended before the epoch ended")
    # Lightning's ModelCheckpoint(every_n_train_steps) with manual optimization: the checkpoint holds the state after
    # the step. For ganzoo that is the consistent state to resume from: weights, optimizers, counters, RNG and data
    # position are all saved after the same step, and the resumed run continues with the next batch
    warnings.filterwarnings("ignore", message=r"Using ModelCheckpoint with manual optimization and every_n_train_steps")
