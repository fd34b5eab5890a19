"""Build a zoo entry end to end: train a recipe, evaluate the exported weights, write the card, bundle, load it.

    python -m bench.zoo.make_entry NAME                  # e.g. dcgan-fashion_mnist (default: wgan_gp-8gaussians)
    python -m bench.zoo.make_entry NAME --skip_train     # re-evaluate and re-bundle the run in runs/zoo/NAME
    python -m bench.zoo.make_entry NAME --resume         # continue a cut-off training from its last checkpoint
    python -m bench.zoo.make_entry NAME --card_only      # rewrite the bundled entry's card (a new description)
    python -m bench.zoo.make_entry --all --max_time 2700 # every latent Fashion-MNIST entry, 45 minutes each, in order
    python -m bench.zoo.make_entry NAME --push_to_hub    # also upload the entry (one commit) to its Hub repository
    python -m bench.zoo.gpu --out OUT                    # the training step of every image entry at once on one GPU

Steps: ``ganzoo fit --config <recipe>`` in a fresh process (seeded by the recipe; ``--accelerator``/``--max_time``
override the device and stop after a time budget, recorded in the card); then the exported folder is bundled into
``ganzoo/zoo/<name>/`` (image weights stored as float16, loaded as float32) and the *bundled* copy is evaluated:

* 2-D toys: 5 draws of 2000 samples (seeds 0-4), exact W1 and modes (``ganzoo.metrics.toy``);
* images: 10,000 samples (seed 0) against 10,000 training images in the shipped Fashion-MNIST classifier's
  feature space: FID, KID (100 subsets of 1,000), IS, precision/recall (k = 3), density/coverage (k = 5), class
  coverage (and per-class accuracy for a conditional model); plus the FID of 2,000 samples against 2,000 images
  (what the slow test recomputes) and the 10k FID of the float32 weights (the float16 copy must stay within 0.5%);
* translators: the full test split (L1, PSNR, FID to the target domain; CycleGAN: the fraction of translations
  classified as the target class, cycle L1).

The card (metrics in its ``model-index``, sample grid, training curve from the run's evaluation history, where
and how long it trained) is written into the bundle and copied to ``model_cards/<name>/``; ``ganzoo/zoo/index.json``
is updated; finally the entry is loaded by name in a fresh offline process and sampled.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import ganzoo
from bench.common import ROOT, cpu_threads, hardware
from bench.zoo.entries import ENTRIES, ZOO_ORDER
from ganzoo.cards import toy_results, write_card
from ganzoo.hardware import cpu_precision
from ganzoo.io import atomic_write_bytes, replace_dir
from ganzoo.metrics.toy import DRAWS, evaluate_generator
from ganzoo.serialization import default_file_mode, read_config
from ganzoo.zoo import INDEX_PATH, INDEX_VERSION, ZOO_DIR

N_EVAL, EVAL_SEED = 2000, 0


def zoo_recipe(spec: dict, work: Path, *, accelerator: str | None = None, max_time: int | None = None,
               data_dir: str | None = None, eval_every: int | None = None) -> tuple[Path, list[str]]:
    """The recipe with this run's overrides (device, time limit, data folder, evaluation interval), written to
    ``work/recipe.yaml``; returns its path and the overrides in words (they go into the card)."""
    import yaml

    cfg = yaml.safe_load((ROOT / spec["recipe"]).read_text())
    trainer, said = cfg.setdefault("trainer", {}), []
    for key, value in spec.get("set", {}).items():  # the entry's own settings, as dotted recipe keys
        *parents, leaf = key.split(".")
        node = cfg
        for k in parents:
            node = node.setdefault(k, {})
        node[leaf] = value
        said.append(f"{key}={json.dumps(value)}")
    if accelerator:
        trainer["accelerator"] = accelerator
        said.append(f"trainer.accelerator={accelerator}")
        if accelerator in ("gpu", "cuda"):  # cuDNN picks the fastest convolution algorithms for the fixed shapes
            trainer["benchmark"] = True
            said.append("trainer.benchmark=true")
    if max_time:
        trainer["max_time"] = f"00:{max_time // 3600:02d}:{max_time % 3600 // 60:02d}:{max_time % 60:02d}"
        said.append(f"trainer.max_time={trainer['max_time']}")
    precision = str(trainer.get("precision", "32-true"))
    if trainer.get("accelerator", "cpu") == "cpu" and (here := cpu_precision(precision)) != precision:
        trainer["precision"] = here
        said.append(f"trainer.precision={here} (this CPU has no bf16 instructions)")
    if data_dir:
        cfg["data"].setdefault("init_args", {})["data_dir"] = data_dir
    if eval_every:
        for cb in trainer.get("callbacks") or []:
            if cb["class_path"].endswith("EvalCallback") and "every_n_gen_iters" in cb.get("init_args", {}):
                cb["init_args"]["every_n_gen_iters"] = eval_every
                said.append(f"{cb['class_path'].rsplit('.', 1)[-1]}.every_n_gen_iters={eval_every}")
    work.mkdir(parents=True, exist_ok=True)
    path = work / "recipe.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path, said


def train(spec: dict, work: Path, *, accelerator: str | None = None, max_time: int | None = None,
          data_dir: str | None = None, eval_every: int | None = None, resume: bool = False) -> dict:
    """``ganzoo fit`` of the entry's recipe in a fresh process; writes and returns ``work/train_info.json``.

    ``resume``: continue from ``work/checkpoints/last.ckpt`` with the recipe written when the run started; the
    seconds of the earlier attempts (``work/train_info.partial.json``) are added to this one's."""
    partial = work / "train_info.partial.json"
    if resume:
        recipe, said = work / "recipe.yaml", json.loads(partial.read_text())["overrides"]
        before = json.loads(partial.read_text())["train_seconds"]
    else:
        recipe, said = zoo_recipe(spec, work, accelerator=accelerator, max_time=max_time, data_dir=data_dir,
                                  eval_every=eval_every)
        before = 0
    atomic_write_bytes(partial, json.dumps({"overrides": said, "train_seconds": before}).encode())
    cmd = [sys.executable, "-m", "ganzoo.cli", "fit", "--config", str(recipe),
           "--trainer.default_root_dir", str(work), "--trainer.enable_progress_bar", "false"]
    if resume:
        cmd.append("--resume")
    if spec["kind"] != "toy":  # the exported weights are evaluated below, on the full protocol
        cmd += ["--eval_metrics", "[]", "--eval_n", "1000"]
    print("+", " ".join(cmd), flush=True)
    t0 = time.time()
    try:
        subprocess.run(cmd, check=True, cwd=ROOT)
    finally:  # a cut-off attempt's seconds count towards the entry's training time
        atomic_write_bytes(partial, json.dumps({"overrides": said,
                                                "train_seconds": before + round(time.time() - t0)}).encode())
    seconds = before + time.time() - t0
    training = read_config(work / "generator").get("training", {})
    import yaml

    budget = (yaml.safe_load(recipe.read_text())["model"].get("init_args") or {}).get("max_gen_iters")
    info = {"train_seconds": round(seconds), "hardware": hardware(accelerator), "threads": cpu_threads(),
            "resumed": resume, "overrides": said,
            "generator_iterations": training.get("generator_iterations"), "recipe_max_gen_iters": budget,
            "concurrent_runs": int(os.environ.get("GANZOO_ZOO_CONCURRENT", "1"))}  # set by bench/zoo/gpu.py
    atomic_write_bytes(work / "train_info.json", (json.dumps(info, indent=1) + "\n").encode())
    return info


def train_once(spec: dict, work: Path, **kw) -> None:
    """:func:`train` unless ``work`` holds a finished training; a cut-off one (a checkpoint, no
    ``train_info.json``) is resumed, anything else in ``work`` is removed first."""
    if (work / "train_info.json").is_file():
        return
    resume = (work / "checkpoints" / "last.ckpt").is_file()
    if work.exists() and not resume:
        shutil.rmtree(work)
    train(spec, work, resume=resume, **kw)


def divergence_point(work: Path) -> int | None:
    """The generator iterations a run in ``work`` completed before its first non-finite logged loss (where the
    divergence guard stopped it, ``DivergenceError``), or ``None``."""
    for path in sorted(work.glob("logs/version_*/metrics.csv")):
        with path.open() as f:
            for r in csv.DictReader(f):
                if any(not math.isfinite(float(v)) for k, v in r.items() if k.startswith("train/") and v):
                    return int(r["g_iter"]) - 1
    return None


def train_unless_diverged(spec: dict, work: Path, **kw) -> int | None:
    """:func:`train_once`, unless the run in ``work`` was stopped by the divergence guard: a diverged run is
    recorded, not resumed into the same end. Returns :func:`divergence_point` (``None``: trained to its end)."""
    try:
        if divergence_point(work) is None:
            train_once(spec, work, **kw)
    except subprocess.CalledProcessError:
        if divergence_point(work) is None:
            raise
    return divergence_point(work)


def eval_history(work: Path) -> list[dict]:
    """The training callback's evaluations of the run in ``work`` (``eval_history.json``; none: ``[]``)."""
    path = work / "eval_history.json"
    return json.loads(path.read_text()) if path.is_file() else []


def fid_curve(history: list[dict]) -> list[list]:
    """A results row's curve: ``[generator iterations, FID (2,000 samples), training seconds]`` per evaluation."""
    return [[r["generator_iterations"], round(r["fid"], 2), r.get("train_seconds")] for r in history if "fid" in r]


def diverged_row(work: Path, after: int) -> dict:
    """The bench row of a run the divergence guard stopped: where, the FID curve up to there, where it ran."""
    history = eval_history(work)
    partial = json.loads((work / "train_info.partial.json").read_text())
    return {"diverged_after": after, "hardware": hardware(None), "threads": cpu_threads(),
            "overrides": partial["overrides"], "train_seconds_at_last_checkpoint": partial.get("train_seconds"),
            "curve": fid_curve(history)}


def train_and_record(results: Path, key: str, spec: dict, work: Path, minutes: float, score, **fields) -> dict:
    """A timed bench run: :func:`train_once` of ``spec`` in ``work`` for ``minutes``, then ``score(work)`` (a dict)
    with ``fields`` added under ``key`` to the JSON file ``results``, which is read, added to and written at once,
    after the scoring (two bench processes writing the same file keep each other's rows). A run the divergence guard
    stopped is recorded by :func:`diverged_row` instead of scored. Returns the whole file's content."""
    after = train_unless_diverged(spec, work, max_time=round(minutes * 60))
    row = {**fields, **(score(work) if after is None else diverged_row(work, after))}
    res = json.loads(results.read_text()) if results.is_file() else {}
    res[key] = row
    atomic_write_bytes(results, (json.dumps(res, indent=1) + "\n").encode())
    print(key, {k: v for k, v in row.items() if k not in ("curve", "overrides")}, f"on {hardware(None)}", flush=True)
    return res


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("name", nargs="?", default="wgan_gp-8gaussians", choices=sorted(ENTRIES), metavar="NAME",
                   help=f"the entry to build: {', '.join(sorted(ENTRIES))}")
    p.add_argument("--all", action="store_true",
                   help=f"build every latent Fashion-MNIST entry in turn ({', '.join(ZOO_ORDER)}), each in a fresh "
                        "process with the other options; an entry whose run folder holds a checkpoint but no "
                        "finished training is resumed")
    p.add_argument("--work", default=None, help="training folder (default runs/zoo/<name>)")
    p.add_argument("--skip_train", action="store_true", help="reuse the run in --work")
    p.add_argument("--resume", action="store_true",
                   help="continue the cut-off training in --work from its checkpoints/last.ckpt")
    p.add_argument("--train_only", action="store_true", help="train and stop (evaluate later with --skip_train)")
    p.add_argument("--accelerator", default=None, help="override the recipe's trainer.accelerator (e.g. gpu)")
    p.add_argument("--max_time", type=int, default=None, help="stop training after this many seconds")
    p.add_argument("--data_dir", default=None, help="the dataset folder (default: the datamodule's)")
    p.add_argument("--eval_every", type=int, default=None,
                   help="override the recipe's evaluation interval in generator iterations")
    p.add_argument("--push_to_hub", action="store_true", help="upload the entry to its Hub repository")
    p.add_argument("--card_only", action="store_true",
                   help="rewrite the bundled entry's card and index description from entries.py, keeping the "
                        "scores, pictures, recipe and training note the card records (no run folder needed)")
    args = p.parse_args()
    if args.all:
        build_all(args)
        return
    if args.card_only:
        recard(args.name, ENTRIES[args.name])
        return
    spec = ENTRIES[args.name]
    work = Path(args.work or ROOT / "runs" / "zoo" / args.name)
    if args.resume and not (work / "checkpoints" / "last.ckpt").is_file():
        sys.exit(f"--resume: no checkpoint at {work / 'checkpoints' / 'last.ckpt'}; start again without --resume")
    if not args.skip_train:
        if work.exists() and not args.resume:
            shutil.rmtree(work)
        train(spec, work, accelerator=args.accelerator, max_time=args.max_time, data_dir=args.data_dir,
              eval_every=args.eval_every, resume=args.resume)
    if args.train_only:
        return
    info_path = work / "train_info.json"
    info = json.loads(info_path.read_text()) if info_path.is_file() else {}
    exported = work / "generator"
    name = args.name
    tmp = Path(tempfile.mkdtemp(dir=ZOO_DIR, prefix=f".{name}.tmp-"))
    try:
        bundle_weights(exported, tmp, half=spec["kind"] != "toy")
        metrics, results, index_metrics, curve = EVALUATE[spec["kind"]](tmp, exported, spec, work)
        print(json.dumps(index_metrics, indent=1))
        training = read_config(exported).get("training", {})
        index_metrics.update(
            generator_iterations=training.get("generator_iterations"), train_seconds=info.get("train_seconds"),
            hardware=info.get("hardware"), threads=info.get("threads"),
            recipe_max_gen_iters=info.get("recipe_max_gen_iters"),
        )
        write_card(
            tmp, sample_grid=work / "samples.png", curve=curve, name=name, repo_id=spec["repo_id"],
            load_id=name, description=spec["description"], dataset=spec["dataset"], results=results,
            recipe=(ROOT / spec["recipe"]).read_text(), command=f"python -m bench.zoo.make_entry {name}",
            training_note=training_note(info, training, (ROOT / spec["recipe"]).read_text()),
        )
        os.chmod(tmp, default_file_mode(directory=True))
        for f in tmp.iterdir():
            os.chmod(f, default_file_mode())
        replace_dir(tmp, ZOO_DIR / name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    index = json.loads(INDEX_PATH.read_text()) if INDEX_PATH.is_file() else {"format_version": INDEX_VERSION}
    old = next((e["metrics"] for e in index.get("entries", []) if e["name"] == name), {})
    for k in ("train_seconds", "hardware", "threads"):  # a re-evaluation keeps the training facts
        if index_metrics.get(k) is None and old.get(k) is not None:
            index_metrics[k] = old[k]
    publish_entry(name, {
        "name": name, "repo_id": spec["repo_id"], "dataset": spec["dataset"], "kind": spec["kind"],
        "variant": training.get("variant"), "architecture": read_config(exported)["architecture"],
        "description": spec["description"], "recipe": spec["recipe"], "metrics": index_metrics,
    })
    print(f"bundled {ZOO_DIR / name}, card in {ROOT / 'model_cards' / name}, index {INDEX_PATH}")

    # load by name and sample (or translate) in a fresh process without network
    use = (f"ganzoo.translate({name!r}, torch.zeros(2, 1, 32, 32))" if spec["kind"] == "translation"
           else f"ganzoo.sample({name!r}, 4, seed=0)")
    check = subprocess.run(
        [sys.executable, "-c", f"import torch, ganzoo; print(tuple({use}.shape))"],
        env={**os.environ, "HF_HUB_OFFLINE": "1"}, cwd=ROOT, capture_output=True, text=True, check=True,
    )
    print(f"{use} -> {check.stdout.strip()}")
    if args.push_to_hub:
        print(ganzoo.push_to_hub(ZOO_DIR / name, spec["repo_id"]))


def publish_entry(name: str, entry: dict) -> None:
    """The bundled entry's card and pictures copied to ``model_cards/<name>/``, and ``entry`` (its index record) put
    into ``ganzoo/zoo/index.json``."""
    cards = ROOT / "model_cards" / name
    cards.mkdir(parents=True, exist_ok=True)
    for f in ("README.md", "samples.png", "curve.png"):
        if (ZOO_DIR / name / f).is_file():
            shutil.copyfile(ZOO_DIR / name / f, cards / f)
    index = json.loads(INDEX_PATH.read_text()) if INDEX_PATH.is_file() else {"format_version": INDEX_VERSION}
    entries = {e["name"]: e for e in index.get("entries", [])} | {name: entry}
    index = {"format_version": INDEX_VERSION, "entries": [entries[k] for k in sorted(entries)]}
    atomic_write_bytes(INDEX_PATH, (json.dumps(index, indent=2) + "\n").encode())


def recard(name: str, spec: dict) -> None:
    """``--card_only``: the bundled entry's card written again with ``spec``'s description; its scores (the card's
    ``model-index``), pictures, recipe copy and training note are kept as the card records them. Rewriting an entry
    whose description has not changed gives the same bytes."""
    from huggingface_hub import ModelCard

    folder = ZOO_DIR / name
    if not (folder / "README.md").is_file():
        sys.exit(f"--card_only: {name} is not bundled (no {folder / 'README.md'}); build it first")
    card = ModelCard.load(folder / "README.md")
    training = card.text.split("\n## Training\n\n", 1)[1]
    note = None if training.startswith("Command: ") else training.split("\n\nCommand: ", 1)[0]
    recipe = training.split("```yaml\n", 1)[1].split("\n```", 1)[0] if "```yaml\n" in training else None
    pictures = {k: folder / f for k, f in (("sample_grid", "samples.png"), ("curve", "curve.png"))
                if (folder / f).is_file()}
    write_card(folder, **pictures, name=name, repo_id=spec["repo_id"], load_id=name,
               description=spec["description"], dataset=spec["dataset"], results=card.data.eval_results or (),
               recipe=recipe, command=f"python -m bench.zoo.make_entry {name}", training_note=note)
    entry = next(e for e in json.loads(INDEX_PATH.read_text())["entries"] if e["name"] == name)
    publish_entry(name, {**entry, "description": spec["description"]})
    print(f"rewrote the card of {folder} (and model_cards/{name}/, the index's description); the zoo page and the "
          "README's leaderboard: python -m bench.zoo.leaderboard")


def build_all(args: argparse.Namespace) -> None:
    """``--all``: each entry of ``ZOO_ORDER`` by this module in a fresh process (resumed where a cut-off run left
    a checkpoint)."""
    passed = [f"--{k}={v}" for k, v in (("max_time", args.max_time), ("accelerator", args.accelerator),
                                        ("data_dir", args.data_dir), ("eval_every", args.eval_every)) if v]
    for name in ZOO_ORDER:
        work = ROOT / "runs" / "zoo" / name
        cut_off = (work / "checkpoints" / "last.ckpt").is_file() and not (work / "train_info.json").is_file()
        cmd = [sys.executable, "-m", "bench.zoo.make_entry", name, *passed, *(["--resume"] if cut_off else [])]
        print("+", " ".join(cmd), flush=True)
        subprocess.run(cmd, check=True, cwd=ROOT)


def bundle_weights(exported: Path, folder: Path, *, half: bool) -> None:
    """``config.json`` and ``model.safetensors`` into ``folder``; floating-point weights as float16 if ``half``
    (``ganzoo.load`` casts them back to the float32 parameters)."""
    from safetensors.torch import load_file, save_file

    shutil.copyfile(exported / "config.json", folder / "config.json")
    state = load_file(str(exported / "model.safetensors"))
    if half:
        state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
    save_file({k: v.contiguous() for k, v in state.items()}, str(folder / "model.safetensors"),
              metadata={"format": "pt"})


def paper_differences(recipe: str) -> str:
    """The recipe's one-sentence statement of what it changes from the paper and why: its comment block that starts
    with "The zoo's CPU recipe" (empty if it has none)."""
    lines = [ln[1:].strip() for ln in recipe.splitlines() if ln.startswith("#")]
    start = next((i for i, ln in enumerate(lines) if ln.startswith("The zoo's CPU recipe")), None)
    if start is None:
        return ""
    block = []
    for ln in lines[start:]:
        if not ln or ln.startswith("ganzoo fit"):
            break
        block.append(ln)
    return " ".join(block)


def training_note(info: dict, training: dict, recipe: str = "") -> str:
    if not info:
        return ""
    iters, budget = training.get("generator_iterations"), info.get("recipe_max_gen_iters")
    note = f"Trained for {info['train_seconds']} s on {info['hardware']}"
    if info.get("threads"):
        note += f" ({info['threads']} torch threads)"
    if info.get("concurrent_runs", 1) > 1:
        note += (f", sharing the GPU with {info['concurrent_runs'] - 1} other zoo trainings "
                 "(`python -m bench.zoo.gpu`, each in its own process)")
    if budget and iters is not None and iters < budget:
        note += f"; stopped by the time limit after {iters:,} of the recipe's {budget:,} generator iterations"
    elif iters is not None:
        note += f"; {iters:,} generator iterations"
    if info.get("resumed"):
        note += ", in more than one part (resumed from its checkpoint; the seconds are the parts' sum)"
    overrides = [o for o in info.get("overrides", []) if "max_time" not in o]
    note += f". Overrides of the recipe: {', '.join(f'`{o}`' for o in overrides)}." if overrides else "."
    differences = paper_differences(recipe)
    return note + (f" {differences}" if differences else "")


def _datamodule(spec: dict):
    import importlib

    import yaml

    data = yaml.safe_load((ROOT / spec["recipe"]).read_text())["data"]
    mod, _, cls = data["class_path"].rpartition(".")
    args = {**(data.get("init_args") or {}),  # with the entry's own data settings (a small-data entry's limit)
            **{k.removeprefix("data.init_args."): v for k, v in spec.get("set", {}).items()
               if k.startswith("data.init_args.")}}
    return getattr(importlib.import_module(mod), cls)(**args)


def evaluate_toy(bundle: Path, exported: Path, spec: dict, work: Path):
    g = ganzoo.load(bundle)
    m = evaluate_generator(g, spec["dataset"], N_EVAL, draws=DRAWS, seed=EVAL_SEED)
    index = {
        "w1": round(m["w1"], 4), "w1_real_vs_real": round(m["w1_baseline"], 4), "modes": m["modes"],
        "n_modes": m["n_modes"], "high_quality": round(m["high_quality"], 4), "n_eval": N_EVAL, "draws": m["draws"],
    }
    return m, toy_results(m, spec["dataset"], sample_seed=EVAL_SEED), index, None


IMAGE_N, IMAGE_N_SMALL, HALF_TOLERANCE = 10000, 2000, 0.005


def real_class_accuracy(dm) -> list[float]:
    """The shipped classifier's accuracy on each class of the real test images: the yardstick of a conditional
    entry's per-class accuracy (the zoo's cGAN target: within 5 points of it, class by class)."""
    from ganzoo.metrics.classifier import class_coverage, predict

    dm.setup("fit")
    x, y = dm.reference_images("test")
    return class_coverage(predict((x + 1) / 2), y)["per_class_accuracy"]


def evaluate_image(bundle: Path, exported: Path, spec: dict, work: Path):
    from ganzoo.plots import score_curve
    from ganzoo.training.image_eval import evaluate_images, image_results

    dm = _datamodule(spec)
    g = ganzoo.load(bundle)
    # with the copy check against the images it trained on (the whole split, or a small-data run's subset)
    m = evaluate_images(g, dm, metrics=("fid", "kid", "is", "prdc", "copy"), n=IMAGE_N, seed=EVAL_SEED,
                        progress=True)
    small = evaluate_images(g, dm, metrics=("fid",), n=IMAGE_N_SMALL, seed=EVAL_SEED)["fid"]
    full = evaluate_images(ganzoo.load(exported), dm, metrics=("fid",), n=IMAGE_N, seed=EVAL_SEED)["fid"]
    if abs(m["fid"] - full) > HALF_TOLERANCE * full:
        raise RuntimeError(f"float16 weights move the FID from {full:.3f} to {m['fid']:.3f} (> 0.5%)")
    cov = m["class_coverage"]
    index = {
        "fid": round(m["fid"], 3), "kid": round(m["kid_mean"], 5), "kid_std": round(m["kid_std"], 5),
        "is": round(m["is_mean"], 3), **{k: round(m[k], 4) for k in ("precision", "recall", "density", "coverage")},
        "classes_covered": cov["classes_covered"], "n_eval": IMAGE_N, "n_real": m["protocol"]["n_real"],
        "reference_split": m["protocol"]["split"], "extractor": m["protocol"]["extractor"],
        "fid_2000": round(small, 3), "fid_float32": round(full, 3),
        **{k: round(m[k], 4) for k in ("copy_median_ratio", "copy_fraction", "fid_gap")},
    }
    if "accuracy" in cov:
        index["class_accuracy"] = cov["accuracy"]
        index["per_class_accuracy"] = cov["per_class_accuracy"]
        real = real_class_accuracy(dm)
        index["real_per_class_accuracy"] = real
        index["class_accuracy_gap"] = round(max(r - a for r, a in zip(real, cov["per_class_accuracy"])), 4)
    history = eval_history(work)
    index["curve"] = fid_curve(history)
    index.update(time_to_quality(index["curve"], spec.get("target_fid")))
    curve = None
    if history:
        curve = work / "curve.png"
        score_curve(history, ["fid"], curve, title=f"{spec['recipe']}: FID, 2,000 samples")
    return m, image_results(m, conditional=bool(g.num_classes)), index, curve


def time_to_quality(curve: list[list], target: float | None) -> dict:
    """Training seconds until the run's FID curve (2,000 samples, every evaluation) first reaches 20 and the entry's
    target: ``seconds_to_fid20`` and ``seconds_to_target`` (``None``: never reached, or a curve without times).
    The 2,000-sample FID is higher than the 10,000-sample FID of the card (by about 2 at FID 10), so these times
    are upper bounds for the card's protocol."""
    def first(threshold):
        return next((s for _, fid, s in curve if s is not None and fid <= threshold), None)

    out = {"seconds_to_fid20": first(20.0)}
    if target is not None:
        out.update(target_fid=target, seconds_to_target=first(target))
    return out


def evaluate_translation_entry(bundle: Path, exported: Path, spec: dict, work: Path):
    from ganzoo.cards import translation_results
    from ganzoo.plots import score_curve
    from ganzoo.training.translation_eval import evaluate_translation

    dm = _datamodule(spec)
    t = ganzoo.load(bundle)
    scores, _ = evaluate_translation(t, dm, n=dm.test_size() if hasattr(dm, "test_size") else 10000, fid=True)
    m = {"dataset": spec["dataset"], "split": "test", **scores}
    full, _ = evaluate_translation(ganzoo.load(exported), dm, n=1000, fid=False)
    small, _ = evaluate_translation(t, dm, n=1000, fid=False)
    for k, v in full.items():  # float16 weights: the scalar scores of 1,000 test images within 0.5%
        if isinstance(v, float) and abs(small[k] - v) > HALF_TOLERANCE * abs(v):
            raise RuntimeError(f"float16 weights move {k} from {v:.4f} to {small[k]:.4f} (> 0.5%)")
    index = {k: round(v, 4) for k, v in scores.items() if isinstance(v, float)}
    index.update({k: v for k, v in scores.items() if isinstance(v, int)})
    path = work / "translation_history.json"
    history = json.loads(path.read_text()) if path.is_file() else []
    keys = [k for k in ("fid", "AtoB/fid", "BtoA/fid") if any(k in r for r in history)]
    curve = None
    if history and keys:
        curve = work / "curve.png"
        score_curve(history, keys, curve, title=f"{spec['recipe']}: FID, 1,000 test images")
    return m, translation_results(m, spec["dataset"]), index, curve


EVALUATE = {"toy": evaluate_toy, "image": evaluate_image, "translation": evaluate_translation_entry}


if __name__ == "__main__":
    main()
