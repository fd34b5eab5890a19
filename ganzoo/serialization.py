"""The on-disk generator format: ``config.json`` + ``model.safetensors`` (+ ``README.md``, the model card).

This module reads and writes local folders only and imports neither Lightning nor ``huggingface_hub``, so
loading a local or bundled generator stays fast. ``ganzoo.hub`` adds the Hub (download, push, cards).

Security: weights are read from safetensors only (never unpickled); ``config.json`` may name only an
architecture registered in ``ganzoo.registry`` (never an import path), and only its constructor arguments.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save
from torch import nn

from ganzoo.checks import check_int
from ganzoo.io import (
    atomic_write_bytes,
    default_file_mode,  # noqa: F401  (re-exported: bench/zoo/make_entry.py imports it from here)
)
from ganzoo.nets.base import Generator, ImageTranslator
from ganzoo.registry import build_model, list_models

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
CARD_NAME = "README.md"
FORMAT_VERSION = 1
SAMPLING_VERSION = 2  # ganzoo.latents' sampler, recorded in config.json: a newer one is refused
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt")


def _jsonable(v: Any) -> Any:
    if isinstance(v, (tuple, list)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    return v


def generator_config(generator: nn.Module) -> dict[str, Any]:
    """The ``config.json`` content describing a registered generator.

    Fields: ``architecture`` (registered name), ``args`` (constructor arguments), ``latent_dim``,
    ``latent_distribution`` ("normal" or "uniform" in [-1, 1]), ``num_classes`` (0: unconditional),
    ``output_shape`` (``[2]`` for 2-D points, ``[C, H, W]`` for images) and ``output_range``
    (``[lo, hi]`` of the raw output, e.g. ``[-1, 1]`` for a tanh image generator; ``null`` for points) and
    ``sampling_version``: the latent sampler of ``ganzoo.sample`` (:func:`ganzoo.latents.latents`) that the
    folder's samples and card were made with; a folder that records none or a newer one is refused.
    """
    if not hasattr(generator, "arch_name"):
        raise ValueError(
            f"{type(generator).__name__} is not a registered architecture (see ganzoo.registry.register_model)"
        )
    if not isinstance(generator, (Generator, ImageTranslator)):
        raise ValueError(f"{type(generator).__name__} is neither a ganzoo.nets.Generator nor an ImageTranslator")
    latent = generator if isinstance(generator, Generator) else None  # a translator has no latent space
    output_range = generator.output_range
    return {
        "format_version": FORMAT_VERSION,
        "architecture": generator.arch_name,
        "args": _jsonable(generator.config),
        "latent_dim": latent.latent_dim if latent else None,
        "latent_distribution": latent.latent_distribution if latent else "normal",
        "num_classes": int(latent.num_classes) if latent else 0,
        "output_shape": list(latent.output_shape) if latent else [],
        "output_range": list(output_range) if output_range is not None else None,
        "sampling_version": SAMPLING_VERSION,
    }


def write_generator_files(generator: nn.Module, folder: Path, extra: dict[str, Any] | None = None) -> None:
    """Write ``model.safetensors`` and ``config.json`` into the existing folder ``folder``.

    Each file is written atomically with the umask's mode (:func:`ganzoo.io.atomic_write`; safetensors' own
    ``save_file`` makes its file private, 0o600). ``extra`` is stored under ``"training"`` in the config (variant,
    objective, iterations, ...).
    """
    config = generator_config(generator)
    if extra:
        config["training"] = _jsonable(extra)
    state = {k: v.detach().cpu().contiguous() for k, v in generator.state_dict().items()}
    atomic_write_bytes(folder / WEIGHTS_NAME, save(state, metadata={"format": "pt"}))
    atomic_write_bytes(folder / CONFIG_NAME, (json.dumps(config, indent=2) + "\n").encode())


def _check_int(path: Path, config: dict, key: str, minimum: int) -> None:
    if config.get(key) is not None:
        try:
            check_int(f"'{key}'", config[key], minimum)
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from None


def read_config(folder: str | os.PathLike) -> dict[str, Any]:
    """Read and validate ``folder/config.json``; errors name the file and the field."""
    path = Path(folder) / CONFIG_NAME
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no config.json (expected a ganzoo generator folder)")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: malformed JSON ({e})") from None
    if not isinstance(config, dict):
        raise ValueError(f"{path}: expected a JSON object, got {type(config).__name__}")
    arch = config.get("architecture")
    if not isinstance(arch, str):
        raise ValueError(f"{path}: missing the 'architecture' field (a registered name: {list_models()})")
    if arch not in list_models():
        raise ValueError(f"{path}: unknown architecture {arch!r}; registered architectures: {list_models()}")
    version = config.get("format_version", 1)
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ValueError(f"{path}: format_version {version!r} is newer than this ganzoo reads ({FORMAT_VERSION})")
    if not isinstance(config.get("args", {}), dict):
        raise ValueError(f"{path}: 'args' must be an object of constructor arguments")
    sampling = config.get("sampling_version", 1)  # none: a folder written before the sampler's version 2
    if not isinstance(sampling, int) or isinstance(sampling, bool) or sampling < 1:
        raise ValueError(f"{path}: 'sampling_version' must be a positive integer, got {sampling!r}")
    if sampling > SAMPLING_VERSION:
        raise ValueError(f"{path}: sampling_version {sampling} is newer than this ganzoo samples with "
                         f"({SAMPLING_VERSION}); upgrade ganzoo")
    if sampling < SAMPLING_VERSION:
        raise ValueError(f"{path}: sampling_version {sampling}: the folder was written by a ganzoo before 0.1, whose "
                         f"latent sampler is gone; set \"sampling_version\": {SAMPLING_VERSION} to sample it with "
                         "today's (its samples will then differ from its card's)")
    _check_int(path, config, "latent_dim", 1)
    _check_int(path, config, "num_classes", 0)
    shape = config.get("output_shape")
    if shape is not None and (
        not isinstance(shape, list) or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in shape)
    ):
        raise ValueError(f"{path}: 'output_shape' must be a list of positive integers, got {shape!r}")
    rng = config.get("output_range")
    if rng is not None and not (
        isinstance(rng, list) and len(rng) == 2 and all(isinstance(v, (int, float)) and math.isfinite(v) for v in rng)
        and rng[0] < rng[1]
    ):
        raise ValueError(f"{path}: 'output_range' must be [lo, hi] with lo < hi, or null; got {rng!r}")
    return config


def _check_matches(path: Path, config: dict, model: nn.Module) -> None:
    """The descriptive fields of config.json must agree with the module they build."""
    actual = generator_config(model)
    for key in ("latent_dim", "num_classes", "output_shape", "output_range", "latent_distribution"):
        if key in config and config[key] != actual[key]:
            raise ValueError(
                f"{path}: '{key}' is {config[key]!r} but architecture {config['architecture']!r} with these args "
                f"has {actual[key]!r}"
            )


def load_generator(folder: str | os.PathLike, device: str | torch.device = "cpu") -> nn.Module:
    """Build the generator described by ``folder/config.json`` and load ``model.safetensors`` strictly.

    Missing or unexpected weights, wrong shapes, a truncated or non-safetensors file, malformed JSON and
    unregistered architectures raise ``ValueError``/``FileNotFoundError`` naming the file. A folder holding
    only pickled weights (``pytorch_model.bin``, ``*.pt``) is refused without reading them. Returns the
    module in eval mode on ``device``, with ``trained_on``: the ``dataset_name`` of the datamodule it was trained
    on (``config.json``'s ``training.dataset``, written by ``ganzoo fit``), or ``None`` where the folder does not
    record it, and ``trained_limit``: the datamodule's ``limit`` (``training.limit.images``), or ``None``.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: not a folder")
    weights = folder / WEIGHTS_NAME
    if not weights.is_file():
        pickles = sorted(p.name for p in folder.iterdir() if p.suffix in PICKLE_SUFFIXES)
        hint = f" (found {pickles}: pickled weights are never loaded, only safetensors)" if pickles else ""
        raise FileNotFoundError(f"{weights}: missing{hint}")
    config = read_config(folder)
    cfg_path = folder / CONFIG_NAME
    try:
        model = build_model(config["architecture"], config.get("args", {}))
    except (TypeError, ValueError) as e:
        raise ValueError(f"{cfg_path}: {e}") from None
    if not isinstance(model, (Generator, ImageTranslator)):
        raise ValueError(f"{cfg_path}: architecture {config['architecture']!r} is not a generator or translator")
    _check_matches(cfg_path, config, model)
    try:
        state = load_file(str(weights), device=str(device))
    except (SafetensorError, OSError, RuntimeError) as e:
        raise ValueError(f"{weights}: not a readable safetensors file ({e})") from None
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise ValueError(f"{weights}: weights do not match the architecture in config.json: {e}") from None
    training = config.get("training") or {}
    trained_on = training.get("dataset")  # the datamodule's dataset_name, when recorded
    model.trained_on = trained_on if isinstance(trained_on, str) else None  # ganzoo eval's default reference
    limit = training.get("limit")  # {"images": N, "seed": ...}: trained on a subset (the copy check searches it)
    model.trained_limit = limit["images"] if isinstance(limit, dict) and isinstance(limit.get("images"), int) else None
    holdout = training.get("holdout")  # {"images": N, "seed": ...}: a folder's images set aside as its test split
    model.trained_holdout = holdout["images"] if isinstance(holdout, dict) and isinstance(holdout.get("images"),
                                                                                          int) else None
    return model.to(device).eval()
