"""RNG states of torch (CPU and CUDA), numpy and Python's ``random`` as tensors, for exact resume.

Stored as tensors (not pickled objects) so checkpoints load with ``torch.load(weights_only=True)`` and can be
gathered from every DDP rank.
"""

from __future__ import annotations

import random

import numpy as np
import torch
from torch import Tensor


def capture() -> dict[str, Tensor]:
    """This process's RNG states."""
    version, keys, gauss_next = random.getstate()
    mt = np.random.get_state()
    out = {
        "torch": torch.get_rng_state(),
        "python": torch.tensor([version, *keys, -1 if gauss_next is None else 0], dtype=torch.int64),
        "python_gauss": torch.tensor([0.0 if gauss_next is None else gauss_next], dtype=torch.float64),
        "numpy": torch.from_numpy(np.asarray(mt[1], dtype=np.int64)),
        "numpy_meta": torch.tensor([mt[2], mt[3]], dtype=torch.int64),
        "numpy_gauss": torch.tensor([mt[4]], dtype=torch.float64),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        out["cuda"] = torch.stack(torch.cuda.get_rng_state_all())
    return out


def restore(state: dict[str, Tensor]) -> None:
    """Set this process's RNG states from :func:`capture`'s output."""
    torch.set_rng_state(state["torch"].cpu())
    py = state["python"].tolist()
    gauss = None if py[-1] == -1 else float(state["python_gauss"][0])
    random.setstate((py[0], tuple(py[1:-1]), gauss))
    meta = state["numpy_meta"].tolist()
    np.random.set_state(
        ("MT19937", state["numpy"].numpy().astype(np.uint32), meta[0], meta[1], float(state["numpy_gauss"][0]))
    )
    if "cuda" in state and torch.cuda.is_available():
        cuda = state["cuda"].cpu()
        if len(cuda) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(list(cuda))


def seed_rank(rank: int) -> int:
    """Give this DDP rank its own random stream: seed torch (every device), numpy and ``random`` from the process's
    current torch seed (``seed_everything``'s, the same on every rank) and ``rank``; returns the seed.

    Lightning seeds every rank alike, so without this the ranks draw the same latents, penalty weights and dropout
    masks: N copies of one fake batch per step. Deterministic for a given seed and world size; a resumed run then
    restores each rank's saved states over it (:meth:`GanModule.begin_step <ganzoo.training.gan_module.GanModule>`)."""
    seed = rank_seed(torch.initial_seed(), rank)
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)
    return seed


def rank_seed(seed: int, rank: int) -> int:
    """A 32-bit seed for DDP rank ``rank`` of a run seeded ``seed`` (numpy's ``SeedSequence``: distinct streams)."""
    return int(np.random.SeedSequence([seed, rank]).generate_state(1)[0])
