"""Mode collapse, measured: every unconditional latent variant trained on Stacked Fashion-MNIST (1,000 modes), each
with its zoo recipe's settings (3 channels) for the same time, then scored on 26,000 samples: modes covered, KL of
the mode histogram to uniform, FID, precision and recall in the stacked feature space, beside the real-data floor.

    python -m bench.quality.stacked_modes                      # every variant, 15 minutes each, one after the other
    python -m bench.quality.stacked_modes --only dcgan wgan --minutes 15
    python -m bench.quality.stacked_modes --critic_width 0.25  # the harder protocol (the critic at 1/4 of its width)
    python -m bench.quality.stacked_modes --table --readme     # the table of the saved results only

Each run is ``bench/zoo/make_entry.py``'s training (a fresh ``ganzoo fit`` process, ``--max_time``) of the variant's
``recipes/<variant>/fashion_mnist.yaml`` with ``data`` replaced by ``StackedFashionMNISTDataModule`` and both
networks' ``channels`` set to 3 (f-GAN divergences other than JS: the zoo entry's settings too), in
``runs/stacked/<run>``; a run folder with a finished training is only re-scored. Results go to
``bench/results/stacked_modes.json`` after every run; the table to docs/concepts/divergences.md between
``<!-- stacked-modes:start/end -->``. The unrolled-GAN and PacGAN papers make the benchmark harder by shrinking the
critic (``--critic_width 0.25`` / ``0.5``: its ``width`` times that), which separates methods that all cover 1,000
modes with the full critic.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.common import RESULTS_DIR, ROOT, publish, table_options
from bench.zoo.entries import ENTRIES, FGAN_DIVERGENCES
from bench.zoo.make_entry import train_and_record

RESULTS = RESULTS_DIR / "stacked_modes.json"
N = 26000
STACKED = {"class_path": "ganzoo.data.StackedFashionMNISTDataModule", "init_args": {"batch_size": 64}}


def runs() -> dict[str, dict]:
    """Run name -> the spec ``bench.zoo.make_entry.train`` takes: every unconditional Fashion-MNIST recipe, and f-GAN
    with each divergence."""
    out = {}
    for recipe in sorted(ROOT.glob("recipes/*/fashion_mnist.yaml")):
        variant = recipe.parent.name
        if variant == "cgan":  # conditional: it is told the class, the benchmark is about unconditional coverage
            continue
        out["fgan_js" if variant == "fgan" else variant] = {"kind": "image", "recipe": str(recipe.relative_to(ROOT)),
                                                            "set": {}}
    for d in FGAN_DIVERGENCES:
        out[f"fgan_{d}"] = {"kind": "image", "recipe": "recipes/fgan/fashion_mnist.yaml",
                            "set": {k: v for k, v in ENTRIES[f"fgan_{d}-fashion_mnist"]["set"].items()
                                    if k != "model.init_args.max_gen_iters"}}  # the time limit stops every run
    return out


def stacked_spec(spec: dict, critic_width: float) -> dict:
    import yaml

    model = yaml.safe_load((ROOT / spec["recipe"]).read_text())["model"]["init_args"]
    s = {**spec["set"], "data": STACKED, "model.init_args.generator.channels": 3, "model.init_args.critic.channels": 3}
    if critic_width != 1:  # one width (DCGAN-style critics) or one a stage (R3GAN's)
        critic = model["critic"]
        if "widths" in critic:
            s["model.init_args.critic.widths"] = [max(16, round(w * critic_width / 16) * 16) for w in critic["widths"]]
        else:
            s["model.init_args.critic.width"] = max(1, round(critic["width"] * critic_width))
    return {**spec, "set": s}


def score(work: Path) -> dict:
    import ganzoo
    from ganzoo.data import StackedFashionMNISTDataModule
    from ganzoo.training.image_eval import evaluate_images

    m = evaluate_images(ganzoo.load(work / "generator"), StackedFashionMNISTDataModule(), metrics=("fid", "prdc"),
                        n=N, seed=0, progress=True)
    info = json.loads((work / "train_info.json").read_text())
    history = json.loads((work / "eval_history.json").read_text()) if (work / "eval_history.json").is_file() else []
    return {
        "modes": m["modes"], "modes_kl": round(m["modes_kl"], 4),
        "floor": {k: m["modes_floor"][k] for k in ("modes", "modes_kl")} if isinstance(m.get("modes_floor"), dict)
        else m.get("modes_floor"),
        "fid": round(m["fid"], 3), **{k: round(m[k], 4) for k in ("precision", "recall")}, "n": N,
        "generator_iterations": info["generator_iterations"], "train_seconds": info["train_seconds"],
        "hardware": info["hardware"], "threads": info["threads"], "overrides": info["overrides"],
        "curve": [[r["generator_iterations"], round(r["fid"], 2)] for r in history if "fid" in r],
    }


def table(res: dict) -> str:
    rows = ["| run | critic width | modes (of 1,000) | KL | FID | precision | recall | G iterations | time |",
            "|---|---|---|---|---|---|---|---|---|"]
    floors = set()
    for _, r in sorted(res.items(), key=lambda kv: (kv[1]["critic_width"], "diverged_after" in kv[1],
                                                    -kv[1].get("modes", 0), kv[1].get("modes_kl", 0))):
        if "diverged_after" in r:  # stopped by the divergence guard: no generator to score
            rows.append(f"| {r['run']} | {r['critic_width']:g} | diverged after {r['diverged_after']:,} iterations "
                        f"| | | | | {r['diverged_after']:,} | |")
            continue
        rows.append(f"| {r['run']} | {r['critic_width']:g} | {r['modes']} | {r['modes_kl']:.3f} | {r['fid']:.2f} | "
                    f"{r['precision']:.3f} | {r['recall']:.3f} | {r['generator_iterations']:,} | "
                    f"{r['train_seconds'] / 60:.0f} min |")
        if isinstance(r["floor"], dict):
            floors.add((r["floor"]["modes"], r["floor"]["modes_kl"]))
    machines = sorted({f"{r['hardware']} ({r['threads']} thread{'s' * (r['threads'] != 1)})" for r in res.values()})
    floor = "; ".join(f"{m} modes, KL {kl:.4f}" for m, kl in sorted(floors))
    return "\n".join(rows) + (f"\n\nReal-data floor (26,000 real stacked test images, the same protocol): {floor}. "
                              f"Trained on {', '.join(machines)}.")


def main() -> None:
    all_runs = runs()
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", nargs="+", choices=sorted(all_runs), default=sorted(all_runs))
    p.add_argument("--minutes", type=float, default=15.0, help="training time of each run")
    p.add_argument("--critic_width", type=float, default=1.0, help="the critic's width times this")
    table_options(p, "stacked-modes")
    args = p.parse_args()
    res = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    if not args.table:
        for name in args.only:
            key = name if args.critic_width == 1 else f"{name}@critic{args.critic_width:g}"
            res = train_and_record(RESULTS, key, stacked_spec(all_runs[name], args.critic_width),
                                   ROOT / "runs" / "stacked" / key, args.minutes, score, run=name,
                                   critic_width=args.critic_width)
    publish("stacked-modes", table(res), args.readme)


if __name__ == "__main__":
    main()
