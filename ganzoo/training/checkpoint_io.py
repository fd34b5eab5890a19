"""Atomic local checkpoint writes: a temporary file in the same folder, fsync, then ``os.replace``.

Lightning's default writes through an fsspec transaction whose temporary file lives in the system temp
folder; when that is another filesystem the final move is a copy, and a process killed during the copy
leaves a truncated checkpoint. Here the rename is always within one folder, so a reader sees either the old
file or the complete new one.
"""

from __future__ import annotations

from typing import Any

import torch
from lightning.pytorch.plugins.io import TorchCheckpointIO

from ganzoo.io import atomic_write


class AtomicCheckpointIO(TorchCheckpointIO):
    """``TorchCheckpointIO`` whose local saves are atomic (remote URLs use Lightning's path)."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path: Any, storage_options: Any | None = None) -> None:
        if storage_options is not None or "://" in str(path):
            return super().save_checkpoint(checkpoint, path, storage_options)
        atomic_write(path, lambda f: torch.save(checkpoint, f))
