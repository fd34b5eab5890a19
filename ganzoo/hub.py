"""Generators as Hugging Face Hub repositories: save, download, push (through ``huggingface_hub``).

A repository folder holds ``config.json`` (registered architecture + constructor arguments, see
``ganzoo.serialization``), ``model.safetensors`` and ``README.md`` (the model card, ``ganzoo.cards``), and
optionally ``samples.png``. ``HubGenerator`` plugs ganzoo's format into ``huggingface_hub.ModelHubMixin``:
``save_pretrained`` / ``from_pretrained`` / ``push_to_hub`` come from the mixin; weights are only ever read
from safetensors and the config may only name registered architectures.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import torch
from huggingface_hub import ModelCard, ModelHubMixin, hf_hub_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HFValidationError,
    LocalEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.utils import validate_repo_id
from torch import nn

from ganzoo.cards import CURVE_NAME, SAMPLE_GRID_NAME, make_card
from ganzoo.io import atomic_copy, atomic_dir
from ganzoo.serialization import (
    CARD_NAME,
    CONFIG_NAME,
    FORMAT_VERSION,
    WEIGHTS_NAME,
    generator_config,
    load_generator,
    read_config,
    write_generator_files,
)

__all__ = [
    "CARD_NAME", "CONFIG_NAME", "FORMAT_VERSION", "WEIGHTS_NAME", "HubGenerator", "HubLoadError",
    "check_repo_id", "download", "generator_config", "load_generator", "push_to_hub", "read_config",
    "save_generator",
]

_COMMIT = re.compile(r"^[0-9a-f]{40}$")
UPLOADED_FILES = (CONFIG_NAME, WEIGHTS_NAME, CARD_NAME, SAMPLE_GRID_NAME, CURVE_NAME)


class HubLoadError(FileNotFoundError):
    """A Hub repository could not be loaded (not found, offline and not cached, no safetensors weights).

    ``offline`` is true when the Hub could not be reached and nothing was cached.
    """

    def __init__(self, message: str, offline: bool = False) -> None:
        super().__init__(message)
        self.offline = offline


def check_repo_id(repo_id: str, param: str = "repo_id") -> str:
    """Validate a Hub repository id (``name`` or ``org/name``); the error names ``param``."""
    if not isinstance(repo_id, str):
        raise ValueError(f"{param} must be a Hub repository id like 'org/name', got {repo_id!r}")
    try:
        validate_repo_id(repo_id)
    except HFValidationError as e:
        raise ValueError(f"{param}: {repo_id!r} is not a valid Hub repository id ('org/name'): {e}") from None
    return repo_id


class HubGenerator(
    ModelHubMixin,
    library_name="ganzoo",
    license="apache-2.0",
    tags=["ganzoo", "gan"],
):
    """``ModelHubMixin`` adapter around a registered generator ``module``.

    ``metadata`` is stored under ``"training"`` in ``config.json``; ``card`` holds keyword arguments for
    ``ganzoo.cards.make_card`` (dataset, results, recipe, ...); ``source`` is an exported folder whose card
    and sample grid are kept when the adapter is saved or pushed again.
    """

    def __init__(
        self,
        module: nn.Module,
        metadata: dict[str, Any] | None = None,
        card: dict[str, Any] | None = None,
        source: str | os.PathLike | None = None,
    ) -> None:
        generator_config(module)  # registered architectures only
        self.module = module
        self.metadata = metadata
        self.card = dict(card or {})
        self.source = Path(source) if source is not None else None

    @classmethod
    def from_folder(cls, folder: str | os.PathLike, device: str | torch.device = "cpu") -> HubGenerator:
        """Load an exported folder strictly, keeping its card and sample grid for re-saving/pushing."""
        module = load_generator(folder, device=device)
        return cls(module, metadata=read_config(folder).get("training"), source=folder)

    def _save_pretrained(self, save_directory: Path) -> None:
        write_generator_files(self.module, save_directory, self.metadata)
        if self.source is not None:
            for name in (CARD_NAME, SAMPLE_GRID_NAME, CURVE_NAME):
                if (self.source / name).is_file():
                    atomic_copy(self.source / name, save_directory / name)

    def generate_model_card(self, *args: Any, **kwargs: Any) -> ModelCard:
        config = generator_config(self.module)
        if self.metadata:
            config["training"] = self.metadata
        return make_card(config, **{**self.card, **kwargs})

    @classmethod
    def _from_pretrained(
        cls,
        *,
        model_id: str,
        revision: str | None,
        cache_dir: str | Path | None,
        force_download: bool,
        local_files_only: bool,
        token: str | bool | None,
        device: str | torch.device = "cpu",
        **config_fields: Any,  # the mixin passes config.json's fields that match __init__ names; unused
    ) -> HubGenerator:
        if os.path.isdir(model_id):
            folder = Path(model_id)
        else:
            kw = dict(cache_dir=cache_dir, force_download=force_download, token=token,
                      local_files_only=local_files_only, library_name="ganzoo")
            cfg = Path(hf_hub_download(model_id, CONFIG_NAME, revision=revision, **kw))
            folder = cfg.parent
            pinned = folder.name if _COMMIT.match(folder.name) else revision  # same commit as the config
            try:
                weights = Path(hf_hub_download(model_id, WEIGHTS_NAME, revision=pinned, **kw))
            except EntryNotFoundError:
                raise HubLoadError(
                    f"{model_id}: the repository has no {WEIGHTS_NAME}; ganzoo loads safetensors weights only "
                    "(pickled weights such as pytorch_model.bin are never downloaded or unpickled)"
                ) from None
            if weights.parent != folder:
                raise HubLoadError(f"{model_id}: {CONFIG_NAME} and {WEIGHTS_NAME} resolved to different commits")
        out = cls.from_folder(folder, device=device)
        out.source = folder
        return out


def save_generator(
    generator: nn.Module,
    folder: str | os.PathLike,
    extra: dict[str, Any] | None = None,
    *,
    card: dict[str, Any] | None = None,
) -> Path:
    """Write ``generator`` to ``folder`` as a Hub repository folder, atomically (temporary folder, rename).

    Writes ``config.json``, ``model.safetensors`` and ``README.md`` (the model card). ``extra`` is stored under
    ``"training"`` in the config (variant, objective, iterations, ...); ``card`` holds keyword arguments for
    ``ganzoo.cards.make_card`` (dataset, results, recipe, ...). An existing ``folder`` is replaced.
    """
    folder = Path(folder)
    hub = HubGenerator(generator, metadata=extra, card=card)
    with atomic_dir(folder) as tmp:
        hub.save_pretrained(tmp)
    return folder


def download(
    repo_id: str,
    revision: str | None = None,
    *,
    device: str | torch.device = "cpu",
    cache_dir: str | os.PathLike | None = None,
    token: str | bool | None = None,
    local_files_only: bool = False,
) -> tuple[nn.Module, Path]:
    """Load a generator from the Hub repository ``repo_id`` through ``huggingface_hub``'s cache.

    Without network (or with ``HF_HUB_OFFLINE=1`` / ``local_files_only``) the cached copy of ``revision``
    is used when there is one. Returns the module (eval mode) and the cached folder it came from; raises
    ``HubLoadError`` saying what failed (not found, offline and not cached, no safetensors weights).
    """
    check_repo_id(repo_id)
    where = f"Hub repository {repo_id!r}" + (f" at revision {revision!r}" if revision else "")
    try:
        hub = HubGenerator.from_pretrained(
            repo_id, revision=revision, cache_dir=cache_dir, token=token, local_files_only=local_files_only,
            device=device,
        )
    except json.JSONDecodeError as e:
        raise ValueError(f"{where}: {CONFIG_NAME} is malformed JSON ({e})") from None
    except AttributeError:  # the mixin reads config.json as a dict before ganzoo validates it
        raise ValueError(f"{where}: {CONFIG_NAME} is not a JSON object") from None
    except GatedRepoError:
        raise HubLoadError(f"{where}: the repository is gated; accept its terms and pass token=") from None
    except RepositoryNotFoundError:
        raise HubLoadError(f"{where}: repository not found (or private: pass token=)") from None
    except RevisionNotFoundError:
        raise HubLoadError(f"{where}: revision not found") from None
    except LocalEntryNotFoundError as e:
        raise HubLoadError(
            f"{where}: the Hub could not be reached ({_offline_reason(e)}) and huggingface_hub's cache "
            f"({cache_dir or 'the default HF cache'}) holds no copy of {CONFIG_NAME} + {WEIGHTS_NAME}",
            offline=True,
        ) from None
    except EntryNotFoundError:
        raise HubLoadError(f"{where}: no {CONFIG_NAME} in the repository; not a ganzoo generator") from None
    return hub.module, hub.source  # type: ignore[return-value]


def _offline_reason(e: BaseException) -> str:
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        return "HF_HUB_OFFLINE is set"
    cause = e.__cause__ or e.__context__
    return f"network error: {cause}" if cause is not None else "local_files_only or no network"


def push_to_hub(
    module_or_folder: nn.Module | str | os.PathLike,
    repo_id: str,
    *,
    commit_message: str = "Upload ganzoo generator",
    private: bool | None = None,
    token: str | None = None,
    branch: str | None = None,
    create_pr: bool | None = None,
    card: dict[str, Any] | None = None,
) -> str:
    """Create the Hub repository ``repo_id`` (if needed) and upload a generator in one commit, via ``HfApi``.

    ``module_or_folder`` is a registered generator module (a card is generated from ``card``, keyword
    arguments of ``ganzoo.cards.make_card``) or an exported folder, which is first loaded strictly (so a
    broken folder is never pushed) and uploaded with its own card and sample grid. Uploads ``config.json``,
    ``model.safetensors``, ``README.md`` and, when present, ``samples.png`` and ``curve.png``. Returns the commit URL.
    """
    check_repo_id(repo_id)
    if isinstance(module_or_folder, nn.Module):
        hub = HubGenerator(module_or_folder, metadata=None, card={"repo_id": repo_id, **(card or {})})
    elif isinstance(module_or_folder, (str, os.PathLike)):
        folder = Path(module_or_folder)
        if not folder.is_dir():
            raise FileNotFoundError(f"module_or_folder: {folder} is not a folder")
        hub = HubGenerator.from_folder(folder)
        hub.card = {"repo_id": repo_id, **(card or {})}
        if card is not None:  # an explicit card replaces the folder's own
            hub.source = None
    else:
        raise TypeError(f"module_or_folder must be an nn.Module or a folder, got {type(module_or_folder).__name__}")
    return str(hub.push_to_hub(
        repo_id, commit_message=commit_message, private=private, token=token, branch=branch, create_pr=create_pr,
        allow_patterns=list(UPLOADED_FILES),
    ))
