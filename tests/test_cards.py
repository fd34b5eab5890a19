"""Model cards: metrics in the YAML model-index with their protocol, parsed back by huggingface_hub."""

import json

import pytest
import torch
from huggingface_hub import ModelCard

from ganzoo.cards import image_metric, make_card, toy_results, write_card
from ganzoo.data.toy2d import toy_samples
from ganzoo.hub import save_generator
from ganzoo.metrics.toy import evaluate_toy
from ganzoo.nets import MLPGenerator


def _config(tmp_path, **extra):
    torch.manual_seed(0)
    folder = save_generator(MLPGenerator(2, 2, 8, 1), tmp_path / "g", extra={
        "variant": "WGANGP", "objective": "wasserstein", "constraints": ["gradient_penalty"],
        "generator_iterations": 12, "ema": False, **extra})
    return folder, json.loads((folder / "config.json").read_text())


def _as_tuples(results):
    return [(r.task_type, r.dataset_type, r.dataset_name, r.dataset_split, r.metric_type, r.metric_name,
             r.metric_value, r.metric_args) for r in results]


def test_toy_metrics_round_trip_through_the_model_index(tmp_path):
    # real metrics of a (noisy) sample of the real distribution, not made-up numbers
    noise = torch.randn(500, 2, generator=torch.Generator().manual_seed(0))
    fake = toy_samples("8gaussians", 500, seed=7) + 0.05 * noise
    metrics = evaluate_toy(fake, "8gaussians")
    results = toy_results(metrics, "8gaussians")
    assert [r.metric_type for r in results] == ["wasserstein-1", "modes-covered", "high-quality-fraction"]
    assert results[0].metric_value == round(metrics["w1"], 4)
    assert results[0].metric_args["real_vs_real_w1"] == round(metrics["w1_baseline"], 4)
    assert results[0].metric_args["n_fake"] == results[0].metric_args["n_real"] == 500
    assert results[1].metric_value == metrics["modes"] and results[1].metric_args["n_modes"] == 8
    _, config = _config(tmp_path)
    card = make_card(config, name="toy", repo_id="someone/toy", dataset="8gaussians", results=results,
                     recipe="model:\n  class_path: ganzoo.WGANGP\n", command="ganzoo fit --config r.yaml",
                     sample_grid="samples.png")
    back = ModelCard(str(card))
    assert back.data.model_name == "toy"
    assert _as_tuples(back.data.eval_results) == _as_tuples(results)
    text = back.text
    assert "![samples](samples.png)" in text and "class_path: ganzoo.WGANGP" in text
    assert "`ganzoo fit --config r.yaml`" in text and 'ganzoo.load("someone/toy")' in text
    for label in ("| variant | `WGANGP` |", "| objective | `wasserstein` |", "| constraint | `gradient_penalty` |",
                  "| generator iterations | 12 |", "| dataset | 8 Gaussians"):
        assert label in text, label
    assert f"| W1 (exact optimal transport) | {round(metrics['w1'], 4)} |" in text


def test_image_metrics_carry_their_protocol(tmp_path):
    fid = image_metric("fid", 23.75, dataset="fashion_mnist", extractor="ganzoo-fmnist-classifier",
                       weights_sha256="ab" * 32, resize="none-28", n_fake=10000, n_real=10000,
                       reference_split="test")
    kid = image_metric("kid", 0.0123, dataset="fashion_mnist", extractor="ganzoo-fmnist-classifier",
                       weights_sha256="ab" * 32, resize="none-28", n_fake=10000, n_real=10000,
                       reference_split="test", subset_size=1000, n_subsets=100)
    _, config = _config(tmp_path)
    card = make_card(config, name="dcgan-fmnist", dataset="fashion_mnist", results=[fid, kid])
    back = ModelCard(str(card)).data
    assert back.datasets == ["fashion_mnist"]
    assert _as_tuples(back.eval_results) == _as_tuples([fid, kid])
    args = back.eval_results[1].metric_args
    assert args == {"extractor": "ganzoo-fmnist-classifier", "weights_sha256": "ab" * 32, "resize": "none-28",
                    "n_fake": 10000, "n_real": 10000, "reference_split": "test", "subset_size": 1000,
                    "n_subsets": 100}
    assert back.eval_results[0].dataset_split == "test"


@pytest.mark.parametrize("kwargs,match", [
        ({"metric": "sharpness"}, "metric must be one of"),
    ({"n_fake": 0}, "n_fake must be a positive integer"),
    ({"n_real": 2.5}, "n_real must be a positive integer"),
])
def test_image_metric_rejects_bad_protocols(kwargs, match):
    base = dict(metric="fid", value=1.0, dataset="fashion_mnist", extractor="x", weights_sha256="0" * 64,
                resize="none", n_fake=10, n_real=10, reference_split="test")
    with pytest.raises(ValueError, match=match):
        image_metric(**{**base, **kwargs})


def test_toy_results_need_the_core_metrics():
    with pytest.raises(ValueError, match="metrics: missing 'w1_baseline'"):
        toy_results({"n": 10, "w1": 0.1}, "8gaussians")


def test_write_card_copies_the_grid_and_rewrites_atomically(tmp_path):
    folder, _ = _config(tmp_path)
    picture = tmp_path / "elsewhere.png"
    picture.write_bytes(b"\x89PNG picture")
    write_card(folder, sample_grid=picture, name="toy", dataset="8gaussians")
    assert (folder / "samples.png").read_bytes() == b"\x89PNG picture"
    assert "![samples](samples.png)" in (folder / "README.md").read_text()
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "config.json", "model.safetensors",
                                                        "samples.png"]
    with pytest.raises(FileNotFoundError, match="sample_grid: .*missing.png does not exist"):
        write_card(folder, sample_grid=tmp_path / "missing.png")


def test_a_card_without_results_has_no_model_index(tmp_path):
    _, config = _config(tmp_path)
    card = make_card(config)
    assert "model-index" not in str(card) and card.data.eval_results is None
    assert "No evaluation was recorded" in card.text
