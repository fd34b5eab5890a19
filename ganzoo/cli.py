"""``ganzoo`` command line.

* ``ganzoo sample MODEL --n 64 --seed 0 --out grid.png``: inference only; does not import Lightning.
* ``ganzoo fit --config recipes/<variant>/<dataset>.yaml [--trainer.X ...] [--push_to_hub org/name]`` and the
  other training subcommands are Lightning's (LightningCLI, ``ganzoo.fit_cli.GanzooCLI``). After ``fit`` the
  generator is exported to ``<default_root_dir>/generator/`` with its model card; for 2-D data a figure and
  exact metrics are written beside it.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any


def __getattr__(name: str) -> Any:
    if name == "GanzooCLI":  # imported lazily: it pulls in Lightning
        from ganzoo.fit_cli import GanzooCLI

        return GanzooCLI
    raise AttributeError(f"module 'ganzoo.cli' has no attribute {name!r}")


def main(argv: list[str] | None = None) -> None:
    argv = list(argv if argv is not None else sys.argv[1:])
    if argv and argv[0] == "sample":
        from ganzoo.sample_cli import main as sample_main

        sample_main(argv[1:])
        return
    warnings.filterwarnings("ignore", message=".*does not have many workers.*")
    warnings.filterwarnings("ignore", message=".*LitLogger.*")
    from ganzoo.fit_cli import GanzooCLI

    GanzooCLI(args=argv)


if __name__ == "__main__":
    main()
