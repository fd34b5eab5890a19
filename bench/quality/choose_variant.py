"""The "Choose a variant" page's evidence, gathered from the measured results (no number typed by hand):
the zoo's Fashion-MNIST entries (fidelity: FID, precision; coverage: recall), the stacked Fashion-MNIST benchmark
(mode coverage: modes of 1,000 and KL; the seconds per iteration, all on one machine), and the loss-vs-FID
correlations (does the critic's value track quality?).

    python -m bench.quality.choose_variant           # print the page's tables
    python -m bench.quality.choose_variant --readme  # write them into docs/choose-variant.md (choose-variant markers)

Reads ``ganzoo/zoo/index.json``, ``bench/results/stacked_modes.json``, ``bench/results/loss_vs_fid.json`` and
``bench/results/fgan_divergences.json``; a result that is missing leaves its column empty ("-"), and the goals
below the table are decided only by the columns that have numbers.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.common import RESULTS_DIR as RESULTS
from bench.common import ROOT, publish

ZOO = ROOT / "ganzoo" / "zoo" / "index.json"


def _load(path: Path) -> dict:
    return json.loads(path.read_text()) if path.is_file() else {}


def gather() -> dict[str, dict]:
    """Run name (``dcgan``, ``fgan_kl``, ...) -> what is measured of it."""
    rows: dict[str, dict] = {}
    for e in _load(ZOO).get("entries", []):
        name, _, dataset = e["name"].partition("-")
        if dataset != "fashion_mnist" or e["metrics"].get("classes_covered") is None or name == "cgan":
            continue  # the unconditional image entries (cGAN is told the class: another task)
        name = "fgan_js" if name == "fgan" else name
        m = e["metrics"]
        rows.setdefault(name, {}).update(
            fid=m["fid"], precision=m["precision"], recall=m["recall"], zoo_hardware=m.get("hardware"))
    for d, r in _load(RESULTS / "fgan_divergences.json").items():  # divergences that did not make the zoo
        rows.setdefault(f"fgan_{d}", {}).update(
            {k: r[k] for k in ("fid", "precision", "recall")
             if k in r and (f"fgan_{d}" not in rows or k not in rows[f"fgan_{d}"])},
            zoo_hardware=r["hardware"], diverged=r.get("diverged_after"))
    for r in _load(RESULTS / "stacked_modes.json").values():
        if r.get("critic_width", 1) == 1 and "diverged_after" in r:  # stopped by the divergence guard
            rows.setdefault(r["run"], {}).update(stacked_diverged=r["diverged_after"])
        elif r.get("critic_width", 1) == 1:
            # seconds per iteration from these runs: one machine, one thread each, the same time for every variant
            rows.setdefault(r["run"], {}).update(modes=r["modes"], modes_kl=r["modes_kl"], floor=r["floor"],
                                                 s_per_it=r["train_seconds"] / r["generator_iterations"],
                                                 stacked_hardware=r["hardware"])
    for label, r in _load(RESULTS / "loss_vs_fid.json").items():
        rows.setdefault(label, {}).update(rho=r.get("spearman_rho"))
    return rows


def _fmt(v, spec: str) -> str:
    return "-" if v is None else format(v, spec)


def table(rows: dict[str, dict]) -> str:
    out = ["| variant | FID | precision | recall | stacked modes (of 1,000) | stacked KL | seconds / iteration | "
           "loss tracks FID (Spearman rho) |", "|---|---|---|---|---|---|---|---|"]
    for name, r in sorted(rows.items(), key=lambda kv: (kv[1].get("fid") is None, kv[1].get("fid") or 0)):
        fid = f"diverged after {r['diverged']:,} iterations" if r.get("diverged") else _fmt(r.get("fid"), ".2f")
        modes = (f"diverged after {r['stacked_diverged']:,} iterations" if r.get("stacked_diverged")
                 else _fmt(r.get("modes"), "d"))
        out.append(f"| {name} | {fid} | {_fmt(r.get('precision'), '.3f')} | "
                   f"{_fmt(r.get('recall'), '.3f')} | {modes} | {_fmt(r.get('modes_kl'), '.3f')} | "
                   f"{_fmt(r.get('s_per_it'), '.3f')} | {_fmt(r.get('rho'), '+.2f')} |")
    return "\n".join(out)


def goals(rows: dict[str, dict]) -> str:
    """One line a goal: the variant the numbers favour, and the runner-up, with their numbers."""
    def best(key: str, low: bool, fmt: str, what: str) -> str | None:
        have = sorted(((r[key], n) for n, r in rows.items() if r.get(key) is not None), reverse=not low)
        if not have:
            return None
        top = [n for v, n in have if v == have[0][0]]  # every variant tied at the best value
        rest = [(v, n) for v, n in have if v != have[0][0]]
        tail = f"; then {rest[0][1]} ({format(rest[0][0], fmt)})" if rest else ""
        return f"- **{what}**: {', '.join(top)} ({format(have[0][0], fmt)}){tail}."

    lines = [best("fid", True, ".2f", "Fidelity and overall quality (lowest FID)"),
             best("precision", False, ".3f", "Samples that look real (highest precision)"),
             best("recall", False, ".3f", "Covering the data's variety (highest recall)"),
             best("modes", False, "d", "Not dropping modes (most of the 1,000 stacked modes)"),
             best("modes_kl", True, ".3f", "Even mode proportions (lowest stacked KL)"),
             best("s_per_it", True, ".3f", "Speed on a CPU (fewest seconds per iteration)"),
             best("rho", False, "+.2f", "A training loss that tells you how it is going (highest Spearman rho)")]
    return "\n".join(line for line in lines if line)


def machines(rows: dict[str, dict]) -> str:
    zoo = sorted({r["zoo_hardware"] for r in rows.values() if r.get("zoo_hardware")})
    stacked = sorted({r["stacked_hardware"] for r in rows.values() if r.get("stacked_hardware")})
    floor = next((r["floor"] for r in rows.values() if isinstance(r.get("floor"), dict)), None)
    parts = [f"FID, precision and recall: the zoo's 10,000-sample scores of each entry "
             "(45-minute trainings; f-GAN divergences outside the zoo: `bench/quality/fgan_divergences.py`), "
             f"trained on {', '.join(zoo) or '-'}."]
    if stacked:
        parts.append("Stacked modes and KL: `bench/quality/stacked_modes.py`, 26,000 samples after equal training "
                     f"time, on {', '.join(stacked)} (one training a core; seconds per iteration are theirs, "
                     "evaluations during training included)"
                     + (f"; real stacked test images score {floor['modes']} modes and KL {floor['modes_kl']:.3f}."
                        if floor else "."))
    return " ".join(parts)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--readme", action="store_true", help="write into docs/choose-variant.md")
    args = p.parse_args()
    rows = gather()
    publish("choose-variant", f"{goals(rows)}\n\n{table(rows)}\n\n{machines(rows)}", args.readme)


if __name__ == "__main__":
    main()
