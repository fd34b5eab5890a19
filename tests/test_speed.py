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


def test_speed_bench_runs_each_part_on_a_small_budget(tmp_path):
    """``bench/speed.py``'s pieces run end to end (tiny budgets; the numbers themselves are not checked)."""
    import importlib.util
    from pathlib import Path

    import torch

    path = Path(__file__).resolve().parents[1] / "bench" / "speed.py"
    spec = importlib.util.spec_from_file_location("speed_bench", path)
    speed = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(speed)
    cpu = torch.device("cpu")
    r = speed.bench_training("wgan_gp_8gaussians", cpu, seg=2, pairs=2, warmup=1, workdir=tmp_path)
    assert r["segments"] == 2 and r["generator_iterations"] == 5 and r["ganzoo_ms"] > 0 and r["plain_ms"] > 0
    from ganzoo.nets import MLPGenerator

    s = speed.bench_sampling("mlp", MLPGenerator(hidden_dim=8), 64, 16, cpu, reps=2)
    assert s["speed_ratio"] > 0 and not s["plain_includes_cpu_copy"]
    res = {"device": speed.device_info(cpu), "torch": torch.__version__, "quick": True,
           "training": {"wgan_gp_8gaussians": r, "dcgan_fmnist": {"error": "RuntimeError: boom"}},
           "sampling": {"mlp": s}, "import": {}}
    text = speed.table(res)
    assert "| training `recipes/wgan_gp/8gaussians.yaml`" in text and "failed: RuntimeError: boom" in text
