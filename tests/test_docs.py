"""The documentation as code: every Python example of the docs and the README runs, every docstring example runs,
every relative link resolves, every repository path the docs name exists, and the zoo page is current.

The Python blocks of a page (fenced ```` ```python ````) run in order in one namespace, in a fresh working folder,
offline. A block right after a ``<!-- not run: REASON -->`` line is skipped (it needs the network, a GPU or hours);
the ``ganzoo`` commands of the shell blocks (```` ```bash ````) of the README and the how-tos run in
tests/test_docs_commands.py, and the recipes, scripts and files any shell block names must exist.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import re
import sys
import time
from pathlib import Path

import pytest

import ganzoo

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
NOT_RUN = re.compile(r"<!--\s*not run:\s*\S[^>]*-->\s*$")


def doc_pages() -> list[Path]:
    return [README, *sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.relative_to(DOCS).parts)]


def _name(page: Path) -> str:
    return str(page.relative_to(ROOT))


def _fences(text: str) -> list[tuple[str, int, int]]:
    """``(info string, opening line, closing line)`` of each top-level fenced block (0-based line numbers); a fence
    closes at a line of at least as many backticks, so a ```` ```` ```` block can show a ```` ``` ```` one."""
    lines, out, i = text.split("\n"), [], 0
    while i < len(lines):
        m = re.match(r"(`{3,})([^`]*)$", lines[i])
        if not m:
            i += 1
            continue
        j = i + 1
        while j < len(lines) and not re.fullmatch(rf"`{{{len(m.group(1))},}}[ \t]*", lines[j]):
            j += 1
        out.append((m.group(2).strip(), i, j))
        i = j + 1
    return out


def code_blocks(page: Path) -> list[tuple[str, int, str, bool]]:
    """``(language, first line, code, run)`` for each fenced block at the start of a line."""
    lines = page.read_text(encoding="utf-8").split("\n")
    out = []
    for info, start, end in _fences("\n".join(lines)):
        before = next((line for line in reversed(lines[:start]) if line.strip()), "")
        out.append((info.split(" ")[0], start + 2, "\n".join(lines[start + 1:end]) + "\n",
                    not NOT_RUN.search(before)))
    return out


def prose(page: Path) -> str:
    """The page without its fenced blocks."""
    lines = page.read_text(encoding="utf-8").split("\n")
    for _, start, end in reversed(_fences("\n".join(lines))):
        del lines[start:end + 1]
    return "\n".join(lines)


def _python_pages() -> list[Path]:
    return [p for p in doc_pages() if any(lang == "python" for lang, *_ in code_blocks(p))]


@pytest.fixture
def offline_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("GANZOO_DATA", str(tmp_path / "data"))  # nothing may be downloaded
    return tmp_path


@pytest.fixture
def registries():
    """The examples may register a variant, an architecture or a piece: the registries are restored afterwards."""
    from ganzoo import constraints, objectives, registry
    from ganzoo.variants import registry as base

    tables = [base._VARIANTS, registry._MODELS, objectives.OBJECTIVES, constraints.CONSTRAINTS]
    saved = [dict(t) for t in tables]
    yield
    for table, copy in zip(tables, saved, strict=True):
        table.clear()
        table.update(copy)


@pytest.mark.parametrize("page", _python_pages(), ids=_name)
def test_python_examples_run(page, offline_folder, registries):
    import lightning as L
    import torch

    L.seed_everything(0, verbose=False)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny networks: one thread is faster, and steady on a busy machine
    namespace: dict = {"__name__": "__docs__"}
    ran = 0
    cpu = time.process_time()
    try:
        for lang, line, code, run in code_blocks(page):
            if lang == "python" and run:
                exec(compile(code, f"{_name(page)}:{line}", "exec"), namespace)
                ran += 1
    finally:
        torch.set_num_threads(threads)
    assert ran, f"{_name(page)}: every Python example is marked 'not run'"
    seconds = time.process_time() - cpu
    print(f"{_name(page)}: {ran} examples, {seconds:.1f} s CPU")
    assert seconds < 30, f"{_name(page)}: the examples took {seconds:.0f} s of CPU time; keep them tiny"


def test_every_not_run_block_says_why():
    for page in doc_pages():
        for m in re.finditer(r"<!--\s*not run\b(.*?)-->", page.read_text(encoding="utf-8")):
            assert m.group(1).strip(" :"), f"{_name(page)}: 'not run' without a reason"


# ----------------------------------------------------------------------------------------------- links and paths
LINK = re.compile(r"(?<!\\)!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def _anchors(page: Path) -> set[str]:
    """GitHub's (and MyST's, with ``myst_heading_anchors``) anchors of the headings of a Markdown page."""
    text = prose(page)
    out = set()
    for title in re.findall(r"^#{1,6} +(.+?) *#*$", text, flags=re.M):
        title = re.sub(r"`|\*\*|\[([^\]]*)\]\([^)]*\)", lambda m: m.group(1) or "", title)
        out.add(re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-"))
    return out


def test_every_relative_link_and_image_resolves():
    bad = []
    for page in doc_pages():
        for target in LINK.findall(prose(page)):
            if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
                continue
            path, _, anchor = target.partition("#")
            dest = (page.parent / path).resolve() if path else page
            if not dest.exists():
                bad.append(f"{_name(page)}: {target} (no such file)")
            elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
                bad.append(f"{_name(page)}: {target} (no heading with that anchor in {dest.name})")
    assert not bad, "broken links:\n" + "\n".join(bad)


REPO_PATH = re.compile(r"(?<![\w/.-])((?:recipes|bench|tests|docs|model_cards|ganzoo)/[\w./-]*\w/?)")
EXAMPLE_PATHS = ("wgan_lp",)  # docs/howto/add-variant.md's example variant: files a reader would create


def test_every_repository_path_the_docs_name_exists():
    """``recipes/...yaml``, ``bench/...py``, ``tests/...py``, ... in the prose and the shell examples."""
    bad = []
    for page in doc_pages():
        for path in set(REPO_PATH.findall(page.read_text(encoding="utf-8"))):
            if path.startswith("docs/_build") or any(name in path for name in EXAMPLE_PATHS):
                continue
            if not path.endswith("/") and "." not in path.rsplit("/", 1)[-1]:
                continue  # not a file or folder name (a Hub id such as ganzoo/dcgan-fashion_mnist)
            if not (ROOT / path).exists():
                bad.append(f"{_name(page)}: {path}")
    assert not bad, "paths that do not exist:\n" + "\n".join(sorted(bad))


def test_docs_pages_are_all_in_the_site():
    """Every page is reachable from a toctree (Sphinx would warn; this runs without Sphinx)."""
    listed = set()
    for page in doc_pages()[1:]:
        for block in re.findall(r"^```\{toctree\}\n(.*?)^```", page.read_text(encoding="utf-8"), flags=re.M | re.S):
            for line in block.splitlines():
                if line.strip() and not line.startswith(":"):
                    listed.add((page.parent / line.strip()).with_suffix(".md").resolve())
    pages = {p.resolve() for p in doc_pages()[1:]} - {(DOCS / "index.md").resolve()}
    assert not pages - listed, sorted(str(p.relative_to(ROOT)) for p in pages - listed)


# ----------------------------------------------------------------------------------------------- generated pages
def test_the_zoo_page_is_generated_from_the_cards():
    sys.path.insert(0, str(DOCS))
    try:
        import zoo_page
    finally:
        sys.path.remove(str(DOCS))
    assert (DOCS / "zoo.md").read_text(encoding="utf-8") == zoo_page.render(), \
        "docs/zoo.md is stale: run python docs/zoo_page.py (or python -m bench.zoo.leaderboard)"


def test_each_benchmark_table_has_one_home():
    from bench.common import holders

    for name in ("fmnist", "toy2d", "translation", "search", "speed", "speed-gpu", "ddp", "fgan-images"):
        assert [p.relative_to(ROOT).as_posix() for p in holders(name)] == ["docs/benchmarks.md"], name
    assert [p.relative_to(ROOT).as_posix() for p in holders("zoo")] == ["README.md"]


# ----------------------------------------------------------------------------------------------- docstrings
def _modules() -> list[str]:
    names = ["ganzoo"]
    for info in pkgutil.walk_packages(ganzoo.__path__, "ganzoo."):
        if not info.name.endswith(".__main__"):  # importing it runs the command
            names.append(info.name)
    return names


def _docstring_tests() -> list[doctest.DocTest]:
    """The docstrings of the package that hold ``>>>`` examples, named ``module.qualname``."""
    finder = doctest.DocTestFinder(exclude_empty=True)
    # each example sees its module's globals, as pytest's doctests do
    return [test for name in _modules() for test in finder.find(importlib.import_module(name), name) if test.examples]


def test_docstring_examples_run(offline_folder):
    """Every ``>>>`` example in a docstring of the package runs and prints what it says."""
    import torch

    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    failed: list[str] = []
    tests = _docstring_tests()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as for the pages' examples: tiny networks, steady on a busy machine
    cpu = time.process_time()
    try:
        for test in tests:
            runner.run(test, out=failed.append)
    finally:
        torch.set_num_threads(threads)
    seconds = time.process_time() - cpu
    assert not failed, "".join(failed)
    print(f"{sum(len(t.examples) for t in tests)} examples in {len(tests)} docstrings, {seconds:.1f} s CPU")
    assert seconds < 30, f"the docstring examples took {seconds:.0f} s of CPU time; keep them tiny"


# ganzoo.<name>; evaluate is the function behind `ganzoo eval` (there is no top-level ganzoo.evaluate)
PUBLIC_API = ("ganzoo.load", "ganzoo.sample", "ganzoo.interpolate", "ganzoo.search", "ganzoo.project",
              "ganzoo.translate", "ganzoo.metrics.images.evaluate", "ganzoo.metrics.copying.copy_check")


def test_the_public_api_and_every_registered_piece_has_a_docstring_example():
    """The public API, every registered variant, every objective and every constraint has an ``Example:`` that
    ``test_docstring_examples_run`` runs; a variant, objective or constraint registered without one fails here."""
    from ganzoo.constraints import CONSTRAINTS
    from ganzoo.objectives import OBJECTIVES
    from ganzoo.variants import get_variant, list_variants

    def cls(entry):  # a registry's entry is a class, or a factory of the paper's instance ("minimax", "f-kl", ...)
        return entry if isinstance(entry, type) else type(entry())

    objects = {path: getattr(importlib.import_module(path.rpartition(".")[0]), path.rpartition(".")[2])
               for path in PUBLIC_API}
    objects |= {f"variant {n!r}": get_variant(n) for n in list_variants()}
    objects |= {f"objective {n!r}": cls(entry) for n, entry in OBJECTIVES.items()}
    objects |= {f"constraint {n!r}": cls(entry) for n, entry in CONSTRAINTS.items()}
    run = {test.name for test in _docstring_tests()}
    missing = [f"{label}: {obj.__module__}.{obj.__qualname__}" for label, obj in objects.items()
               if f"{obj.__module__}.{obj.__qualname__}" not in run]
    assert not missing, "no runnable '>>>' example in the docstring of:\n" + "\n".join(missing)


def test_the_docs_variant_table_is_the_readmes():
    """docs/index.md repeats the README's variant table (tests/test_registries.py checks it against the registry)."""
    def rows(text: str) -> list[str]:
        return re.findall(r"^\| `\w+` \|.*$", text, flags=re.M)

    readme = rows(README.read_text(encoding="utf-8").split("## Set-up")[0])
    assert readme and rows((DOCS / "index.md").read_text(encoding="utf-8")) == readme


def test_small_data_table_in_the_how_to_is_the_committed_results():
    """The small-data how-to's table is ``bench.quality.small_data.table`` of ``bench/results/small_data.json`` (issue
    37): results changed without ``python -m bench.quality.small_data --table --readme`` leave it stale."""
    import json

    from bench.common import read_table
    from bench.quality import small_data

    res = json.loads(small_data.RESULTS.read_text())
    assert set(res) <= set(small_data.PLAN), sorted(set(res) - set(small_data.PLAN))
    assert read_table("small-data") == small_data.table(res)
    assert small_data.FIGURE.is_file()
