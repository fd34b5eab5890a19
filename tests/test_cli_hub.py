"""``ganzoo fit ... --push_to_hub org/name``: the exported folder, with its card and metrics, in one commit."""

import json
from pathlib import Path

import pytest
import torch
from hub_test_doubles import install_fake_hf_api
from huggingface_hub import ModelCard

import ganzoo
from ganzoo.cli import main

RECIPE = Path(__file__).resolve().parents[1] / "recipes" / "wgan_gp" / "8gaussians.yaml"


def test_fit_pushes_the_evaluated_generator_with_its_card(tmp_path, monkeypatch):
    api = install_fake_hf_api(monkeypatch, tmp_path / "remote")
    root = tmp_path / "run"
    main(["fit", "--config", str(RECIPE), "--trainer.default_root_dir", str(root), "--model.init_args.max_gen_iters",
          "3", "--trainer.enable_progress_bar", "false", "--push_to_hub", "someone/wgan-gp-toy"])
    assert [c[0] for c in api.calls] == ["create_repo", "upload_folder"]
    upload = api.calls[1][1]
    assert upload["repo_id"] == "someone/wgan-gp-toy"
    assert upload["files"] == ["README.md", "config.json", "model.safetensors", "samples.png"]
    assert "3 generator iterations" in upload["commit_message"]
    remote = tmp_path / "remote" / "someone" / "wgan-gp-toy"
    for f in upload["files"]:  # exactly the exported folder, after the card was written
        assert (remote / f).read_bytes() == (root / "generator" / f).read_bytes(), f
    assert (remote / "samples.png").read_bytes() == (root / "samples.png").read_bytes()
    metrics = json.loads((root / "metrics.json").read_text())
    card = ModelCard.load(remote / "README.md")
    values = {r.metric_type: r.metric_value for r in card.data.eval_results}
    assert values["wasserstein-1"] == round(metrics["w1"], 4)
    assert values["modes-covered"] == metrics["modes"]
    assert card.data.eval_results[0].metric_args["real_vs_real_w1"] == round(metrics["w1_baseline"], 4)
    assert "max_gen_iters: 2400" in card.text and "--push_to_hub someone/wgan-gp-toy" in card.text
    assert "| generator iterations | 3 |" in card.text and 'ganzoo.load("someone/wgan-gp-toy")' in card.text
    assert ganzoo.sample(remote, 4, seed=0).shape == (4, 2)


def test_a_bad_repo_id_fails_before_training(tmp_path, monkeypatch):
    api = install_fake_hf_api(monkeypatch, tmp_path / "remote")
    with pytest.raises(ValueError, match="--push_to_hub: 'not a repo!' is not a valid Hub repository id"):
        main(["fit", "--config", str(RECIPE), "--trainer.default_root_dir", str(tmp_path / "run"),
              "--push_to_hub", "not a repo!"])
    assert not (tmp_path / "run").exists() and api.calls == []



@pytest.mark.slow  # about 55 s: the recipe evaluates 1,000 test translations each way before and after training
@pytest.mark.fashion_mnist
def test_fit_pushes_a_translator_with_its_scores(tmp_path, monkeypatch):
    api = install_fake_hf_api(monkeypatch, tmp_path / "remote")
    root = tmp_path / "run"
    recipe = RECIPE.parents[1] / "cyclegan" / "sneaker2boot.yaml"
    main(["fit", "--config", str(recipe), "--trainer.default_root_dir", str(root), "--model.init_args.max_gen_iters",
          "2", "--trainer.enable_progress_bar", "false", "--eval_n", "64", "--push_to_hub", "someone/sneaker2boot"])
    upload = api.calls[1][1]
    assert upload["files"] == ["README.md", "config.json", "model.safetensors", "samples.png"]
    remote = tmp_path / "remote" / "someone" / "sneaker2boot"
    metrics = json.loads((root / "metrics.json").read_text())
    card = ModelCard.load(remote / "README.md")
    values = {r.metric_name: r.metric_value for r in card.data.eval_results}
    assert values["target-class fraction AtoB"] == round(metrics["AtoB/target_fraction"], 4)
    assert values["FID BtoA"] == round(metrics["BtoA/fid"], 4)
    assert 'ganzoo.translate(g, images, direction="AtoB")' in card.text
    y = ganzoo.translate(str(remote), torch.rand(2, 1, 32, 32), "BtoA")
    assert y.shape == (2, 1, 32, 32)
