"""Shared by the bench scripts: replace a measured table between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``.

The tables live in the docs (``docs/benchmarks.md`` holds most of them) and the zoo leaderboard in the README.
``fill_table`` writes every page that holds the markers: ``README.md`` and ``docs/**/*.md``.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"


def pages() -> list[Path]:
    """The Markdown pages a table can live in: the README and the docs' sources (not the built site)."""
    return [README, *sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.relative_to(DOCS).parts)]


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def holders(name: str) -> list[Path]:
    """The pages that hold the ``name`` markers."""
    start, end = _markers(name)
    return [p for p in pages() if start in (text := p.read_text()) and end in text]


def read_table(name: str) -> str:
    """The text between the ``name`` markers (of the first page that holds them)."""
    start, end = _markers(name)
    found = holders(name)
    if not found:
        raise SystemExit(f"no page holds {start} / {end} (looked in README.md and docs/**/*.md)")
    return found[0].read_text().split(start + "\n", 1)[1].split("\n" + end, 1)[0]


def fill_table(name: str, markdown: str, readme: Path | None = None) -> list[Path]:
    """Put ``markdown`` between the ``name`` markers of every page that holds them (or of ``readme`` only).
    Returns the pages written."""
    start, end = _markers(name)
    targets = [Path(readme)] if readme is not None else holders(name)
    if not targets:
        raise SystemExit(f"no page holds {start} / {end} (looked in README.md and docs/**/*.md)")
    for page in targets:
        text = page.read_text()
        if start not in text or end not in text:
            raise SystemExit(f"{page} has no {start} / {end} markers")
        page.write_text(re.sub(f"{re.escape(start)}.*?{re.escape(end)}", lambda _: f"{start}\n{markdown}\n{end}",
                               text, flags=re.S))
        print(f"wrote the {name} table into {page.relative_to(ROOT) if page.is_relative_to(ROOT) else page}")
    return targets


def publish(name: str, markdown: str, fill: bool) -> None:
    """Print a bench script's table; with ``fill`` (its ``--readme``) also put it between the ``name`` markers."""
    print(markdown)
    if fill:
        fill_table(name, markdown)


def table_options(parser, name: str) -> None:
    """A bench script's ``--table`` (print the table of the saved results, run nothing) and ``--readme`` (also write
    it between the ``name`` markers)."""
    parser.add_argument("--table", action="store_true", help="only print the table of the saved results")
    parser.add_argument("--readme", action="store_true", help=f"fill the table between the {name} markers")
