"""Training-time evaluation of translation GANs: scores and picture grids every K generator iterations and at the end.

Paired data (pix2pix): rows of input | output | target and L1/PSNR/FID on the test split. Unpaired data (CycleGAN):
rows of input | translation | reconstruction for each direction, the classifier's target-class fraction (when the
datamodule names ``target_class``), cycle L1 and FID to the target domain. Written under ``default_root_dir``:
``samples/translation_<gen_iter>.png`` and ``translation_history.json`` (every evaluation, the latest last); the
scores are also logged as ``eval/<name>``. One file per fact: the final scores and grid are ``metrics.json`` and
``samples.png`` (``translation_report``), so no copy of the last grid or of the last scores is written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from lightning.pytorch.callbacks import Callback
from torch import Tensor

from ganzoo.checks import check_int
from ganzoo.io import atomic_write_bytes
from ganzoo.nets.base import exported


def _unit(x: Tensor) -> Tensor:
    return ((x.float() + 1) / 2).clamp(0, 1)


def translation_grid(columns: list[Tensor], nrow: int | None = None) -> Tensor:
    """Images ``(N, C, H, W)`` in [0, 1] side by side: row ``i`` is ``columns[0][i] | columns[1][i] | ...``."""
    from ganzoo.imageio import image_grid

    c = max(x.shape[1] for x in columns)
    cols = [x.expand(-1, c, -1, -1) for x in columns]
    return image_grid(torch.stack(cols, 1).flatten(0, 1), nrow=len(cols) if nrow is None else nrow)


def evaluate_translation(module: Any, dm: Any, n: int = 1000, n_grid: int = 8, fid: bool = True,
                         split: str = "test") -> tuple[dict[str, Any], Tensor]:
    """Scores of ``module``'s translator on ``split`` of ``dm`` and the picture grid (see the module docstring)."""
    from ganzoo.metrics.translation import paired_scores, unpaired_scores
    from ganzoo.translators import translate

    name = getattr(dm, "dataset_name", "unknown")
    if getattr(dm, "paired", False):
        a, b = (_unit(x) for x in dm.reference_pairs(split, n))
        scores = paired_scores(module, a, b, fid=fid, dataset=f"{name}-B")
        grid = translation_grid([a[:n_grid], translate(module, a[:n_grid]), b[:n_grid]])
        return scores, grid
    net = exported(module)
    target = getattr(dm, "target_class", None) or {}
    scores, rows = {}, []
    images = {k: _unit(dm.reference_domain(split, k, n)) for k in ("A", "B")}  # read once, used by both directions
    for d, src, dst in (("AtoB", "A", "B"), ("BtoA", "B", "A")):
        if d not in net.directions:
            continue
        x, y = images[src], images[dst]
        s = unpaired_scores(module, x, y, d, target_class=target.get(dst), fid=fid, dataset=f"{name}-{dst}")
        scores.update({f"{d}/{k}": v for k, v in s.items()})
        fwd = translate(module, x[:n_grid], d)
        rows.append(translation_grid([x[:n_grid], fwd, translate(module, fwd, "BtoA" if d == "AtoB" else "AtoB")]))
    return scores, torch.cat(rows, 2) if rows else torch.zeros(3, 1, 1)  # the two directions side by side


def translation_report(module: Any, dm: Any, out_dir: str, n: int = 10000, fid: bool = True) -> dict[str, Any]:
    """End-of-fit scores on (at most ``n`` images of) the test split: ``metrics.json`` and ``samples.png``."""
    from torchvision.utils import save_image

    module = module.cpu()
    n = min(n, dm.test_size() if hasattr(dm, "test_size") else n)
    scores, grid = evaluate_translation(module, dm, n=n, fid=fid)
    metrics = {"variant": type(module).__name__, "dataset": getattr(dm, "dataset_name", None),
               "generator_iterations": module.gen_iters, "split": "test", **scores}
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(root / "metrics.json", (json.dumps(metrics, indent=2) + "\n").encode())
    save_image(grid, root / "samples.png")
    return metrics


class TranslationEvalCallback(Callback):
    """Evaluate before training, every ``every_n_gen_iters`` generator iterations and at the end (0: only at the end)
    on ``n`` test images."""

    def __init__(self, every_n_gen_iters: int = 500, n: int = 1000, n_grid: int = 8, fid: bool = True):
        check_int("every_n_gen_iters", every_n_gen_iters, 0)
        check_int("n", n)
        check_int("n_grid", n_grid)
        self.every, self.n, self.n_grid, self.fid = every_n_gen_iters, n, n_grid, fid
        self.history: list[dict[str, Any]] = []
        self._done_at = -1

    def setup(self, trainer, pl_module, stage: str) -> None:
        if stage == "fit" and self.n_grid > self.n:
            raise ValueError(f"n_grid={self.n_grid} is larger than n={self.n}")

    def on_train_start(self, trainer, pl_module) -> None:
        if self.every and pl_module.gen_iters == 0:  # the untrained model's scores: the baseline to improve on
            self._evaluate(trainer, pl_module)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        g = pl_module.gen_iters
        if self.every and g % self.every == 0 and g != self._done_at:
            self._evaluate(trainer, pl_module)

    def on_train_end(self, trainer, pl_module) -> None:
        if pl_module.gen_iters != self._done_at and pl_module.gen_iters > 0:
            self._evaluate(trainer, pl_module)

    def _evaluate(self, trainer, pl_module) -> None:
        self._done_at = pl_module.gen_iters
        if not trainer.is_global_zero:
            return
        from torchvision.utils import save_image

        dm = trainer.datamodule
        scores, grid = evaluate_translation(pl_module, dm, self.n, self.n_grid, self.fid)
        record = {"generator_iterations": pl_module.gen_iters, **scores}
        self.history.append(record)
        root = Path(trainer.default_root_dir)
        (root / "samples").mkdir(parents=True, exist_ok=True)
        save_image(grid, root / "samples" / f"translation_{pl_module.gen_iters:07d}.png")
        atomic_write_bytes(root / "translation_history.json", json.dumps(self.history, indent=1).encode())
        numbers = {f"eval/{k}": float(v) for k, v in scores.items() if isinstance(v, (int, float))}
        for lg in pl_module.loggers:
            lg.log_metrics(numbers, step=pl_module.critic_iters)
        fid = scores.get("fid", scores.get("AtoB/fid"))
        if fid is not None:
            pl_module.last_fid = fid
