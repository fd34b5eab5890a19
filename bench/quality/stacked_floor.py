"""The real-data floor of Stacked Fashion-MNIST's modes (issue 36): the modes protocol of
``ganzoo.metrics.modes`` (each channel classified by the shipped classifier; modes covered of 1,000 and KL of the
mode histogram to uniform) on 26,000 real stacked *test* images, the floor every generator is reported beside, and
on 26,000 stacked *training* triples (the images the classifier was trained on, so read more accurately), with
``sampling_noise_kl``: the KL to uniform that 26,000 draws from 1,000 equally likely modes have on average,
(1000 - 1) / (2 x 26,000), the part of any KL at this count that no generator can remove.

    python -m bench.quality.stacked_floor    # about a minute on a free CPU core

Writes ``bench/results/stacked_floor.json`` with the machine (the CPU's model name), the stamp and the seconds of
each.
"""

from __future__ import annotations

import argparse
import json
import os
import time

from bench.common import RESULTS_DIR, ROOT, cpu_name, stamp
from ganzoo.data import StackedFashionMNISTDataModule
from ganzoo.metrics.classifier import load_fmnist_classifier
from ganzoo.metrics.modes import NUM_MODES, STACKED_N, real_floor

OUT = RESULTS_DIR / "stacked_floor.json"


def main() -> None:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    import tempfile

    import torch

    dm = StackedFashionMNISTDataModule(download=False)
    clf = load_fmnist_classifier()
    results = {"protocol": "ganzoo.metrics.modes: each channel classified by the shipped classifier; a mode is "
                           "covered by at least one image; KL(mode histogram || uniform over 1000), natural log",
               "classifier_sha256": clf.weights_sha256, "classifier_test_accuracy": clf.test_accuracy,
               "n": STACKED_N, "triples_seed": dm.triples_seed, "machine": cpu_name(), "stamp": stamp(),
               "threads": torch.get_num_threads(),
               "load_average_at_start": [round(x, 2) for x in os.getloadavg()],  # seconds are wall time
               "sampling_noise_kl": round((NUM_MODES - 1) / (2 * STACKED_N), 4)}
    with tempfile.TemporaryDirectory() as cache:  # measured, not read from a cache
        for split in ("test", "train"):
            t0 = time.perf_counter()
            floor = real_floor(STACKED_N, datamodule=dm, split=split, cache_dir=cache)
            results[split] = {"modes": floor["modes"], "modes_kl": round(floor["modes_kl"], 4),
                              "images": floor["images"], "seconds": round(time.perf_counter() - t0, 1)}
            print(split, results[split], flush=True)
    OUT.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
