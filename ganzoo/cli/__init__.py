"""``ganzoo`` command line: :func:`main` dispatches to one module per subcommand.

* ``ganzoo sample MODEL --n 64 --seed 0 --out grid.png`` (:mod:`ganzoo.cli.sample`): inference only; does not
  import Lightning. ``--out DIR/`` writes one PNG per sample, ``--out FILE.npy`` an array, both streamed to disk.
* ``ganzoo search MODEL --examples DIR_OR_NPY --n 64 --seed 0 --out grid.png`` (:mod:`ganzoo.cli.search`): samples
  like the examples; no Lightning.
* ``ganzoo translate MODEL --input DIR --output DIR`` (:mod:`ganzoo.cli.translate`): translate images (pix2pix,
  CycleGAN); no Lightning.
* ``ganzoo eval MODEL --data fashion_mnist --metrics fid,kid,is --n 10000`` (:mod:`ganzoo.cli.eval`): image metrics
  as JSON, of a model or of images (a folder, ``.npy``/``.npz``).
* ``ganzoo stats DIR_OR_NPY --out ref.safetensors`` or ``ganzoo stats --data NAME --out ...`` (:mod:`ganzoo.cli.stats`):
  reference statistics for ``ganzoo eval --ref``.
* ``ganzoo project MODEL --input DIR --out DIR`` (:mod:`ganzoo.cli.project`): latents that reconstruct images.
* ``ganzoo demo`` (:mod:`ganzoo.cli.demo`): a local Gradio app of the zoo (the ``ganzoo[demo]`` extra).
* ``ganzoo list``: the zoo's entries with their scores (the README's leaderboard); no Lightning.
* ``ganzoo fit --config recipes/<variant>/<dataset>.yaml [--trainer.X ...] [--push_to_hub org/name]``
  (:mod:`ganzoo.cli.fit`): Lightning's CLI (LightningCLI, ``ganzoo.cli.fit.GanzooCLI``). After ``fit`` the
  generator is exported to ``<default_root_dir>/generator/`` with its model card; for 2-D data a figure and
  exact metrics are written beside it. :mod:`ganzoo.cli.errors` turns its bad values into one or two lines.

``python -m ganzoo.cli ...`` runs the same command (:mod:`ganzoo.cli.__main__`).
"""

from __future__ import annotations

import sys
import warnings
from typing import Any


def __getattr__(name: str) -> Any:
    if name == "GanzooCLI":  # imported lazily: it pulls in Lightning
        from ganzoo.cli.fit import GanzooCLI

        return GanzooCLI
    raise AttributeError(f"module 'ganzoo.cli' has no attribute {name!r}")


USAGE = """usage: ganzoo {fit,sample,search,translate,eval,stats,project,demo,list} ...

  ganzoo fit --config recipes/<variant>/<dataset>.yaml [--model.init_args.max_gen_iters N] [--overwrite]
                 train (Lightning's CLI; see: ganzoo fit --help)
  ganzoo sample MODEL --n 64 --seed 0 --out grid.png    (or --out DIR/: one PNG per sample)
                 sample a generator (see: ganzoo sample --help)
  ganzoo search MODEL --examples DIR_OR_NPY --n 64 --seed 0 --out grid.png
                 samples like the examples (see: ganzoo search --help)
  ganzoo translate MODEL --input DIR --output DIR [--direction AtoB]
                 pix2pix/CycleGAN inference (see: ganzoo translate --help)
  ganzoo eval MODEL_DIR_OR_NPY --data fashion_mnist --metrics fid,kid --n 10000
                 image metrics as JSON, of a model or of images (see: ganzoo eval --help)
  ganzoo stats DIR_OR_NPY --out ref.safetensors         (or: ganzoo stats --data fashion_mnist --out ...)
                 reference statistics for ganzoo eval --ref (see: ganzoo stats --help)
  ganzoo project MODEL --input DIR --out DIR
                 latents that reconstruct real images (see: ganzoo project --help)
  ganzoo demo
                 a local web app of the zoo (needs ganzoo[demo]; see: ganzoo demo --help)
  ganzoo list
                 the zoo's pretrained entries and their scores"""


# Subcommands other than fit and list: each module has ``main(argv)`` and is imported only when its command runs.
SUBCOMMANDS = {
    "sample": "ganzoo.cli.sample",
    "search": "ganzoo.cli.search",
    "translate": "ganzoo.cli.translate",
    "eval": "ganzoo.cli.eval",
    "stats": "ganzoo.cli.stats",
    "project": "ganzoo.cli.project",
    "demo": "ganzoo.cli.demo",
}


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``ganzoo`` command; ``argv`` defaults to ``sys.argv[1:]``."""
    from_sys = argv is None
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in SUBCOMMANDS:
        import importlib

        importlib.import_module(SUBCOMMANDS[argv[0]]).main(argv[1:])
        return
    if argv and argv[0] == "list":
        if argv[1:]:
            raise SystemExit("ganzoo list takes no arguments")
        from ganzoo.zoo import leaderboard

        print(leaderboard())
        return
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
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
