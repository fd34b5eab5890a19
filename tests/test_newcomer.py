"""A newcomer's first hour (issue 15): file modes, CI parity, quiet output, one-line errors, resume."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

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


# ---------------------------------------------------------------------------------------- CI parity
ROOT = Path(__file__).resolve().parents[1]


def test_missing_fashion_mnist_fails_in_ci_and_skips_with_a_hint_elsewhere(tmp_path, monkeypatch):
    from fmnist import require_fashion_mnist

    from ganzoo.data import idx

    monkeypatch.setattr(idx, "FASHION_MNIST_DIRS", (str(tmp_path / "nowhere"),))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="dataset-fashion-mnist"):
        require_fashion_mnist()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="apt-get install dataset-fashion-mnist"):
        require_fashion_mnist()


def test_no_test_skips_fashion_mnist_on_its_own():
    """Every Fashion-MNIST test goes through the ``fashion_mnist`` marker (which fails in CI), not a skipif."""
    for f in sorted((ROOT / "tests").glob("test_*.py")):
        text = f.read_text()
        assert not re.search(r"skipif\(\s*default_fashion_mnist_dir", text), f.name


def test_github_workflow_runs_ci_run_with_the_dataset_a_pip_cache_and_a_pinned_ruff():
    import yaml

    wf = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    runs = [s.get("run", "") for job in wf["jobs"].values() for s in job["steps"]]
    assert any("dataset-fashion-mnist" in r for r in runs)
    assert any(r.strip() in ("bash .ci/run", ".ci/run") for r in runs)
    assert all("pip install" not in r for r in runs), "installs belong in .ci/run, which the workflow calls"
    assert all(s.get("with", {}).get("cache") == "pip" for job in wf["jobs"].values() for s in job["steps"]
               if "setup-python" in s.get("uses", ""))
    script = (ROOT / ".ci" / "run").read_text()
    pin = re.search(r"RUFF_VERSION=(\S+)", script)
    assert pin and '"ruff==$RUFF_VERSION"' in script
    ruff = shutil.which("ruff")
    if ruff:  # the version the developers lint with
        out = subprocess.run([ruff, "--version"], capture_output=True, text=True).stdout.split()
        assert out[-1] == pin.group(1)
