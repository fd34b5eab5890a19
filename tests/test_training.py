"""The shared adversarial module: schedule, counters, EMA, validation, export/load/sample."""

import json

import lightning as L
import pytest
import torch
from conftest import quiet_trainer

import ganzoo
from ganzoo.data import Toy2DDataModule
from ganzoo.nets import MLPCritic, MLPGenerator
from ganzoo.objectives import Wasserstein
from ganzoo.training import AdversarialModule, CriticSchedule, OptimizerSpec


class CountingOptimizerSteps(L.Callback):
    """Counts real optimizer steps of the generator's and critic's optimizers by wrapping ``step``."""

    def on_fit_start(self, trainer, pl_module):
        self.counts = {"g": 0, "d": 0}
        g_opt, d_opt = trainer.optimizers
        for key, opt in (("g", g_opt), ("d", d_opt)):
            orig = opt.step

            def step(*a, _orig=orig, _key=key, **k):
                self.counts[_key] += 1
                return _orig(*a, **k)

            opt.step = step


def small(variant=ganzoo.WGANGP, **kw):
    return variant(hidden_dim=16, n_layers=2, **kw)


def test_schedule_values():
    s = CriticSchedule(5)
    assert [s.critic_steps(g) for g in (0, 1, 24, 25, 500)] == [5] * 5
    w = CriticSchedule(5, warmup="wgan")
    assert [w.critic_steps(g) for g in (0, 24, 25, 26, 499, 500, 501, 1000, 1001)] == [
        100, 100, 5, 5, 5, 100, 5, 100, 5
    ]
    # 25 warm-up iterations of 100, then 5 per iteration except iteration 500 and 1000 (100 each)
    assert w.total_critic_steps(1001) == 25 * 100 + (1001 - 25 - 2) * 5 + 2 * 100


def test_lazy_regularisation_computes_the_penalty_every_k_steps_weighted_by_k(tmp_path):
    class Penalties(L.Callback):
        def on_train_batch_end(self, trainer, pl_module, *a):
            self.values = getattr(self, "values", []) + [float(pl_module._last_logs["penalty"])]

    runs = {}
    for k in (1, 4):
        L.seed_everything(0)
        m = small(constraints=[{"name": "r1", "gamma": 1.0}], n_critic=1, schedule={"lazy_every": k}, max_gen_iters=9)
        rec = Penalties()
        quiet_trainer(tmp_path / str(k), callbacks=[rec]).fit(m, Toy2DDataModule(batch_size=16))
        runs[k] = rec.values
    assert all(v > 0 for v in runs[1])
    assert [v > 0 for v in runs[4]] == [i % 4 == 0 for i in range(9)]  # critic steps 0, 4, 8
    assert runs[4][0] == pytest.approx(4 * runs[1][0], rel=1e-5)  # same weights and batch at step 0


def test_anneal_shapes_at_start_middle_and_end():
    """The schedules' shared path (R3GAN's cosine_decay_with_warmup without warm-up, and the linear one)."""
    from ganzoo.schedules import anneal

    assert [anneal("cosine", t, 0, 100) for t in (0, 50, 100, 101)] == pytest.approx([0.0, 0.5, 1.0, 1.0])
    assert anneal("cosine", 25, 0, 100) == pytest.approx((1 - 2**-0.5) / 2)  # (1 - cos(pi / 4)) / 2
    assert [anneal("linear", t, 20, 100) for t in (10, 20, 60, 100)] == pytest.approx([0.0, 0.0, 0.5, 1.0])
    assert anneal("constant", 60, 0, 100) == 0.0
    with pytest.raises(ValueError, match="shape must be one of"):
        anneal("exponential", 1, 0, 2)


def test_penalty_schedule_factor_at_start_middle_and_end():
    s = CriticSchedule(1, penalty_schedule="cosine", penalty_end_factor=0.1)
    assert [s.penalty_factor(0, t, 10) for t in (0, 5, 10)] == pytest.approx([1.0, 0.55, 0.1])
    lazy = CriticSchedule(1, lazy_every=4, penalty_schedule="linear", penalty_end_factor=0.5)
    assert [lazy.penalty_factor(c, 5, 10) for c in (4, 5)] == pytest.approx([4 * 0.75, 0])
    assert CriticSchedule(1).penalty_factor(0) == 1
    with pytest.raises(ValueError, match="set max_gen_iters"):
        s.penalty_factor(0, 3)


class R3GANRecorder(L.Callback):
    """Before every training step: the learning rates and Adam's beta2 of both optimizers; after it: the penalty the
    module added and the constraint's unscaled penalty of that step (a wrapper on the real constraint)."""

    def on_fit_start(self, trainer, pl_module):
        self.rows, self.raw = [], []
        c = pl_module.constraints[0]
        orig = c.penalty

        def penalty(*a, **k):
            p = orig(*a, **k)
            self.raw.append(float(p.detach()))
            return p

        c.penalty = penalty

    def on_train_batch_start(self, trainer, pl_module, *a):
        groups = [o.param_groups[0] for o in trainer.optimizers]
        self.rows.append({"gen_iter": pl_module.gen_iters, "lr": [g["lr"] for g in groups],
                          "beta2": [g["betas"][1] for g in groups], "beta1": [g["betas"][0] for g in groups]})

    def on_train_batch_end(self, trainer, pl_module, *a):
        self.rows[-1]["penalty"] = float(pl_module._last_logs["penalty"])


def test_r3gan_schedules_gamma_lr_and_beta2_at_start_middle_and_end(tmp_path):
    """R3GAN's paper defaults through a real run of 8 generator iterations: gamma 0.05 -> 0.005, lr 2e-4 -> 5e-5,
    Adam beta2 0.9 -> 0.99 (beta1 0), each along a cosine ending at max_gen_iters, for both optimizers."""
    import math

    L.seed_everything(0)
    T = 8
    m = ganzoo.R3GAN(hidden_dim=16, n_layers=2, max_gen_iters=T)
    rec = R3GANRecorder()
    quiet_trainer(tmp_path, callbacks=[rec]).fit(m, Toy2DDataModule(batch_size=16))
    cos = lambda t: (1 - math.cos(math.pi * t / T)) / 2  # noqa: E731
    assert [r["gen_iter"] for r in rec.rows] == list(range(T))
    for r, raw in zip(rec.rows, rec.raw, strict=True):
        t = r["gen_iter"]
        gamma_factor = 1 + (0.1 - 1) * cos(t)  # gamma(t) / 0.05
        assert r["penalty"] == pytest.approx(gamma_factor * raw, rel=1e-6)
        assert r["lr"] == pytest.approx([2e-4 + (5e-5 - 2e-4) * cos(t)] * 2, rel=1e-9)
        assert r["beta2"] == pytest.approx([0.9 + (0.99 - 0.9) * cos(t)] * 2, rel=1e-12)
        assert r["beta1"] == [0.0, 0.0]
    start, middle = rec.rows[0], rec.rows[T // 2]
    assert (start["lr"][0], start["beta2"][0]) == pytest.approx((2e-4, 0.9))
    assert (middle["lr"][0], middle["beta2"][0]) == pytest.approx((1.25e-4, 0.945))
    assert middle["penalty"] == pytest.approx(0.55 * rec.raw[T // 2], rel=1e-6)  # gamma 0.0275 of 0.05
    ends = [o.param_groups[0] for o in m.trainer.optimizers]  # after the last step: the schedules' ends
    assert [g["lr"] for g in ends] == pytest.approx([5e-5] * 2) and [g["betas"][1] for g in ends] == pytest.approx(
        [0.99] * 2)
    assert m.schedule.penalty_factor(0, T, T) == pytest.approx(0.1)


def test_r1_r2_takes_the_loss_forward_passes_and_the_penalty_is_the_constraints(tmp_path):
    """With R1 + R2 the critic runs once on the real and once on the fake batch per critic step (the penalty takes
    its gradients from the loss's passes), and the penalty the module adds is gamma(t) times R1 + R2 recomputed
    independently at the step's own batches with the critic as it was before the step."""
    import copy

    from ganzoo.constraints import R1

    class Checked(ganzoo.R3GAN):
        def _fakes(self, *a, **k):
            self.last_fakes = super()._fakes(*a, **k)
            return self.last_fakes

        def critic_step(self, real, opt, labels=None):
            before, calls = copy.deepcopy(self.critic), []
            hook = self.critic.register_forward_hook(lambda *_: calls.append(1))
            logs = super().critic_step(real, opt, labels)
            hook.remove()
            expected = R1(0.05, on="both").penalty(lambda x: before(x).squeeze(1), real, self.last_fakes[0])
            factor = self.schedule.penalty_factor(self.critic_iters, self.gen_iters, self.max_gen_iters)
            self.checked.append((len(calls), float(logs["penalty"]), factor * float(expected.detach())))
            return logs

    L.seed_everything(0)
    m = Checked(hidden_dim=16, n_layers=2, max_gen_iters=4)
    m.checked = []
    quiet_trainer(tmp_path).fit(m, Toy2DDataModule(batch_size=16))
    assert len(m.checked) == 4
    for n_calls, logged, expected in m.checked:
        assert n_calls == 2
        assert logged == pytest.approx(expected, rel=1e-5)


def test_schedule_arguments_are_checked():
    for kw, match in (({"lr_end_factor": 0.5}, "lr_end_factor=0.5 is the end of the learning-rate schedule"),
                      ({"beta2_end": 0.99}, "beta2_end=0.99 is the end of the learning-rate schedule"),
                      ({"lr_schedule": "cosine", "beta2_end": 1.0, "max_gen_iters": 5}, "beta2_end must be"),
                      ({"lr_schedule": "cosine", "lr_end_factor": -1.0, "max_gen_iters": 5}, "lr_end_factor"),
                      ({"lr_schedule": "cosine"}, "lr_schedule='cosine' ends at max_gen_iters"),
                      ({"schedule": {"penalty_schedule": "cosine"}}, "penalty_schedule='cosine' ends at max_gen"),
                      ({"schedule": {"penalty_schedule": "step"}}, "penalty_schedule must be one of"),
                      ({"schedule": {"penalty_end_factor": 0.1}}, "penalty_end_factor=0.1 is the end of a penalty"),
                      ({"schedule": {"gamma_end": 0.1}}, "schedule takes")):
        with pytest.raises(ValueError, match=match):
            small(ganzoo.DCGAN, **kw)
    with pytest.raises(ValueError, match="beta2_end is Adam's beta2; the optimizers are 'rmsprop'"):
        small(ganzoo.WGAN, lr_schedule="linear", beta2_end=0.99, max_gen_iters=5)
    with pytest.raises(ValueError, match="lr_schedule='cosine' ends at max_gen_iters; set max_gen_iters"):
        ganzoo.R3GAN()  # the paper's schedules end at the run's end


@pytest.mark.parametrize("n_critic,gen_iters", [(5, 4), (1, 7), (3, 2)])
def test_n_critic_step_counts(tmp_path, n_critic, gen_iters):
    L.seed_everything(0)
    m = small(n_critic=n_critic, max_gen_iters=gen_iters)
    counter = CountingOptimizerSteps()
    tr = quiet_trainer(tmp_path, callbacks=[counter])
    tr.fit(m, Toy2DDataModule(batch_size=32))
    assert counter.counts == {"g": gen_iters, "d": n_critic * gen_iters}
    assert (m.gen_iters, m.critic_iters) == (gen_iters, n_critic * gen_iters)
    # Lightning's global_step counts every optimizer step, ganzoo's counters do not
    assert tr.global_step == (n_critic + 1) * gen_iters


def test_wgan_warmup_step_counts(tmp_path):
    L.seed_everything(0)
    m = small(ganzoo.WGAN, max_gen_iters=27)
    assert m.schedule.warmup == "wgan"
    counter = CountingOptimizerSteps()
    quiet_trainer(tmp_path, callbacks=[counter]).fit(m, Toy2DDataModule(batch_size=16))
    assert counter.counts == {"g": 27, "d": 25 * 100 + 2 * 5}


class RecordingBatches(L.Callback):
    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        self.batches = getattr(self, "batches", []) + [batch.clone()]


def test_fresh_real_batch_every_critic_step(tmp_path):
    m = small(n_critic=5, max_gen_iters=2)
    rec = RecordingBatches()
    quiet_trainer(tmp_path, callbacks=[rec]).fit(m, Toy2DDataModule(batch_size=8))
    assert len(rec.batches) == 10
    for i in range(len(rec.batches)):
        for j in range(i):
            assert not torch.equal(rec.batches[i], rec.batches[j])


def test_clipping_holds_after_every_critic_step(tmp_path):
    class CheckClip(L.Callback):
        def on_train_batch_end(self, trainer, pl_module, *a):
            assert max(p.abs().max().item() for p in pl_module.critic.parameters()) <= 0.01 + 1e-7

    m = small(ganzoo.WGAN, schedule={}, lr=1e-2, max_gen_iters=10)
    quiet_trainer(tmp_path, callbacks=[CheckClip()]).fit(m, Toy2DDataModule(batch_size=16))
    at_bound = sum((p.abs() > 0.01 - 1e-6).sum().item() for p in m.critic.parameters())
    assert at_bound > 0  # with lr 1e-2 the clip is active


def test_ema_tracks_generator_and_copies_buffers(tmp_path):
    m = small(max_gen_iters=20, ema_decay=0.9, n_critic=1, lr=1e-2)
    g0 = [p.detach().clone() for p in m.generator.parameters()]
    ema_expected = [p.clone() for p in g0]

    class Track(L.Callback):
        def on_train_batch_end(self, trainer, pl_module, *a):
            for e, p in zip(ema_expected, pl_module.generator.parameters()):
                e.mul_(0.9).add_(0.1 * p.detach())

    quiet_trainer(tmp_path, callbacks=[Track()]).fit(m, Toy2DDataModule(batch_size=16))
    for e, p in zip(ema_expected, m.generator_ema.parameters()):
        torch.testing.assert_close(p, e, rtol=1e-5, atol=1e-6)
    assert not all(torch.equal(a, b) for a, b in zip(m.generator_ema.parameters(), m.generator.parameters()))
    # buffers (e.g. batch-norm statistics) are copied, not averaged
    g = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
    from ganzoo.training import make_ema, update_ema

    e = make_ema(g)
    g(torch.randn(64, 2) * 3 + 1)
    update_ema(e, g, 0.99)
    torch.testing.assert_close(e[1].running_mean, g[1].running_mean)
    torch.testing.assert_close(e[1].running_var, g[1].running_var)


@pytest.mark.parametrize(
    "make,param",
    [
        (lambda: small(n_critic=0), "n_critic"),
        (lambda: small(n_critic=-3), "n_critic"),
        (lambda: small(constraints=[{"name": "gradient_penalty", "weight": -1.0}]), "gradient_penalty.*weight"),
        (lambda: small(constraints=[{"name": "gradient_penalty", "wieght": 1.0}]), "wieght"),
        (lambda: small(constraints=["lipschitz"]), "constraint must be one of"),
        (lambda: small(ganzoo.WGAN, constraints=[{"name": "weight_clipping", "clip": 0.0}]), "clip"),
        (lambda: small(ganzoo.WGAN, constraints=[{"name": "weight_clipping", "clip": -0.01}]), "clip"),
        (lambda: small(ganzoo.FGAN, objective={"name": "fgan", "divergence": "tv"}), "divergence"),
        # a recipe naming the objective without its divergence trained KL silently (the variant's default is JS)
        (lambda: small(ganzoo.FGAN, objective={"name": "fgan"}), "objective 'fgan' needs a divergence"),
        (lambda: small(ganzoo.DCGAN, objective="fgan"), "objective 'fgan' needs a divergence"),
        (lambda: small(ganzoo.MMDGAN, objective={"name": "mmd", "kernel": "laplace"}), "kernel"),
        (lambda: small(schedule={"n_critic": 3}), "n_critic"),
        (lambda: small(schedule={"warmup": "dcgan"}), "warmup"),
        (lambda: small(schedule={"lazy_every": 0}), "lazy_every"),
        (lambda: small(ganzoo.WGAN, betas=(0.5, 0.9)), "betas"),
        (lambda: ganzoo.DCGAN(hidden_dim=8, generator={"arch": "dcgan_generator"}, critic={"arch": "dcgan_critic"}),
         "hidden_dim"),
        (lambda: small(lr=0.0), "lr"),
        (lambda: small(betas=(0.5, 1.5)), "betas"),
        (lambda: small(max_gen_iters=0), "max_gen_iters"),
        (lambda: small(ema_decay=1.0), "ema_decay"),
        (lambda: small(data_dim=0), "out_dim"),
    ],
)
def test_invalid_hyperparameters_fail_at_construction(make, param):
    with pytest.raises(ValueError, match=param):
        make()


def test_unknown_objective_name():
    from ganzoo.objectives import make_objective

    with pytest.raises(ValueError, match="objective"):
        make_objective("wasserstein2")


def test_generator_output_must_match_data():
    g, d = MLPGenerator(2, 3, 16, 1), MLPCritic(3, 1, 16, 1)
    with pytest.raises(ValueError, match="data_shape"):
        AdversarialModule(g, d, Wasserstein(), data_shape=(2,))
    # and against the datamodule, before any training step
    m = AdversarialModule(g, d, Wasserstein(), max_gen_iters=1)
    with pytest.raises(ValueError, match="data_dim"):
        quiet_trainer("/tmp").fit(m, Toy2DDataModule())


def test_scalar_objective_rejects_feature_critic():
    g, d = MLPGenerator(2, 2, 16, 1), MLPCritic(2, 8, 16, 1)
    with pytest.raises(ValueError, match="scalar critic"):
        AdversarialModule(g, d, Wasserstein())


def test_optimizer_spec():
    with pytest.raises(ValueError, match="optimizer"):
        OptimizerSpec("lbfgs")
    m = small(ganzoo.WGAN)
    g_opt, d_opt = m.configure_optimizers()
    assert isinstance(d_opt, torch.optim.RMSprop) and d_opt.param_groups[0]["lr"] == 5e-5
    m = small()
    g_opt, d_opt = m.configure_optimizers()
    assert isinstance(d_opt, torch.optim.Adam) and d_opt.param_groups[0]["betas"] == (0.0, 0.9)


def test_optimizer_spec_builds_the_fused_optimizers_where_torch_has_them():
    """Adam and SGD are fused on CPU (and CUDA) parameters, RMSprop (which has no fused version) is not. The fused
    step is torch's unfused one with the same settings to float rounding, and a non-finite gradient still leaves
    non-finite weights (the divergence guard relies on it)."""
    assert not OptimizerSpec("rmsprop", 1e-2).build(torch.nn.Linear(3, 2).parameters()).defaults.get("fused")
    torch.manual_seed(0)
    for name in ("adam", "sgd"):
        net, ref = torch.nn.Linear(3, 2), torch.nn.Linear(3, 2)
        ref.load_state_dict(net.state_dict())
        opt = OptimizerSpec(name, 1e-2).build(net.parameters())
        assert opt.defaults["fused"] is True, name
        ref_opt = type(opt)(ref.parameters(), **{**opt.defaults, "fused": False})
        for _ in range(3):
            x = torch.randn(8, 3)
            for model, o in ((net, opt), (ref, ref_opt)):
                o.zero_grad()
                model(x).square().mean().backward()
                o.step()
        for a, b in zip(net.parameters(), ref.parameters()):
            torch.testing.assert_close(a, b)
        net.weight.grad = torch.full_like(net.weight, float("nan"))
        opt.step()
        assert torch.isnan(net.weight).all(), name


def test_paper_defaults():
    assert (ganzoo.DCGAN().g_spec.lr, ganzoo.DCGAN().g_spec.betas) == (2e-4, (0.5, 0.999))
    w = ganzoo.WGAN()
    assert (w.constraints[0].clip, w.schedule.n_critic, w.schedule.warmup, w.d_spec.name) == (
        0.01, 5, "wgan", "rmsprop"
    )
    gp = ganzoo.WGANGP()
    assert (gp.constraints[0].weight, gp.schedule.n_critic, gp.d_spec.lr, gp.d_spec.betas) == (
        10.0, 5, 1e-4, (0.0, 0.9)
    )
    sn = ganzoo.SNGAN()
    assert (sn.objective.name, sn.constraints[0].name, sn.schedule.n_critic, sn.d_spec.lr) == (
        "hinge", "spectral_norm", 5, 2e-4
    )
    c = ganzoo.CramerGAN()
    assert c.critic.net[-1].out_features == 256 and c.objective.n_fake_batches == 2
    assert c.constraints[0].weight == 10.0


def test_export_load_sample_roundtrip(tmp_path):
    L.seed_everything(0)
    m = small(max_gen_iters=3, ema_decay=0.5)
    quiet_trainer(tmp_path).fit(m, Toy2DDataModule(batch_size=16))
    folder = tmp_path / "generator"
    assert {"config.json", "model.safetensors"} <= {p.name for p in folder.iterdir()}
    cfg = json.loads((folder / "config.json").read_text())
    assert cfg["architecture"] == "mlp_generator" and cfg["args"]["hidden_dim"] == 16
    assert cfg["training"]["generator_iterations"] == 3 and cfg["training"]["ema"] is True
    g = ganzoo.load(folder)
    assert not g.training
    for a, b in zip(g.state_dict().values(), m.generator_ema.state_dict().values()):
        torch.testing.assert_close(a, b)
    x = ganzoo.sample(folder, 50, seed=3)
    assert x.shape == (50, 2)
    torch.testing.assert_close(x, ganzoo.sample(g, 50, seed=3, batch_size=7))
    assert not torch.equal(x, ganzoo.sample(g, 50, seed=4))


def test_load_refuses_pickles_and_unknown_architectures(tmp_path):
    (tmp_path / "pickled").mkdir()
    torch.save({"w": torch.zeros(1)}, tmp_path / "pickled" / "pytorch_model.bin")
    with pytest.raises(FileNotFoundError, match="never loaded"):
        ganzoo.load(tmp_path / "pickled")
    from ganzoo.hub import save_generator

    save_generator(MLPGenerator(2, 2, 8, 1), tmp_path / "g")
    cfg = json.loads((tmp_path / "g" / "config.json").read_text())
    cfg["architecture"] = "os.system"
    (tmp_path / "g" / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ValueError, match="unknown architecture"):
        ganzoo.load(tmp_path / "g")


def test_progress_bar_total_is_what_max_epochs_allows(tmp_path):
    """The bar counts generator iterations; when max_epochs stops training before max_gen_iters, its total says so
    (12 batches an epoch x 2 epochs = 24 critic steps = 4 generator iterations at n_critic 5)."""
    from torch.utils.data import DataLoader, TensorDataset

    from ganzoo.training.progress import GeneratorIterationBar

    class Totals(GeneratorIterationBar):
        seen: list = []

        def on_train_epoch_start(self, trainer, pl_module, *args):
            super().on_train_epoch_start(trainer, pl_module, *args)
            self.seen.append(self.train_progress_bar.total)

    bar = Totals()
    m = ganzoo.WGANGP(max_gen_iters=1000, hidden_dim=8)
    loader = DataLoader(TensorDataset(torch.randn(12 * 16, 2)), batch_size=16)
    L.Trainer(accelerator="cpu", max_epochs=2, logger=False, enable_checkpointing=False, callbacks=[bar],
              enable_model_summary=False, default_root_dir=str(tmp_path)).fit(m, loader)
    assert m.gen_iters == 4 and bar.seen == [4, 4]


@pytest.mark.slow  # torch.compile's first compilation takes ~20 s per network on 2 cores
@pytest.mark.parametrize("variant", ["dcgan", "wgan_gp"])
def test_compile_mode_trains_as_eager(tmp_path, variant, recwarn):
    """The fast mode computes the same training as eager, to float tolerance; a double-backward constraint keeps
    the critic eager with a warning naming it."""
    runs = {}
    for compiled in (False, True):
        L.seed_everything(0)
        m = small(ganzoo.variants.get_variant(variant), max_gen_iters=4, ema_decay=0.9, compile=compiled)
        quiet_trainer(tmp_path / str(compiled)).fit(m, Toy2DDataModule(batch_size=16))
        runs[compiled] = {k: v.detach().clone() for k, v in m.state_dict().items()}
    assert runs[True].keys() == runs[False].keys()  # checkpoints and exports keep their keys
    for k in runs[False]:
        torch.testing.assert_close(runs[True][k], runs[False][k], rtol=1e-4, atol=1e-5, msg=k)
    eager_critic = [str(w.message) for w in recwarn if "critic stays eager" in str(w.message)]
    assert bool(eager_critic) == (variant == "wgan_gp")
    if eager_critic:
        assert "gradient_penalty takes a double backward" in eager_critic[0]


@pytest.mark.parametrize("redraw_seconds,throttled", [(0.0, False), (3600.0, True)])
def test_terminal_progress_bar_redraws_at_most_every_redraw_seconds(tmp_path, monkeypatch, redraw_seconds, throttled):
    """A redraw per generator iteration costs ~0.1 ms, a visible share of a 2-D step: the terminal bar redraws at
    most every ``redraw_seconds`` (and at the last iteration); without the limit it redraws every iteration."""
    import lightning as L
    from lightning.pytorch.callbacks.progress.tqdm_progress import Tqdm

    from ganzoo.training.progress import GeneratorIterationBar

    redraws = []
    real_refresh = Tqdm.refresh
    monkeypatch.setattr(Tqdm, "refresh", lambda self, *a, **k: redraws.append(self.n) or real_refresh(self, *a, **k))
    m = small(n_critic=1, max_gen_iters=40)
    L.Trainer(accelerator="cpu", devices=1, logger=False, enable_checkpointing=False, enable_model_summary=False,
              default_root_dir=str(tmp_path), max_epochs=-1,
              callbacks=[GeneratorIterationBar(plain=False, redraw_seconds=redraw_seconds)]).fit(
        m, Toy2DDataModule(batch_size=16))
    ours = [n for n in redraws if n > 0]  # tqdm and Lightning also draw the empty bar at the start (n = 0)
    if throttled:  # the first iteration, then nothing until the last (drawn again by the end of training)
        assert sorted(set(ours)) == [1, 40], ours
    else:
        assert set(range(1, 41)) <= set(ours)
