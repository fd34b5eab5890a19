"""What the average of the generator's weights (EMA) gains over the trained generator, for finished zoo builds.

    python -m bench.quality.ema_gain runs/zoo/cramer_gan-fashion_mnist [more run folders ...]

For each run folder that ``bench/zoo/make_entry.py`` trained (its ``recipe.yaml`` and ``checkpoints/last.ckpt``):
the module is built from the recipe, the checkpoint's weights are loaded (``torch.load(weights_only=True)``), and
both generators are scored on the zoo's protocol (FID of 10,000 samples, seed 0, the shipped classifier's features
against the 10,000 training images): the trained one (``generator``) and the average the zoo exports
(``export_model``: the EMA copy, its batch-norm statistics recomputed). A large gain says the run ends noisy (the
average has weight noise to remove); a small one, that the rates were already low or the run is still moving fast.
Prints one line per run; writes nothing.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
import yaml
from lightning.pytorch.cli import instantiate_class

from bench.common import cpu_threads
from bench.zoo.make_entry import EVAL_SEED, IMAGE_N
from ganzoo.training.checkpoints import last_checkpoint
from ganzoo.training.image_eval import evaluate_images


def gain(run: Path) -> dict:
    recipe, ckpt = run / "recipe.yaml", Path(last_checkpoint(run))  # make_entry trains with the run folder as root
    for f in (recipe, ckpt):
        if not f.is_file():
            raise SystemExit(f"{f}: missing (a run folder of bench/zoo/make_entry.py has recipe.yaml and "
                             "checkpoints/last.ckpt)")
    cfg = yaml.safe_load(recipe.read_text())
    module = instantiate_class((), cfg["model"])
    if module.generator_ema is None:
        raise SystemExit(f"{recipe}: the recipe keeps no average of the generator (ema_decay)")
    state = torch.load(ckpt, map_location="cpu", weights_only=True)
    module.load_state_dict(state["state_dict"])
    dm = instantiate_class((), cfg["data"])
    fid = {}
    for name, g in (("trained", module.generator), ("average", module.export_model)):
        fid[name] = evaluate_images(g.eval(), dm, metrics=("fid",), n=IMAGE_N, seed=EVAL_SEED)["fid"]
    return {"run": str(run), **fid}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("runs", nargs="+", type=Path, help="run folders of bench/zoo/make_entry.py")
    args = p.parse_args()
    torch.set_num_threads(cpu_threads())
    for run in args.runs:
        r = gain(run)
        print(f"{r['run']}: FID {r['average']:.2f} averaged, {r['trained']:.2f} trained "
              f"(the average gains {r['trained'] - r['average']:.2f})", flush=True)


if __name__ == "__main__":
    main()
