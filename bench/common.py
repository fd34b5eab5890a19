"""What the bench scripts share: the machine a result comes from, the stamp a result file carries, and the measured
tables of the docs.

* **Machine**: :func:`hardware` (the words of a card's "trained on" line: the GPU's name from ``nvidia-smi``, else
  the CPU's with its core count), :func:`cpu_name` and :func:`cpu_threads` (ganzoo's own detection,
  ``ganzoo.hardware``, which training and the cards use too).
* **Stamp**: :func:`stamp`, what a result file records about how it was made: the commit, the versions, the command
  line and the machine.
* **Tables**: a measured table lives between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` in ``README.md`` or
  ``docs/**/*.md`` (``docs/benchmarks.md`` holds most of them, the README the zoo's leaderboard). :func:`fill_table`
  writes every page that holds the markers, :func:`publish` prints a table and fills it on ``--readme``,
  :func:`table_options` gives a script its ``--table`` and ``--readme``.

Importing this module is light (no torch, no Lightning): the tests read the tables through it.
"""

from __future__ import annotations

import importlib.metadata
import platform
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "bench" / "results"
README = ROOT / "README.md"
DOCS = ROOT / "docs"


# ---------------------------------------------------------------------------------------------- machine
def cpu_name() -> str:
    """The CPU's model name with its bf16 instructions, e.g. ``"Intel(R) Xeon(R) Processor (no bf16)"``
    (:func:`ganzoo.hardware.cpu_name`)."""
    from ganzoo.hardware import cpu_name as name

    return name()


def cpu_threads(processes: int = 1) -> int:
    """The cores this process may run on, shared by ``processes`` processes (:func:`ganzoo.hardware.cpu_threads`:
    the torch threads ganzoo gives a CPU training)."""
    from ganzoo.hardware import cpu_threads as threads

    return threads(processes)


def hardware(accelerator: str | None = None) -> str:
    """The machine a run trains on, in words: ``"1x <GPU name>"`` (from nvidia-smi) for ``accelerator`` ``"gpu"`` or
    ``"cuda"``, else ``"CPU: <name>, <n> cores"`` (the cores this process may run on)."""
    if accelerator in ("gpu", "cuda"):
        try:
            out = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True,
                                 text=True, timeout=30).stdout.strip().splitlines()
            if out:
                return f"1x {out[0]}"
        except (OSError, subprocess.SubprocessError):
            pass
    n = cpu_threads()
    return f"CPU: {cpu_name()}, {n} core{'s' * (n != 1)}"


# ---------------------------------------------------------------------------------------------- stamp
def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _git(*args: str) -> str | None:
    try:
        p = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return p.stdout.strip() if p.returncode == 0 else None


def command(argv: list[str] | None = None) -> str:
    """The command line that runs this process: ``python -m MODULE ARGS`` (``argv``: the arguments, default
    ``sys.argv[1:]``)."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    program = f"python -m {spec.name}" if spec is not None else f"python {sys.argv[0]}"
    return " ".join([program, *map(shlex.quote, sys.argv[1:] if argv is None else argv)])


def stamp(argv: list[str] | None = None, accelerator: str | None = None) -> dict[str, Any]:
    """How a result was made, for its JSON: the checkout's commit (``dirty`` when tracked files have changes that are
    not committed), the Python, PyTorch, Lightning and ganzoo versions, the command line (:func:`command`) and the
    machine (:func:`hardware`)."""
    commit = _git("rev-parse", "--short", "HEAD")
    return {
        "commit": commit, "dirty": bool(_git("status", "--porcelain", "--untracked-files=no")) if commit else None,
        "python": platform.python_version(), "torch": _version("torch"), "lightning": _version("lightning"),
        "ganzoo": _ganzoo_version(), "command": command(argv), "machine": hardware(accelerator),
    }


def _ganzoo_version() -> str | None:
    import ganzoo

    return getattr(ganzoo, "__version__", None)


# ---------------------------------------------------------------------------------------------- tables
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
