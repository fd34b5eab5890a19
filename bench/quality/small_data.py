"""Small data, measured: the zoo's Fashion-MNIST recipes trained on 1,000 and 6,000 training images, without
augmentation, with DiffAugment and with ADA, for the same time each; then scored against the whole training split
and the test split (FID, precision, recall) and for copying (the copy check against the images each run trained on).

    python -m bench.quality.small_data                             # every run, 20 minutes each, one after the other
    python -m bench.quality.small_data --only dcgan-1k-none dcgan-1k-ada --minutes 20
    python -m bench.quality.small_data --table --readme            # the table of the saved results only

A run is named ``<variant>-<images>-<augmentation>``: ``images`` is ``1k``, ``6k`` (a recipe's ``data.init_args.limit``,
the same seeded subset for every run) or ``60k`` (the whole split: the reference the 6,000-image runs are held to);
``augmentation`` is ``none``, ``diffaugment`` (DiffAugment's color, translation and cutout at p = 1, Zhao et al.
2020), ``ada`` (the same ops with ADA's adaptive p, target r_t = 0.6, Karras et al. 2020) or ``lecam`` (DiffAugment
with LeCam regularisation of the critic, Tseng et al. 2021; DCGAN only, whose critic has no other constraint).
Each run is ``bench/zoo/make_entry.py``'s training (a fresh ``ganzoo fit`` process, ``--max_time``) of
``recipes/<variant>/fashion_mnist.yaml`` with those settings, in ``runs/small_data/<run>``; a run folder with a
finished training is only re-scored. Results go to ``bench/results/small_data.json`` after every run; the table to
the pages holding ``<!-- small-data:start/end -->`` (docs/howto/small-data.md), the FID curves to
``docs/small_data.png``.

The issue's targets: with augmentation, the 6,000-image FID within 1.5x of the 60,000-image run's, and the 1,000-image
FID at least 2x better than without augmentation (FID against the whole training split, 10,000 samples).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.common import RESULTS_DIR, ROOT, publish, table_options
from bench.zoo.entries import SMALL_DATA_AUGMENT as ADA
from bench.zoo.make_entry import eval_history, fid_curve, train_and_record

RESULTS = RESULTS_DIR / "small_data.json"
FIGURE = ROOT / "docs" / "small_data.png"
N = 10000
POLICY = ADA["policy"]  # the reference's CIFAR-10 policy; color is brightness and contrast on 1 channel
AUGMENT = {"none": None, "diffaugment": {"policy": POLICY}, "ada": ADA,  # ADA: the 1k zoo entry's augmentation
           "lecam": {"policy": POLICY}}  # "lecam": DiffAugment and LeCam regularisation (Tseng et al. 2021's pairing)
LABEL = {"lecam": "diffaugment + LeCam"}  # the tables' and the figure's name of an augmentation, where not its key
IMAGES = {"1k": 1000, "6k": 6000, "60k": None}
PLAN = [  # the six DCGAN runs and their 60k reference, then SN-GAN and R3GAN on 1,000 images without
    # augmentation and with the better of DCGAN's two on 1,000 images (ADA: FID 25.3 against DiffAugment's 31.3);
    # R3GAN with DiffAugment instead: ADA reads the sign of the critic's output, which a relativistic critic does
    # not fix (ganzoo.augment.Augment)
    *(f"dcgan-{n}-{a}" for n in ("1k", "6k") for a in ("none", "diffaugment", "ada")), "dcgan-60k-none",
    "sngan-1k-none", "sngan-1k-ada", "r3gan-1k-none", "r3gan-1k-diffaugment",
    "dcgan-1k-lecam",  # DCGAN's critic has no other constraint
]


def spec(run: str) -> dict:
    """The ``bench.zoo.make_entry.train`` spec of a run name ``<variant>-<images>-<augmentation>``."""
    variant, images, aug = run.split("-")
    s = {"data.init_args.limit": IMAGES[images]} if IMAGES[images] else {}
    if AUGMENT[aug]:
        s["model.init_args.augment"] = AUGMENT[aug]
    if aug == "lecam":
        s["model.init_args.constraints"] = ["lecam"]
    return {"kind": "image", "recipe": f"recipes/{variant}/fashion_mnist.yaml", "set": s}


def score(work: Path, run: str) -> dict:
    import ganzoo
    from ganzoo.data import FashionMNISTDataModule
    from ganzoo.metrics.images import evaluate

    gen, limit = ganzoo.load(work / "generator"), IMAGES[run.split("-")[1]]
    full = FashionMNISTDataModule()
    train = evaluate(gen, full, metrics=("fid", "prdc"), n=N, split="train", progress=True)
    test = evaluate(gen, full, metrics=("fid",), n=N, split="test", progress=True)
    copy = evaluate(gen, FashionMNISTDataModule(limit=limit), metrics=("copy",), n=N, progress=True)
    info = json.loads((work / "train_info.json").read_text())
    return {
        "fid_train": round(train["fid"], 3), "fid_test": round(test["fid"], 3),
        **{k: round(train[k], 4) for k in ("precision", "recall")},
        **{k: round(copy[k], 4) for k in ("copy_median_ratio", "copy_fraction", "fid_gap")},
        "augment_p": (json.loads((work / "generator" / "config.json").read_text()).get("training", {})
                      .get("augment") or {}).get("p"),
        "n": N, "generator_iterations": info["generator_iterations"], "train_seconds": info["train_seconds"],
        "hardware": info["hardware"], "threads": info["threads"], "overrides": info["overrides"],
        "curve": fid_curve(eval_history(work)),
    }


def table(res: dict) -> str:
    rows = ["| run | training images | augmentation | FID (train) | FID (test) | precision | recall | copy ratio | "
            "copy fraction | FID gap | G iterations | time |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for run in [r for r in PLAN if r in res] + sorted(set(res) - set(PLAN)):
        r = res[run]
        variant, images, aug = run.split("-")
        p = f" (p {r['augment_p']:.2f})" if aug == "ada" and r.get("augment_p") is not None else ""
        aug = LABEL.get(aug, aug)
        rows.append(f"| {variant} | {IMAGES[images] or 60000:,} | {aug}{p} | {r['fid_train']:.2f} | "
                    f"{r['fid_test']:.2f} | {r['precision']:.3f} | {r['recall']:.3f} | "
                    f"{r['copy_median_ratio']:.2f} | {r['copy_fraction']:.3f} | {r['fid_gap']:+.2f} | "
                    f"{r['generator_iterations']:,} | {r['train_seconds'] / 60:.0f} min |")
    machines = sorted({f"{r['hardware']} ({r['threads']} thread{'s' * (r['threads'] != 1)})" for r in res.values()})
    return "\n".join(rows) + (f"\n\n{N:,} samples each; FID against the whole training split and the test split "
                              f"({N:,} images each), the copy check against the images the run trained on. "
                              f"Trained on {', '.join(machines)}.")


def figure(res: dict, path: Path) -> None:
    """The runs' FID curves against training time (2,000 samples against the whole training split, every 500
    generator iterations): the 1,000-image runs on the left, DCGAN's 6,000- and 60,000-image runs on the right; one
    colour per augmentation, one line style per variant."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    colour = {"none": "tab:gray", "diffaugment": "tab:blue", "ada": "tab:orange", "lecam": "tab:green"}
    style = {"dcgan": "-", "sngan": "--", "r3gan": ":"}
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), dpi=120, sharey=True)
    for run in [r for r in PLAN if r in res and res[r].get("curve")]:
        variant, images, aug = run.split("-")
        minutes, fid = [s / 60 for _, _, s in res[run]["curve"]], [f for _, f, _ in res[run]["curve"]]
        ax = axes[0] if images == "1k" else axes[1]
        name = LABEL.get(aug, aug)
        label = f"{variant}, {name}" if images == "1k" else f"{IMAGES[images] or 60000:,} images, {name}"
        ax.plot(minutes, fid, style[variant] if images == "1k" else ("-" if images == "6k" else "-."),
                color=colour[aug] if images != "60k" else "black", label=label)
    for ax, title in zip(axes, ("1,000 training images", "DCGAN, 6,000 and 60,000 training images")):
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(ScalarFormatter())
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_yticks([10, 20, 30, 50, 100, 200])
        ax.set_xlabel("training minutes (one core)")
        ax.set_title(title)
        ax.grid(alpha=0.3, which="both")
        if ax.lines:
            ax.legend(fontsize=8)
    axes[0].set_ylabel("FID (2,000 samples, whole training split)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", nargs="+", choices=PLAN, default=PLAN)
    p.add_argument("--minutes", type=float, default=20.0, help="training time of each run")
    table_options(p, "small-data")
    args = p.parse_args()
    res = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    if not args.table:
        for run in args.only:
            res = train_and_record(RESULTS, run, spec(run), ROOT / "runs" / "small_data" / run, args.minutes,
                                   lambda work, run=run: score(work, run))
    figure(res, FIGURE)
    publish("small-data", table(res), args.readme)


if __name__ == "__main__":
    main()
