"""Loading a generator for inference: a local folder, a zoo name or a Hub repository id (:func:`load`), and the
generator behind whatever the sampling functions take (:func:`as_generator`). Imports neither Lightning nor (for
local and zoo models) the Hub client.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganzoo.nets.base import require_generator
from ganzoo.serialization import load_generator

_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def load(
    name_or_path: str | os.PathLike,
    revision: str | None = None,
    *,
    device: str | torch.device = "cpu",
    cache_dir: str | os.PathLike | None = None,
    token: str | bool | None = None,
    local_files_only: bool = False,
) -> nn.Module:
    """Load a generator, in eval mode, from a local folder, a zoo name or a Hub repository id (``org/name``).

    * a folder: ``config.json`` + ``model.safetensors`` (see ``ganzoo.serialization.load_generator``);
    * a zoo name (``ganzoo.list_pretrained()``): the copy bundled in the package, without network access;
      with ``revision`` the entry's Hub repository at that revision;
    * a Hub id: downloaded through ``huggingface_hub`` and its cache. Without network (or with
      ``HF_HUB_OFFLINE=1``) the cached copy is used, else the bundled copy of a zoo entry published under that
      id; otherwise the error lists what was tried.

    Example:
        >>> import ganzoo
        >>> g = ganzoo.load("dcgan-fashion_mnist")  # a zoo entry: the copy bundled in the package, no network
        >>> type(g).__name__, g.latent_dim, g.output_shape, g.training
        ('DCGANGenerator', 100, (1, 32, 32), False)
        >>> ganzoo.sample(g, 2, seed=0).shape
        torch.Size([2, 1, 32, 32])
    """
    if isinstance(name_or_path, nn.Module) or not isinstance(name_or_path, (str, os.PathLike)):
        raise TypeError(f"name_or_path must be a folder, zoo name or Hub repo id, got {type(name_or_path).__name__}")
    if revision is not None and not isinstance(revision, str):
        raise TypeError(f"revision must be a string (branch, tag or commit), got {revision!r}")
    path = Path(name_or_path)
    if path.is_dir():
        if revision is not None:
            raise ValueError(f"revision={revision!r} applies to Hub repositories, but {str(path)!r} is a local folder")
        return load_generator(path, device=device)
    if not isinstance(name_or_path, str):
        raise FileNotFoundError(f"name_or_path: {path} is not a folder")
    from ganzoo import zoo

    text = name_or_path
    entry = zoo.get_entry(text)
    if entry is not None and entry.bundled and revision is None:
        return load_generator(entry.folder, device=device)  # type: ignore[arg-type]
    if entry is not None and entry.repo_id:
        repo_id = entry.repo_id
    elif _REPO_ID.match(text):
        repo_id = text
    else:
        names = [e.name for e in zoo.list_pretrained()]
        raise FileNotFoundError(
            f"name_or_path={text!r}: not an existing local folder, not a zoo name (zoo: {names}), and not a Hub "
            "repository id of the form 'org/name'"
        )
    from ganzoo.hub import HubLoadError, download

    try:
        module, _ = download(repo_id, revision, device=device, cache_dir=cache_dir, token=token,
                             local_files_only=local_files_only)
        return module
    except HubLoadError as e:
        fallback = entry or zoo.entry_for_repo(repo_id)
        if fallback is not None and fallback.bundled and revision is None and e.offline:
            warnings.warn(f"{e}; using the copy of zoo entry {fallback.name!r} bundled with ganzoo", stacklevel=2)
            return load_generator(fallback.folder, device=device)  # type: ignore[arg-type]
        tried = [f"local folder {text!r}: does not exist"]
        if entry is not None:
            tried.append(f"zoo entry {entry.name!r}: " + (
                "bundled copy skipped because revision was given" if entry.bundled else "not bundled in the package"))
        elif fallback is None:
            tried.append("zoo: no entry is published under this repository id")
        tried.append(str(e))
        raise HubLoadError(f"could not load {text!r}; tried:\n  - " + "\n  - ".join(tried)) from None


def as_generator(model: Any, device: str | torch.device | None = None) -> nn.Module:
    """A generator module from what the sampling functions take: a generator module (moved to ``device`` when one
    is given), a training module (its exported generator), or a folder, zoo name or Hub repo id (``load``, on
    ``device`` or the CPU)."""
    if not isinstance(model, nn.Module):
        if not isinstance(model, (str, os.PathLike)):
            raise ValueError(f"model must be a generator module, a folder, a zoo name or a Hub repo id, got "
                             f"{type(model).__name__}")
        model = load(model, device=device or "cpu")
    model = require_generator(model)  # a training module: its exported generator
    if device is not None:
        model = model.to(device)
    return model
