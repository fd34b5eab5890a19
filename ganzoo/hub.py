"""Saving and loading generators as a folder: ``config.json`` + ``model.safetensors``.

The format is the one the Hugging Face Hub serves. ``config.json`` names a registered architecture and
its constructor arguments; loading never unpickles anything and builds only registered classes.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from ganzoo.io import replace_dir
from ganzoo.registry import build_model

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
FORMAT_VERSION = 1


def _jsonable(v: Any) -> Any:
    if isinstance(v, (tuple, list)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    return v


def generator_config(generator: nn.Module) -> dict[str, Any]:
    if not hasattr(generator, "arch_name"):
        raise ValueError(
            f"{type(generator).__name__} is not a registered architecture (see ganzoo.registry.register_model)"
        )
    return {
        "format_version": FORMAT_VERSION,
        "architecture": generator.arch_name,
        "args": _jsonable(generator.config),
        "latent_dim": getattr(generator, "latent_dim", None),
        "latent_distribution": getattr(generator, "latent_distribution", "normal"),
        "output_shape": list(getattr(generator, "output_shape", ())),
    }


def save_generator(generator: nn.Module, folder: str | os.PathLike, extra: dict[str, Any] | None = None) -> Path:
    """Write ``generator`` to ``folder`` (config.json + model.safetensors), atomically.

    ``extra`` is stored under ``"training"`` in the config (variant, objective, iterations, ...).
    """
    folder = Path(folder)
    config = generator_config(generator)
    if extra:
        config["training"] = _jsonable(extra)
    state = {k: v.detach().cpu().contiguous() for k, v in generator.state_dict().items()}
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.tmp-"))
    try:
        save_file(state, str(tmp / WEIGHTS_NAME), metadata={"format": "pt"})
        (tmp / CONFIG_NAME).write_text(json.dumps(config, indent=2) + "\n")
        replace_dir(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def read_config(folder: str | os.PathLike) -> dict[str, Any]:
    path = Path(folder) / CONFIG_NAME
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no config.json (expected a ganzoo generator folder)")
    try:
        config = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: malformed JSON ({e})") from None
    if not isinstance(config, dict) or "architecture" not in config:
        raise ValueError(f"{path}: missing the 'architecture' field")
    return config


def load_generator(folder: str | os.PathLike, device: str | torch.device = "cpu") -> nn.Module:
    """Build the generator described by ``folder/config.json`` and load ``model.safetensors`` strictly.

    Returns the module in eval mode.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: not a folder")
    weights = folder / WEIGHTS_NAME
    if not weights.is_file():
        pickles = [p.name for p in folder.glob("*.bin")] + [p.name for p in folder.glob("*.pt*")]
        hint = f" (found {pickles}: pickled weights are never loaded)" if pickles else ""
        raise FileNotFoundError(f"{weights}: missing{hint}")
    config = read_config(folder)
    try:
        model = build_model(config["architecture"], config.get("args", {}))
    except (TypeError, ValueError) as e:
        raise ValueError(f"{folder / CONFIG_NAME}: {e}") from None
    try:
        state = load_file(str(weights), device=str(device))
    except (SafetensorError, OSError) as e:
        raise ValueError(f"{weights}: not a readable safetensors file ({e})") from None
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise ValueError(f"{weights}: weights do not match the architecture in config.json: {e}") from None
    return model.to(device).eval()
