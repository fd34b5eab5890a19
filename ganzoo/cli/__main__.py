"""``python -m ganzoo.cli ...``: the ``ganzoo`` command without its console script."""

from __future__ import annotations

from ganzoo.cli import main

main()
