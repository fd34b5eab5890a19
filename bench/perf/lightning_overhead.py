"""What Lightning itself costs per step on a CPU: the floor under ganzoo's per-critic-step overhead.

    python -m bench.perf.lightning_overhead

Three numbers, in CPU time of the process on one torch thread (8 Gaussians batches of 128, a 2x2 linear layer, so
the arithmetic is negligible): a Lightning training step that does nothing (data fetch, batch transfer hooks,
callbacks, progress tracking), with and without the default progress bar and checkpoint callback; and, inside one
training step, ``manual_backward`` against ``loss.backward()`` and the ``LightningOptimizer`` step against the raw
``Adam.step()``, without and with the default progress bar and checkpoint callback (``manual_backward`` and the
optimizer step call the ``on_before_backward``, ``on_after_backward`` and ``on_before_optimizer_step`` hooks of
every callback). A ganzoo generator iteration with ``n_critic`` critic steps makes ``n_critic`` Lightning steps and
``n_critic + 1`` backward passes and optimizer steps.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import time

import lightning as L
import torch

from ganzoo.data import Toy2DDataModule

N = 3000


class Probe(L.LightningModule):
    """``work=False``: an empty step; ``work=True``: two optimizer steps, one through Lightning's wrappers and one
    on the raw objects, each timed."""

    def __init__(self, work: bool):
        super().__init__()
        self.automatic_optimization = False
        self.lin = torch.nn.Linear(2, 2)
        self.work = work
        self.t = {"manual_backward": 0.0, "loss.backward": 0.0, "LightningOptimizer.step": 0.0, "Adam.step": 0.0}

    def training_step(self, batch, batch_idx):
        if not self.work:
            return
        opt = self.optimizers()
        for wrapped in (True, False):
            loss = self.lin(batch).sum()
            opt.zero_grad()
            t0 = time.process_time()
            self.manual_backward(loss) if wrapped else loss.backward()
            t1 = time.process_time()
            opt.step() if wrapped else opt.optimizer.step()
            t2 = time.process_time()
            self.t["manual_backward" if wrapped else "loss.backward"] += t1 - t0
            self.t["LightningOptimizer.step" if wrapped else "Adam.step"] += t2 - t1

    def configure_optimizers(self):
        return torch.optim.Adam(self.lin.parameters())


def fit(work: bool, root: str, **kw) -> tuple[float, Probe]:
    m = Probe(work)
    tr = L.Trainer(accelerator="cpu", devices=1, max_epochs=1, limit_train_batches=N, default_root_dir=root,
                   enable_model_summary=False, logger=False, **kw)
    with open(os.devnull, "w") as dn, contextlib.redirect_stdout(dn), contextlib.redirect_stderr(dn):
        t0 = time.process_time()
        tr.fit(m, Toy2DDataModule(batch_size=128))
        return (time.process_time() - t0) / N * 1e3, m


def main() -> None:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as root:
        bare, _ = fit(False, root, enable_progress_bar=False, enable_checkpointing=False)
        default, _ = fit(False, root)
        _, probe = fit(True, root, enable_progress_bar=False, enable_checkpointing=False)
        _, probe_cb = fit(True, root)  # each hook of backward and step also visits every callback
    print(f"empty Lightning step (incl. fetching the batch), no progress bar or checkpoint callback: {bare:.3f} ms")
    print(f"empty Lightning step with the default progress bar and checkpoint callback: {default:.3f} ms")
    for k, v in probe.t.items():
        print(f"{k}: {v / N * 1e3:.3f} ms, with the default progress bar and checkpoint callback: "
              f"{probe_cb.t[k] / N * 1e3:.3f} ms")


if __name__ == "__main__":
    main()
