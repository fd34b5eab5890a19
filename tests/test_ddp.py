"""DDP with 2 CPU processes (gloo) against one process on the full batch.

Every per-sample-mean loss (Wasserstein + gradient penalty, hinge + spectral norm, and the Cramer GAN loss of
Algorithm 1, which pairs sample i of the real batch with sample i of each generated batch) has, under DDP's
gradient averaging over equal shards, the same gradient as one process on the concatenated batch; so every
parameter must match to float tolerance (summation order differs). The all-pairs energy distance (a
V-statistic over the whole batch) is *not* a per-sample mean: averaging shard estimates gives another
estimator, which the last test shows.
"""

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from ddp_harness import FixedGlobalBatches, build, trainer
from safetensors.torch import load_file

from ganzoo.objectives.energy import energy_distance_sq

HERE = Path(__file__).parent


def single_process(variant, root):
    m = build(variant)
    trainer(str(root), devices=1).fit(m, FixedGlobalBatches())
    return m


def run_ddp(variant, strategy, out):
    out.mkdir()
    env = {"OMP_NUM_THREADS": "1", "PYTHONPATH": str(HERE), **{k: v for k, v in __import__("os").environ.items()
                                                             if k not in ("OMP_NUM_THREADS",)}}
    r = subprocess.run([sys.executable, str(HERE / "ddp_worker.py"), variant, strategy, "2", str(out)],
                       capture_output=True, text=True, timeout=300, env=env, cwd=HERE)
    assert r.returncode == 0, r.stderr[-3000:]
    return load_file(out / "rank0.safetensors"), load_file(out / "rank1.safetensors")


@pytest.mark.parametrize(
    "variant,strategy",
    [("WGANGP", "ddp"), ("WGANGP", "ddp_gan"), ("SNGAN", "ddp"), ("SNGAN", "ddp_gan"), ("CramerGAN", "ddp_gan")],
)
def test_ddp_two_processes_match_one_process_on_the_full_batch(tmp_path, variant, strategy):
    ref = single_process(variant, tmp_path / "single")
    rank0, rank1 = run_ddp(variant, strategy, tmp_path / "ddp")
    assert rank0.pop("_counters").tolist() == rank1.pop("_counters").tolist() == [ref.gen_iters, ref.critic_iters]
    state = ref.state_dict()
    assert set(rank0) == set(state)
    worst = 0.0
    for k, v in state.items():
        assert torch.equal(rank0[k], rank1[k]), f"{k} differs between ranks"  # incl. spectral-norm u, v buffers
        torch.testing.assert_close(rank0[k], v, rtol=1e-5, atol=1e-6, msg=lambda m, k=k: f"{k}: {m}")
        worst = max(worst, (rank0[k] - v).abs().max().item())
    # the parameters moved far more than the tolerance: the comparison is not vacuous
    init = build(variant).state_dict()
    moved = max((state[k] - init[k]).abs().max().item() for k in state if k.startswith("critic."))
    assert moved > 1e-3 > 100 * worst


def test_all_pairs_energy_distance_is_not_a_mean_over_shards():
    torch.manual_seed(0)
    x, y = torch.randn(64, 3), torch.randn(64, 3) + 0.5
    full = energy_distance_sq(x, y)
    shards = (energy_distance_sq(x[:32], y[:32]) + energy_distance_sq(x[32:], y[32:])) / 2
    assert abs(full - shards) > 1e-3  # so Cramer GAN trains on the paired (per-sample) form, which shards exactly
