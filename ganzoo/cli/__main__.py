"""``python -m ganzoo.cli ...``: the ``ganzoo`` command without its console script."""

from __future__ import annotations

from ganzoo.cli import main

if __name__ == "__main__":  # importing this module (a doc or test walk) runs nothing
    main()
