"""Model cards: rendered from ``ganzoo/templates/model_card.md`` with ``huggingface_hub.ModelCard``.

Scores go into the card's YAML ``model-index`` (one ``EvalResult`` per metric) with their protocol in the
metric's ``args``, so ``huggingface_hub.ModelCard.load(path).data.eval_results`` reads them back:

* 2-D models: exact W1 (with the real-vs-real baseline), modes covered, high-quality fraction
  (``toy_results``);
* image models: FID / KID with extractor, weights hash, resize mode, n_fake, n_real and reference split
  (``image_metric``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from huggingface_hub import EvalResult, ModelCard, ModelCardData

from ganzoo.io import atomic_copy, atomic_write_bytes
from ganzoo.serialization import CARD_NAME, read_config

TEMPLATE_PATH = Path(__file__).with_name("templates") / "model_card.md"
SAMPLE_GRID_NAME = "samples.png"
CURVE_NAME = "curve.png"

# Hub dataset ids and pretty names of the datasets ganzoo knows; 2-D toys are generated, not on the Hub.
DATASETS: dict[str, tuple[str, str]] = {
    "8gaussians": ("ganzoo/toy2d-8gaussians", "8 Gaussians (WGAN-GP toy code, generated)"),
    "25gaussians": ("ganzoo/toy2d-25gaussians", "25 Gaussians (WGAN-GP toy code, generated)"),
    "swissroll": ("ganzoo/toy2d-swissroll", "Swiss roll (WGAN-GP toy code, generated)"),
    "line": ("ganzoo/toy2d-line", "Line (0, U[0, 1]) (WGAN paper example, generated)"),
    "fashion_mnist": ("fashion_mnist", "Fashion-MNIST"),
    "mnist": ("mnist", "MNIST"),
    "cifar10": ("cifar10", "CIFAR-10"),
    "celeba": ("celeba", "CelebA"),
}
TOY_TASK = ("unconditional-generation", "2-D density matching")
IMAGE_TASK = ("unconditional-image-generation", "Unconditional image generation")
CONDITIONAL_IMAGE_TASK = ("image-generation", "Class-conditional image generation")
TRANSLATION_TASK = ("image-to-image", "Image-to-image translation")
_TRANSLATION_METRICS = {"l1": "L1", "psnr_db": "PSNR (dB)", "fid": "FID", "target_fraction": "target-class fraction",
                        "cycle_l1": "cycle L1"}


def _dataset(dataset: str) -> tuple[str, str]:
    return DATASETS.get(dataset, (dataset, dataset))


def toy_results(metrics: Mapping[str, Any], dataset: str, *, sample_seed: int = 0) -> list[EvalResult]:
    """``EvalResult``s for the exact 2-D metrics of ``ganzoo.metrics.toy.evaluate_toy`` / ``metrics.json``.

    ``metrics`` needs ``n``, ``w1`` and ``w1_baseline``; ``modes``/``n_modes``/``high_quality`` are added
    when present (mixture datasets).
    """
    for key in ("n", "w1", "w1_baseline"):
        if key not in metrics:
            raise ValueError(f"metrics: missing {key!r} (expected the output of ganzoo.metrics.toy.evaluate_toy)")
    dtype, dname = _dataset(dataset)
    n = int(metrics["n"])
    common = {"task_type": TOY_TASK[0], "task_name": TOY_TASK[1], "dataset_type": dtype, "dataset_name": dname}
    out = [
        EvalResult(
            **common, metric_type="wasserstein-1", metric_name="W1 (exact optimal transport)",
            metric_value=round(float(metrics["w1"]), 4),
            metric_args={
                "n_fake": n, "n_real": n, "ground_cost": "euclidean", "solver": "exact (POT ot.emd2)",
                "real_vs_real_w1": round(float(metrics["w1_baseline"]), 4), "sample_seed": sample_seed,
                **({"draws": int(metrics["draws"]), "statistic": "mean over draws (seeds sample_seed + d)",
                    "w1_std": round(float(metrics["w1_std"]), 4)} if "draws" in metrics else {}),
            },
        )
    ]
    if "modes" in metrics:
        out.append(EvalResult(
            **common, metric_type="modes-covered", metric_name="Modes covered",
            metric_value=int(metrics["modes"]),
            metric_args={
                "n_modes": int(metrics["n_modes"]), "n_fake": n, "within_std": 3.0, "min_share": 0.2,
                "criterion": "a mode is covered when >= 20% of its expected share of samples lie within 3 std "
                             "of its centre (PacGAN)",
            },
        ))
    if "high_quality" in metrics:
        out.append(EvalResult(
            **common, metric_type="high-quality-fraction", metric_name="High-quality fraction",
            metric_value=round(float(metrics["high_quality"]), 4),
            metric_args={"n_fake": n, "within_std": 3.0},
        ))
    return out


def translation_results(metrics: Mapping[str, Any], dataset: str) -> list[EvalResult]:
    """Card results of :func:`ganzoo.training.translation_eval.translation_report` (keys ``l1``, ``AtoB/fid``, ...)."""
    out = []
    dtype, dname = _dataset(dataset)
    for key, value in metrics.items():
        direction, _, name = key.rpartition("/")
        if name not in _TRANSLATION_METRICS or not isinstance(value, (int, float)):
            continue
        n = metrics.get(f"{direction}/n" if direction else "n")
        out.append(EvalResult(
            task_type=TRANSLATION_TASK[0], task_name=TRANSLATION_TASK[1], dataset_type=dtype, dataset_name=dname,
            dataset_split="test", metric_type=name, metric_value=round(float(value), 4),
            metric_name=f"{_TRANSLATION_METRICS[name]}{f' {direction}' if direction else ''}",
            metric_args={"n": n, "range": "[0, 1]", **({"direction": direction} if direction else {}),
                         **({"extractor": "fmnist"} if name == "fid" else {})},
        ))
    return out


IMAGE_METRICS = {
    "fid": "FID", "kid": "KID", "is": "IS", "precision": "precision (k=3)", "recall": "recall (k=3)",
    "density": "density (k=5)", "coverage": "coverage (k=5)", "classes_covered": "classes covered",
    "class_accuracy": "class accuracy",
    "copy_median_ratio": "copy check: median distance ratio", "copy_fraction": "copy check: near-copy fraction",
    "fid_gap": "FID train - test",
}


def image_metric(
    metric: str,
    value: float,
    *,
    dataset: str,
    extractor: str,
    weights_sha256: str,
    resize: str,
    n_fake: int,
    n_real: int,
    reference_split: str,
    conditional: bool = False,
    **extra_args: Any,
) -> EvalResult:
    """An image metric (``metric`` is one of ``IMAGE_METRICS``) with its protocol in ``args``.

    ``extractor`` names the feature network, ``weights_sha256`` the hash of its weights file, ``resize``
    the resize mode (e.g. ``"bilinear-299"``), ``n_fake``/``n_real`` the sample counts and ``reference_split``
    the real split the statistics come from (e.g. ``"test"``).
    """
    if metric not in IMAGE_METRICS:
        raise ValueError(f"metric must be one of {sorted(IMAGE_METRICS)}, got {metric!r}")
    for name, v in (("n_fake", n_fake), ("n_real", n_real)):
        if not isinstance(v, int) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    dtype, dname = _dataset(dataset)
    task = CONDITIONAL_IMAGE_TASK if conditional else IMAGE_TASK
    return EvalResult(
        task_type=task[0], task_name=task[1], dataset_type=dtype, dataset_name=dname,
        dataset_split=reference_split, metric_type=metric, metric_name=IMAGE_METRICS[metric], metric_value=float(value),
        metric_args={
            "extractor": extractor, "weights_sha256": weights_sha256, "resize": resize,
            "n_fake": n_fake, "n_real": n_real, "reference_split": reference_split, **extra_args,
        },
    )


def _fmt_args(args: Mapping[str, Any] | None) -> str:
    return ", ".join(f"{k}={v}" for k, v in (args or {}).items()).replace("|", "/")


def make_card(
    config: Mapping[str, Any],
    *,
    name: str | None = None,
    repo_id: str | None = None,
    description: str | None = None,
    dataset: str | None = None,
    results: Sequence[EvalResult] = (),
    recipe: str | None = None,
    command: str | None = None,
    sample_grid: str | None = None,
    curve: str | None = None,
    training_note: str | None = None,
    load_id: str | None = None,
    license: str = "apache-2.0",
) -> ModelCard:
    """Render the model card of a generator described by ``config`` (the content of its ``config.json``).

    ``results`` become the YAML ``model-index``; ``recipe`` is the training YAML; ``sample_grid`` the
    relative path of the sample image inside the repository folder, ``curve`` that of the training curve;
    ``training_note`` a paragraph on where and how long it trained; ``load_id`` what the usage snippet
    passes to ``ganzoo.load`` (default: ``repo_id``, else ``name``).
    """
    from ganzoo import __version__

    training = config.get("training") or {}
    variant = training.get("variant")
    dataset = dataset or training.get("dataset")
    model_name = name or (repo_id.split("/")[-1] if repo_id else None)
    if model_name is None:
        model_name = "-".join(x for x in (str(variant or config["architecture"]).lower(), dataset) if x)
    shape = config.get("output_shape") or []
    is_image = len(shape) == 3
    num_classes = int(config.get("num_classes") or 0)
    tags = ["ganzoo", "gan", "pytorch", "safetensors"]
    if variant:
        tags.append(str(variant).lower())
    hub_dataset = _dataset(dataset)[0] if dataset else None
    if hub_dataset and hub_dataset.startswith("ganzoo/toy2d-"):
        tags.append("toy-2d")
        hub_dataset = None  # generated on the fly, not a Hub dataset
    data = ModelCardData(
        library_name="ganzoo", license=license, tags=tags,
        pipeline_tag=IMAGE_TASK[0] if is_image and not num_classes else None,
        datasets=[hub_dataset] if hub_dataset else None,
        model_name=model_name if results else None,
        eval_results=list(results) or None,
    )
    constraints = training.get("constraints")
    if is_image:
        output = f"images {shape[0]}x{shape[1]}x{shape[2]} (C x H x W); `ganzoo.sample` returns them in [0, 1]"
    else:
        output = f"points in R^{shape[0] if shape else '?'} (data coordinates)"
    if num_classes:
        output += f"; conditional on {num_classes} classes"
    args = config.get("args") or {}
    directions = list(args.get("directions") or {}) if config["architecture"] == "translator" else []
    if directions:
        output = f"image-to-image translation ({', '.join(directions)}); `ganzoo.translate` returns images in [0, 1]"
    iters = training.get("generator_iterations")
    dataset_pretty = _dataset(dataset)[1] if dataset else "not recorded"
    if isinstance(training.get("limit"), dict):  # a small-data run: the seeded subset it trained on
        dataset_pretty += (f", the {training['limit']['images']:,} training images of a seeded subset "
                           f"(`limit`, seed {training['limit'].get('seed', 0)})")
    if isinstance(training.get("holdout"), dict):
        dataset_pretty += f", {training['holdout']['images']:,} images held out of training"
    augment = training.get("augment")
    if isinstance(augment, dict):
        augment = (f"DiffAugment `{augment['policy']}` on every image the critic sees, "
                   + (f"adaptive probability (ADA, target {augment['ada_target']}), ending at p = {augment['p']}"
                      if "ada_target" in augment else f"p = {augment['p']}"))
    card = ModelCard.from_template(
        data,
        template_path=str(TEMPLATE_PATH),
        title=model_name,
        description=description or (
            f"A {variant or 'GAN'} generator{f' trained on {_dataset(dataset)[1]}' if dataset else ''}, "
            "exported by ganzoo."
        ),
        variant=f"`{variant}`" if variant else "not recorded",
        objective=f"`{training['objective']}`" if training.get("objective") else "not recorded",
        constraint=", ".join(f"`{c}`" for c in constraints) if constraints else ("none" if constraints == [] else
                                                                              "not recorded"),
        architecture=config["architecture"],
        architecture_args=_fmt_args(config.get("args")),
        output=output,
        latent=(f"{config.get('latent_dim')}-d {config.get('latent_distribution', 'normal')}" if not directions
                else "none (the input image)"),
        translator=directions[0] if directions else None,
        dataset_pretty=dataset_pretty,
        augment=augment,
        generator_iterations=iters if iters is not None else "not recorded",
        weights_kind=("exponential moving average of the generator" if training.get("ema")
                      else "the trained generator" if training else "not recorded"),
        sample_grid=sample_grid,
        curve=curve,
        training_note=training_note,
        metrics=[
            {"name": r.metric_name or r.metric_type, "value": r.metric_value, "dataset": r.dataset_name,
             "protocol": _fmt_args(r.metric_args)}
            for r in results
        ],
        load_id=load_id or repo_id or name or "path/to/folder",
        load_note=(f"`{load_id}` is a zoo entry bundled with ganzoo (it loads without a download); its Hub "
                   f"repository id is `{repo_id}`." if load_id and repo_id and load_id != repo_id else None),
        sample_note=("(64, C, H, W) images in [0, 1]" if is_image else f"({64}, {shape[0] if shape else 'd'}) points")
        + ("; labels=[...] picks classes" if num_classes else ""),
        command=command,
        recipe=recipe.strip() if recipe else None,
        ganzoo_version=__version__,
    )
    return card


def _copy_into(folder: Path, src: str | os.PathLike, name: str, param: str) -> str:
    src = Path(src)
    if not src.is_file():
        raise FileNotFoundError(f"{param}: {src} does not exist")
    dst = folder / name
    if src.resolve() != dst.resolve():
        atomic_copy(src, dst)
    return name


def write_card(folder: str | os.PathLike, *, sample_grid: str | os.PathLike | None = None,
               curve: str | os.PathLike | None = None, **info: Any) -> Path:
    """Render the card of the generator in ``folder`` (from its ``config.json``) to ``folder/README.md``.

    ``sample_grid`` and ``curve``, pictures anywhere on disk, are copied into the folder as ``samples.png`` and
    ``curve.png`` and shown in the card. Other keyword arguments go to ``make_card``. The card is written
    atomically; returns its path.
    """
    folder = Path(folder)
    config = read_config(folder)
    rel_grid = None if sample_grid is None else _copy_into(folder, sample_grid, SAMPLE_GRID_NAME, "sample_grid")
    rel_curve = None if curve is None else _copy_into(folder, curve, CURVE_NAME, "curve")
    card = make_card(config, sample_grid=rel_grid, curve=rel_curve, **info)
    path = folder / CARD_NAME
    atomic_write_bytes(path, str(card).encode("utf-8"))
    return path
