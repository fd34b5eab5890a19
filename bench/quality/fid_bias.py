"""How far FID is biased upward at small sample counts, measured on Fashion-MNIST with the shipped extractor.

    nice -n 19 python -m bench.quality.fid_bias [--draws 20]
    nice -n 19 python -m bench.quality.fid_bias --grid     # only the grid below, added to the saved JSON

FID(n images, 10,000 training images) for n in ``NS``, with the ``fmnist`` extractor, for two image sets:

* ``test``: random subsets (without replacement) of the 10,000 Fashion-MNIST test images;
* ``dcgan``: random subsets of 10,000 samples (seed 0) of the zoo's ``dcgan-fashion_mnist``.

Each n < 10,000 is drawn ``--draws`` times (seeds 0, 1, ...); n = 10,000 is the whole set, once. The bias at n is
the mean FID at n minus the FID at 10,000, and a least-squares fit FID(n) = FID_inf + b / n gives the
extrapolated FID of infinitely many images.

``grid`` (``--grid``): both counts vary. FID(n test images, n_ref training images) for n and n_ref in ``NS``: random
subsets of the 10,000 test images against random subsets of the 10,000 training images (the same seed draws both;
each pair of counts below (10,000, 10,000) ``--draws`` times); bias = mean FID at (n, n_ref) minus the FID at
(10,000, 10,000). A small reference set biases FID as much as a small generated set: this is what the warning
quotes for the counts actually used. Features are extracted once per set; every FID goes through
``ganzoo.metrics.features.fid_from_features``, the function ``ganzoo eval`` uses.

Writes ``bench/results/fid_bias.json`` and the same bytes to ``ganzoo/metrics/fid_bias.json``, which ships with
the package: ``ganzoo eval`` reads the ``test`` series from it to say, below 2,048 images, how biased the FID is
(``ganzoo.metrics.images.fid_bias_note``, which reads the ``grid``). The table goes between the ``fid-bias`` markers of
``docs/howto/evaluate.md``; ``--table`` only rewrites it from the saved JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import torch

from bench.common import RESULTS_DIR, ROOT, cpu_name, fill_table, stamp

NS = (50, 100, 250, 500, 1000, 2048, 5000, 10000)
N_REF = 10000
OUTPUTS = (RESULTS_DIR / "fid_bias.json", ROOT / "ganzoo" / "metrics" / "fid_bias.json")


def series(f_ref: torch.Tensor, f_set: torch.Tensor, draws: int) -> tuple[list[dict], dict]:
    from tqdm.auto import tqdm

    from ganzoo.metrics.features import fid_from_features

    rows = []
    for n in tqdm(NS, desc="n", leave=False):
        k = 1 if n == len(f_set) else draws
        fids = []
        for d in range(k):
            pick = torch.randperm(len(f_set), generator=torch.Generator().manual_seed(d))[:n]
            fids.append(fid_from_features(f_ref, f_set[pick]))
        t = torch.tensor(fids, dtype=torch.float64)
        rows.append({"n": n, "draws": k, "fid_mean": round(float(t.mean()), 4),
                     "fid_std": round(float(t.std()), 4) if k > 1 else 0.0,
                     "fid_min": round(float(t.min()), 4), "fid_max": round(float(t.max()), 4)})
    full = rows[-1]["fid_mean"]
    for r in rows:
        r["bias_vs_10000"] = round(r["fid_mean"] - full, 4)
    # least squares: fid_mean = fid_inf + b / n
    a = torch.tensor([[1.0, 1.0 / r["n"]] for r in rows], dtype=torch.float64)
    y = torch.tensor([r["fid_mean"] for r in rows], dtype=torch.float64)
    fid_inf, b = torch.linalg.lstsq(a, y[:, None]).solution[:, 0].tolist()
    return rows, {"fid_inf": round(fid_inf, 4), "b": round(b, 2)}


def grid(f_ref: torch.Tensor, f_set: torch.Tensor, draws: int) -> list[dict]:
    """FID(n of ``f_set``, n_ref of ``f_ref``) for n, n_ref in ``NS``: mean over ``draws`` random subset pairs."""
    from tqdm.auto import tqdm

    from ganzoo.metrics.features import fid_from_features

    rows = []
    for n_ref in tqdm(NS, desc="n_ref", leave=False):
        for n in NS:
            k = 1 if (n, n_ref) == (len(f_set), len(f_ref)) else draws
            fids = []
            for d in range(k):
                g = torch.Generator().manual_seed(d)
                pick, pick_ref = torch.randperm(len(f_set), generator=g)[:n], torch.randperm(len(f_ref), generator=g)
                fids.append(fid_from_features(f_ref[pick_ref[:n_ref]], f_set[pick]))
            t = torch.tensor(fids, dtype=torch.float64)
            rows.append({"n": n, "n_ref": n_ref, "draws": k, "fid_mean": round(float(t.mean()), 4),
                         "fid_std": round(float(t.std()), 4) if k > 1 else 0.0})
    full = next(r["fid_mean"] for r in rows if (r["n"], r["n_ref"]) == (len(f_set), len(f_ref)))
    for r in rows:
        r["bias"] = round(r["fid_mean"] - full, 4)
    return rows


def grid_table(result: dict) -> str:
    """The Markdown table of the grid: bias of FID by generated count (rows) and reference count (columns)."""
    rows = {(r["n"], r["n_ref"]): r for r in result["grid"]["rows"]}
    lines = ["| n \\ n_ref | " + " | ".join(f"{m:,}" for m in NS) + " |", "|---:|" + "---:|" * len(NS)]
    for n in NS:
        lines.append(f"| {n:,} | " + " | ".join(f"+{rows[n, m]['bias']:.2f}" if (n, m) != (N_REF, N_REF) else "0"
                                                 for m in NS) + " |")
    return "\n".join(lines)


def table(result: dict) -> str:
    """The Markdown table of the docs: FID and bias per n, for each series measured."""
    names = list(result["series"])
    head = "| images n | " + " | ".join(f"FID, {name} (mean ± std) | bias vs 10,000" for name in names) + " |"
    lines = [head, "|---:|" + "---:|---:|" * len(names)]
    by_n = {name: {r["n"]: r for r in result["series"][name]["rows"]} for name in names}
    for n in NS:
        cells = []
        for name in names:
            r = by_n[name].get(n)
            cells += ["", ""] if r is None else [
                f"{r['fid_mean']:.2f} ± {r['fid_std']:.2f}" if r["draws"] > 1 else f"{r['fid_mean']:.2f}",
                f"+{r['bias_vs_10000']:.2f}" if r["n"] < 10000 else "0"]
        lines.append(f"| {n:,} | " + " | ".join(cells) + " |")
    fits = "; ".join(f"{name}: FID(n) ≈ {s['fit']['fid_inf']:.2f} + {s['fit']['b']:.0f} / n"
                     for name, s in result["series"].items())
    return "\n".join(lines) + f"\n\nLeast-squares fit over n ({fits})."


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=20, help="random subsets per n below 10,000 (default 20)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1: the CPU is shared)")
    ap.add_argument("--table", action="store_true", help="only rewrite the docs tables from the saved JSON")
    ap.add_argument("--grid", action="store_true",
                    help="only measure the (n, n_ref) grid and add it to the saved JSON (the series are kept)")
    args = ap.parse_args()
    if args.table:
        saved = json.loads(OUTPUTS[0].read_text())
        fill_table("fid-bias", table(saved))
        if "grid" in saved:
            fill_table("fid-bias-grid", grid_table(saved))
        return
    torch.set_num_threads(args.threads)
    import ganzoo
    from ganzoo.data import FashionMNISTDataModule
    from ganzoo.io import atomic_write_bytes
    from ganzoo.metrics.extractors import Extractor
    from ganzoo.metrics.features import real_features

    started = time.perf_counter()
    dm = FashionMNISTDataModule()
    ex = Extractor("fmnist")
    ref = (dm.reference_images("train", N_REF)[0] + 1) / 2  # its features from ganzoo's cache when there
    f_ref, _ = real_features(ref, ex, dataset=dm.dataset_name, split="train", progress=True)
    if args.grid:
        feats, _ = ex.extract((dm.reference_images("test", 10000)[0] + 1) / 2, progress=True)
        add_grid(json.loads(OUTPUTS[0].read_text()), f_ref, feats, args, started)
        return
    out = {
        "what": "FID(n images, 10,000 Fashion-MNIST training images) against n; bias = mean FID at n - FID at 10,000",
        "extractor": "fmnist", "weights_sha256": ex.weights_sha256, "feature_dim": int(f_ref.shape[1]),
        "reference": "fashion_mnist train, first 10,000 images", "n_ref": N_REF,
        "series": {},
    }
    sets = (("test", "random subsets of the 10,000 fashion_mnist test images",
             lambda: (dm.reference_images("test", 10000)[0] + 1) / 2),
            ("dcgan", "random subsets of 10,000 dcgan-fashion_mnist samples (seed 0)",
             lambda: ganzoo.sample("dcgan-fashion_mnist", 10000, seed=0)))
    test_feats = None
    for name, desc, images in sets:  # the JSON is written after each series
        feats, _ = ex.extract(images(), progress=True)
        test_feats = feats if name == "test" else test_feats
        rows, fit = series(f_ref, feats, args.draws)
        out["series"][name] = {"images": desc, "rows": rows, "fit": fit}
        print(name, [(r["n"], r["fid_mean"], r["bias_vs_10000"]) for r in rows], fit, flush=True)
        out["seconds"] = round(time.perf_counter() - started, 1)
        out["machine"] = {"cpu": cpu_name(), "cores": os.cpu_count(), "torch_threads": args.threads,
                          "torch": torch.__version__, "note": "2-core CPU shared with a training run, nice -n 19"}
        out["stamp"] = stamp()
        text = (json.dumps(out, indent=1) + "\n").encode()
        for path in OUTPUTS:
            atomic_write_bytes(path, text)
            print("wrote", path.relative_to(ROOT), flush=True)
    fill_table("fid-bias", table(out))
    add_grid(out, f_ref, test_feats, args, started)


def add_grid(out: dict, f_ref: torch.Tensor, test_feats: torch.Tensor, args: argparse.Namespace,
             started: float) -> None:
    """Measure the (n, n_ref) grid, add it to ``out``, write the JSON files and the docs table."""
    from ganzoo.io import atomic_write_bytes

    out["grid"] = {
        "what": "FID(n test images, n_ref training images), random subsets of both; bias = mean FID at (n, n_ref) "
                "- FID at (10,000, 10,000)",
        "images": "random subsets of the 10,000 fashion_mnist test images",
        "reference": "random subsets of the first 10,000 fashion_mnist training images",
        "rows": grid(f_ref, test_feats, args.draws), "seconds": round(time.perf_counter() - started, 1),
        "machine": {"cpu": cpu_name(), "cores": os.cpu_count(), "torch_threads": args.threads,
                    "torch": torch.__version__, "note": "2-core CPU shared with other jobs, nice -n 19"},
        "stamp": stamp(),
    }
    text = (json.dumps(out, indent=1) + "\n").encode()
    for path in OUTPUTS:
        atomic_write_bytes(path, text)
        print("wrote", path.relative_to(ROOT), flush=True)
    fill_table("fid-bias-grid", grid_table(out))


if __name__ == "__main__":
    main()
