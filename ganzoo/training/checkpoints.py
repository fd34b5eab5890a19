"""Checkpoints counted in generator iterations, and a graceful stop on Ctrl-C or SIGTERM.

``GanCheckpoint(every_n_gen_iters=N)`` (in every recipe's ``trainer.callbacks``) writes
``<default_root_dir>/checkpoints/last.ckpt`` every N generator iterations and at the end of training, atomically
(through :class:`~ganzoo.training.checkpoint_io.AtomicCheckpointIO`, which ganzoo's modules install), keeping the
one it replaces as ``last.prev.ckpt`` (resume from it if ``last.ckpt`` is damaged later). A checkpoint
holds everything an exact resume needs (see :class:`~ganzoo.training.latent_gan.LatentGAN`) plus the log
version, so ``ganzoo fit ... --resume`` continues in the same ``logs/version_N`` folder.

Ctrl-C (SIGINT) during training is deferred to the end of the current training step; SIGTERM is handled there by
Lightning. Either way the callback then saves ``last.ckpt``, exports the generator and prints one line saying how
to resume; a second Ctrl-C stops at once. The process exits non-zero (1 after Ctrl-C, 143 after SIGTERM).
"""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.utilities.exceptions import SIGTERMException

from ganzoo.checks import check_int

LAST = "last.ckpt"
PREVIOUS = "last.prev.ckpt"


def last_checkpoint(root: str | os.PathLike) -> str:
    """Where :class:`GanCheckpoint` writes the latest checkpoint of the run in ``root`` (default_root_dir)."""
    return os.path.join(os.fspath(root), "checkpoints", LAST)


def previous_checkpoint(last: str | os.PathLike) -> str:
    """The checkpoint that ``last`` (a ``last.ckpt`` path) replaced: ``last.prev.ckpt`` beside it."""
    return os.path.join(os.path.dirname(os.fspath(last)), PREVIOUS)


def read_counters(path: str | os.PathLike) -> dict[str, int]:
    """The ganzoo counters (``gen_iters``, ...) of checkpoint ``path``, read without loading its tensors (mmap).

    A file that cannot be read (truncated by a full disk or a bad copy, or not a checkpoint) is a ``ValueError``
    naming it, in one line."""
    import torch

    if os.path.getsize(path) == 0:
        raise ValueError(f"cannot read checkpoint {path}: it is empty (0 bytes)")
    try:
        ck = torch.load(os.fspath(path), map_location="cpu", weights_only=True, mmap=True)
    except Exception as e:  # a truncated zip: OSError [Errno 22]; an empty file: RuntimeError; a pickle: Unpickling
        reason = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
        raise ValueError(f"cannot read checkpoint {path}: it is truncated or not a checkpoint ({reason})") from None
    counters = ck.get("ganzoo_counters") if isinstance(ck, dict) else None
    return dict(counters) if isinstance(counters, dict) else {}


class GanCheckpoint(ModelCheckpoint):
    """Save ``<dirpath>/last.ckpt`` every ``every_n_gen_iters`` generator iterations, at the end of training and
    on Ctrl-C/SIGTERM (then also export the generator). ``dirpath`` defaults to
    ``<default_root_dir>/checkpoints``.

    ``resume_hint`` is the command printed after an interrupt (``ganzoo fit`` sets it to the same command with
    ``--resume``); without it the hint is ``trainer.fit(..., ckpt_path=<path>)``.
    """

    def __init__(self, every_n_gen_iters: int = 500, dirpath: str | None = None, save_on_train_end: bool = True):
        check_int("every_n_gen_iters", every_n_gen_iters)
        super().__init__(dirpath=dirpath, filename="last", save_top_k=0, save_last=False, every_n_epochs=0)
        self.every_n_gen_iters = every_n_gen_iters
        self.save_on_train_end = save_on_train_end
        self.resume_hint: str | None = None
        self._saved_at = -1
        self._last_is_good = False  # last.ckpt was written or resumed from by this run: keep it when replacing it
        self._stop_requested = False
        self._old_sigint: Any = None

    @property
    def state_key(self) -> str:
        return f"GanCheckpoint{{'every_n_gen_iters': {self.every_n_gen_iters}}}"

    def setup(self, trainer, pl_module, stage: str) -> None:
        if self.dirpath is None:
            self.dirpath = os.path.join(trainer.default_root_dir, "checkpoints")
        super().setup(trainer, pl_module, stage)

    @property
    def path(self) -> str:
        return os.path.join(os.fspath(self.dirpath), LAST)

    def save(self, trainer, pl_module) -> str:
        """Write ``last.ckpt`` now (every rank must call it under DDP); the one it replaces is kept as
        ``last.prev.ckpt`` when this run wrote or resumed from it (so it is known to be readable)."""
        if trainer.is_global_zero and self._last_is_good:
            self._keep_previous()
        trainer.save_checkpoint(self.path, weights_only=False)  # full state (explicit: no info line)
        self._saved_at = pl_module.gen_iters
        self._last_is_good = True
        self.last_model_path = self.path  # what ``ckpt_path="last"`` finds
        return self.path

    def _keep_previous(self) -> None:
        """Atomically make ``last.prev.ckpt`` the current ``last.ckpt`` (a hard link, else a copy), before the
        atomic write of the new ``last.ckpt`` replaces it: there is always a complete checkpoint to resume from."""
        last = self.path
        if "://" in last or not os.path.isfile(last):
            return
        prev = previous_checkpoint(last)
        tmp = os.path.join(os.path.dirname(last), f".{PREVIOUS}.{os.getpid()}.tmp")  # removed by ganzoo fit if left
        if os.path.lexists(tmp):
            os.remove(tmp)
        try:
            os.link(last, tmp)
        except OSError:  # a filesystem without hard links
            import shutil

            shutil.copyfile(last, tmp)
        os.replace(tmp, prev)

    def on_save_checkpoint(self, trainer, pl_module, checkpoint: dict[str, Any]) -> dict[str, Any]:
        logger = trainer.logger
        if logger is not None and isinstance(getattr(logger, "version", None), int):
            checkpoint["ganzoo_log_version"] = logger.version  # the resumed run logs into the same folder
        return super().on_save_checkpoint(trainer, pl_module, checkpoint)

    # ------------------------------------------------------------------ when to save
    def on_train_start(self, trainer, pl_module) -> None:
        self._saved_at = pl_module.gen_iters  # a resumed run does not rewrite the checkpoint it started from
        loaded = trainer.ckpt_path
        self._last_is_good = bool(loaded) and os.path.isfile(self.path) and os.path.isfile(loaded) and \
            os.path.samefile(loaded, self.path)
        self._stop_requested = False
        if threading.current_thread() is threading.main_thread() and \
                signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self._old_sigint = signal.signal(signal.SIGINT, self._on_sigint)

    def _on_sigint(self, signum, frame) -> None:
        if self._stop_requested:  # a second Ctrl-C: stop now, without a checkpoint
            self._restore_sigint()
            raise KeyboardInterrupt
        self._stop_requested = True  # stop at the end of this training step, where the state is consistent

    def _restore_sigint(self) -> None:
        if self._old_sigint is not None:
            signal.signal(signal.SIGINT, self._old_sigint)
            self._old_sigint = None

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        g = pl_module.gen_iters
        if g != self._saved_at and g % self.every_n_gen_iters == 0 and not trainer.should_stop:
            self.save(trainer, pl_module)
        if self._stop_requested:
            self._restore_sigint()
            raise KeyboardInterrupt  # Lightning calls on_exception (below), then exits with code 1

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        pass  # counted in generator iterations only

    def on_validation_end(self, trainer, pl_module) -> None:
        pass

    def on_train_end(self, trainer, pl_module) -> None:
        self._restore_sigint()
        if self.save_on_train_end and pl_module.gen_iters != self._saved_at and pl_module.gen_iters > 0:
            self.save(trainer, pl_module)

    def teardown(self, trainer, pl_module, stage: str) -> None:
        self._restore_sigint()

    # ------------------------------------------------------------------ graceful stop
    def on_exception(self, trainer, pl_module, exception: BaseException) -> None:
        if isinstance(exception, KeyboardInterrupt):
            self._old_sigint = None  # Lightning now ignores further Ctrl-C while it shuts down; leave that
        self._restore_sigint()
        if not isinstance(exception, (KeyboardInterrupt, SIGTERMException)):
            return  # e.g. a DivergenceError: keep the last good checkpoint
        if isinstance(exception, SIGTERMException):
            exception.code = 143  # like a process killed by SIGTERM, not a success
        what = "SIGTERM" if isinstance(exception, SIGTERMException) else "Ctrl-C"
        g = getattr(pl_module, "gen_iters", 0)
        if not trainer.training or g == 0:
            if trainer.is_global_zero:
                print(f"{what}: stopped before the first generator iteration; nothing saved", flush=True)
            return
        if g != self._saved_at:
            self.save(trainer, pl_module)
        exported = ""
        if trainer.is_global_zero and getattr(pl_module, "export_dir", None):
            pl_module.on_fit_end()  # GanModule: export the generator (translator) as at the end of fit
            exported = f", exported the generator to {os.path.join(trainer.default_root_dir, pl_module.export_dir)}"
        if trainer.is_global_zero:
            hint = self.resume_hint or f"trainer.fit(model, datamodule, ckpt_path={self.path!r})"
            print(f"{what}: stopped at generator iteration {g}, saved {self.path}{exported}; resume with: {hint}",
                  flush=True)
