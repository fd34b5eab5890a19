"""A callback for ``bench/speed.py``'s start-up part: writes the wall-clock time of the first training step."""

import time

import lightning as L


class FirstStep(L.Callback):
    def __init__(self, path: str):
        self.path, self.done = path, False

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if not self.done:
            with open(self.path, "w") as f:
                f.write(repr(time.time()))
            self.done = True
