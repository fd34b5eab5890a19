"""The zoo's leaderboard in the README and the zoo page of the docs, from the entries' model cards, and a figure
with a sample grid per entry.

    python -m bench.zoo.leaderboard     # rewrites README.md between <!-- zoo:start --> and <!-- zoo:end -->,
                                        # docs/zoo.md (docs/zoo_page.py) and docs/zoo.png

Each card's YAML ``model-index`` (read back with ``huggingface_hub.ModelCard``) must agree with ``index.json``;
the table is ``ganzoo.zoo.leaderboard()`` (what ``ganzoo list`` prints).
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

import ganzoo
from bench.common import ROOT, fill_table
from ganzoo.zoo import ZOO_DIR, leaderboard

CARD_KEYS = {"fid": "fid", "kid": "kid", "is": "is", "precision": "precision", "recall": "recall",
             "density": "density", "coverage": "coverage", "classes_covered": "classes_covered",
             "class_accuracy": "class_accuracy", "l1": "l1", "psnr_db": "psnr_db"}


def check_cards() -> None:
    """Every card's model-index agrees with the index's metrics (the table is rendered from the latter)."""
    from huggingface_hub import ModelCard

    for e in ganzoo.list_pretrained():
        card = ModelCard.load(ZOO_DIR / e.name / "README.md")
        for r in card.data.eval_results or []:
            key = r.metric_type
            if r.metric_args and r.metric_args.get("direction"):
                key = f"{r.metric_args['direction']}/{key}"
            ref = e.metrics.get(CARD_KEYS.get(key, key))
            if isinstance(ref, (int, float)) and abs(float(r.metric_value) - ref) > 1e-3 * max(1.0, abs(ref)):
                raise SystemExit(f"{e.name}: card says {key}={r.metric_value}, index.json says {ref}")


def figure(path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    entries = [e for e in ganzoo.list_pretrained() if e.folder is not None]
    cols = 4
    rows = -(-len(entries) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.5 * rows), dpi=90)
    for ax in axes.flat:
        ax.axis("off")
    for ax, e in zip(axes.flat, entries, strict=False):
        ax.imshow(Image.open(e.folder / "samples.png"), cmap="gray")
        m = e.metrics
        score = (f"FID {m['fid']:.1f}" if "fid" in m and "l1" not in m else f"L1 {m['l1']:.3f}" if "l1" in m
                 else f"W1 {m['w1']:.3f}" if "w1" in m else "")
        ax.set_title(f"{e.name}\n{score}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)


def zoo_page():
    """``docs/zoo_page.py``, the zoo page's generator (the docs build runs it too), loaded from its file."""
    spec = importlib.util.spec_from_file_location("zoo_page", ROOT / "docs" / "zoo_page.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    check_cards()
    table = leaderboard()
    fill_table("zoo", table)  # the README's leaderboard (every page with the zoo markers)
    figure(ROOT / "docs" / "zoo.png")
    print("rewrote docs/zoo.md" if zoo_page().write() else "docs/zoo.md is current")
    print(table)


if __name__ == "__main__":
    main()
