"""Exact resume, atomic checkpoints, the divergence guard and mixed precision (single process, CPU)."""

import glob
import os
import signal
import subprocess
import sys
import time

import lightning as L
import pytest
import torch
from conftest import quiet_trainer
from lightning.pytorch.callbacks import ModelCheckpoint
from variant_cases import case

import ganzoo
from ganzoo.constraints import R1, GradientPenalty
from ganzoo.data import Toy2DDataModule
from ganzoo.nets import MLPCritic, MLPGenerator
from ganzoo.objectives import Wasserstein
from ganzoo.training import AdversarialModule
from ganzoo.training.checkpoint_io import AtomicCheckpointIO
from ganzoo.training.guard import DivergenceError

TINY = dict(hidden_dim=16, n_layers=2)


def build(name, **kw):
    """A tiny latent variant on 8 Gaussians (conditional ones aside) with an EMA, for the toy-data tests."""
    return case(name).build(ema_decay=0.9, **kw)


class SimulatedCrash(RuntimeError):
    pass


class CrashAt(L.Callback):
    """Simulates a crash (an exception from inside the loop) once the critic has made ``at`` steps."""

    def __init__(self, at):
        self.at = at

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        if pl_module.critic_iters >= self.at:
            raise SimulatedCrash(f"simulated crash at critic iteration {pl_module.critic_iters}")


def ckpt_trainer(root, **kw):
    return L.Trainer(
        accelerator="cpu", devices=1, logger=False, enable_progress_bar=False, enable_model_summary=False,
        default_root_dir=str(root), max_epochs=-1, **kw,
    )


def params(m):
    return {k: v.detach().clone() for k, v in m.state_dict().items()}


# the LR schedulers resume too; so do bf16 autocast runs (a penalty under autocast, and the zoo's CPU recipe:
# channels-last, two time scales, an EMA with its warm-up and recomputed batch-norm statistics)
# and the critic's input augmentation: DiffAugment's draws (the global RNG) and ADA's probability (its own state)
RESUME_CASES = [*ganzoo.list_variants(), "wgan_gp-linear_lr", "wgan_gp-bf16", "cgan-bf16_zoo", "cgan-diffaugment",
                "cgan-ada", "wgan_gp-lecam"]
EXTRA = {
    "diffaugment": ({"augment": {"policy": "color,translation,cutout"}}, {}),
    "ada": ({"augment": {"policy": "translation,cutout", "ada_target": 0.6, "ada_interval": 1, "ada_kimg": 0.01}},
            {}),
    "linear_lr": ({"lr_schedule": "linear"}, {}),
    "lecam": ({"constraints": ["gradient_penalty", {"name": "lecam", "start": 3}]}, {}),  # its anchors resume
    "bf16": ({}, {"precision": "bf16-mixed"}),
    "bf16_zoo": ({"channels_last": True, "d_lr": 6e-4, "ema_rampup": 0.05}, {"precision": "bf16-mixed"}),
}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if case(n.split("-")[0]).kind == "unpaired"
                                  else n for n in RESUME_CASES])  # CycleGAN: two U-Nets and two critics, ~1 min
def test_resume_reaches_the_uninterrupted_weights_exactly(tmp_path, name):
    """Every registered variant: the run killed after a checkpoint and resumed from it equals the uninterrupted run,
    bit for bit (weights, EMA, optimizers' effect, counters; RNG states, data position, image pools restored)."""
    variant, _, extra = name.partition("-")
    c = case(variant)
    kw, trainer_kw = (dict(d) for d in EXTRA.get(extra, ({}, {})))
    if c.kind in ("latent", "conditional"):
        kw["ema_decay"] = 0.9
    L.seed_everything(0)
    full = c.build(**kw)
    quiet_trainer(tmp_path / "a", **trainer_kw).fit(full, c.data())
    total = full.critic_iters

    # the same run, checkpointed by Lightning's ModelCheckpoint and killed part-way
    L.seed_everything(0)
    ckdir = tmp_path / "ck"
    cb = ModelCheckpoint(dirpath=ckdir, every_n_train_steps=7, save_top_k=-1, filename="{step}")
    part = c.build(**kw)
    with pytest.raises(SimulatedCrash):
        ckpt_trainer(tmp_path / "b", callbacks=[cb, CrashAt(total * 2 // 3)], **trainer_kw).fit(part, c.data())
    assert 0 < part.gen_iters < full.gen_iters
    last = max(glob.glob(str(ckdir / "*.ckpt")), key=lambda p: int(p.split("step=")[1].split(".")[0]))
    ck = torch.load(last, weights_only=True)  # no pickled objects
    assert ck["ganzoo_rng"]["torch"].shape[0] == 1  # one row per rank
    if c.kind in ("paired", "unpaired"):  # 8 batches an epoch: the checkpoint is mid-epoch, with its data position
        assert ck["ganzoo_counters"]["gen_iters"] == 14 and ck["TinyPairs"]["consumed"] == 6
    if c.kind == "unpaired":  # every rank's pool: (ranks, images, C, H, W), and its RNG
        assert {k: tuple(p["images"].shape[:2]) for k, p in ck["ganzoo_image_pools"].items()} == {"A": (1, 3),
                                                                                                  "B": (1, 3)}

    # a fresh process would start with another global RNG state: scramble it to prove it is restored
    torch.manual_seed(12345)
    resumed = c.build(**kw)
    quiet_trainer(tmp_path / "c", **trainer_kw).fit(resumed, c.data(), ckpt_path=last)
    assert (resumed.gen_iters, resumed.critic_iters) == (full.gen_iters, full.critic_iters)
    if c.kind == "unpaired":
        for k in full.pools:
            assert all(torch.equal(x, y) for x, y in zip(full.pools[k].images, resumed.pools[k].images, strict=True))
    if extra == "ada":  # p moves by 8 / 10 a step (batch 8, ada_kimg 0.01) and resumes where the checkpoint left it
        assert full.augment.state_dict() == resumed.augment.state_dict()
        assert ck["ganzoo_augment"]["steps"] > 0 and full.augment.r_t is not None
    if extra == "lecam":  # the anchors are a moving average past its start: they resume from the checkpoint
        assert ck["ganzoo_constraints"][1]["updates"] > 3
        assert torch.equal(full.constraints[1].anchors, resumed.constraints[1].anchors)
    a, b = params(full), params(resumed)
    assert a.keys() == b.keys()
    assert any("generator_ema" in k for k in a) == ("ema_decay" in kw)
    if extra == "bf16_zoo":  # the averaged copy's recomputed batch-norm statistics resume too
        assert torch.equal(full.export_model.state_dict()["norms.0.bn.running_mean"],
                           resumed.export_model.state_dict()["norms.0.bn.running_mean"])
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_checkpoint_holds_rng_data_position_and_loads_without_pickle(tmp_path):
    L.seed_everything(0)
    m = build("wgan_gp", max_gen_iters=4)
    cb = ModelCheckpoint(dirpath=tmp_path, every_n_train_steps=6, save_top_k=-1, filename="{step}")
    ckpt_trainer(tmp_path, callbacks=[cb]).fit(m, Toy2DDataModule(batch_size=32))
    path = str(tmp_path / "step=6.ckpt")  # 5 critic steps + 1 generator step
    ck = torch.load(path, weights_only=True)  # no pickled objects in a ganzoo checkpoint
    assert set(ck["ganzoo_rng"]) >= {"torch", "python", "numpy"}
    assert ck["ganzoo_rng"]["torch"].shape[0] == 1  # one row per rank
    assert ck["Toy2DDataModule"]["consumed"] == ck["ganzoo_counters"]["critic_iters"] == 5
    assert len(ck["optimizer_states"]) == 2


def test_resume_with_other_data_settings_is_refused(tmp_path):
    L.seed_everything(0)
    m = build("wgan_gp", max_gen_iters=1)
    ckpt_trainer(tmp_path, callbacks=[ModelCheckpoint(dirpath=tmp_path, filename="last")]).fit(
        m, Toy2DDataModule(batch_size=32)
    )
    with pytest.raises(ValueError, match="batch_size=32.*batch_size=64"):
        quiet_trainer(tmp_path).fit(build("wgan_gp", max_gen_iters=2), Toy2DDataModule(batch_size=64),
                                    ckpt_path=str(tmp_path / "last.ckpt"))


# ---------------------------------------------------------------------------------------------- divergence
class PoisonCritic(L.Callback):
    """Writes NaN into one critic weight before critic iteration ``at``."""

    def __init__(self, at):
        self.at = at

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if pl_module.critic_iters == self.at:
            with torch.no_grad():
                next(pl_module.critic.parameters()).view(-1)[0] = float("nan")


def test_divergence_guard_names_step_loss_value_and_keeps_last_checkpoint(tmp_path):
    L.seed_everything(0)
    m = build("wgan_gp", max_gen_iters=50)
    cb = ModelCheckpoint(dirpath=tmp_path, every_n_train_steps=6, save_top_k=-1, filename="{step}")
    tr = ckpt_trainer(tmp_path, callbacks=[cb, PoisonCritic(at=23)])
    with pytest.raises(DivergenceError) as err:
        tr.fit(m, Toy2DDataModule(batch_size=32))
    msg = str(err.value)
    assert "critic step, generator iteration 4, critic iteration 23" in msg
    assert "d_loss = nan" in msg and "non-finite weights in " in msg and "before a checkpoint" in msg
    assert m.critic_iters - 23 <= 6  # found at the next checkpoint (every 6 optimizer steps), before it is written
    ckpts = glob.glob(str(tmp_path / "*.ckpt"))
    assert ckpts and not glob.glob(str(tmp_path / ".*tmp"))
    for path in ckpts:
        state = torch.load(path, weights_only=True)["state_dict"]
        assert all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point()), path
    restored = ganzoo.WGANGP.load_from_checkpoint(max(ckpts, key=os.path.getmtime), weights_only=True)
    assert all(torch.isfinite(p).all() for p in restored.parameters())


def test_divergence_guard_checks_every_log_every_n_steps_without_checkpoints(tmp_path):
    """No per-step host sync: the buffered losses and the weights are checked every ``log_every_n_steps`` critic
    steps, so a divergence stops training within that many steps even when nothing is saved."""
    L.seed_everything(0)
    m = build("wgan_gp", max_gen_iters=50)
    with pytest.raises(DivergenceError, match=r"critic step, generator iteration 1, critic iteration 7: d_loss = nan"
                                              r".*at the periodic check, at critic iteration 10"):
        quiet_trainer(tmp_path, log_every_n_steps=5, callbacks=[PoisonCritic(at=7)]).fit(
            m, Toy2DDataModule(batch_size=32))
    assert all(torch.isfinite(p).all() for p in m.generator_ema.parameters())  # the EMA never took a NaN


def test_divergence_guard_catches_a_non_finite_gradient(tmp_path):
    """A finite loss whose gradient is NaN (d sqrt|x| at x = 0) is caught too: the weights it reached are named, and
    neither the EMA (its update is masked on the device), a checkpoint nor the export takes them."""

    class NaNGradient(Wasserstein):
        def generator_loss(self, fake_outs, real_out=None):
            out = fake_outs[0]
            return super().generator_loss(fake_outs, real_out) + (out - out.detach()).abs().sqrt().sum()

    L.seed_everything(0)
    m = AdversarialModule(MLPGenerator(hidden_dim=16), MLPCritic(hidden_dim=16), NaNGradient(), max_gen_iters=5,
                          ema_decay=0.9)
    ema_before = {k: v.clone() for k, v in m.generator_ema.state_dict().items()}
    cb = ModelCheckpoint(dirpath=tmp_path / "ckpt", every_n_train_steps=1, save_top_k=-1, filename="{step}")
    with pytest.raises(DivergenceError, match=r"non-finite weights in generator\.net\..*non-finite gradient"):
        ckpt_trainer(tmp_path, callbacks=[cb]).fit(m, Toy2DDataModule(batch_size=32))
    assert m.gen_iters == 1 and not all(torch.isfinite(p).all() for p in m.generator.parameters())
    # the EMA kept its last finite values, no checkpoint holds the NaNs, nothing was exported
    assert all(torch.equal(ema_before[k], v) for k, v in m.generator_ema.state_dict().items())
    for path in glob.glob(str(tmp_path / "ckpt" / "*.ckpt")):
        state = torch.load(path, weights_only=True)["state_dict"]
        assert all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point()), path
    assert not (tmp_path / "generator").exists()


def test_guard_can_be_disabled(tmp_path):
    L.seed_everything(0)
    m = build("wgan_gp", max_gen_iters=6)
    m.check_finite = False
    quiet_trainer(tmp_path, callbacks=[PoisonCritic(at=3)]).fit(m, Toy2DDataModule(batch_size=32))
    assert not all(torch.isfinite(p).all() for p in m.critic.parameters())


# ---------------------------------------------------------------------------------------------- atomic saves
class Unpicklable:
    def __reduce__(self):
        raise RuntimeError("serialization failed half-way")


def test_atomic_checkpoint_io_keeps_the_old_file_when_a_save_fails(tmp_path):
    io = AtomicCheckpointIO()
    path = tmp_path / "last.ckpt"
    io.save_checkpoint({"w": torch.arange(4.0)}, path)
    with pytest.raises(RuntimeError, match="half-way"):
        io.save_checkpoint({"w": torch.zeros(10_000_000), "bad": Unpicklable()}, path)
    assert torch.equal(torch.load(path, weights_only=True)["w"], torch.arange(4.0))
    assert os.listdir(tmp_path) == ["last.ckpt"]  # no temporary file left behind


SAVER = """
import sys, torch
from ganzoo.training.checkpoint_io import AtomicCheckpointIO
io, i = AtomicCheckpointIO(), 0
while True:
    i += 1
    io.save_checkpoint({"i": torch.tensor(i), "w": torch.full((8_000_000,), float(i))}, sys.argv[1])
    print(i, flush=True)
"""


def test_killing_the_process_during_saves_never_leaves_a_corrupt_checkpoint(tmp_path):
    path = tmp_path / "last.ckpt"
    for delay in (0.05, 0.21):
        proc = subprocess.Popen([sys.executable, "-c", SAVER, str(path)], stdout=subprocess.PIPE, text=True)
        proc.stdout.readline()  # at least one complete save exists
        time.sleep(delay)  # then kill it at some point of a later (32 MB) save
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        ck = torch.load(path, weights_only=True)
        assert torch.all(ck["w"] == ck["i"].float())
    assert all(not name.endswith(".tmp") or name.startswith(".") for name in os.listdir(tmp_path))


def test_module_installs_atomic_checkpoint_io(tmp_path):
    tr = quiet_trainer(tmp_path)
    tr.fit(build("wgan_gp", max_gen_iters=1), Toy2DDataModule(batch_size=32))
    assert isinstance(tr.strategy.checkpoint_io, AtomicCheckpointIO)


# ---------------------------------------------------------------------------------------------- precision
class LayerDtypes(L.Callback):
    """Records the output dtype of every Linear and convolution of each top-level network (generator, critic,
    translator, critics) while a training batch runs: the layers bf16 autocast is meant to speed up."""

    def __init__(self, module):
        self.seen, self.in_batch = {}, False
        for net, child in module.named_children():
            for layer in child.modules():
                if isinstance(layer, (torch.nn.Linear, torch.nn.modules.conv._ConvNd)):
                    layer.register_forward_hook(self._hook(net))

    def _hook(self, net):
        def hook(layer, args, out):
            if self.in_batch:
                self.seen.setdefault(net, set()).add(out.dtype)
        return hook

    def on_train_batch_start(self, *args):
        self.in_batch = True

    def on_train_batch_end(self, *args):
        self.in_batch = False


@pytest.mark.parametrize("name", ganzoo.list_variants())
def test_bf16_mixed_trains_every_variant(tmp_path, name):
    """Every registered variant trains under precision='bf16-mixed' with its layers really computing in bfloat16
    (a run that ignored the precision, or left autocast off in its steps, has float32 layer outputs), and keeps
    float32 master weights."""
    L.seed_everything(0)
    c = case(name)
    m = c.build(max_gen_iters=2)
    dtypes = LayerDtypes(m)
    quiet_trainer(tmp_path, precision="bf16-mixed", callbacks=[dtypes]).fit(m, c.data())
    assert m.gen_iters == 2
    nets = {n for n, _ in m.named_children()} - {"generator_ema"}
    assert nets and set(dtypes.seen) >= nets, dtypes.seen  # the generator and the critic(s) both ran
    assert all(s == {torch.bfloat16} for s in dtypes.seen.values()), dtypes.seen
    assert all(p.dtype == torch.float32 and torch.isfinite(p).all() for p in m.parameters())


@pytest.mark.parametrize("constraint", [GradientPenalty(10.0), R1(10.0)], ids=["gp", "r1"])
def test_penalties_under_bf16_autocast_are_float32_and_close_to_fp32(constraint):
    """Under autocast the critic's layers at the penalty's points run in bfloat16 (the speed), the input gradient,
    its norm and the penalty are float32, and the value stays within bfloat16's rounding of the fp32 penalty."""
    torch.manual_seed(0)
    critic = torch.nn.Sequential(torch.nn.Linear(2, 64), torch.nn.Tanh(), torch.nn.Linear(64, 1))
    real, fake = torch.randn(64, 2), torch.randn(64, 2)
    seen = []

    def witness(x):
        assert x.dtype == torch.float32  # the interpolates stay float32
        out = critic(x).squeeze(1)
        seen.append(out.dtype)
        return out

    torch.manual_seed(1)
    ref = constraint.penalty(witness, real, fake)
    torch.manual_seed(1)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        amp = constraint.penalty(witness, real, fake)
    assert seen == [torch.float32, torch.bfloat16]  # the second penalty's critic ran in bf16
    assert amp.dtype == torch.float32 and torch.isfinite(amp)
    assert not torch.equal(amp, ref)  # it really ran in bf16 ...
    assert torch.allclose(amp, ref, rtol=3e-2, atol=0)  # ... within bf16's rounding (8 bits of mantissa)
    grads = [torch.autograd.grad(p, critic[0].weight)[0] for p in (ref, amp)]
    assert grads[1].dtype == torch.float32
    assert torch.allclose(grads[1], grads[0], rtol=0, atol=3e-2 * grads[0].abs().max())


def test_float16_precision_is_refused_with_a_clear_message(tmp_path):
    tr = quiet_trainer(tmp_path, precision="16-true")
    with pytest.raises(ValueError, match=r"precision='16-true' is not supported.*bf16-mixed"):
        tr.fit(build("wgan_gp", max_gen_iters=1), Toy2DDataModule(batch_size=32))


def test_cpu_bf16_reads_the_instruction_flags(tmp_path):
    from ganzoo.hardware import cpu_bf16

    def info(text):
        (tmp_path / "cpuinfo").write_text(text)
        return cpu_bf16(str(tmp_path / "cpuinfo"))

    assert info("model name\t: Xeon\nflags\t\t: fpu avx512f amx_bf16 avx512_bf16 amx_tile\n") == [
        "AMX-BF16", "AVX512-BF16"]
    assert info("flags\t\t: fpu avx512f avx512_vnni\n") == []  # Ice Lake: AVX-512, no bf16
    assert info("Features\t: fp asimd bf16\n") is None  # not an x86 flags line: unknown
    assert cpu_bf16(str(tmp_path / "missing")) is None


def test_cpu_precision_drops_bf16_only_where_it_is_emulated(tmp_path):
    """The zoo builds' and the speed rows' one rule: fp32 in place of bf16 on an x86 CPU without bf16 instructions."""
    from ganzoo.hardware import cpu_precision

    without, amx, arm = (tmp_path / n for n in ("without", "amx", "arm"))
    without.write_text("flags\t\t: fpu avx512f avx512_vnni\n")
    amx.write_text("flags\t\t: fpu avx512f amx_bf16 avx512_bf16\n")
    arm.write_text("Features\t: fp asimd bf16\n")
    assert cpu_precision("bf16-mixed", str(without)) == "32-true"
    assert cpu_precision("bf16-true", str(without)) == "32-true"
    assert cpu_precision("16-mixed", str(without)) == "16-mixed"  # only bf16 is emulated there
    assert cpu_precision("32-true", str(without)) == "32-true"
    assert cpu_precision("bf16-mixed", str(amx)) == "bf16-mixed"
    assert cpu_precision("bf16-mixed", str(arm)) == "bf16-mixed"  # unknown: as written
    assert cpu_precision("bf16-mixed", str(tmp_path / "missing")) == "bf16-mixed"


def test_cpu_name_says_the_bf16_instructions(tmp_path):
    """The cards' hardware line: the model name with the bf16 instructions, or "no bf16" where they are missing."""
    from ganzoo.hardware import cpu_name

    def name(text):
        (tmp_path / "cpuinfo").write_text(text)
        return cpu_name(str(tmp_path / "cpuinfo"))

    assert name("model name\t: AMD EPYC\nflags\t\t: fpu avx512f avx512_bf16\n") == "AMD EPYC (AVX512-BF16)"
    assert name("model name\t: Intel(R) Xeon(R) Processor\nflags\t\t: fpu avx512f\n") == (
        "Intel(R) Xeon(R) Processor (no bf16)")
    assert name("model name\t: Neoverse\nFeatures\t: fp asimd bf16\n") == "Neoverse"  # not x86: unknown
    assert cpu_name(str(tmp_path / "missing"))  # no cpuinfo: the platform's name, never empty


def test_bf16_on_a_cpu_without_bf16_instructions_warns(tmp_path):
    """bf16 autocast is emulated on such a CPU (about 3x slower than float32): training says so, and only there."""
    import platform
    import warnings

    if (platform.machine().lower() not in ("x86_64", "amd64") or not os.path.exists("/proc/cpuinfo")
            or not hasattr(torch.cpu, "_is_avx512_bf16_supported")):
        pytest.skip("the rule is for x86 Linux (ganzoo reads /proc/cpuinfo); the expectation asks torch's CPUID probe")
    # independent of ganzoo's /proc/cpuinfo reading: torch's own CPUID probe (cpuinfo library); AMX tiles come with
    # AMX-BF16 on every x86 CPU that has them (Sapphire Rapids on)
    native = torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()
    tr = quiet_trainer(tmp_path, precision="bf16-mixed")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        tr.fit(build("wgan_gp", max_gen_iters=1), Toy2DDataModule(batch_size=32))
    said = [str(w.message) for w in seen if "without bf16 instructions" in str(w.message)]
    assert len(said) == (0 if native else 1), said  # this machine's answer, either way
    assert not said or "precision='32-true'" in said[0]


def test_guard_accepts_huge_but_finite_weights():
    """An L2 norm of a tensor with entries of 1e20 overflows to inf; the guard must not call that divergence."""
    from ganzoo.training.guard import all_finite_flag, nonfinite_tensors

    w = torch.tensor([1e20, -1e20, 1.0])
    assert nonfinite_tensors([("w", w)]) == [] and bool(all_finite_flag([w]))
    for bad in (float("nan"), float("-inf")):
        w[2] = bad
        assert nonfinite_tensors([("w", w)]) == ["w"] and not bool(all_finite_flag([w]))
