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


def fit(variant: str, root: Path, dataset: str = "8gaussians") -> tuple[dict, float]:
    t = time.perf_counter()
    main(["fit", "--config", str(RECIPES / variant / f"{dataset}.yaml"), "--trainer.default_root_dir", str(root),
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


# R3GAN (the relativistic pairing loss with R1 + R2, recipes/r3gan/*gaussians.yaml), measured with the recipes' seed 0
# (the test's run) and seeds 1 and 2 on one busy core of an AMD EPYC (metrics.json: 5 draws of 2000 samples):
#   8 Gaussians, 2,400 iterations (about 1 minute):   W1 0.093, 0.082, 0.082 (real-vs-real 0.068); 8, 8, 8 modes;
#                                                      high-quality 0.80, 0.82, 0.78
#   25 Gaussians, 6,000 iterations (about 2.5 minutes): W1 0.123, 0.078, 0.142 (real-vs-real 0.064); 21, 25, 18 modes;
#                                                      high-quality 0.57, 0.78, 0.51
# (with 2,400 iterations the 25 Gaussians had 4 and 6 modes; with the paper's lr 2e-4 the 8 Gaussians had none.)
# Bounds: below the worst seed, with room for another CPU's rounding.
R3GAN_BOUNDS = {
    "8gaussians": dict(modes=8, w1_over_baseline=2.0, high_quality=0.7),
    "25gaussians": dict(modes=15, w1_over_baseline=2.5, high_quality=0.4),
}


@pytest.mark.slow
@pytest.mark.parametrize("dataset", sorted(R3GAN_BOUNDS))
def test_r3gan_learns_the_gaussian_mixtures(dataset, tmp_path):
    m, seconds = fit("r3gan", tmp_path, dataset)
    print("r3gan", dataset, json.dumps(m), f"{seconds:.0f}s")
    bound = R3GAN_BOUNDS[dataset]
    assert m["non_finite"] == 0 and m["generator_iterations"] == {"8gaussians": 2400, "25gaussians": 6000}[dataset]
    assert m["modes"] >= bound["modes"], m
    assert m["w1"] <= bound["w1_over_baseline"] * m["w1_baseline"], m
    assert m["high_quality"] >= bound["high_quality"], m
