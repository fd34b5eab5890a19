"""The zoo: entries listed, loadable by name with no network (editable or wheel install), metrics reproducible."""

import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import huggingface_hub
import pytest
import torch
from hub_test_doubles import install_fake_hf_api
from huggingface_hub import ModelCard

import ganzoo
from ganzoo.hub import HubLoadError, check_repo_id, push_to_hub
from ganzoo.metrics.toy import evaluate_generator
from ganzoo.serialization import load_generator
from ganzoo.zoo import ZOO_DIR

ROOT = Path(__file__).resolve().parents[1]
ENTRIES = ganzoo.list_pretrained()
NAMES = [e.name for e in ENTRIES]
FIRST = "wgan_gp-8gaussians"


def _offline_env(tmp_path):
    return {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf_home"), "OMP_NUM_THREADS": "1"}


def test_the_first_entry_is_listed_with_its_metrics():
    assert FIRST in NAMES
    e = ganzoo.zoo.get_entry(FIRST)
    assert e.bundled and e.dataset == "8gaussians" and e.variant == "WGANGP" and e.architecture == "mlp_generator"
    check_repo_id(e.repo_id)
    assert {"w1", "w1_real_vs_real", "modes", "n_modes", "high_quality", "n_eval"} <= set(e.metrics)
    assert (ROOT / e.recipe).is_file()


@pytest.mark.parametrize("name", NAMES)
def test_entry_card_and_folder_are_consistent(name):
    e = ganzoo.zoo.get_entry(name)
    folder = ZOO_DIR / name
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "config.json", "model.safetensors", "samples.png"]
    for f in ("README.md", "samples.png"):  # model_cards/<name>/ holds the same card and picture
        assert (ROOT / "model_cards" / name / f).read_bytes() == (folder / f).read_bytes(), f
    card = ModelCard.load(folder / "README.md")
    assert card.data.model_name == name and card.data.library_name == "ganzoo"
    values = {r.metric_type: r.metric_value for r in card.data.eval_results}
    assert values["wasserstein-1"] == e.metrics["w1"]
    assert card.data.eval_results[0].metric_args["real_vs_real_w1"] == e.metrics["w1_real_vs_real"]
    assert values["modes-covered"] == e.metrics["modes"]
    assert values["high-quality-fraction"] == e.metrics["high_quality"]
    assert f'ganzoo.load("{name}")' in card.text
    assert (ROOT / e.recipe).read_text().strip() in card.text  # the recipe the entry was trained with


@pytest.mark.parametrize("name", NAMES)
def test_entry_metrics_are_those_of_the_bundled_weights(name):
    """Recompute the card's numbers from the shipped weights (same protocol: seeds 0.., draws x n_eval samples)."""
    e = ganzoo.zoo.get_entry(name)
    m = evaluate_generator(ganzoo.load(name), e.dataset, e.metrics["n_eval"], draws=e.metrics["draws"], seed=0)
    assert m["w1"] == pytest.approx(e.metrics["w1"], abs=1e-4)
    assert m["w1_baseline"] == pytest.approx(e.metrics["w1_real_vs_real"], abs=1e-4)
    assert m["modes"] == e.metrics["modes"] and m["high_quality"] == pytest.approx(e.metrics["high_quality"], abs=1e-4)
    # and they are good: every mode, W1 within twice the real-vs-real baseline
    assert m["modes"] == m["n_modes"] and m["w1"] <= 2 * m["w1_baseline"]


def test_zoo_name_loads_offline_without_lightning_or_the_hub_client(tmp_path):
    code = ("import sys, ganzoo; print(tuple(ganzoo.sample(sys.argv[1], 4, seed=0).shape), "
            "'lightning' in sys.modules, 'huggingface_hub' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, FIRST], cwd=tmp_path, env=_offline_env(tmp_path),
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "(4, 2) False False", out.stdout + out.stderr


def test_zoo_loads_from_a_wheel_install(tmp_path):
    """A non-editable install (wheel) carries the bundled entry and the card template."""
    src = tmp_path / "src"
    src.mkdir()
    for f in ("pyproject.toml", "README.md"):
        shutil.copyfile(ROOT / f, src / f)
    shutil.copytree(ROOT / "ganzoo", src / "ganzoo", ignore=shutil.ignore_patterns("__pycache__", ".*"))
    pip = [sys.executable, "-m", "pip", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"), str(src)],
                   check=True, capture_output=True, env=_offline_env(tmp_path))
    wheel = next((tmp_path / "dist").glob("ganzoo-*.whl"))
    subprocess.run([*pip, "install", "--no-deps", "--no-index", "--target", str(tmp_path / "site"), str(wheel)],
                   check=True, capture_output=True, env=_offline_env(tmp_path))
    code = ("import sys, ganzoo, ganzoo.cards; print(ganzoo.__file__.startswith(sys.argv[2]), "
            "ganzoo.cards.TEMPLATE_PATH.is_file(), tuple(ganzoo.sample(sys.argv[1], 4, seed=0).shape))")
    env = {**_offline_env(tmp_path), "PYTHONPATH": str(tmp_path / "site")}
    out = subprocess.run([sys.executable, "-c", code, FIRST, str(tmp_path / "site")], cwd=tmp_path, env=env,
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True True (4, 2)", out.stdout + out.stderr


def test_the_entrys_repo_id_falls_back_to_the_bundled_copy_offline(tmp_path, monkeypatch):
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    e = ganzoo.zoo.get_entry(FIRST)
    with pytest.warns(UserWarning, match=f"using the copy of zoo entry '{FIRST}' bundled with ganzoo"):
        g = ganzoo.load(e.repo_id, cache_dir=tmp_path / "cache")
    ref = load_generator(ZOO_DIR / FIRST)
    for a, b in zip(g.state_dict().values(), ref.state_dict().values()):
        assert torch.equal(a, b)
    # an explicit revision is never answered with the bundled copy
    with pytest.raises(HubLoadError, match="bundled copy skipped because revision was given"):
        ganzoo.load(FIRST, revision="v0", cache_dir=tmp_path / "cache")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ganzoo.load(FIRST)  # by name: no network attempted, no warning


def test_zoo_entry_pushes_with_its_card(tmp_path, monkeypatch):
    api = install_fake_hf_api(monkeypatch, tmp_path / "remote")
    e = ganzoo.zoo.get_entry(FIRST)
    push_to_hub(ZOO_DIR / FIRST, e.repo_id)
    assert api.calls[-1][1]["files"] == ["README.md", "config.json", "model.safetensors", "samples.png"]
    remote = tmp_path / "remote" / e.repo_id
    assert (remote / "README.md").read_bytes() == (ZOO_DIR / FIRST / "README.md").read_bytes()
    assert json.loads((remote / "config.json").read_text())["architecture"] == "mlp_generator"
