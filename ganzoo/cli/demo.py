"""``ganzoo demo [--host 127.0.0.1] [--port 7860] [--share]``: the zoo as a local Gradio web app.

Serves :func:`ganzoo.demo.build_demo` (tabs Sample, Interpolate, More like these, Project, Translate) on the CPU,
offline, and prints its URL; Ctrl+C stops it. Needs the ``ganzoo[demo]`` extra (Gradio).
"""

from __future__ import annotations

import argparse
import os


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ganzoo demo",
        description="A local web app of the zoo: sample, interpolate, search, project, translate (Gradio; needs "
                    "pip install 'ganzoo[demo]').",
    )
    p.add_argument("--host", default="127.0.0.1",
                   help="address to serve on (default 127.0.0.1, this computer only; 0.0.0.0 for the network)")
    p.add_argument("--port", type=int, default=None, help="port (default: the first free one from 7860)")
    p.add_argument("--share", action="store_true",
                   help="also ask Gradio for a temporary public link (needs the network; off by default)")
    return p


def main(argv: list[str] | None = None) -> None:
    """Run ``ganzoo demo`` until interrupted."""
    args = _parser().parse_args(argv)
    if args.port is not None and not 1 <= args.port <= 65535:
        raise SystemExit(f"ganzoo demo: --port must be in [1, 65535], got {args.port}")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from ganzoo.demo import launch

    try:
        import gradio  # noqa: F401
    except ImportError:
        raise SystemExit("ganzoo demo: Gradio is not installed; pip install 'ganzoo[demo]'") from None
    try:
        launch(args.host, args.port, args.share)
    except OSError as e:  # the port is taken, the host cannot be bound
        raise SystemExit(f"ganzoo demo: cannot serve on {args.host}:{args.port}: {e}") from None
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
