"""Where things are (issue 23, "the house"): the command line is one package, the library never imports it, and no
two modules import each other (a circle, even through a function-level import, is found here, not at run time)."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ganzoo"


def _modules() -> dict[str, tuple[Path, bool]]:
    """``{dotted name: (file, is a package)}`` of every module of ganzoo."""
    out = {}
    for f in sorted(PACKAGE.rglob("*.py")):
        parts = list(f.relative_to(ROOT).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_pkg else parts)] = (f, is_pkg)
    return out


def _imports() -> dict[str, set[str]]:
    """Which ganzoo modules each ganzoo module imports, at module level or inside functions (``if TYPE_CHECKING``
    blocks excluded). ``from pkg import name`` counts as importing ``pkg.name`` when that is a module, else ``pkg``."""
    modules = _modules()

    def owner(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, (path, is_pkg) in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        skip = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in
                ast.unparse(node.test) for n in ast.walk(node)}
        package = name if is_pkg else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, ast.Import):
                targets |= {owner(a.name) for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                targets |= {owner(f"{base}.{a.name}") if f"{base}.{a.name}" in modules else owner(base)
                            for a in node.names}
        graph[name] = {t for t in targets if t and t != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_two_ganzoo_modules_import_each_other():
    """A package importing its own submodules (``ganzoo/__init__.py`` the sampling path, a submodule its package's
    name) is how packages are built, not a circle; every other circle is reported."""
    graph = {m: {t for t in ts if not m.startswith(t + ".")} for m, ts in _imports().items()}
    assert "ganzoo.training.report" in graph["ganzoo.training.latent_gan"]  # the parser sees function-level imports
    assert _cycles(graph) == []


def test_the_library_never_imports_the_command_line():
    """Layers: data -> nets -> pieces -> training -> export/hub -> sampling -> cli; only ganzoo.cli imports ganzoo.cli
    (sample grids and image folders are read and written by ganzoo.sampling)."""
    offenders = {m: sorted(t for t in ts if t.startswith("ganzoo.cli")) for m, ts in _imports().items()
                 if not (m == "ganzoo.cli" or m.startswith("ganzoo.cli."))}
    assert {m: ts for m, ts in offenders.items() if ts} == {}


OLD = ("cli_errors", "fit_cli", "eval_cli", "sample_cli", "search_cli", "translate_cli", "translation",
       "training.base", "training.module", "training.schedule", "variants.base")  # issue 38: named for what they hold


@pytest.mark.parametrize("old", OLD)
def test_the_old_module_paths_are_gone(old):
    assert not (PACKAGE / f"{old.replace('.', '/')}.py").exists()
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(f"ganzoo.{old}")


def test_the_training_hierarchy_is_one_base_two_kinds_and_the_variants():
    """GanModule -> {LatentGAN, TranslationGAN} -> variants: every variant's parent is one of the two kinds."""
    import ganzoo
    from ganzoo.training import LatentGAN, TranslationGAN
    from ganzoo.training.gan_module import GanModule

    assert LatentGAN.__bases__ == (GanModule,) and TranslationGAN.__bases__ == (GanModule,)
    for name in ganzoo.list_variants():
        cls = ganzoo.variants.get_variant(name)
        assert cls.__bases__ in ((LatentGAN,), (TranslationGAN,)), name
        assert "paper" in vars(cls), f"{name}: its paper's defaults are stated in a paper"


def test_one_module_per_subcommand_and_python_dash_m_runs_the_command():
    from ganzoo.cli import SUBCOMMANDS

    names = sorted(p.stem for p in (PACKAGE / "cli").glob("*.py"))
    modules = [m.rsplit(".", 1)[1] for m in SUBCOMMANDS.values()]
    assert all(m == f"ganzoo.cli.{c}" for c, m in SUBCOMMANDS.items())  # the command is the module's name
    assert names == sorted(["__init__", "__main__", "errors", "fit", *modules])
    assert not (PACKAGE / "training" / "translation.py").exists()  # training: translation_gan; inference: translators
    p = subprocess.run([sys.executable, "-m", "ganzoo.cli", "--help"], capture_output=True, text=True, timeout=120,
                       cwd=ROOT)
    assert p.returncode == 0 and p.stdout.startswith(f"usage: ganzoo {{fit,{','.join(SUBCOMMANDS)},list}}"), p


BENCH = ROOT / "bench"


def test_bench_scripts_are_modules_of_packages_and_never_edit_sys_path():
    """bench/ (issue 38): every script is a module of a package (``bench.zoo``, ``bench.perf``, ``bench.quality``),
    run from the repository root as ``python -m bench.<package>.<module>``, so ``import ganzoo`` and ``import bench``
    need no path edits; the shared helpers are ``bench/common.py``."""
    folders = sorted({p.parent for p in BENCH.rglob("*.py")})
    assert {f.relative_to(BENCH).as_posix() for f in folders} >= {".", "zoo", "perf", "quality"}
    assert [f for f in folders if not (f / "__init__.py").is_file()] == []
    assert [p.relative_to(ROOT).as_posix() for p in BENCH.rglob("*.py") if "sys.path" in p.read_text()] == []
    assert sorted(p.name for p in BENCH.glob("*.py")) == ["__init__.py", "common.py"]  # no script at the top
