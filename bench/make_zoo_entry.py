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

ENTRIES = {
    "wgan_gp-8gaussians": {
        "recipe": "recipes/wgan_gp/8gaussians.yaml",
        "dataset": "8gaussians",
        "repo_id": "ganzoo/wgan_gp-8gaussians",
        "description": (
            "WGAN-GP (Gulrajani et al. 2017) generator for the 8 Gaussians of the WGAN-GP toy code: a 3-layer "
            "ReLU MLP (width 128) mapping 2-d normal noise to points in the plane, trained on a 2-core CPU with "
            "the recipe below; the exported weights are an exponential moving average of the generator."
        ),
    },
}
N_EVAL, EVAL_SEED = 2000, 0


def train(recipe: str, work: Path) -> float:
    t0 = time.time()
    cmd = [sys.executable, "-m", "ganzoo.cli", "fit", "--config", str(ROOT / recipe),
           "--trainer.default_root_dir", str(work), "--trainer.enable_progress_bar", "false"]
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)
    return time.time() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--name", default="wgan_gp-8gaussians", choices=sorted(ENTRIES))
    p.add_argument("--work", default=None, help="training folder (default runs/zoo/<name>)")
    p.add_argument("--skip_train", action="store_true", help="reuse the run in --work")
    p.add_argument("--push_to_hub", action="store_true", help="upload the entry to its Hub repository")
    args = p.parse_args()
    spec = ENTRIES[args.name]
    work = Path(args.work or ROOT / "runs" / "zoo" / args.name)
    train_s = None
    if not args.skip_train:
        if work.exists():
            shutil.rmtree(work)
        train_s = train(spec["recipe"], work)
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
