"""A newcomer's first hour (issue 15): file modes, CI parity, quiet output, one-line errors, resume."""

from __future__ import annotations

import os
import stat

import pytest
import torch

from ganzoo.io import atomic_write_bytes
from ganzoo.serialization import default_file_mode
from ganzoo.training.checkpoint_io import AtomicCheckpointIO


# ------------------------------------------------------------------------------------------- file modes
@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_atomic_writes_get_the_umask_mode_not_the_temp_files_0600(tmp_path, umask):
    old = os.umask(umask)
    try:
        assert default_file_mode() == 0o666 & ~umask
        atomic_write_bytes(tmp_path / "metrics.json", b"{}")
        AtomicCheckpointIO().save_checkpoint({"w": torch.zeros(2)}, tmp_path / "last.ckpt")
    finally:
        os.umask(old)
    for name in ("metrics.json", "last.ckpt"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~umask, name
