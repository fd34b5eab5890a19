"""Every recipe parses and trains a few iterations through the real CLI (LightningCLI)."""

import json
from pathlib import Path

import pytest

import ganzoo
from ganzoo.cli import GanzooCLI, main

RECIPES = sorted((Path(__file__).resolve().parents[1] / "recipes").glob("*/8gaussians.yaml"))


def test_every_unconditional_variant_has_a_2d_recipe():
    unconditional = {n for n in ganzoo.list_variants("latent") if not ganzoo.variants.get_variant(n).paper.conditional}
    assert {p.parent.name for p in RECIPES} == unconditional  # conditional variants need labelled images


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.parent.name)
def test_recipe_parses_and_instantiates(recipe, tmp_path):
    cli = GanzooCLI(args=["--config", str(recipe), "--trainer.default_root_dir", str(tmp_path)], run=False)
    assert isinstance(cli.model, ganzoo.variants.get_variant(recipe.parent.name))
    assert cli.model.max_gen_iters is not None


def cli_model_objective(recipe):
    return ganzoo.variants.get_variant(recipe.parent.name)(max_gen_iters=3).objective  # R3GAN's schedules need it


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.parent.name)
def test_recipe_smoke_fit_writes_report_logs_and_generator(recipe, tmp_path):
    main(["fit", "--config", str(recipe), "--trainer.default_root_dir", str(tmp_path),
          "--model.init_args.max_gen_iters", "3", "--model.init_args.schedule", "{}"]
         if recipe.parent.name == "wgan" else
         ["fit", "--config", str(recipe), "--trainer.default_root_dir", str(tmp_path),
          "--model.init_args.max_gen_iters", "3"])
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["generator_iterations"] == 3
    assert (tmp_path / "samples.png").stat().st_size > 5000
    csv = next(tmp_path.glob("logs/version_*/metrics.csv")).read_text().splitlines()
    header = csv[0].split(",")
    est = "train/distance" if cli_model_objective(recipe).is_distance else "train/critic_value"
    assert est in header
    assert len(csv) - 1 == metrics["critic_iterations"]  # one logged row per critic step
    events = list(tmp_path.glob("logs/version_*/events.out.tfevents.*"))  # TensorBoard too: every step's values
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(events[0].parent)).Reload()
    assert [e.step for e in acc.Scalars(est)] == list(range(1, metrics["critic_iterations"] + 1))
    assert len(acc.Scalars("train/g_loss")) == 3
    g = ganzoo.load(tmp_path / "generator")
    assert ganzoo.sample(g, 5, seed=0).shape == (5, 2)


def test_bad_option_names_the_parameter(tmp_path):
    with pytest.raises(ValueError, match="n_critic"):
        main(["fit", "--config", str(RECIPES[0]), "--model.init_args.n_critic", "0",
              "--trainer.default_root_dir", str(tmp_path)])
