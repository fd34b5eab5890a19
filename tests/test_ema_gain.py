"""``bench/quality/ema_gain.py``: the zoo protocol's FID of a run's trained generator and of its weight average, read
from the run folder that ``bench/zoo/make_entry.py`` leaves (its recipe and last checkpoint), on a real 3-iteration
fit."""

import math
from pathlib import Path

import pytest
import yaml

from ganzoo.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.fashion_mnist
def test_ema_gain_scores_the_trained_generator_and_its_average(tmp_path, monkeypatch):
    from bench.quality import ema_gain

    run = tmp_path / "run"
    cfg = yaml.safe_load((ROOT / "recipes" / "dcgan" / "fashion_mnist.yaml").read_text())
    cfg["trainer"].update(precision="32-true", default_root_dir=str(run), enable_progress_bar=False, logger=False)
    cfg["trainer"]["callbacks"] = [c for c in cfg["trainer"]["callbacks"] if c["class_path"].endswith("GanCheckpoint")]
    cfg["model"]["init_args"].update(max_gen_iters=3, channels_last=False)
    run.mkdir()
    (run / "recipe.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    with pytest.raises(SystemExit, match="last.ckpt: missing"):  # named, before any work
        ema_gain.gain(run)
    main(["fit", "--config", str(run / "recipe.yaml")])
    assert (run / "checkpoints" / "last.ckpt").is_file()

    monkeypatch.setattr(ema_gain, "IMAGE_N", 500)  # the protocol's 10,000 samples take longer than the point
    r = ema_gain.gain(run)
    assert all(math.isfinite(r[k]) and r[k] > 0 for k in ("trained", "average")), r
    assert r["trained"] != r["average"]  # two different generators were scored (3 steps into the average's ramp)

    cfg["model"]["init_args"].pop("ema_decay"), cfg["model"]["init_args"].pop("ema_rampup")
    (run / "recipe.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    with pytest.raises(SystemExit, match="keeps no average"):
        ema_gain.gain(run)
