"""The f-GAN family on Fashion-MNIST: KL, reverse KL, Pearson chi-squared, squared Hellinger and Jensen-Shannon, each
trained with the zoo's f-GAN recipe for the same number of generator iterations, one after the other (both cores
each), then scored like a zoo entry (10,000 samples, shipped classifier: FID, precision, recall, density, coverage).

    python -m bench.quality.fgan_divergences                   # train what is missing (resumes a cut-off run), score
    python -m bench.quality.fgan_divergences --only kl pearson
    python -m bench.quality.fgan_divergences --table --readme  # the table and figure of the saved results only

Each run is ``bench/zoo/make_entry.py``'s training of the entry ``fgan_<divergence>-fashion_mnist`` in
``runs/zoo/<entry>``, so an entry that reaches its target is bundled afterwards by ``python -m bench.zoo.make_entry
NAME --skip_train``; JS is the zoo's ``fgan-fashion_mnist`` entry (17,975 iterations), read from the zoo's index.
Results go to ``bench/results/fgan_divergences.json`` after every run (a cut-off session keeps what finished), the
FID curves (2,000 samples every 500 iterations) to ``docs/fgan_divergences.png``, the table to the page holding
``<!-- fgan-divergences:start/end -->`` (docs/concepts/divergences.md).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.common import RESULTS_DIR, ROOT, publish, table_options
from bench.zoo.entries import ENTRIES, FGAN_DIVERGENCES
from bench.zoo.make_entry import IMAGE_N, _datamodule, diverged_row, eval_history, fid_curve, train_unless_diverged

RESULTS = RESULTS_DIR / "fgan_divergences.json"
FIGURE = ROOT / "docs" / "fgan_divergences.png"
ORDER = ("kl", "pearson", "reverse_kl", "js", "hellinger")
assert set(ORDER) == {*FGAN_DIVERGENCES, "js"}


def js_entry() -> dict:
    """JS is the zoo's ``fgan-fashion_mnist`` entry, trained for about the same number of iterations: its index
    metrics (the same protocol)."""
    from ganzoo.zoo import INDEX_PATH

    m = next(e for e in json.loads(INDEX_PATH.read_text())["entries"] if e["name"] == "fgan-fashion_mnist")["metrics"]
    return {**{k: m[k] for k in ("fid", "precision", "recall", "density", "coverage", "classes_covered", "n_eval",
                                 "generator_iterations", "train_seconds", "hardware", "threads", "curve")},
            "overrides": [], "source": "zoo entry fgan-fashion_mnist"}


def score(spec: dict, work: Path) -> dict:
    import ganzoo
    from ganzoo.training.image_eval import evaluate_images

    m = evaluate_images(ganzoo.load(work / "generator"), _datamodule(spec), metrics=("fid", "prdc"), n=IMAGE_N,
                        seed=0, progress=True)
    info = json.loads((work / "train_info.json").read_text())
    return {
        "fid": round(m["fid"], 3), **{k: round(m[k], 4) for k in ("precision", "recall", "density", "coverage")},
        "classes_covered": m["class_coverage"]["classes_covered"], "n_eval": IMAGE_N,
        "generator_iterations": info["generator_iterations"], "train_seconds": info["train_seconds"],
        "hardware": info["hardware"], "threads": info["threads"], "overrides": info["overrides"],
        "curve": fid_curve(eval_history(work)),
    }


def run(d: str) -> dict:
    """Train the divergence's run (unless finished, or stopped by the divergence guard: a diverged run is recorded,
    not resumed into the same end) and score it, or record where it diverged."""
    spec = ENTRIES[f"fgan_{d}-fashion_mnist"]
    work = ROOT / "runs" / "zoo" / f"fgan_{d}-fashion_mnist"
    after = train_unless_diverged(spec, work)
    return score(spec, work) if after is None else diverged_row(work, after)


def table(res: dict) -> str:
    rows = ["| divergence | FID (10k) | precision | recall | density | coverage | G iterations | training |",
            "|---|---|---|---|---|---|---|---|"]
    for d in ORDER:
        if d in res and "diverged_after" in res[d]:
            r = res[d]
            best = min(r["curve"], key=lambda c: c[1])
            rows.append(f"| `{d}` | diverged after {r['diverged_after']:,} iterations (FID of 2,000 samples: best "
                        f"{best[1]:.1f} at {best[0]:,}) | | | | | {r['diverged_after']:,} | "
                        f"{r['threads']} thread{'s' * (r['threads'] > 1)} |")
        elif d in res:
            r = res[d]
            rows.append(f"| `{d}` | {r['fid']:.2f} | {r['precision']:.3f} | {r['recall']:.3f} | {r['density']:.3f} "
                        f"| {r['coverage']:.3f} | {r['generator_iterations']:,} | {r['train_seconds'] / 60:.0f} min, "
                        f"{r['threads']} thread{'s' * (r['threads'] > 1)} |")
    machines = sorted({r["hardware"].split(", ")[0].removeprefix("CPU: ") for r in res.values()})
    return "\n".join(rows) + (f"\n\nMachine: {', '.join(machines)}. A run on one thread had the other core busy with "
                               "other work; the iteration count, not the minutes, is what the runs share.")


def figure(res: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.8), dpi=120)
    for d in ORDER:
        if d in res and res[d]["curve"]:
            it, fid, _ = zip(*res[d]["curve"])
            ax.plot(it, fid, marker="o", ms=3, label=d)
    ax.set_yscale("log")
    ax.set_xlabel("generator iterations")
    ax.set_ylabel("FID (2,000 samples)")
    ax.set_title("f-GAN divergences on Fashion-MNIST, the zoo's f-GAN recipe")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", nargs="+", choices=ORDER, default=list(ORDER))
    table_options(p, "fgan-divergences")
    args = p.parse_args()
    res = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    if not args.table:
        for d in args.only:
            if d == "js":
                res[d] = js_entry()
            else:
                res[d] = run(d)
            RESULTS.write_text(json.dumps(res, indent=1) + "\n")
            print(d, {k: v for k, v in res[d].items() if k != "curve"}, flush=True)
    figure(res, FIGURE)
    publish("fgan-divergences", table(res), args.readme)


if __name__ == "__main__":
    main()
