"""The zoo's CPU recipe options: bf16 with a penalty, channels-last, two time scales, the EMA's warm-up and its
batch-norm statistics. (Exact resume under bf16 with all of them: ``test_reliability.py``.)"""

import inspect
import math

import lightning as L
import pytest
import torch
from conftest import quiet_trainer
from variant_cases import CRIT, GEN, TinyLabelled, case

import ganzoo
from ganzoo.training.ema import ema_decay_at, refresh_bn_stats
from ganzoo.variants import get_variant

LATENT = ganzoo.list_variants("latent")
CONV_WGAN_GP = dict(generator=GEN, critic=CRIT, n_critic=1)  # tiny conv nets (no batch norm in the critic)


class Unlabelled(TinyLabelled):
    def __init__(self):
        super().__init__(batch_size=8)
        self.num_classes = 0

    def _load(self, split):
        ds = super()._load(split)
        return type(ds)(ds.images, torch.zeros_like(ds.labels))


class LoggedWGANGP(ganzoo.WGANGP):
    """WGAN-GP that keeps every critic step's loss and penalty."""

    def critic_step(self, *args, **kw):
        logs = super().critic_step(*args, **kw)
        self.steps.append((float(logs["d_loss"]), float(logs["penalty"])))
        return logs


def train(precision="32-true", **kw):
    L.seed_everything(0)
    m = LoggedWGANGP(**{**CONV_WGAN_GP, "max_gen_iters": 4, **kw})
    m.steps, m.export_dir = [], None  # nothing written outside the test
    quiet_trainer("/tmp", precision=precision).fit(m, Unlabelled())
    return m


def flat(m):
    return torch.cat([p.detach().flatten() for p in m.generator.parameters()])


# ---------------------------------------------------------------------------------------------- bf16
def test_bf16_with_a_gradient_penalty_stays_close_to_fp32_over_a_few_steps():
    """A conv WGAN-GP (penalty under autocast) for 4 steps: finite float32 weights; every step's critic loss and
    penalty within bf16's rounding of the fp32 run's; the generator moves the same way."""
    ref, amp = train("32-true"), train("bf16-mixed")
    assert all(p.dtype == torch.float32 and torch.isfinite(p).all() for p in amp.parameters())
    assert len(ref.steps) == len(amp.steps) == 4
    assert ref.steps != amp.steps  # bf16 really ran
    for (d_ref, p_ref), (d_amp, p_amp) in zip(ref.steps, amp.steps, strict=True):
        assert d_amp == pytest.approx(d_ref, rel=5e-2, abs=2e-3)
        assert p_amp == pytest.approx(p_ref, rel=5e-2, abs=2e-3)
    L.seed_everything(0)
    init = flat(ganzoo.WGANGP(**CONV_WGAN_GP))
    moved_ref, moved_amp = flat(ref) - init, flat(amp) - init
    # Adam's steps are lr-sized whatever the gradient's size, so where a gradient is near 0 bf16 may flip its sign:
    # the directions agree, not every coordinate
    assert torch.nn.functional.cosine_similarity(moved_ref, moved_amp, dim=0) > 0.9


# ---------------------------------------------------------------------------------------------- channels-last
def test_channels_last_stores_conv_weights_channels_last_and_trains_like_contiguous():
    cl, ref = train(channels_last=True), train()
    assert sum(cl.steps, ()) == pytest.approx(sum(ref.steps, ()), rel=1e-4, abs=1e-6)
    conv = [p for p in cl.critic.parameters() if p.dim() == 4]
    assert conv and all(p.is_contiguous(memory_format=torch.channels_last) for p in conv)
    assert not all(p.is_contiguous() for p in conv)  # (a 1-channel or 1x1 weight is both)
    for a, b in zip(cl.generator.parameters(), ref.generator.parameters(), strict=True):
        assert torch.allclose(a, b, rtol=0, atol=1e-4)  # other kernels, the same training to float rounding


# ---------------------------------------------------------------------------------------------- two time scales
@pytest.mark.parametrize("name", LATENT)
def test_every_latent_variant_takes_a_critic_learning_rate(name):
    cls = get_variant(name)
    assert inspect.signature(cls).parameters["d_lr"].default is None  # the paper's single learning rate
    m = case(name).build(lr=1e-4, d_lr=3e-4)
    g_opt, d_opt = _optimizers(m)
    assert (g_opt.param_groups[0]["lr"], d_opt.param_groups[0]["lr"]) == (1e-4, 3e-4)
    same = case(name).build(lr=1e-4)
    assert [o.param_groups[0]["lr"] for o in _optimizers(same)] == [1e-4, 1e-4]


def _optimizers(m):
    """The module's optimizers (``configure_optimizers`` gives ``(optimizers, schedulers)`` with an LR schedule, as
    R3GAN's paper defaults have)."""
    out = m.configure_optimizers()
    return out[0] if isinstance(out, tuple) else out


@pytest.mark.parametrize("bad", [0, -3e-4, float("nan"), "fast"])
def test_a_bad_critic_learning_rate_is_refused_at_construction(bad):
    with pytest.raises(ValueError, match=r"d_lr must be > 0 and finite"):
        ganzoo.WGANGP(d_lr=bad)


# ---------------------------------------------------------------------------------------------- EMA
def test_ema_warm_up_follows_stylegan2_ada():
    half = math.log(0.5) / math.log(0.999)  # 692.8 iterations
    for t in (1, 10, 100, 1000, 13_000, 14_000):
        expected = 0.999 if 0.05 * t >= half else 0.5 ** (1 / (0.05 * t))
        assert ema_decay_at(0.999, 0.05, t) == pytest.approx(expected, rel=1e-12)
    assert ema_decay_at(0.999, 0.05, 1) < 1e-5  # the first average is the generator itself


def test_ema_rampup_is_checked_at_construction():
    with pytest.raises(ValueError, match=r"ema_rampup=0.05 .*set ema_decay"):
        ganzoo.WGANGP(ema_rampup=0.05)
    with pytest.raises(ValueError, match=r"ema_rampup must be > 0"):
        ganzoo.WGANGP(ema_decay=0.999, ema_rampup=-1.0)


def test_ema_with_rampup_starts_at_the_generator_and_ends_at_the_constant_decay():
    early = train(ema_decay=0.999, ema_rampup=0.05, max_gen_iters=1)
    for a, b in zip(early.generator.parameters(), early.generator_ema.parameters(), strict=True):
        assert torch.allclose(a, b, rtol=0, atol=1e-5)  # decay 0.5 ** 20 at the first iteration
    m = train(ema_decay=0.999, ema_rampup=0.05, max_gen_iters=1)
    m.gen_iters = 20_000
    assert m.current_ema_decay() == 0.999


def test_the_average_gets_batch_norm_statistics_of_its_own_weights():
    """A conditional DCGAN generator (batch norm) with an EMA: the exported average's running statistics are the
    statistics of its own activations over 4096 fixed latents, not the raw generator's; recomputing them is
    deterministic and leaves the training RNG alone."""
    c = case("cgan")
    L.seed_everything(0)
    m = c.build(ema_decay=0.5, max_gen_iters=6)
    m.export_dir = None  # nothing written outside the test
    quiet_trainer("/tmp").fit(m, c.data())
    raw_stats = {k: v.clone() for k, v in m.generator.state_dict().items() if "running_mean" in k}
    rng = torch.get_rng_state()
    g = m.export_model
    assert torch.equal(torch.get_rng_state(), rng)
    assert not g.training
    bn = g.norms[0].bn
    stats = bn.running_mean.clone()
    before = {k: v.clone() for k, v in g.state_dict().items()}
    refresh_bn_stats(g, m._bn_latents)  # deterministic
    assert all(torch.equal(before[k], v) for k, v in g.state_dict().items())
    inputs = []
    hook = bn.register_forward_hook(lambda mod, args, out: inputs.append(args[0].detach()))
    z, labels = m._bn_latents(4096, 0)
    g.train()
    with torch.no_grad():
        for i in range(0, 4096, 256):
            g(z[i: i + 256], labels[i: i + 256])
    g.eval()
    hook.remove()
    x = torch.cat(inputs).transpose(0, 1).flatten(1)  # (channels, all activations)
    assert torch.allclose(stats, x.mean(1), rtol=1e-4, atol=1e-7)
    assert not torch.allclose(stats, raw_stats["norms.0.bn.running_mean"], rtol=0.1, atol=0)


# ---------------------------------------------------------------------------------------------- time to quality
def test_eval_history_has_training_seconds_and_resumes_with_the_checkpoint(tmp_path):
    """Every evaluation record carries the training wall time so far (evaluations excluded); a resumed run continues
    the history and the clock from its checkpoint."""
    import json

    from ganzoo.training.image_eval import ImageEvalCallback

    def fit(max_gen_iters, ckpt_path=None):
        L.seed_everything(0)
        m = ganzoo.WGANGP(**{**CONV_WGAN_GP, "max_gen_iters": max_gen_iters})
        cb = ImageEvalCallback(every_n_gen_iters=2, metrics=[], n_grid=4)
        tr = L.Trainer(accelerator="cpu", logger=False, enable_progress_bar=False, enable_model_summary=False,
                       enable_checkpointing=False, default_root_dir=str(tmp_path), max_epochs=-1, callbacks=[cb])
        tr.fit(m, Unlabelled(), ckpt_path=ckpt_path)
        return tr, cb

    tr, first = fit(2)
    tr.save_checkpoint(tmp_path / "at2.ckpt")
    assert [r["generator_iterations"] for r in first.history] == [2]
    assert first.history[0]["train_seconds"] > 0
    _, resumed = fit(4, str(tmp_path / "at2.ckpt"))
    assert [r["generator_iterations"] for r in resumed.history] == [2, 4]
    assert resumed.history[0] == first.history[0]
    assert resumed.history[1]["train_seconds"] > first.history[0]["train_seconds"]
    assert json.loads((tmp_path / "eval_history.json").read_text()) == resumed.history
