"""Callbacks for the start-up and fit parts of ``python -m bench.perf.speed`` (passed to ``ganzoo fit`` with
``--trainer.callbacks+=``, as ``bench.perf.callbacks.FirstStep`` / ``StepClock``)."""

import json
import time

import lightning as L
import torch


class FirstStep(L.Callback):
    """Writes the wall-clock time of the first training step to ``path``."""

    def __init__(self, path: str):
        self.path, self.first = path, None

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if self.first is None:
            self.first = time.time()
            with open(self.path, "w") as f:
                f.write(repr(self.first))


class StepClock(FirstStep):
    """Also times every ``training_step`` (the module's own work: critic and generator steps, the log buffer and
    the guard; the device is synchronised before and after each step) and writes to ``path``, at the end of
    training, JSON with the wall-clock times of the first step and of ``on_train_end`` and the steps' total."""

    def __init__(self, path: str):
        super().__init__(path)
        self.steps, self.seconds = 0, 0.0

    def on_train_start(self, trainer, pl_module) -> None:
        step, cuda = pl_module.training_step, pl_module.device.type == "cuda"

        def timed(*args, **kwargs):
            if cuda:
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            out = step(*args, **kwargs)
            if cuda:
                torch.cuda.synchronize()
            self.seconds += time.perf_counter() - t0
            self.steps += 1
            return out

        pl_module.training_step = timed  # the instance attribute shadows the method for this fit

    def on_train_end(self, trainer, pl_module) -> None:
        with open(self.path, "w") as f:  # replaces the first-step stamp with the whole record
            json.dump({"first_step": self.first, "train_end": time.time(), "steps": self.steps,
                       "steps_s": self.seconds}, f)
