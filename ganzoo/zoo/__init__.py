"""The zoo: pretrained generators by name.

``index.json`` lists the entries (name, Hub repository id, dataset, variant, metrics, recipe). Entries whose
folder ships inside the package (``ganzoo/zoo/<name>/``: ``config.json``, ``model.safetensors``, ``README.md``,
``samples.png``) load without any network access; the entries' cards are also kept in ``model_cards/<name>/``.
Entries are produced by ``bench/make_zoo_entry.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

ZOO_DIR = Path(__file__).resolve().parent
INDEX_PATH = ZOO_DIR / "index.json"
INDEX_VERSION = 1


@dataclass(frozen=True)
class PretrainedEntry:
    """One zoo entry. ``folder`` is the bundled copy inside the package (``None`` when only on the Hub)."""

    name: str
    repo_id: str | None
    dataset: str
    variant: str
    architecture: str
    description: str
    recipe: str
    metrics: dict[str, Any] = field(default_factory=dict)
    folder: Path | None = None

    @property
    def bundled(self) -> bool:
        """True when the weights ship inside the installed package (no network needed)."""
        return self.folder is not None


def _read_index(path: Path = INDEX_PATH) -> dict[str, PretrainedEntry]:
    if not path.is_file():
        return {}
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: malformed JSON ({e})") from None
    if not isinstance(index, dict) or index.get("format_version") != INDEX_VERSION:
        raise ValueError(f"{path}: expected an object with format_version {INDEX_VERSION}")
    out: dict[str, PretrainedEntry] = {}
    for e in index.get("entries", []):
        folder = ZOO_DIR / e["name"]
        out[e["name"]] = PretrainedEntry(
            name=e["name"], repo_id=e.get("repo_id"), dataset=e["dataset"], variant=e["variant"],
            architecture=e["architecture"], description=e.get("description", ""), recipe=e.get("recipe", ""),
            metrics=dict(e.get("metrics", {})),
            folder=folder if (folder / "model.safetensors").is_file() else None,
        )
    return out


@lru_cache(maxsize=1)
def _entries() -> dict[str, PretrainedEntry]:
    return _read_index()


def list_pretrained() -> list[PretrainedEntry]:
    """All zoo entries (name, Hub repo id, dataset, variant, metrics, bundled folder), sorted by name."""
    return [v for _, v in sorted(_entries().items())]


def get_entry(name: str) -> PretrainedEntry | None:
    """The zoo entry called ``name``, or ``None``."""
    return _entries().get(name)


def entry_for_repo(repo_id: str) -> PretrainedEntry | None:
    """The zoo entry published as the Hub repository ``repo_id``, or ``None``."""
    return next((e for e in _entries().values() if e.repo_id == repo_id), None)
