"""One- or two-line errors for bad recipe or command-line values of ``ganzoo fit`` (exit code 2).

jsonargparse reports a bad value of a subclass-mode argument (``--model``, ``--data``) as "Does not validate
against any of the Union subtypes" with the real message buried in a list, after a 70-line traceback. This
module digs the real message out and names the option it belongs to, with a did-you-mean for unknown keys.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import re
import sys
from typing import Any, NoReturn

EXIT_USAGE = 2  # argparse's exit status for a usage error


class ConfigError(ValueError):
    """A bad recipe or command-line value; ``str(e)`` is the whole message (the console prints no traceback)."""


class CommandError(RuntimeError):
    """An expected failure after the command started (a dataset that is neither there nor downloadable, an upload
    without network); ``str(e)`` is the whole message: the console prints it without a traceback, exit code 1."""


EXIT_FAILURE = 1


def _accepted(class_path: str) -> list[str]:
    """Constructor argument names of ``class_path`` and of the classes whose ``**kwargs`` it forwards to."""
    try:
        mod, _, name = class_path.rpartition(".")
        cls = getattr(importlib.import_module(mod), name)
    except (ImportError, AttributeError, ValueError):
        return []
    names: list[str] = []
    for klass in inspect.getmro(cls):
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            params = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):
            continue
        names += [p.name for p in params if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        if not any(p.kind == p.VAR_KEYWORD for p in params):
            break
    return list(dict.fromkeys(names))


def _real_errors(message: str) -> list[str]:
    """The informative lines of a jsonargparse Union error (drops "Expected a <class 'NoneType'>" etc.)."""
    out = []
    for line in message.splitlines():
        s = line.strip().lstrip("- ").strip()
        if not s or s.startswith(("Subtypes:", "Errors:", "Given value", "Does not validate", "Parser key",
                                  "Expected a <class 'NoneType'>", "tip:", "usage:")):
            continue
        out.append(s)
    return out


def describe(exc: BaseException, config: Any = None) -> str:
    """A short message for a parse or instantiation error, naming the option where it can be found."""
    message = str(exc).strip()
    group = None
    m = re.search(r'Parser key "(\w+)"', message)
    if m:
        group = m.group(1)
    unknown = re.search(r"Problem with given class_path '([\w.]+)':\s*Option '(\w+)' is not accepted", message)
    if unknown:
        class_path, key = unknown.groups()
        where = f"--{group}.init_args.{key}" if group else key
        accepted = _accepted(class_path)
        close = difflib.get_close_matches(key, accepted, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"{where}: {class_path} has no argument '{key}'{hint}\n  accepted: {', '.join(accepted)}"
    m = re.search(r"invalid choice: '?(\w+)'?", message)
    if m and "choose from" in message:
        return f"'{m.group(1)}' is not a ganzoo fit subcommand; the training subcommand is 'fit' (also: sample, " \
               f"eval, translate; see ganzoo --help)"
    lines = _real_errors(message) or [message.splitlines()[0] if message else type(exc).__name__]
    first = _plain_type_error(lines[0])
    option = _option_for(first, config) or (f"--{group}" if group else None)
    return f"{option}: {first}" if option and not first.startswith(option) else first


_TYPE_WORDS = {"int": "an integer", "float": "a number", "str": "a string", "bool": "true or false"}


def _plain_type_error(line: str) -> str:
    """jsonargparse's "Expected a <class 'int'>. Got value: abc" and "Expected a typing.Literal['rq', 'rbf']. Got
    value: foo" as "expects an integer, got 'abc'" and "must be one of rq, rbf, got 'foo'"."""
    m = re.search(r"Expected a <class '(\w+)'>\. Got value: (.*)$", line)
    if m and m.group(1) in _TYPE_WORDS:
        return line[:m.start()] + f"expects {_TYPE_WORDS[m.group(1)]}, got {m.group(2).strip()!r}"
    m = re.search(r"Expected a typing\.Literal\[(.*)\]\. Got value: (.*)$", line)
    if m:
        choices = ", ".join(c.strip().strip("'\"") for c in m.group(1).split(","))
        return line[:m.start()] + f"must be one of {choices}, got {m.group(2).strip()!r}"
    return line


def _option_for(message: str, config: Any) -> str | None:
    """``--model.init_args.<key>`` / ``--data.init_args.<key>`` for the first init argument the message names."""
    if config is None:
        return None
    best: tuple[int, str] | None = None
    for group in ("model", "data"):
        try:
            init_args = config[group]["init_args"]
            keys = list(init_args.keys()) if hasattr(init_args, "keys") else list(vars(init_args))
        except (KeyError, TypeError, AttributeError):
            continue
        for key in keys:
            m = re.search(rf"(?<![\w.]){re.escape(key)}(?!\w)", message)
            if m and (best is None or m.start() < best[0]):
                best = (m.start(), f"--{group}.init_args.{key}")
    return best[1] if best else None


def exit_with(prog: str, message: str) -> NoReturn:
    sys.stderr.write(f"{prog}: error: {message}\n")
    sys.exit(EXIT_USAGE)
