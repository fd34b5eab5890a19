"""Each variant learns 8 Gaussians from its recipe on a 2-core CPU (slow: minutes per variant).

Targets (issue 2): WGAN-GP, SN-GAN, Cramer GAN and MMD-GAN cover 8/8 modes with exact W1 at most twice
the real-vs-real baseline (2000 vs 2000 samples). DCGAN, WGAN and f-GAN report their numbers
(mode collapse is a finding, not a failure); the test only checks that the report is complete.
"""

import json
import time
from pathlib import Path

import pytest

from ganzoo.cli import main

RECIPES = Path(__file__).resolve().parents[1] / "recipes"
MUST_LEARN = ["wgan_gp", "sngan", "cramer_gan", "mmd_gan"]
REPORT_ONLY = ["dcgan", "wgan", "fgan"]


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


@pytest.mark.slow
@pytest.mark.parametrize("variant", REPORT_ONLY)
def test_variant_reports_8gaussians(variant, tmp_path):
    m, seconds = fit(variant, tmp_path)
    print(variant, json.dumps(m), f"{seconds:.0f}s")
    assert {"w1", "w1_baseline", "modes", "high_quality", "generator_iterations"} <= set(m)
    assert m["generator_iterations"] > 0 and m["w1"] > 0
