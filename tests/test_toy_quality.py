"""Each variant learns 8 Gaussians from its recipe on a 2-core CPU (slow: minutes per variant).

Targets (issue 2): WGAN-GP, SN-GAN, Cramer GAN and MMD-GAN cover 8/8 modes with exact W1 at most twice
the real-vs-real baseline (2000 vs 2000 samples). DCGAN, WGAN and f-GAN do not learn all 8 modes in this budget
(mode collapse is a finding, not a failure), but each must do what its recipe was measured to do over six seeds:
beat its own untrained generator by a margin and stay under a W1 bound (DCGAN: also cover a mode with a quarter
of its samples high-quality), see ``LEARNED``.
"""

import json
import time
from pathlib import Path

import pytest

from ganzoo.cli import main
from ganzoo.metrics.toy import evaluate_generator

RECIPES = Path(__file__).resolve().parents[1] / "recipes"
MUST_LEARN = ["wgan_gp", "sngan", "cramer_gan", "mmd_gan"]
PARTIAL = ["dcgan", "wgan", "fgan"]


def fit(variant: str, root: Path) -> tuple[dict, float]:
    t = time.perf_counter()
    main(["fit", "--config", str(RECIPES / variant / "8gaussians.yaml"), "--trainer.default_root_dir", str(root),
          "--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false"])
    return json.loads((root / "metrics.json").read_text()), time.perf_counter() - t


@pytest.mark.slow
@pytest.mark.parametrize("variant", MUST_LEARN)
def test_variant_learns_8gaussians(variant, tmp_path):
    m, seconds = fit(variant, tmp_path)
    print(variant, json.dumps(m), f"{seconds:.0f}s")
    assert (tmp_path / "samples.png").stat().st_size > 10_000
    assert (tmp_path / "generator" / "model.safetensors").is_file()
    assert m["modes"] == 8, m
    assert m["w1"] <= 2 * m["w1_baseline"], m


# What the recipes reach (5 draws of 2000 samples; metrics.json), with the recipe's seed 0 (the test's run,
# deterministic on one machine: two runs gave the same W1 to the last digit) and seeds 1-5, the spread that another
# CPU's rounding can bring (a GAN's training diverges from the smallest difference):
#   DCGAN  W1 0.881, 0.558, 0.406, 0.668, 0.153, 0.142; modes 3, 3, 2, 4, 8, 8; high-quality 0.756 to 0.333
#   WGAN   W1 0.247, 0.239, 0.270, 0.934, 0.281 (seeds 0-4); no mode; high-quality 0.003 to 0.040
#   f-GAN  W1 1.270, 0.731, 1.345, 0.197, 1.389, 1.274; W1 below its own untrained generator's by 0.011 to 1.19
# The untrained generators (the recipe's initialisation, seeds 0-5): W1 1.382-1.400, no mode, high-quality 0.
# f-GAN (Pearson) learns the 8 Gaussians for some seeds and hardly moves for others, so its bound only says that
# training moved it towards the data (a generator that never stepped ends where it started).
# Bounds: W1 at most `w1` and at least `gain` below the run's own untrained generator (computed in the test),
# at least `modes` modes and `high_quality`.
LEARNED = {
    "dcgan": dict(w1=1.0, gain=0.3, modes=1, high_quality=0.25),
    "wgan": dict(w1=1.0, gain=0.3, modes=0, high_quality=0.0),
    "fgan": dict(w1=1.4, gain=0.005, modes=0, high_quality=0.0),
}


def untrained_w1(variant: str, root: Path) -> float:
    """W1 of the run's generator before training: the recipe's model as ``ganzoo fit`` builds it (same seed)."""
    from ganzoo.cli.fit import GanzooCLI

    cli = GanzooCLI(args=["--config", str(RECIPES / variant / "8gaussians.yaml"), "--trainer.default_root_dir",
                          str(root)], run=False)
    return evaluate_generator(cli.model.export_model, "8gaussians")["w1"]


@pytest.mark.slow
@pytest.mark.parametrize("variant", PARTIAL)
def test_variant_moves_towards_8gaussians(variant, tmp_path):
    before = untrained_w1(variant, tmp_path / "untrained")
    m, seconds = fit(variant, tmp_path)
    print(variant, json.dumps(m), f"untrained W1 {before:.3f}", f"{seconds:.0f}s")
    bound = LEARNED[variant]
    assert m["generator_iterations"] == 2400 and m["non_finite"] == 0, m
    assert m["w1"] <= bound["w1"] and m["w1"] <= before - bound["gain"], (m, before)
    assert m["modes"] >= bound["modes"] and m["high_quality"] >= bound["high_quality"], m
