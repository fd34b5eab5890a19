"""Evaluation of image generators during and after training: fixed-latent sample grids and FID/KID/IS.

``ImageEvalCallback`` writes ``<root>/samples/grid_<gen_iter>.png`` (also to TensorBoard) and logs FID/KID
every ``every_n_gen_iters`` generator iterations and at the end; the progress bar shows the last FID.
``image_report`` is what ``ganzoo fit`` writes after training: ``samples.png`` and ``metrics.json``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from typing import Any

import torch
from lightning.pytorch.callbacks import Callback
from torch import nn

from ganzoo.checks import check_int
from ganzoo.imageio import grid_png
from ganzoo.io import atomic_write_bytes
from ganzoo.metrics.extractors import default_extractor
from ganzoo.metrics.scores import check_metrics
from ganzoo.sampling import sample

PRDC = ("precision", "recall", "density", "coverage")


def evaluate_images(
    generator: nn.Module,
    datamodule: Any,
    *,
    metrics: Sequence[str] = ("fid", "kid"),
    n: int = 10000,
    n_real: int | None = None,
    extractor: str | None = None,
    weights_path: str | None = None,
    split: str = "train",
    seed: int = 0,
    cache_dir: str | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """FID/KID/IS of ``n`` samples of ``generator`` (seed ``seed``) against ``n_real`` (default ``n``, at most the
    split) images of the datamodule's ``split``, with the protocol under ``"protocol"``; for a conditional
    generator also the classifier's class coverage and per-class accuracy (Fashion-MNIST extractor only). The
    metrics run where the generator is. :func:`ganzoo.metrics.evaluate.evaluate` with a datamodule as the reference."""
    from ganzoo.metrics.evaluate import evaluate

    check_int("n", n)
    return evaluate(
        generator, datamodule, metrics=check_metrics(metrics), n=n, n_real=n_real, split=split,
        extractor=extractor, weights_path=weights_path, seed=seed, cache_dir=cache_dir, progress=progress,
    )


class ImageEvalCallback(Callback):
    """Every ``every_n_gen_iters`` generator iterations and at the end of training: a grid of ``n_grid``
    fixed-latent samples (``<root>/samples/grid_<gen_iter>.png`` and the TensorBoard image ``samples``) and
    ``metrics`` of ``n_eval`` samples (logged as ``eval/fid`` etc. at the critic iteration; the progress bar
    shows the last FID). ``metrics=[]`` logs grids only. Runs on global rank 0.

    The extractor defaults to the shipped Fashion-MNIST classifier for 1x32x32 data; other data needs
    ``extractor="inception"`` and ``weights_path``, or ``metrics=[]``.

    Each record of ``<root>/eval_history.json`` has ``train_seconds``: the wall time the run has trained so far,
    its own evaluations excluded (the x axis of a time-to-quality curve). The history and that clock are saved in
    checkpoints, so a resumed run continues both.
    """

    def __init__(
        self,
        every_n_gen_iters: int = 500,
        n_grid: int = 64,
        metrics: Sequence[str] = ("fid", "kid"),
        n_eval: int = 2000,
        extractor: str | None = None,
        weights_path: str | None = None,
        split: str = "train",
        seed: int = 0,
    ):
        check_int("every_n_gen_iters", every_n_gen_iters)
        check_int("n_grid", n_grid)
        check_int("n_eval", n_eval)
        self.metrics = check_metrics(metrics) if metrics else []
        self.every, self.n_grid, self.n_eval = every_n_gen_iters, n_grid, n_eval
        self.extractor, self.weights_path, self.split, self.seed = extractor, weights_path, split, seed
        self.history: list[dict[str, Any]] = []
        self._done_at = -1
        self._trained_before = 0.0  # training seconds of the runs this one resumes
        self._started = self._eval_seconds = 0.0

    def on_train_start(self, trainer, pl_module) -> None:
        self._started, self._eval_seconds = time.perf_counter(), 0.0

    def train_seconds(self) -> float:
        """Wall time spent training so far (this run and those it resumes), evaluations excluded."""
        return self._trained_before + time.perf_counter() - self._started - self._eval_seconds

    def state_dict(self) -> dict[str, Any]:
        return {"history": self.history, "train_seconds": self.train_seconds()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.history = list(state.get("history", []))
        self._trained_before = float(state.get("train_seconds", 0.0))

    def setup(self, trainer, pl_module, stage: str) -> None:
        dm = trainer.datamodule
        if getattr(dm, "reference_images", None) is None or len(getattr(dm, "data_shape", ())) != 3:
            raise ValueError(f"ImageEvalCallback needs an image datamodule; got {type(dm).__name__}")
        found = self.extractor or default_extractor(dm.data_shape, getattr(dm, "dataset_name", None))
        if self.metrics and found is None:
            raise ValueError(
                f"ImageEvalCallback: no offline feature extractor for data of shape {tuple(dm.data_shape)}; set "
                "extractor='inception' and weights_path, or metrics=[] for sample grids only"
            )

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        g = pl_module.gen_iters
        if g > 0 and g % self.every == 0 and g != self._done_at:
            self.run(trainer, pl_module)

    def on_train_end(self, trainer, pl_module) -> None:
        if pl_module.gen_iters > 0 and pl_module.gen_iters != self._done_at:
            self.run(trainer, pl_module)

    def run(self, trainer, pl_module) -> dict[str, Any]:
        self._done_at = pl_module.gen_iters
        if not trainer.is_global_zero:
            return {}
        started = time.perf_counter()
        try:
            return self._evaluate(trainer, pl_module)
        finally:
            self._eval_seconds += time.perf_counter() - started

    def _evaluate(self, trainer, pl_module) -> dict[str, Any]:
        trained = round(self.train_seconds(), 3)
        gen, g_iter = pl_module.export_model, pl_module.gen_iters
        classes = int(gen.num_classes)
        images = sample(gen, self.n_grid, seed=self.seed)  # fixed latents: sample i depends on (seed, i) only
        folder = os.path.join(trainer.default_root_dir, "samples")
        atomic_write_bytes(os.path.join(folder, f"grid_{g_iter:07d}.png"), grid_png(images, nrow=classes or None))
        for lg in trainer.loggers:
            exp = getattr(lg, "experiment", None)
            if hasattr(exp, "add_image"):  # TensorBoard
                from ganzoo.imageio import image_grid

                exp.add_image("samples", image_grid(images, nrow=classes or None), g_iter)
        record: dict[str, Any] = {"generator_iterations": g_iter, "critic_iterations": pl_module.critic_iters,
                                  "train_seconds": trained}
        if self.metrics:
            t0 = time.perf_counter()
            res = evaluate_images(
                gen, trainer.datamodule, metrics=self.metrics, n=self.n_eval, extractor=self.extractor,
                weights_path=self.weights_path, split=self.split, seed=self.seed,
            )
            scalars = {k: float(v) for k, v in res.items() if isinstance(v, (int, float))}
            record.update(scalars, seconds=round(time.perf_counter() - t0, 2), protocol=res["protocol"])
            if "fid" in scalars:
                pl_module.last_fid = scalars["fid"]
            for lg in trainer.loggers:
                lg.log_metrics({f"eval/{k}": v for k, v in scalars.items()}, step=pl_module.critic_iters)
        self.history.append(record)
        atomic_write_bytes(
            os.path.join(trainer.default_root_dir, "eval_history.json"), json.dumps(self.history, indent=1).encode()
        )
        return record


def image_report(
    module: Any,
    datamodule: Any,
    out_dir: str,
    *,
    metrics: Sequence[str] = ("fid", "kid"),
    n: int = 10000,
    extractor: str | None = None,
    weights_path: str | None = None,
    split: str = "train",
    seed: int = 0,
    device: str | torch.device | None = None,
) -> dict[str, Any]:
    """After training: ``samples.png`` (64 samples, one class per column for a conditional model) and
    ``metrics.json`` (counters, FID/KID with their protocol, class coverage), computed on ``device`` (default: where
    the model is). Metrics are skipped, with a note in ``metrics.json``, when the data has no offline extractor and
    none is given."""
    gen = module.export_model
    classes = int(gen.num_classes)
    atomic_write_bytes(os.path.join(out_dir, "samples.png"), grid_png(sample(gen, 64, seed=seed), classes or None))
    out: dict[str, Any] = {
        "generator_iterations": module.gen_iters, "critic_iterations": module.critic_iters,
        "dataset": datamodule.dataset_name,
    }
    if not metrics:
        pass
    elif extractor or default_extractor(datamodule.data_shape, datamodule.dataset_name):
        home = next(gen.parameters()).device
        try:
            out.update(evaluate_images(
                gen.to(device or home), datamodule, metrics=metrics, n=n, extractor=extractor,
                weights_path=weights_path, split=split, seed=seed, progress=True,
            ))
        finally:
            gen.to(home)
    else:
        out["note"] = "no offline feature extractor for this data: pass an Inception weights file to ganzoo eval"
    atomic_write_bytes(os.path.join(out_dir, "metrics.json"), json.dumps(out, indent=1).encode())
    return out


def image_results(metrics: dict[str, Any], *, conditional: bool = False) -> list:
    """Model-card ``EvalResult``s for the FID/KID/IS in ``metrics`` (the output of :func:`image_report`)."""
    from ganzoo.cards import image_metric

    proto = metrics.get("protocol")
    if not proto:
        return []
    common = {
        "dataset": proto["dataset"], "extractor": proto["extractor"], "weights_sha256": proto["weights_sha256"],
        "resize": str(proto.get("resize", "none")), "n_fake": int(proto["n_fake"]), "n_real": int(proto["n_real"]),
        "reference_split": proto["split"], "conditional": conditional,
    }
    out = []
    for metric, key, extra in (("fid", "fid", {}), ("kid", "kid_mean", {"kid_std": metrics.get("kid_std")}),
                               ("is", "is_mean", {"is_std": metrics.get("is_std")}),
                               *((m, m, {"k": 3 if m in ("precision", "recall") else 5})
                                 for m in ("precision", "recall", "density", "coverage"))):
        if key in metrics:
            value = round(float(metrics[key]), 6 if metric == "kid" else 4 if metric in PRDC else 3)
            out.append(image_metric(metric, value, **common, **{k: v for k, v in extra.items() if v is not None}))
    copy = proto.get("copy")
    for key in ("copy_median_ratio", "copy_fraction", "fid_gap") if copy else ():  # is it copying its training set?
        if key in metrics:
            out.append(image_metric(key, round(float(metrics[key]), 4), **common, train=copy["train"],
                                    n_train=copy["n_train"], heldout=copy["heldout"], n_heldout=copy["n_heldout"],
                                    **({"quantile": copy["quantile"]} if key == "copy_fraction" else {})))
    cov = metrics.get("class_coverage")
    if cov:
        rule = {"rule": cov["rule"], "num_classes": cov["num_classes"]}
        out.append(image_metric("classes_covered", cov["classes_covered"], **common, **rule))
        if "accuracy" in cov:
            out.append(image_metric("class_accuracy", cov["accuracy"], **common,
                                    per_class_accuracy=cov["per_class_accuracy"]))
    return out
