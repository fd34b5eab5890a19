"""The zoo: pretrained generators by name.

``index.json`` lists the entries (name, Hub repository id, dataset, variant, metrics, recipe). Entries whose
folder ships inside the package (``ganzoo/zoo/<name>/``: ``config.json``, ``model.safetensors``, ``README.md``,
``samples.png``) load without any network access; the entries' cards are also kept in ``model_cards/<name>/``.
Entries are produced by ``bench/zoo/make_entry.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ganzoo.metrics.display import format_metric

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
    kind: str = "image"  # "image" (latent image generator), "translation" or "toy" (2-D points)

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
            folder=folder if (folder / "model.safetensors").is_file() else None, kind=e.get("kind", "image"),
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


def _metric(m: dict[str, Any], name: str) -> str:
    return format_metric(name, m.get(name))


def _fmt(v: Any, spec: str = "") -> str:
    return "–" if v is None else format(v, spec) if spec else str(v)


def _seconds(m: dict[str, Any], key: str, target: float | None = None) -> str:
    """A time-to-quality cell: seconds (with the target FID), "not reached" or "–" (not measured)."""
    if key not in m:
        return "–"
    where = f" (≤ {target:g})" if target is not None else ""
    return "not reached" + where if m[key] is None else f"{m[key]:,.0f} s{where}"


def leaderboard(entries: list[PretrainedEntry] | None = None) -> str:
    """The zoo as Markdown tables (what ``ganzoo list`` prints and the README's leaderboard shows): latent image
    generators sorted by FID, then translators, then 2-D toys. "to FID 20" and "to target" are the training seconds
    until the run's FID curve (2,000 samples, every 500 generator iterations) first reached 20 and the entry's target
    FID; "–" where the run recorded no times."""
    entries = list_pretrained() if entries is None else entries
    out = []
    images = sorted((e for e in entries if e.kind == "image"), key=lambda e: e.metrics.get("fid", 1e9))
    if images:
        out += ["| entry | FID | KID | precision | recall | density | coverage | classes | G iters | "
                "trained on | time | to FID 20 | to target |", "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for e in images:
            m = e.metrics
            kid = f"{_metric(m, 'kid')} ± {_metric(m, 'kid_std')}" if "kid" in m else "–"
            classes = f"{m.get('classes_covered')}/10" + (
                f" (acc. {100 * m['class_accuracy']:.1f}%)" if "class_accuracy" in m else "")
            out.append(
                f"| `{e.name}` | {_metric(m, 'fid')} | {kid} | {_metric(m, 'precision')} | "
                f"{_metric(m, 'recall')} | {_metric(m, 'density')} | {_metric(m, 'coverage')} "
                f"| {classes} | {_fmt(m.get('generator_iterations'), ',')} | {_fmt(m.get('hardware'))} | "
                f"{_fmt(m.get('train_seconds'))} s | {_seconds(m, 'seconds_to_fid20')} | "
                f"{_seconds(m, 'seconds_to_target', m.get('target_fid'))} |"
            )
    translators = [e for e in entries if e.kind == "translation"]
    if translators:
        out += ["", "| entry | scores on the test split | G iters | trained on | time |", "|---|---|---|---|---|"]
        for e in translators:
            m = e.metrics
            if "l1" in m:
                scores = f"L1 {_metric(m, 'l1')}, PSNR {_metric(m, 'psnr_db')} dB, FID {_metric(m, 'fid')}"
            else:
                scores = "; ".join(
                    f"{d}: {100 * m[f'{d}/target_fraction']:.1f}% target class, "
                    f"FID {format_metric('fid', m.get(f'{d}/fid'))}"
                    for d in ("AtoB", "BtoA") if f"{d}/target_fraction" in m)
            out.append(f"| `{e.name}` | {scores} | {_fmt(m.get('generator_iterations'), ',')} | "
                       f"{_fmt(m.get('hardware'))} | {_fmt(m.get('train_seconds'))} s |")
    toys = [e for e in entries if e.kind == "toy"]
    if toys:
        out += ["", "| entry | W1 (real vs real) | modes | G iters | time |", "|---|---|---|---|---|"]
        for e in toys:
            m = e.metrics
            w1 = f"{_metric(m, 'w1')} ({_metric(m, 'w1_real_vs_real')})"
            out.append(f"| `{e.name}` | {w1} | {m['modes']}/{m['n_modes']} | "
                       f"{_fmt(m.get('generator_iterations'), ',')} | {_fmt(m.get('train_seconds'))} s |")
    return "\n".join(out)
