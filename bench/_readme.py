"""Shared by the bench scripts: replace the README table between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def fill_table(name: str, markdown: str, readme: Path = README) -> None:
    text = readme.read_text()
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if start not in text or end not in text:
        raise SystemExit(f"{readme} has no {start} / {end} markers")
    readme.write_text(re.sub(f"{re.escape(start)}.*{re.escape(end)}", lambda _: f"{start}\n{markdown}\n{end}", text,
                             flags=re.S))
