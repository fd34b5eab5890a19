"""``ganzoo`` command line: :func:`main` dispatches to one module per subcommand.

Each inference subcommand (``sample``, ``search``, ``translate``, ``eval``, ``stats``, ``project``, ``demo``,
``list``) is one typed function, ``ganzoo.cli.<command>.<command>_command`` (``list_command`` here), that is both the
Python API of the command and its parser: :func:`command_parser` builds the parser with jsonargparse from the
function's signature (options, types, defaults) and docstring (the description and each option's help, its
``Args:`` section); ``ganzoo --help`` lists each command with the first line of its docstring and the example of its
``Examples:`` section. ``ganzoo fit`` is Lightning's CLI (:mod:`ganzoo.cli.fit`, ``GanzooCLI``); its line in
``ganzoo --help`` comes from that module's docstring. :mod:`ganzoo.cli.errors` turns its bad values into one or two
lines.

``python -m ganzoo.cli ...`` runs the same command (:mod:`ganzoo.cli.__main__`).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from typing import Any

# Subcommands other than fit and list: each module has ``<command>_command``, ``_parser()`` and ``main(argv)`` and is
# imported only when its command runs (``ganzoo sample`` does not import Lightning).
SUBCOMMANDS = {
    "sample": "ganzoo.cli.sample",
    "search": "ganzoo.cli.search",
    "translate": "ganzoo.cli.translate",
    "eval": "ganzoo.cli.eval",
    "stats": "ganzoo.cli.stats",
    "project": "ganzoo.cli.project",
    "demo": "ganzoo.cli.demo",
}
HELP_INDENT = 17  # the column of each command's description in ``ganzoo --help``


def __getattr__(name: str) -> Any:
    if name == "GanzooCLI":  # imported lazily: it pulls in Lightning
        from ganzoo.cli.fit import GanzooCLI

        return GanzooCLI
    if name == "USAGE":  # generated on demand: it imports every subcommand's module
        return usage()
    raise AttributeError(f"module 'ganzoo.cli' has no attribute {name!r}")


def list_command() -> None:
    """The zoo's pretrained entries and their scores (the README's leaderboard).

    Examples:
        ganzoo list
    """
    from ganzoo.zoo import leaderboard

    print(leaderboard())


# ------------------------------------------------------------------------------------------ parsers from functions
def command_parser(function: Callable, *, argparse_style: dict[str, dict] | None = None):
    """The parser of ``ganzoo <command>`` for ``function`` (named ``<command>_command``), built by jsonargparse from
    its signature and docstring: parameters without a default are positional (``MODEL``), keyword-only ones
    without a default are required options (``--input``), the others options with the function's default.

    ``argparse_style`` names the parameters that keep the argparse spelling the command has always had, which
    jsonargparse does not generate: ``{"labels": {"nargs": "+"}}`` (``--labels 1 2`` rather than ``--labels
    [1,2]``), ``{"nargs": 2}``, ``{"action": "store_true"}`` (a bare flag), ``{"option": "--nearest-grid"}`` (a
    dash in the name), ``{"nargs": "?"}`` for a positional that may be left out (a parameter with a default that
    is not keyword-only). Float parameters are always read so (``float()``: ``nan`` and ``inf`` are numbers). Their
    help and default still come from the function; the element type of a list or tuple from its annotation.
    """
    import inspect
    import typing

    from docstring_parser import parse
    from jsonargparse import ArgumentParser

    name = function.__name__.removesuffix("_command")
    doc = parse(inspect.getdoc(function) or "")
    description = "\n\n".join(t for t in (doc.short_description, doc.long_description) if t)
    # exit_on_error=False: run() reports a bad command line as argparse did, usage and "ganzoo NAME: error: ...",
    # in one or two lines (jsonargparse's own report spreads a type error over several)
    parser = ArgumentParser(prog=f"ganzoo {name}", description=description, exit_on_error=False)
    params = inspect.signature(function).parameters
    hints = typing.get_type_hints(function)
    # floats are read by Python's float() as argparse read them: jsonargparse reads YAML, where "nan" and "inf" are
    # strings, and the commands' own checks name those values in one line ("--truncation must be a finite number")
    floats = {k: {} for k, h in hints.items() if k in params and h in (float, float | None)}
    special = {**floats, **(argparse_style or {})}
    parser.add_function_arguments(function, as_group=False, as_positional=True, skip=set(special))
    helps = {p.arg_name: p.description for p in doc.params}
    for key, style in special.items():
        style = dict(style)
        param = params[key]
        kwargs: dict[str, Any] = {"help": helps.get(key)}
        if param.default is not inspect.Parameter.empty:
            kwargs["default"] = param.default
        if style.get("action") is None:
            kind = _element_type(hints[key])
            kwargs["type"] = _float if kind is float else kind
        option = style.pop("option", f"--{key}")
        positional = param.kind is not inspect.Parameter.KEYWORD_ONLY and (
            param.default is inspect.Parameter.empty or style.get("nargs") == "?")
        if positional:
            parser.add_argument(key, **kwargs, **style)
        else:
            parser.add_argument(option, dest=key, **kwargs, **style)
    return parser


class _Float:
    """Python's ``float()``, as argparse applies it (jsonargparse would read a ``type=float`` argument as YAML);
    named ``float`` in the help and in argparse's message ("invalid float value: 'abc'")."""

    __name__ = "float"

    def __call__(self, text: str) -> float:
        return float(text)

    def __repr__(self) -> str:
        return "float"


_float = _Float()


def _element_type(hint: Any) -> type:
    """``int`` for ``list[int] | None``, ``tuple[int, int]`` or ``int``; ``str`` for ``str | None``."""
    import types
    import typing

    union = typing.get_origin(hint) in (typing.Union, types.UnionType)
    args = [a for a in typing.get_args(hint) if a is not type(None)] if union else [hint]
    inner = typing.get_args(args[0])
    return inner[0] if inner else args[0]


def run(function: Callable, parser, argv: list[str] | None) -> Any:
    """Parse ``argv`` with ``parser`` (made by :func:`command_parser` from ``function``) and call ``function``."""
    import inspect
    from argparse import ArgumentError

    try:
        cfg = parser.parse_args(argv)
    except ArgumentError as e:  # a bad command line: usage and one or two lines, exit status 2
        from ganzoo.cli.errors import describe, exit_with

        parser.print_usage(sys.stderr)
        exit_with(parser.prog, describe(e))
    return function(**{k: cfg[k] for k in inspect.signature(function).parameters})


# ---------------------------------------------------------------------------------------------- ganzoo --help
def _summary(function_or_doc: Callable | str | None) -> tuple[str, list[str]]:
    """The first line of a docstring and the lines of its ``Examples:`` section."""
    import inspect

    from docstring_parser import parse

    text = function_or_doc if isinstance(function_or_doc, str) or function_or_doc is None else \
        inspect.getdoc(function_or_doc)
    doc = parse(text or "")
    examples = [line.strip() for e in doc.examples for line in (e.description or "").splitlines() if line.strip()]
    return (doc.short_description or "").rstrip("."), examples


def _fit_docstring() -> str | None:
    """:mod:`ganzoo.cli.fit`'s docstring, read without importing it (that would import Lightning)."""
    import ast
    import importlib.util

    spec = importlib.util.find_spec("ganzoo.cli.fit")
    with open(spec.origin, encoding="utf-8") as f:
        return ast.get_docstring(ast.parse(f.read()))


def usage() -> str:
    """``ganzoo --help``: each subcommand's example and description, from its function's (fit: its module's)
    docstring."""
    import importlib

    names = ["fit", *SUBCOMMANDS, "list"]
    lines = [f"usage: ganzoo {{{','.join(names)}}} ...", ""]
    for name in names:
        if name == "fit":
            source: Any = _fit_docstring()
        elif name == "list":
            source = list_command
        else:
            source = getattr(importlib.import_module(SUBCOMMANDS[name]), f"{name}_command")
        summary, examples = _summary(source)
        lines += [f"  {e}" for e in examples or [f"ganzoo {name}"]]
        lines.append(f"{' ' * HELP_INDENT}{summary[:1].lower()}{summary[1:]} (see: ganzoo {name} --help)")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------- the command
def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``ganzoo`` command; ``argv`` defaults to ``sys.argv[1:]``. Returns nothing: the console
    script exits with what it returns."""
    from_sys = argv is None
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in SUBCOMMANDS:
        import importlib

        importlib.import_module(SUBCOMMANDS[argv[0]]).main(argv[1:])
        return
    if argv and argv[0] == "list":
        if argv[1:] and argv[1] not in ("-h", "--help"):  # as before the generated parser: one line, exit status 1
            raise SystemExit("ganzoo list takes no arguments")
        run(list_command, command_parser(list_command), argv[1:])
        return
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return
    warnings.filterwarnings("ignore", message=".*does not have many workers.*")
    warnings.filterwarnings("ignore", message=".*LitLogger.*")
    from argparse import ArgumentError

    from ganzoo.cli.errors import EXIT_FAILURE, CommandError, ConfigError, describe, exit_with
    from ganzoo.cli.fit import GanzooCLI

    try:
        GanzooCLI(args=None if from_sys else argv)  # None: LightningCLI reads sys.argv itself (no warning)
    except CommandError as e:
        if not from_sys:
            raise
        sys.stderr.write(f"ganzoo {argv[0]}: error: {e}\n")
        sys.exit(EXIT_FAILURE)
    except (ConfigError, ArgumentError) as e:
        message = str(e) if isinstance(e, ConfigError) else describe(e)
        if not from_sys:  # called from Python: an exception, not an exit
            raise ConfigError(message) from None
        exit_with(f"ganzoo {argv[0]}", message)
    finally:
        _end_process_group()


def _end_process_group() -> None:
    """Close a DDP run's process group before the interpreter exits: left to the exit, gloo's threads abort some
    finished runs ('terminate called without an active exception', exit status 134)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def api_defaults(function: Callable) -> dict[str, Any]:
    """The defaults of ``function``'s parameters: a command's options take the defaults of the Python function it
    calls from here (one source of defaults)."""
    import inspect

    return {k: p.default for k, p in inspect.signature(function).parameters.items()
            if p.default is not inspect.Parameter.empty}
