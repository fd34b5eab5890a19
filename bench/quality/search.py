"""Measured result of ``ganzoo.search``: class queries on Fashion-MNIST with an unconditional generator.

    python -m bench.quality.search --model PATH_OR_ZOO_NAME [--describe TEXT] [--n 64] [--m 16] [--seed 0] [--threads 2]
    python -m bench.quality.search --table-only [--describe TEXT]     # rebuild the docs table from the recorded JSON

For each of the 10 classes: the query is the first ``m`` (16) test images of that class (test-set order), the search
returns ``n`` (64) samples. Reported per class and on average:

* the fraction of found samples the shipped classifier assigns to the query's class, against ``ganzoo.sample``'s
  random samples with the same seed (the search's "before");
* MMD^2 (the search's own objective: classifier features scaled by the median heuristic, rational-quadratic mixture)
  of the random samples and of the found ones, to the query;
* FID (shipped classifier's features) of the 64 found samples and of the 64 random ones against the class's other
  test images (the query excluded; about 984). With 64 samples FID is biased upwards: compare the two columns;
* the wall time of one search (``torch.set_num_threads(--threads)``), and its CPU time (all threads; on a machine
  shared with other work the wall time is inflated, the CPU time much less).

Plus one query that is not a class: the 16 first test T-shirts (class 0) among the brightest quartile of T-shirts
(mean pixel value >= the 75th percentile of the test T-shirts'), searched with the classifier's features and with
pixels; reported: the found samples' mean brightness and T-shirt fraction against the query's, the random samples'
and all T-shirts'.

Note: the search's "auto" features are the same classifier that scores the class fraction and the FID (the paper,
too, searches in a classifier's feature space); the bench also runs one average over the classes with
``features="pixels"`` as a check that does not share the judge's features (``--no-pixels`` skips it).

Writes ``bench/results/search.json``, ``docs/search.png`` and the table between the markers (docs/benchmarks.md)
``<!-- search:start -->`` / ``<!-- search:end -->``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

import ganzoo
from bench.common import RESULTS_DIR, ROOT, cpu_name, fill_table, stamp
from ganzoo.data import FashionMNISTDataModule
from ganzoo.data.idx import FASHION_MNIST_CLASSES
from ganzoo.imageio import image_grid
from ganzoo.metrics.classifier import predict
from ganzoo.metrics.images import compute_image_metrics


def fid(fake: torch.Tensor, real: torch.Tensor, split: str) -> float:
    return compute_image_metrics(fake, real, metrics=("fid",), dataset="fashion_mnist", split=split)["fid"]


def query(model, ex, cls, rest, args, features="auto", with_fid=True) -> tuple[dict, torch.Tensor]:
    t, cpu = time.perf_counter(), time.process_time()
    found, info = ganzoo.search(model, ex, args.n, seed=args.seed, steps=args.steps, pool=args.pool,
                                features=features, return_info=True)
    seconds, cpu_seconds = time.perf_counter() - t, time.process_time() - cpu
    rand = ganzoo.sample(model, args.n, seed=args.seed)
    row = {"mmd2_before": info["mmd2_before"], "mmd2_init": info["mmd2_init"], "mmd2_after": info["mmd2_after"],
           "seconds": seconds, "cpu_seconds": cpu_seconds, "bandwidth": info["bandwidth"]}
    if cls is not None:
        row["fraction_found"] = float((predict(found) == cls).float().mean())
        row["fraction_random"] = float((predict(rand) == cls).float().mean())
    if with_fid:
        row["fid_found"] = fid(found, rest, f"test_class{cls}_minus_query")
        row["fid_random"] = fid(rand, rest, f"test_class{cls}_minus_query")
    return row, found


def bright_tshirts(model, x, y, args, features) -> tuple[dict, torch.Tensor, torch.Tensor]:
    """The query that is not a class: the first m test T-shirts of the brightest quartile of test T-shirts."""
    tshirts = x[y == 0]
    bright = tshirts.mean(dim=(1, 2, 3))
    cut = float(bright.quantile(0.75))
    ex = tshirts[bright >= cut][: args.m]
    row, found = query(model, ex, 0, None, args, features=features, with_fid=False)
    rand = ganzoo.sample(model, args.n, seed=args.seed)
    row.update({
        "rule": "first 16 test T-shirts (class 0) whose mean pixel value is >= the 75th percentile of test T-shirts'",
        "features": features, "brightness_cut": cut, "brightness_query": float(ex.mean()),
        "brightness_all_tshirts": float(tshirts.mean()), "brightness_found": float(found.mean()),
        "brightness_random": float(rand.mean()),
        "tshirt_fraction_found": row.pop("fraction_found"), "tshirt_fraction_random": row.pop("fraction_random"),
        "found_class_fractions": torch.bincount(predict(found), minlength=10).div(args.n).tolist(),
    })
    print(json.dumps(row), flush=True)
    return row, ex, found


def table(res: dict) -> str:
    rows = ["| query (16 test images) | class fraction: random → found | MMD² random → found | "
            "FID vs class: random → found | time |", "|---|---|---|---|---|"]
    for r in res["classes"]:
        rows.append(f"| {r['class']} {r['name']} | {100 * r['fraction_random']:.0f}% → "
                    f"**{100 * r['fraction_found']:.0f}%** | {r['mmd2_before']:.3f} → {r['mmd2_after']:.3f} | "
                    f"{r['fid_random']:.0f} → {r['fid_found']:.0f} | {r['seconds']:.0f} s |")
    a = res["average"]
    rows.append(f"| **average** | {100 * a['fraction_random']:.1f}% → **{100 * a['fraction_found']:.1f}%** "
                f"(min {100 * a['fraction_found_min']:.0f}%) | {a['mmd2_before']:.3f} → {a['mmd2_after']:.3f} | "
                f"{a['fid_random']:.0f} → {a['fid_found']:.0f} | {a['seconds']:.0f} s |")
    if "pixels_average" in res:
        p = res["pixels_average"]
        rows.append(f"| average, `features=\"pixels\"` | {100 * p['fraction_random']:.1f}% → "
                    f"{100 * p['fraction_found']:.1f}% (min {100 * p['fraction_found_min']:.0f}%) | "
                    f"{p['mmd2_before']:.3f} → {p['mmd2_after']:.3f} (pixel kernel) | – | {p['seconds']:.0f} s |")
    for key, how in (("bright_tshirts", "classifier features"), ("bright_tshirts_pixels", "`features=\"pixels\"`")):
        if key not in res:
            continue
        b = res[key]
        rows.append(f"| brightest quartile of T-shirts, {how} | T-shirt {100 * b['tshirt_fraction_random']:.0f}% → "
                    f"{100 * b['tshirt_fraction_found']:.0f}%; mean brightness: query {b['brightness_query']:.2f}, "
                    f"all T-shirts {b['brightness_all_tshirts']:.2f}, random {b['brightness_random']:.2f}, found "
                    f"**{b['brightness_found']:.2f}** | {b['mmd2_before']:.3f} → {b['mmd2_after']:.3f} | – | "
                    f"{b['seconds']:.0f} s |")
    env = res["environment"]
    rows.append("")
    desc = f" ({res['model_description']})" if res.get("model_description") else ""
    rows.append(f"Model `{res['model']}`{desc}, n = {res['n']} found per query of m = {res['m']}, seed {res['seed']}, "
                f"{res['steps']} Adam steps from the best {res['n']} of {res['pool'] * res['n']} candidates; "
                f"{env['threads']} CPU threads ({env['processor']}), torch {env['torch']}. "
                "Fractions and FID use the shipped classifier, whose features the default search also uses.")
    return "\n".join(rows)


def figure(rows: list[tuple[str, torch.Tensor, torch.Tensor]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(rows), 2, figsize=(11, 1.25 * len(rows)), gridspec_kw={"width_ratios": [1, 2]})
    for (name, ex, found), (a, b) in zip(rows, axes):
        a.imshow(image_grid(ex[:8], nrow=8)[0], cmap="gray", vmin=0, vmax=1)
        b.imshow(image_grid(found[:16], nrow=16)[0], cmap="gray", vmin=0, vmax=1)
        a.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=8)
        for ax in (a, b):
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0][0].set_title("query (8 of 16 test images)", fontsize=9)
    axes[0][1].set_title("found (16 of 64)", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="generator folder, zoo name or Hub id (unconditional, 1x32x32)")
    ap.add_argument("--n", type=int, default=64)
    ap.add_argument("--m", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--pool", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--classes", type=int, nargs="*", default=list(range(10)))
    ap.add_argument("--no-pixels", action="store_true", help="skip the pixel-feature average")
    ap.add_argument("--no-readme", action="store_true")
    ap.add_argument("--describe", default=None, help="a description of the model for the table (recorded in the JSON)")
    ap.add_argument("--table-only", action="store_true", help="rebuild the table (and the docs page) from --out's JSON")
    ap.add_argument("--bright-only", action="store_true",
                    help="rerun only the bright T-shirt queries into --out's JSON (keeps the class results and figure)")
    ap.add_argument("--out", default=str(RESULTS_DIR / "search.json"))
    args = ap.parse_args()
    if args.table_only:
        res = json.loads(Path(args.out).read_text())
        if args.describe:
            res["model_description"] = args.describe
            Path(args.out).write_text(json.dumps(res, indent=2) + "\n")
        print(table(res))
        if not args.no_readme:
            fill_table("search", table(res))
        return
    if args.model is None:
        raise SystemExit("bench.quality.search: --model PATH_OR_ZOO_NAME is required (unless --table-only)")
    torch.set_num_threads(args.threads)
    model = ganzoo.load(args.model)
    if getattr(model, "num_classes", 0):
        raise SystemExit("bench.quality.search measures unconditional generators")
    x, y = FashionMNISTDataModule().reference_images("test")
    x = ((x + 1) / 2).clamp(0, 1)
    if args.bright_only:
        res = json.loads(Path(args.out).read_text())
        if res["model"] != str(args.model) or res["seed"] != args.seed:
            raise SystemExit(f"--bright-only: {args.out} holds model {res['model']!r}, seed {res['seed']}")
        res["bright_tshirts"] = bright_tshirts(model, x, y, args, "auto")[0]
        res["bright_tshirts_pixels"] = bright_tshirts(model, x, y, args, "pixels")[0]
        Path(args.out).write_text(json.dumps(res, indent=2) + "\n")
        print(table(res))
        if not args.no_readme:
            fill_table("search", table(res))
        return
    res: dict = {"model": str(args.model), "n": args.n, "m": args.m, "seed": args.seed, "steps": args.steps,
                 "pool": args.pool, "model_description": args.describe, "classes": [],
                 "environment": {"threads": args.threads, "processor": cpu_name(),
                                 "torch": torch.__version__}, "stamp": stamp()}
    fig_rows = []
    for c in args.classes:
        imgs = x[y == c]
        ex, rest = imgs[: args.m], imgs[args.m:]
        row, found = query(model, ex, c, rest, args)
        row.update({"class": c, "name": FASHION_MNIST_CLASSES[c]})
        res["classes"].append(row)
        fig_rows.append((FASHION_MNIST_CLASSES[c], ex, found))
        print(json.dumps(row), flush=True)
    keys = ("fraction_found", "fraction_random", "mmd2_before", "mmd2_after", "fid_found", "fid_random", "seconds")
    res["average"] = {k: sum(r[k] for r in res["classes"]) / len(res["classes"]) for k in keys}
    res["average"]["fraction_found_min"] = min(r["fraction_found"] for r in res["classes"])
    if not args.no_pixels:
        prow = []
        for c in args.classes:
            imgs = x[y == c]
            prow.append(query(model, imgs[: args.m], c, None, args, features="pixels", with_fid=False)[0])
            print("pixels", c, json.dumps(prow[-1]), flush=True)
        res["pixels_average"] = {k: sum(r[k] for r in prow) / len(prow) for k in
                                 ("fraction_found", "fraction_random", "mmd2_before", "mmd2_after", "seconds")}
        res["pixels_average"]["fraction_found_min"] = min(r["fraction_found"] for r in prow)
        res["pixels_per_class"] = [r["fraction_found"] for r in prow]
    # a query that is not a class, with the classifier's features and with pixels
    res["bright_tshirts"], ex, found = bright_tshirts(model, x, y, args, "auto")
    res["bright_tshirts_pixels"], _, found_px = bright_tshirts(model, x, y, args, "pixels")
    fig_rows += [("bright T-shirts", ex, found), ("bright T-shirts\n(pixels)", ex, found_px)]
    figure(fig_rows, ROOT / "docs" / "search.png")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2) + "\n")
    md = table(res)
    print(md)
    if not args.no_readme:
        fill_table("search", md)
    print(f"wrote {out}, {ROOT / 'docs' / 'search.png'}")


if __name__ == "__main__":
    main()
