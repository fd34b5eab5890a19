"""The images issue's "done" command: one epoch of the DCGAN Fashion-MNIST recipe on a 2-core CPU (slow: ~5 min).

``ganzoo fit --config recipes/dcgan/fashion_mnist.yaml --trainer.max_epochs 1`` must write a sample grid and an
FID with its protocol. Measured in two runs on a 2-core CPU (``python -m bench.quality.fmnist``): FID 105.7 and 110.6,
KID 6.68 (10,000 vs 10,000 training images, shipped classifier's 128-d features), 10/10 and 9/10 classes
covered; the callback's FID at 500 generator iterations (2,000 samples) was 171 and 166. The bounds below leave
room for run-to-run variation, not for a broken model: untrained generators score several hundred.
"""

import json
from pathlib import Path

import pytest

from ganzoo.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.fashion_mnist
def test_dcgan_one_epoch_on_fashion_mnist(tmp_path):
    main(["fit", "--config", str(ROOT / "recipes" / "dcgan" / "fashion_mnist.yaml"), "--trainer.max_epochs", "1",
          "--trainer.default_root_dir", str(tmp_path), "--trainer.enable_progress_bar", "false"])
    m = json.loads((tmp_path / "metrics.json").read_text())
    print(json.dumps({k: m[k] for k in ("fid", "kid_mean", "kid_std", "generator_iterations")}),
          m["class_coverage"]["classes_covered"])
    assert m["generator_iterations"] == 937  # one epoch of 60,000 images in batches of 64
    proto = m["protocol"]
    assert proto["n_fake"] == proto["n_real"] == 10000 and proto["extractor"] == "fmnist"
    assert len(proto["weights_sha256"]) == 64 and proto["split"] == "train"
    assert m["fid"] < 140, m["fid"]
    assert m["class_coverage"]["classes_covered"] >= 8, m["class_coverage"]
    history = json.loads((tmp_path / "eval_history.json").read_text())
    assert history[0]["generator_iterations"] == 500 and history[-1]["generator_iterations"] == 937
    assert history[-1]["fid"] < history[0]["fid"]  # still improving between 500 and 937 iterations
    assert (tmp_path / "samples.png").stat().st_size > 10_000
    assert (tmp_path / "samples" / "grid_0000937.png").is_file()
