"""Every entry of every registry — variants, objectives, constraints, networks — is built, checked for clear errors,
trained a step and exported, by looping over the registry: a new entry is tested without editing a test."""

import inspect
import re
from pathlib import Path

import lightning as L
import pytest
import torch
from conftest import quiet_trainer
from variant_cases import case

import ganzoo
from ganzoo.constraints import CONSTRAINTS, Constraint, make_constraint
from ganzoo.data import Toy2DDataModule
from ganzoo.nets import Generator, ImageTranslator
from ganzoo.objectives import OBJECTIVES, Objective, make_objective
from ganzoo.registry import build_model, get_model_class, list_models

VARIANTS = ganzoo.list_variants()


def test_the_registry_lists_every_variant_and_ganzoo_exports_each():
    assert set(VARIANTS) >= {"dcgan", "wgan", "wgan_gp", "sngan", "cramer_gan", "mmd_gan", "fgan", "cgan", "lsgan",
                             "ragan", "pix2pix", "cyclegan"}
    assert set(ganzoo.list_variants("latent")) | set(ganzoo.list_variants("translation")) == set(VARIANTS)
    for name in VARIANTS:
        cls = ganzoo.variants.get_variant(name)
        assert getattr(ganzoo, cls.__name__) is cls and cls.variant_name == name
    with pytest.raises(ValueError, match="unknown variant 'stylegan'.*registered variants"):
        ganzoo.variants.get_variant("stylegan")


@pytest.mark.parametrize("name", VARIANTS)
def test_every_variant_names_its_bad_arguments(name):
    c = case(name)
    for kw, param in (({"lr": -1.0}, "lr"), ({"max_gen_iters": 0}, "max_gen_iters"),
                      ({"objective": "wasserstein2"}, "objective")):
        with pytest.raises(ValueError, match=param):
            c.build(**kw)
    with pytest.raises(TypeError, match="nonsense"):
        c.build(nonsense=1)


@pytest.mark.parametrize("name", ganzoo.list_variants("latent"))
def test_every_latent_variant_states_only_its_paper(name):
    """The constructor's defaults are the paper's, the paper's pieces build, and a variant file is a declaration."""
    cls = ganzoo.variants.get_variant(name)
    defaults = {k: p.default for k, p in inspect.signature(cls).parameters.items()}
    for k, v in cls.paper.defaults.items():
        assert defaults[k] == v, k
    m = cls(**case(name).kwargs)
    assert m.schedule.n_critic == cls.paper.n_critic and m.g_spec.lr == cls.paper.lr
    assert [c.name for c in m.constraints] == [make_constraint(c).name for c in cls.paper.constraints]
    source = inspect.getsource(inspect.getmodule(cls)).splitlines()
    example = _example_lines(source)  # a runnable usage example (test_docs runs it) is documentation, not declaration
    code = [ln for i, ln in enumerate(source) if ln.strip() and not ln.strip().startswith("#") and i not in example]
    assert len(code) <= 25, f"{name}: {len(code)} lines (docstring included, its Example: section not)"


def _example_lines(source: list[str]) -> set[int]:
    """0-based line numbers of the ``Example:`` sections of the module's docstrings (to their closing quotes)."""
    import ast

    out: set[int] = set()
    for node in ast.walk(ast.parse("\n".join(source))):
        if isinstance(node, ast.Expr) and isinstance(getattr(node, "value", None), ast.Constant) and \
                isinstance(node.value.value, str):
            first, last = node.lineno - 1, node.end_lineno - 1
            start = next((i for i in range(first, last + 1) if source[i].strip() == "Example:"), None)
            if start is not None:
                out.update(range(start, last))
    return out


@pytest.mark.parametrize("name", VARIANTS)
def test_every_variant_trains_a_step_exports_and_loads(tmp_path, name):
    L.seed_everything(0)
    c = case(name)
    m = c.build(max_gen_iters=1)
    quiet_trainer(tmp_path).fit(m, c.data())
    assert m.gen_iters == 1 and m.critic_iters >= 1
    loaded = ganzoo.load(tmp_path / "generator")
    m = m.cpu()  # ganzoo.sample / ganzoo.translate take the training module itself: its exported network
    if c.kind in ("latent", "conditional"):
        assert isinstance(loaded, Generator)
        labels = [0, 1] if c.kind == "conditional" else None
        torch.testing.assert_close(ganzoo.sample(loaded, 2, seed=1, labels=labels),
                                   ganzoo.sample(m, 2, seed=1, labels=labels))
    else:
        assert isinstance(loaded, ImageTranslator)
        x = torch.rand(1, 1, 64, 64)  # ganzoo.translate takes [0, 1] by default
        torch.testing.assert_close(ganzoo.translate(loaded, x), ganzoo.translate(m, x))


REQUIRED_ARGS = {"fgan": {"divergence": "js"}}  # objectives whose name alone does not say what they compute


@pytest.mark.parametrize("name", sorted(OBJECTIVES))
def test_every_objective_builds_by_name_mapping_and_class_path(name):
    required = REQUIRED_ARGS.get(name, {})
    if required:  # a family named without its member is refused in one line naming the argument
        with pytest.raises(ValueError, match=next(iter(required))):
            make_objective(name)
    obj = make_objective({"name": name, **required})
    assert isinstance(obj, Objective)
    if not required:
        assert type(make_objective(name)) is type(obj)
    if isinstance(OBJECTIVES[name], type):
        spec = {"class_path": f"{type(obj).__module__}.{type(obj).__name__}", "init_args": required}
        assert type(make_objective(spec)) is type(obj)
    real, fake = torch.randn(8, 1 if obj.scalar_critic else 4), torch.randn(8, 1 if obj.scalar_critic else 4)
    fakes = [fake] * obj.n_fake_batches
    for loss in (obj.critic_loss(real, fakes), obj.generator_loss(fakes, real)):
        assert loss.shape == () and torch.isfinite(loss)


@pytest.mark.parametrize("name", sorted(CONSTRAINTS))
def test_every_constraint_builds_and_trains_a_critic_step(tmp_path, name):
    c = make_constraint(name)
    assert isinstance(c, Constraint)
    with pytest.raises(ValueError, match=f"{name}.*does not take"):
        make_constraint({"name": name, "nonsense": 1})
    L.seed_everything(0)
    m = ganzoo.WGANGP(hidden_dim=8, n_layers=1, constraints=[{"name": name}], max_gen_iters=1)
    quiet_trainer(tmp_path).fit(m, Toy2DDataModule(batch_size=16))
    assert m.critic_iters == 5 and [k.name for k in m.constraints] == [c.name]


@pytest.mark.parametrize("arch", list_models())
def test_every_architecture_builds_with_its_defaults_and_refuses_unknown_arguments(arch):
    if arch == "translator":  # the container of translators: built from their specs
        net = build_model(arch, {"directions": {"AtoB": {"arch": "unet_generator", "num_downs": 2, "width": 4}}})
    else:
        net = build_model(arch, {})
    assert isinstance(net, get_model_class(arch)) and net.arch_name == arch
    with pytest.raises(ValueError, match=f"{arch}.*nonsense"):
        build_model(arch, {"nonsense": 1})


README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_the_readme_variant_table_lists_the_registry():
    rows = re.findall(r"^\| `(\w+)` \|", README.split("## Set-up")[0], flags=re.M)
    assert sorted(rows) == sorted(ganzoo.variants.get_variant(n).__name__ for n in VARIANTS)


def test_the_readme_adding_a_variant_example_works(tmp_path):
    """The worked example of docs/howto/add-variant.md, run as written: registered, exported as ganzoo.WGANLP, its
    paper's defaults in the constructor, and trained a step by the registry-driven case."""
    page = Path(__file__).resolve().parents[1] / "docs" / "howto" / "add-variant.md"
    code = re.search(r"```python\n(.*?)```", page.read_text(), flags=re.S).group(1)
    from ganzoo.variants import registry as base

    try:
        exec(compile(code, "docs/howto/add-variant.md", "exec"), {})
        assert "wgan_lp" in ganzoo.list_variants("latent") and ganzoo.WGANLP.variant_name == "wgan_lp"
        m = ganzoo.WGANLP()
        assert m.constraints[0].one_sided and m.constraints[0].weight == 10.0 and m.schedule.n_critic == 5
        L.seed_everything(0)
        c = case("wgan_lp")
        m = c.build(max_gen_iters=2)
        quiet_trainer(tmp_path).fit(m, c.data())
        assert m.gen_iters == 2
    finally:
        base._VARIANTS.pop("wgan_lp", None)
        ganzoo.variants.__dict__.pop("WGANLP", None)
