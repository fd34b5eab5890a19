"""A callback for DDP runs in the tests (added with ``--trainer.callbacks+=ddp_probe.InputHashes``, ``tests/`` on
``PYTHONPATH``): it hashes every batch that enters the first layer of each network during training steps, on each
rank, and writes ``input_hashes_rank{R}.json`` into the run's folder.

What the first layers see is everything a rank draws or reads: real batches (critic), latents (generator), fakes and
the gradient penalty's interpolates (critic), translation inputs. Two ranks with a hash in common fed a network the
same batch.
"""

from __future__ import annotations

import hashlib
import json
import os

import lightning as L
from torch import nn

LAYERS = (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)


def networks(pl_module) -> dict[str, nn.Module]:
    """The module's networks by name: containers of several (translators, the two critics) expanded."""
    out = {}
    for name, net in pl_module.guarded_networks().items():
        inner = getattr(net, "nets", net)
        if isinstance(inner, nn.ModuleDict):
            out.update({f"{name}.{k}": v for k, v in inner.items()})
        else:
            out[name] = net
    return out


class InputHashes(L.Callback):
    def __init__(self) -> None:
        self.hashes: dict[str, list[str]] = {}
        self.active = False
        self.handles = []

    def on_train_start(self, trainer, pl_module) -> None:
        for name, net in networks(pl_module).items():
            first = next(m for m in net.modules() if isinstance(m, LAYERS))
            self.hashes[name] = []
            self.handles.append(first.register_forward_pre_hook(self._hook(name)))

    def _hook(self, name):
        def hook(module, args):
            if self.active:
                x = args[0].detach().float().cpu().contiguous()
                self.hashes[name].append(hashlib.sha1(x.numpy().tobytes()).hexdigest()[:16])
        return hook

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        self.active = True

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self.active = False

    def on_train_end(self, trainer, pl_module) -> None:
        self.active = False
        for h in self.handles:
            h.remove()
        path = os.path.join(trainer.default_root_dir, f"input_hashes_rank{trainer.global_rank}.json")
        with open(path, "w") as f:
            json.dump(self.hashes, f)
