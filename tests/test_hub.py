"""Hub format, strict loading, bad input, offline cache and pushing (HfApi replaced by a test double)."""

import json
import re
import sys
import warnings
from pathlib import Path

import huggingface_hub
import pytest
import torch
from hub_test_doubles import install_fake_hf_api, pickle_bomb, write_hf_cache_snapshot
from huggingface_hub import ModelCard
from safetensors.torch import load_file
from tiny_image_generator import TinyImageGenerator

import ganzoo
from ganzoo.hub import HubGenerator, HubLoadError, push_to_hub, save_generator
from ganzoo.nets import MLPGenerator
from ganzoo.registry import build_model, list_models

EXTRA = {"variant": "WGANGP", "objective": "wasserstein", "constraints": ["gradient_penalty"],
         "generator_iterations": 7, "ema": True}


def _gen(seed=0, **kw):
    torch.manual_seed(seed)
    return MLPGenerator(**{"latent_dim": 2, "out_dim": 2, "hidden_dim": 8, "n_layers": 1, **kw})


def _assert_same_weights(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        assert torch.equal(sa[k].cpu(), sb[k].cpu()), k


@pytest.fixture
def offline(monkeypatch):
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)


def test_save_writes_a_hub_folder_and_loads_strictly(tmp_path):
    g = _gen()
    folder = save_generator(g, tmp_path / "g", extra=EXTRA)
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "config.json", "model.safetensors"]
    cfg = json.loads((folder / "config.json").read_text())
    assert cfg["architecture"] == "mlp_generator"
    assert cfg["args"] == {"latent_dim": 2, "out_dim": 2, "hidden_dim": 8, "n_layers": 1,
                           "latent_distribution": "normal"}
    assert (cfg["latent_dim"], cfg["latent_distribution"], cfg["num_classes"]) == (2, "normal", 0)
    assert cfg["output_shape"] == [2] and cfg["output_range"] is None and cfg["training"] == EXTRA
    assert cfg["sampling_version"] == 2
    assert set(load_file(str(folder / "model.safetensors"))) == set(g.state_dict())
    card = ModelCard.load(folder / "README.md")
    assert card.data.library_name == "ganzoo" and "wgangp" in card.data.tags
    assert "`wasserstein`" in card.text and "| generator iterations | 7 |" in card.text
    loaded = ganzoo.load(folder)
    assert not loaded.training
    _assert_same_weights(loaded, g)
    # the same folder through the mixin's own entry point
    via_mixin = HubGenerator.from_pretrained(str(folder))
    _assert_same_weights(via_mixin.module, g)


def test_saving_replaces_atomically_and_a_failed_save_leaves_the_old_folder(tmp_path):
    save_generator(_gen(0), tmp_path / "g")
    before = {p.name: p.read_bytes() for p in (tmp_path / "g").iterdir()}
    save_generator(_gen(1), tmp_path / "g")  # replaced
    _assert_same_weights(ganzoo.load(tmp_path / "g"), _gen(1))
    before = {p.name: p.read_bytes() for p in (tmp_path / "g").iterdir()}
    with pytest.raises(ValueError, match="eval_results"):  # the card fails after the weights were written
        save_generator(_gen(2), tmp_path / "g", card={"results": "not results"})
    assert {p.name: p.read_bytes() for p in (tmp_path / "g").iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g"]  # no temporary folder left behind


def test_save_refuses_unregistered_modules(tmp_path):
    with pytest.raises(ValueError, match="not a registered architecture"):
        save_generator(torch.nn.Linear(2, 2), tmp_path / "g")
    assert not (tmp_path / "g").exists()


def _set(**fields):
    """An edit of config.json: top-level ``fields``, or ``args__name`` for a constructor argument."""

    def edit(cfg):
        for key, value in fields.items():
            if key.startswith("args__"):
                cfg["args"][key[6:]] = value
            else:
                cfg[key] = value

    return edit


# how -> (edit of the parsed config.json, or raw bytes for a file, and the error it must give)
CORRUPTIONS = {
    "malformed_json": (("config.json", b'{"architecture": "mlp_generator", '), r"config\.json: malformed JSON"),
    "not_an_object": (("config.json", b"[1, 2]"), r"config\.json: expected a JSON object"),
    "import_path": (_set(architecture="ganzoo.nets.mlp.MLPGenerator"),
                    r"config\.json: unknown architecture 'ganzoo\.nets\.mlp\.MLPGenerator'"),
    "critic": (_set(architecture="mlp_critic", args={"in_dim": 2, "hidden_dim": 8, "n_layers": 1}),
               r"config\.json: architecture 'mlp_critic' is not a generator"),
    "unknown_arg": (_set(args__module_path="os"), r"config\.json: .*does not take argument\(s\) \['module_path'\]"),
    "bad_arg_value": (_set(args__hidden_dim=-3), r"config\.json: hidden_dim must be an integer >= 1"),
    "inconsistent_latent_dim": (_set(latent_dim=5), r"config\.json: 'latent_dim' is 5 but"),
    "newer_format": (_set(format_version=99), r"config\.json: format_version 99 is newer"),
    "newer_sampler": (_set(sampling_version=3), r"config\.json: sampling_version 3 is newer"),
    "bad_sampler": (_set(sampling_version="2"), r"config\.json: 'sampling_version' must be a positive integer"),
    "wrong_shapes": (_set(args__hidden_dim=9), r"model\.safetensors: weights do not match.*size mismatch"),
    "missing_key": (_set(args__n_layers=2), r"model\.safetensors: weights do not match.*Missing key"),
    "unexpected_key": (_set(args__n_layers=0), r"model\.safetensors: weights do not match.*Unexpected key"),
    "truncated": (("model.safetensors", None), r"model\.safetensors: not a readable safetensors file"),
    "garbage": (("model.safetensors", b"\x00" * 3), r"model\.safetensors: not a readable safetensors file"),
}


def _corrupt(folder: Path, how: str) -> str:
    change, pattern = CORRUPTIONS[how]
    if callable(change):
        cfg = json.loads((folder / "config.json").read_text())
        change(cfg)
        (folder / "config.json").write_text(json.dumps(cfg))
    else:
        name, data = change
        path = folder / name
        path.write_bytes(path.read_bytes()[:-20] if data is None else data)  # None: cut the file short
    return pattern


@pytest.mark.parametrize("how", CORRUPTIONS)
def test_bad_folders_give_errors_naming_the_file(tmp_path, how):
    folder = save_generator(_gen(), tmp_path / "g")
    pattern = _corrupt(folder, how)
    with pytest.raises(ValueError, match="(?s)" + re.escape(str(folder)) + "/" + pattern):
        ganzoo.load(folder)


def test_a_pickle_only_folder_is_refused_without_unpickling(tmp_path):
    folder = tmp_path / "pickled"
    folder.mkdir()
    save_generator(_gen(), tmp_path / "g")
    (folder / "config.json").write_bytes((tmp_path / "g" / "config.json").read_bytes())
    marker = tmp_path / "UNPICKLED"
    pickle_bomb(folder / "pytorch_model.bin", marker)
    with pytest.raises(FileNotFoundError, match=r"model\.safetensors: missing.*pytorch_model\.bin.*never loaded"):
        ganzoo.load(folder)
    with pytest.raises(FileNotFoundError, match="never loaded"):
        ganzoo.sample(folder, 2)
    assert not marker.exists()


def test_name_resolution_errors_say_what_was_tried(tmp_path, offline):
    with pytest.raises(FileNotFoundError, match=r"not an existing local folder, not a zoo name \(zoo: \["):
        ganzoo.load("no-such-model")
    with pytest.raises(FileNotFoundError, match="not a folder"):
        ganzoo.load(tmp_path / "missing")
    folder = save_generator(_gen(), tmp_path / "g")
    with pytest.raises(ValueError, match="revision='v1' applies to Hub repositories"):
        ganzoo.load(folder, revision="v1")
    with pytest.raises(TypeError, match="name_or_path"):
        ganzoo.load(3)
    with pytest.raises(HubLoadError) as e:
        ganzoo.load("someone/unknown-gan", cache_dir=tmp_path / "cache")
    msg = str(e.value)
    assert "local folder 'someone/unknown-gan': does not exist" in msg
    assert "zoo: no entry is published under this repository id" in msg
    assert "HF_HUB_OFFLINE is set" in msg and "holds no copy" in msg


def test_hub_id_loads_from_the_cache_when_offline(tmp_path, offline):
    g = _gen(3)
    folder = save_generator(g, tmp_path / "g", extra=EXTRA)
    cache = tmp_path / "cache"
    commit = "b" * 40
    write_hf_cache_snapshot(cache, "someone/toy-gan", folder, commit=commit)
    loaded = ganzoo.load("someone/toy-gan", cache_dir=cache)
    _assert_same_weights(loaded, g)
    assert not loaded.training
    _assert_same_weights(ganzoo.load("someone/toy-gan", revision=commit, cache_dir=cache), g)
    with pytest.raises(HubLoadError, match="at revision 'v2'.*holds no copy"):
        ganzoo.load("someone/toy-gan", revision="v2", cache_dir=cache)
    torch.testing.assert_close(ganzoo.sample(loaded, 9, seed=4), ganzoo.sample(folder, 9, seed=4))


def test_hub_repo_with_only_pickled_weights_is_never_unpickled(tmp_path, offline):
    folder = tmp_path / "pickled"
    folder.mkdir()
    save_generator(_gen(), tmp_path / "g")
    (folder / "config.json").write_bytes((tmp_path / "g" / "config.json").read_bytes())
    marker = tmp_path / "UNPICKLED"
    pickle_bomb(folder / "pytorch_model.bin", marker)
    cache = tmp_path / "cache"
    write_hf_cache_snapshot(cache, "someone/pickled-gan", folder)
    with pytest.raises(HubLoadError, match="model.safetensors"):
        ganzoo.load("someone/pickled-gan", cache_dir=cache)
    assert not marker.exists()


def test_hub_config_that_is_malformed_names_the_file(tmp_path, offline):
    folder = save_generator(_gen(), tmp_path / "g")
    (folder / "config.json").write_text("{oops")
    cache = tmp_path / "cache"
    write_hf_cache_snapshot(cache, "someone/broken-gan", folder)
    with pytest.raises(ValueError, match="'someone/broken-gan'.*config.json is malformed JSON"):
        ganzoo.load("someone/broken-gan", cache_dir=cache)


def test_push_module_uploads_exactly_the_files_and_card(tmp_path, monkeypatch):
    api = install_fake_hf_api(monkeypatch, tmp_path / "remote")
    g = _gen(5)
    url = push_to_hub(g, "someone/pushed-gan", card={"dataset": "8gaussians", "description": "A test push."})
    assert url.startswith("https://huggingface.co/someone/pushed-gan/commit/")
    assert [c[0] for c in api.calls] == ["create_repo", "upload_folder"]  # one repo, one commit
    assert api.calls[0][1] == {"repo_id": "someone/pushed-gan", "private": None, "exist_ok": True}
    assert api.calls[1][1]["files"] == ["README.md", "config.json", "model.safetensors"]
    remote = tmp_path / "remote" / "someone" / "pushed-gan"
    card = ModelCard.load(remote / "README.md")
    assert "A test push." in card.text and 'ganzoo.load("someone/pushed-gan")' in card.text
    _assert_same_weights(ganzoo.load(remote), g)


def test_push_folder_keeps_its_card_and_grid_and_refuses_broken_folders(tmp_path, monkeypatch):
    api = install_fake_hf_api(monkeypatch, tmp_path / "remote")
    folder = save_generator(_gen(6), tmp_path / "g", extra=EXTRA)
    (folder / "samples.png").write_bytes(b"\x89PNG fake picture bytes")
    (folder / "notes.txt").write_text("local notes, not for the Hub")
    push_to_hub(folder, "someone/folder-gan")
    assert api.calls[-1][1]["files"] == ["README.md", "config.json", "model.safetensors", "samples.png"]
    remote = tmp_path / "remote" / "someone" / "folder-gan"
    for f in ("README.md", "config.json", "samples.png"):
        assert (remote / f).read_bytes() == (folder / f).read_bytes(), f
    # a truncated weights file is caught before any repository is created
    api.calls.clear()
    _corrupt(folder, "truncated")
    with pytest.raises(ValueError, match="not a readable safetensors file"):
        push_to_hub(folder, "someone/folder-gan")
    assert api.calls == []
    with pytest.raises(ValueError, match="repo_id: 'not a repo id!' is not a valid Hub repository id"):
        push_to_hub(_gen(), "not a repo id!")
    assert api.calls == []


def _is_generator(name):
    if name == "translator":  # a container whose directions are required; tests/test_translation_training.py
        return False
    return getattr(build_model(name, {}), "latent_dim", None) is not None


@pytest.mark.parametrize("name", [n for n in list_models() if _is_generator(n)])
def test_every_registered_generator_round_trips(tmp_path, name):
    """Registry-driven (timm style): every registered generator saves, loads strictly and samples."""
    torch.manual_seed(0)
    g = build_model(name, {})
    folder = save_generator(g, tmp_path / name)
    loaded = ganzoo.load(folder)
    _assert_same_weights(loaded, g)
    x = ganzoo.sample(loaded, 3, seed=0)
    assert tuple(x.shape) == (3, *g.output_shape)
    torch.testing.assert_close(x, ganzoo.sample(g, 3, seed=0))


def test_conditional_image_generator_config_round_trip(tmp_path):
    g = TinyImageGenerator(latent_dim=4, channels=3, size=5, num_classes=6)
    cfg = json.loads((save_generator(g, tmp_path / "img") / "config.json").read_text())
    assert cfg["num_classes"] == 6 and cfg["output_shape"] == [3, 5, 5] and cfg["output_range"] == [-1.0, 1.0]
    card = ModelCard.load(tmp_path / "img" / "README.md")
    assert "images 3x5x5" in card.text and "conditional on 6 classes" in card.text
    _assert_same_weights(ganzoo.load(tmp_path / "img"), g)


def test_local_loading_does_not_import_lightning_or_the_hub_client(tmp_path):
    import subprocess

    folder = save_generator(_gen(), tmp_path / "g")
    code = (
        "import sys, ganzoo; x = ganzoo.sample(ganzoo.load(sys.argv[1]), 8, seed=0); "
        "print(tuple(x.shape), 'lightning' in sys.modules, 'huggingface_hub' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["(8,", "2)", "False", "False"], out.stdout + out.stderr


def test_no_warnings_on_the_load_path(tmp_path):
    folder = save_generator(_gen(), tmp_path / "g")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ganzoo.sample(folder, 4, seed=1)
