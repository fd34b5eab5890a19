"""Build a zoo entry end to end: train a recipe, evaluate the exported generator, write its card, bundle it.

    python bench/make_zoo_entry.py                      # the WGAN-GP 8 Gaussians entry (about 3 minutes on a CPU)
    python bench/make_zoo_entry.py --skip_train         # re-evaluate and re-bundle an existing run
    python bench/make_zoo_entry.py --push_to_hub        # also upload the entry to its Hub repository

Steps: ``ganzoo fit --config <recipe>`` in a fresh process (seeded by the recipe); load the exported
``generator/`` folder with ``ganzoo.load`` and evaluate 5 draws of 2000 samples (seeds 0-4) with the exact 2-D
metrics (means over the draws, ``ganzoo.metrics.toy.evaluate_generator``); write
the model card (metrics in its ``model-index``); copy the folder into ``ganzoo/zoo/<name>/`` and the card into
``model_cards/<name>/``; update ``ganzoo/zoo/index.json``; finally load the entry by name in a fresh offline
process and sample it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ganzoo  # noqa: E402
from ganzoo.cards import toy_results, write_card  # noqa: E402
from ganzoo.io import atomic_write_bytes, replace_dir  # noqa: E402
from ganzoo.metrics.toy import DRAWS, evaluate_generator  # noqa: E402
from ganzoo.serialization import default_file_mode, read_config  # noqa: E402
from ganzoo.zoo import INDEX_PATH, INDEX_VERSION, ZOO_DIR  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from zoo_entries import ENTRIES  # noqa: E402

N_EVAL, EVAL_SEED = 2000, 0


def hardware(accelerator: str | None) -> str:
    """The machine a run trains on, in words (the GPU's name from nvidia-smi, else the CPU)."""
    if accelerator in ("gpu", "cuda"):
        try:
            out = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True,
                                 text=True, timeout=30).stdout.strip().splitlines()
            if out:
                return f"1x {out[0]}"
        except (OSError, subprocess.SubprocessError):
            pass
    return f"CPU ({os.cpu_count()} cores, {platform.processor() or platform.machine()})"


def zoo_recipe(spec: dict, work: Path, *, accelerator: str | None = None, max_time: int | None = None,
               data_dir: str | None = None, eval_every: int | None = None) -> tuple[Path, list[str]]:
    """The recipe with this run's overrides (device, time limit, data folder, evaluation interval), written to
    ``work/recipe.yaml``; returns its path and the overrides in words (they go into the card)."""
    import yaml

    cfg = yaml.safe_load((ROOT / spec["recipe"]).read_text())
    trainer, said = cfg.setdefault("trainer", {}), []
    if accelerator:
        trainer["accelerator"] = accelerator
        said.append(f"trainer.accelerator={accelerator}")
        if accelerator in ("gpu", "cuda"):  # cuDNN picks the fastest convolution algorithms for the fixed shapes
            trainer["benchmark"] = True
            said.append("trainer.benchmark=true")
    if max_time:
        trainer["max_time"] = f"00:{max_time // 3600:02d}:{max_time % 3600 // 60:02d}:{max_time % 60:02d}"
        said.append(f"trainer.max_time={trainer['max_time']}")
    if data_dir:
        cfg["data"].setdefault("init_args", {})["data_dir"] = data_dir
    if eval_every:
        for cb in trainer.get("callbacks") or []:
            if "every_n_gen_iters" in cb.get("init_args", {}):
                cb["init_args"]["every_n_gen_iters"] = eval_every
                said.append(f"{cb['class_path'].rsplit('.', 1)[-1]}.every_n_gen_iters={eval_every}")
    work.mkdir(parents=True, exist_ok=True)
    path = work / "recipe.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path, said


def train(spec: dict, work: Path, *, accelerator: str | None = None, max_time: int | None = None,
          data_dir: str | None = None, eval_every: int | None = None) -> dict:
    """``ganzoo fit`` of the entry's recipe in a fresh process; writes and returns ``work/train_info.json``."""
    recipe, said = zoo_recipe(spec, work, accelerator=accelerator, max_time=max_time, data_dir=data_dir,
                              eval_every=eval_every)
    cmd = [sys.executable, "-m", "ganzoo.cli", "fit", "--config", str(recipe),
           "--trainer.default_root_dir", str(work), "--trainer.enable_progress_bar", "false"]
    if spec["kind"] != "toy":  # the exported weights are evaluated below, on the full protocol
        cmd += ["--eval_metrics", "[]", "--eval_n", "1000"]
    print("+", " ".join(cmd), flush=True)
    t0 = time.time()
    subprocess.run(cmd, check=True, cwd=ROOT)
    seconds = time.time() - t0
    training = read_config(work / "generator").get("training", {})
    import yaml

    budget = (yaml.safe_load(recipe.read_text())["model"].get("init_args") or {}).get("max_gen_iters")
    info = {"train_seconds": round(seconds), "hardware": hardware(accelerator), "overrides": said,
            "generator_iterations": training.get("generator_iterations"), "recipe_max_gen_iters": budget}
    atomic_write_bytes(work / "train_info.json", (json.dumps(info, indent=1) + "\n").encode())
    return info


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("name", nargs="?", default="wgan_gp-8gaussians", choices=sorted(ENTRIES), metavar="NAME",
                   help=f"the entry to build: {', '.join(sorted(ENTRIES))}")
    p.add_argument("--work", default=None, help="training folder (default runs/zoo/<name>)")
    p.add_argument("--skip_train", action="store_true", help="reuse the run in --work")
    p.add_argument("--train_only", action="store_true", help="train and stop (evaluate later with --skip_train)")
    p.add_argument("--accelerator", default=None, help="override the recipe's trainer.accelerator (e.g. gpu)")
    p.add_argument("--max_time", type=int, default=None, help="stop training after this many seconds")
    p.add_argument("--data_dir", default=None, help="the dataset folder (default: the datamodule's)")
    p.add_argument("--eval_every", type=int, default=None,
                   help="override the recipe's evaluation interval in generator iterations")
    p.add_argument("--push_to_hub", action="store_true", help="upload the entry to its Hub repository")
    args = p.parse_args()
    spec = ENTRIES[args.name]
    work = Path(args.work or ROOT / "runs" / "zoo" / args.name)
    if not args.skip_train:
        if work.exists():
            shutil.rmtree(work)
        train(spec, work, accelerator=args.accelerator, max_time=args.max_time, data_dir=args.data_dir,
              eval_every=args.eval_every)
    if args.train_only:
        return
    info_path = work / "train_info.json"
    info = json.loads(info_path.read_text()) if info_path.is_file() else {}
    train_s = info.get("train_seconds")
    exported = work / "generator"

    # evaluate the exported artifact, loaded the way users load it
    g = ganzoo.load(exported)
    metrics = evaluate_generator(g, spec["dataset"], N_EVAL, draws=DRAWS, seed=EVAL_SEED)
    results = toy_results(metrics, spec["dataset"], sample_seed=EVAL_SEED)
    training = read_config(exported).get("training", {})
    print(json.dumps(metrics, indent=2))

    # bundle: a complete Hub folder inside the package, its card in model_cards/
    tmp = Path(tempfile.mkdtemp(dir=ZOO_DIR, prefix=f".{args.name}.tmp-"))
    try:
        for f in ("config.json", "model.safetensors"):
            shutil.copyfile(exported / f, tmp / f)
        write_card(
            tmp, sample_grid=work / "samples.png", name=args.name, repo_id=spec["repo_id"],
            load_id=args.name, description=spec["description"], dataset=spec["dataset"], results=results,
            recipe=(ROOT / spec["recipe"]).read_text(), command=f"ganzoo fit --config {spec['recipe']}",
        )
        os.chmod(tmp, default_file_mode(directory=True))
        for f in tmp.iterdir():
            os.chmod(f, default_file_mode())
        replace_dir(tmp, ZOO_DIR / args.name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    cards = ROOT / "model_cards" / args.name
    cards.mkdir(parents=True, exist_ok=True)
    for f in ("README.md", "samples.png"):
        shutil.copyfile(ZOO_DIR / args.name / f, cards / f)

    index = json.loads(INDEX_PATH.read_text()) if INDEX_PATH.is_file() else {"format_version": INDEX_VERSION}
    entries = {e["name"]: e for e in index.get("entries", [])}
    old = entries.get(args.name, {})
    entries[args.name] = {
        "name": args.name, "repo_id": spec["repo_id"], "dataset": spec["dataset"],
        "variant": training.get("variant"), "architecture": read_config(exported)["architecture"],
        "description": spec["description"], "recipe": spec["recipe"],
        "metrics": {
            "w1": round(metrics["w1"], 4), "w1_real_vs_real": round(metrics["w1_baseline"], 4),
            "modes": metrics["modes"], "n_modes": metrics["n_modes"],
            "high_quality": round(metrics["high_quality"], 4), "n_eval": N_EVAL, "draws": metrics["draws"],
            "generator_iterations": training.get("generator_iterations"),
            "train_seconds": round(train_s) if train_s else old.get("metrics", {}).get("train_seconds"),
        },
    }
    index = {"format_version": INDEX_VERSION, "entries": [entries[k] for k in sorted(entries)]}
    atomic_write_bytes(INDEX_PATH, (json.dumps(index, indent=2) + "\n").encode())
    print(f"bundled {ZOO_DIR / args.name}, card in {cards}, index {INDEX_PATH}")

    # load by name and sample in a fresh process without network
    check = subprocess.run(
        [sys.executable, "-c", f"import ganzoo; print(tuple(ganzoo.sample({args.name!r}, 4, seed=0).shape))"],
        env={**os.environ, "HF_HUB_OFFLINE": "1"}, cwd=ROOT, capture_output=True, text=True, check=True,
    )
    print(f"ganzoo.sample({args.name!r}, 4, seed=0).shape -> {check.stdout.strip()}")
    if args.push_to_hub:
        print(ganzoo.push_to_hub(ZOO_DIR / args.name, spec["repo_id"]))


if __name__ == "__main__":
    main()
