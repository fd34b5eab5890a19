"""Start-up and speed plumbing: ``import ganzoo`` stays light; ``bench/speed.py`` runs end to end (quick)."""

import subprocess
import sys

HEAVY = ("ot", "matplotlib", "tensorboard", "tensorboardX", "torch.utils.tensorboard", "huggingface_hub",
         "lightning", "pytorch_lightning", "scipy", "torchvision", "jsonargparse")


def test_import_ganzoo_imports_none_of_the_heavy_optional_modules():
    # POT, matplotlib, TensorBoard, the Hub client and Lightning are imported where they are used (training,
    # metrics, plots, the Hub), never by `import ganzoo` or by loading and sampling a bundled generator
    code = ("import sys, ganzoo; g = ganzoo.load('wgan_gp-8gaussians'); ganzoo.sample(g, 4, seed=0); "
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip().splitlines()[-1] == "[]", res.stdout + res.stderr
