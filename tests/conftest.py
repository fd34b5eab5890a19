import os
import tempfile
import warnings

import pytest
import torch

os.environ.setdefault("MPLBACKEND", "Agg")
# real-image statistics cached by the metrics go to a fresh folder per test session, not the user's cache
os.environ["GANZOO_CACHE"] = tempfile.mkdtemp(prefix="ganzoo-test-cache-")
warnings.filterwarnings("ignore", message=".*does not have many workers.*")
warnings.filterwarnings("ignore", message=".*LitLogger.*")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "fashion_mnist: needs Fashion-MNIST's IDX files (skipped when absent; a failure when CI=true)"
    )


def pytest_runtest_setup(item):
    if item.get_closest_marker("fashion_mnist") is not None:
        from fmnist import require_fashion_mnist

        require_fashion_mnist(item.nodeid)


@pytest.fixture(autouse=True)
def _threads():
    torch.set_num_threads(2)
    yield


def quiet_trainer(root, **kw):
    """A real Lightning Trainer on the CPU without logger/checkpoint/progress bar noise."""
    import lightning as L

    kw.setdefault("max_epochs", -1)
    return L.Trainer(
        accelerator="cpu", devices=1, logger=False, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False, default_root_dir=str(root), **kw,
    )
