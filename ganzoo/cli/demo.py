"""``ganzoo demo [--host 127.0.0.1] [--port 7860] [--share]``: the zoo as a local Gradio web app.

Serves :func:`ganzoo.demo.build_demo` (tabs Sample, Interpolate, More like these, Project, Translate) on the CPU,
offline, and prints its URL; Ctrl+C stops it. Needs the ``ganzoo[demo]`` extra (Gradio).
"""

from __future__ import annotations

import os

from ganzoo.cli import api_defaults, command_parser, run
from ganzoo.demo import launch  # imports Gradio only when the app is built

_API = api_defaults(launch)


def demo_command(host: str = _API["host"], port: int | None = _API["port"], share: bool = _API["share"]) -> None:
    """A local web app of the zoo (Gradio; needs ganzoo[demo]).

    Sample, interpolate, search, project and translate in the browser; pip install 'ganzoo[demo]'. Serves until
    interrupted (Ctrl+C).

    Args:
        host: address to serve on (127.0.0.1: this computer only; 0.0.0.0 for the network)
        port: port (default: the first free one from 7860)
        share: also ask Gradio for a temporary public link (needs the network; off by default)

    Examples:
        ganzoo demo
    """
    if port is not None and not 1 <= port <= 65535:
        raise SystemExit(f"ganzoo demo: --port must be in [1, 65535], got {port}")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    try:
        import gradio  # noqa: F401
    except ImportError:
        raise SystemExit("ganzoo demo: Gradio is not installed; pip install 'ganzoo[demo]'") from None
    try:
        launch(host, port, share)
    except OSError as e:  # the port is taken, the host cannot be bound
        raise SystemExit(f"ganzoo demo: cannot serve on {host}:{port}: {e}") from None
    except KeyboardInterrupt:
        pass


def _parser():
    # --share stays a bare flag, as argparse's store_true had it (jsonargparse would want --share true)
    return command_parser(demo_command, argparse_style={"share": {"action": "store_true"}})


def main(argv: list[str] | None = None) -> None:
    """Run ``ganzoo demo`` until interrupted."""
    run(demo_command, _parser(), argv)


if __name__ == "__main__":
    main()
