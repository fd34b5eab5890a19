"""DDP with 2 CPU processes (gloo) against one process on the full batch, and every recipe family on 2 processes.

The DDP ranks draw their latents, penalty weights and augmentations as users' runs do (each rank its own stream,
seeded by ganzoo); the single process they are compared with draws both ranks' streams side by side, and augments
each half of a batch with its rank's draws (tests/ddp_harness.py). ADA's probability and LeCam's anchors are
statistics of the global batch: a rank that kept its own would diverge from the single process. The
recipes run through the real CLI with an input probe (tests/ddp_probe.py) that fails a run in which any batch of
data or noise entered a network on both ranks.

Every per-sample-mean loss (Wasserstein + gradient penalty, hinge + spectral norm, and the Cramer GAN loss of
Algorithm 1, which pairs sample i of the real batch with sample i of each generated batch) has, under DDP's
gradient averaging over equal shards, the same gradient as one process on the concatenated batch; so every
parameter must match to float tolerance (summation order differs). The all-pairs energy distance (a
V-statistic over the whole batch) is *not* a per-sample mean: averaging shard estimates gives another
estimator, which the last test shows.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from ddp_harness import build, build_concatenated, data_for, trainer
from safetensors.torch import load_file

import ganzoo
from ganzoo.objectives.energy import energy_distance_sq

HERE = Path(__file__).parent
RECIPES = HERE.parent / "recipes"


def single_process(variant, root):
    m = build_concatenated(variant)
    trainer(str(root), devices=1).fit(m, data_for(variant))
    return m


def run_worker(variant, strategy, out):
    out.mkdir()
    env = {"OMP_NUM_THREADS": "1", "PYTHONPATH": str(HERE), **{k: v for k, v in __import__("os").environ.items()
                                                             if k not in ("OMP_NUM_THREADS",)}}
    r = subprocess.run([sys.executable, str(HERE / "ddp_worker.py"), variant, strategy, "2", str(out)],
                       capture_output=True, text=True, timeout=300, env=env, cwd=HERE)
    assert r.returncode == 0, r.stderr[-3000:]


def run_ddp(variant, strategy, out):
    run_worker(variant, strategy, out)
    return load_file(out / "rank0.safetensors"), load_file(out / "rank1.safetensors")


SLOW = pytest.mark.slow  # 16-20 s each: keeps `pytest -m "not slow"` near 8 minutes; one case per strategy stays quick


@pytest.mark.parametrize(
    "variant,strategy",
    [("WGANGP", "ddp"), pytest.param("WGANGP", "ddp_gan", marks=SLOW),
     pytest.param("WGANGP-lecam", "ddp", marks=SLOW), pytest.param("R3GAN-augment", "ddp", marks=SLOW),
     pytest.param("SNGAN", "ddp", marks=SLOW),
     ("SNGAN", "ddp_gan"), pytest.param("CramerGAN", "ddp_gan", marks=SLOW), pytest.param("Pix2Pix", "ddp", marks=SLOW),
     pytest.param("CycleGAN", "ddp", marks=SLOW)],
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
        # atol 1e-5: summation order differs, and Adam divides each gradient by its own running scale, so a weight
        # whose gradient is near zero can take a rounding-level difference to ~5e-6 (measured: 1 of 8,192 Cramér
        # critic weights after 30 steps); ranks drawing the same noise differ by ~1e-3 (measured, WGAN-GP)
        torch.testing.assert_close(rank0[k], v, rtol=1e-5, atol=1e-5, msg=lambda m, k=k: f"{k}: {m}")
        worst = max(worst, (rank0[k] - v).abs().max().item())
    # the parameters moved far more than the tolerance: the comparison is not vacuous
    init = build(variant).state_dict()
    moved = max((state[k] - init[k]).abs().max().item() for k in state if k.startswith(("critic.", "critics.")))
    assert moved > 1e-3 > 100 * worst


@pytest.mark.slow  # about 25 s: two torchrun launches
def test_two_nodes_through_torchrun_match_one_process(tmp_path):
    """num_nodes=2 x devices=1, launched as two torchrun "nodes" on this machine (TorchElasticEnvironment)."""
    import os

    out = tmp_path / "nodes"
    out.mkdir()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(HERE)}
    procs = [
        subprocess.Popen([sys.executable, "-m", "torch.distributed.run", "--nnodes", "2", "--nproc_per_node", "1",
                          "--node_rank", str(rank), "--master_addr", "127.0.0.1", "--master_port", "29561",
                          str(HERE / "ddp_worker.py"), "WGANGP", "ddp_gan", "1", str(out), "2"],
                         env=env, cwd=HERE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for rank in (0, 1)
    ]
    logs = [p.communicate(timeout=300)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), logs[0][-2000:] + logs[1][-2000:]
    assert "MEMBER: 2/2" in logs[1] or "MEMBER: 2/2" in logs[0]
    ref = single_process("WGANGP", tmp_path / "single").state_dict()
    for r in (0, 1):
        got = load_file(out / f"rank{r}.safetensors")
        got.pop("_counters")
        for k, v in ref.items():
            torch.testing.assert_close(got[k], v, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("strategy", ["ddp", "ddp_gan"])
def test_every_variant_trains_under_ddp(tmp_path, strategy):
    """All variants, one after another in one 2-process launch: same counters and weights on both ranks."""
    import json

    run_worker("all", strategy, tmp_path / "out")
    r0, r1 = (json.loads((tmp_path / "out" / f"smoke_rank{r}.json").read_text()) for r in (0, 1))
    assert set(r0) == {n for n in ganzoo.list_variants("latent")  # every 2-D variant of the registry
                       if not ganzoo.variants.get_variant(n).paper.conditional}
    for name in r0:
        assert r0[name]["gen_iters"] == 2 and r0[name]["finite"], (name, r0[name])
        assert r0[name] == r1[name], name  # the ranks stayed in sync


def test_all_pairs_energy_distance_is_not_a_mean_over_shards():
    torch.manual_seed(0)
    x, y = torch.randn(64, 3), torch.randn(64, 3) + 0.5
    full = energy_distance_sq(x, y)
    shards = (energy_distance_sq(x[:32], y[:32]) + energy_distance_sq(x[32:], y[32:])) / 2
    assert abs(full - shards) > 1e-3  # so Cramer GAN trains on the paired (per-sample) form, which shards exactly



def test_trainer_recipes_are_valid_and_compose_with_a_model_recipe():
    """recipes/trainer/*.yaml name only Trainer arguments and registered strategies; the CPU one is
    instantiated after a model recipe (LightningCLI merges --config files); GPU ones cannot be built here."""
    import inspect

    import lightning as L
    import yaml
    from lightning.pytorch.strategies import StrategyRegistry

    from ganzoo.cli import GanzooCLI

    files = sorted((RECIPES / "trainer").glob("*.yaml"))
    assert {f.name for f in files} >= {"ddp_cpu2.yaml", "gpu8.yaml", "slurm_2nodes.yaml"}
    for f in files:
        trainer_cfg = yaml.safe_load(f.read_text())["trainer"]
        assert set(trainer_cfg) <= set(inspect.signature(L.Trainer).parameters), f.name
        assert trainer_cfg["strategy"] in StrategyRegistry, f.name
    cli = GanzooCLI(args=["--config", str(RECIPES / "wgan_gp" / "8gaussians.yaml"), "--config",
                          str(RECIPES / "trainer" / "ddp_cpu2.yaml")], run=False)
    assert type(cli.trainer.strategy).__name__ == "GanDDPStrategy" and cli.trainer.num_devices == 2
    assert cli.model.max_gen_iters == 2400


@pytest.mark.slow
def test_cli_recipe_on_two_ddp_processes_covers_all_modes(tmp_path):
    """The issue's command, unchanged: the WGAN-GP recipe on 2 gloo processes (about 5 minutes here)."""
    import json
    import os

    cmd = [sys.executable, "-m", "ganzoo.cli", "fit", "--config", str(RECIPES / "wgan_gp" / "8gaussians.yaml"),
           "--trainer.accelerator", "cpu", "--trainer.devices", "2", "--trainer.strategy", "ddp",
           "--trainer.default_root_dir", str(tmp_path), "--trainer.enable_progress_bar", "false"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=1500, cwd=tmp_path,
                       env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert r.returncode == 0, r.stderr[-3000:]
    m = json.loads((tmp_path / "metrics.json").read_text())
    print(json.dumps(m))
    assert m["generator_iterations"] == 2400
    assert m["modes"] == 8, m
    assert (tmp_path / "generator" / "model.safetensors").is_file()


# ---------------------------------------------------------------------------------------------- recipes under DDP
def fit_on_two_processes(recipe: str, root: Path, *extra: str, timeout: int = 600) -> list[dict[str, list[str]]]:
    """``ganzoo fit --config RECIPE --config recipes/trainer/ddp_cpu2.yaml`` as the multi-GPU how-to says, with the
    input probe (tests/ddp_probe.py) added; it must run to the end (checkpoint, export, evaluation, exit) within
    ``timeout`` seconds. Returns each rank's hashes of what entered the networks' first layers."""
    import os

    cmd = [sys.executable, "-m", "ganzoo.cli", "fit", "--config", str(RECIPES / recipe), "--config",
           str(RECIPES / "trainer" / "ddp_cpu2.yaml"), "--trainer.default_root_dir", str(root),
           "--trainer.enable_progress_bar", "false", "--trainer.callbacks+=ddp_probe.InputHashes", *extra]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get(
        "PYTHONPATH", "")])}
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=root.parent, env=env)
    except subprocess.TimeoutExpired as e:  # a hang (e.g. a collective one rank never enters) fails here
        tail = (e.stderr or b"")[-2000:]
        raise AssertionError(f"{recipe} on 2 processes did not exit within {timeout} s: {tail}") from None
    assert r.returncode == 0, r.stderr[-3000:]
    assert (root / "checkpoints" / "last.ckpt").is_file()
    assert (root / "generator" / "model.safetensors").is_file() and (root / "generator" / "README.md").is_file()
    assert (root / "metrics.json").is_file()
    return [json.loads((root / f"input_hashes_rank{r}.json").read_text()) for r in (0, 1)]


def assert_no_batch_shared(ranks: list[dict[str, list[str]]]) -> None:
    r0, r1 = ranks
    assert set(r0) == set(r1) and r0
    for net in r0:
        assert len(r0[net]) == len(r1[net]) > 0, net  # the ranks made the same steps
        shared = set(r0[net]) & set(r1[net])
        assert not shared, f"{net}: {len(shared)} of {len(r0[net])} batches entered it on both ranks"


IMAGE_RECIPES = [("dcgan/fashion_mnist.yaml", ()), pytest.param("sngan/fashion_mnist.yaml", (), marks=SLOW),
                 pytest.param("cgan/fashion_mnist.yaml", (), marks=SLOW),
                 pytest.param("pix2pix/edges2fashion.yaml", (), marks=SLOW),
                 pytest.param("cyclegan/sneaker2boot.yaml", (), marks=SLOW),
                 pytest.param("wgan_gp/8gaussians.yaml", (), marks=SLOW)]


@pytest.mark.timeout(700)
@pytest.mark.parametrize("recipe,extra", IMAGE_RECIPES)
def test_recipe_trains_to_the_end_on_two_processes_and_no_rank_shares_a_batch(tmp_path, recipe, extra):
    """The crash at start (Lightning could not shard the datamodule's batch sampler), the hang at the end (rank 0's
    evaluation entered torchmetrics' gather while rank 1 waited in the checkpoint's) and identical ranks (every rank
    drew the same latents and penalty weights): each recipe family, a few iterations, through the real CLI."""
    ranks = fit_on_two_processes(recipe, tmp_path / "run", "--model.init_args.max_gen_iters", "3",
                                 "--eval_n", "256", *extra)
    assert_no_batch_shared(ranks)
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["generator_iterations"] == 3
