import os
import warnings

import pytest
import torch

os.environ.setdefault("MPLBACKEND", "Agg")
warnings.filterwarnings("ignore", message=".*does not have many workers.*")
warnings.filterwarnings("ignore", message=".*LitLogger.*")


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
