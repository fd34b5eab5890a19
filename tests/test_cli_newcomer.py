"""A newcomer's command-line defects (issue 35): a bare ``--overwrite``, the usage text's options, a folder of
sampled PNGs and ``ganzoo stats --data`` (what docs/howto/evaluate.md runs), sampling more than fits in memory, and
one-line errors for an upload or a dataset download without network. The resume defects (a finished run, a
truncated checkpoint) are in test_resume_cli.py.

Everything runs the real command line (``ganzoo.cli.main``); only the network boundary is replaced.
"""

from __future__ import annotations

import importlib
import json
import re
import shlex
import socket

import numpy as np
import pytest
import torch
from test_newcomer import ROOT, TOY, _console  # the console-script runner the other newcomer tests use

import ganzoo
from ganzoo.cli import SUBCOMMANDS, USAGE, main
from ganzoo.cli.fit import GanzooCLI  # imports Lightning now: its log handler gets the session's stderr, not a test's


def _refused(*args) -> str:
    """The one-line message a subcommand (sample, stats, ...) exits with."""
    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in args])
    message = str(exc.value.code)
    assert len(message.splitlines()) == 1, message
    return message


# --------------------------------------------------------------------------------- 2: a bare --overwrite
def test_a_bare_overwrite_replaces_an_earlier_run_as_the_refusal_says(tmp_path, monkeypatch, capsys):
    """``--overwrite`` needed a value (``--overwrite true``): bare, as the refusal and the usage spell it, it failed
    with 'expected one argument'."""
    (tmp_path / "metrics.json").write_text('{"w1": 0.1}')
    base = ["fit", "--config", TOY, "--trainer.default_root_dir", tmp_path]
    code, err = _console(monkeypatch, capsys, *base, "--model.init_args.max_gen_iters", 1)
    assert code == 2 and "pass --overwrite to replace it" in err
    main([str(a) for a in [*base, "--overwrite", "--model.init_args.max_gen_iters", 1,
                           "--model.init_args.hidden_dim", 8, "--trainer.enable_progress_bar", "false"]])
    assert json.loads((tmp_path / "metrics.json").read_text())["generator_iterations"] == 1
    for flag, value in (["--overwrite"], True), (["--overwrite", "false"], False), (["--no_overwrite"], False):
        cli = GanzooCLI(args=["--config", str(TOY), "--trainer.default_root_dir", str(tmp_path / "new"), *flag],
                        run=False)
        assert cli.config["overwrite"] is value, flag


# ----------------------------------------------------------------------------- 3: the usage text's options
def _usage_commands() -> list[tuple[str, str]]:
    """``(subcommand, the rest of its line)`` for each ``ganzoo SUB ...`` the usage text shows, also inside the
    descriptions ("reference statistics for ganzoo eval --ref")."""
    found = []
    for line in USAGE.splitlines()[1:]:
        line = re.sub(r"see: ganzoo \w+ --help", "", line)
        for m in re.finditer(r"ganzoo (\w+)((?:(?!ganzoo |\(see:|\(or)[^\n])*)", line):
            found.append((m.group(1), m.group(2)))
    return found


def test_every_option_the_usage_text_names_exists_in_that_subcommands_parser(tmp_path):
    commands = _usage_commands()
    assert {sub for sub, _ in commands} >= {*SUBCOMMANDS, "fit", "list"}
    for sub, rest in commands:
        options = re.findall(r"(?<![\w-])--[\w.]+", rest)
        if sub == "fit":  # parsed for real: the recipe placeholder made a recipe, N a number, [x] optional x
            argv = shlex.split(rest.replace("recipes/<variant>/<dataset>.yaml", str(TOY)).replace(" N", " 3")
                               .replace("[", "").replace("]", ""))
            cli = GanzooCLI(args=[*argv, "--trainer.default_root_dir", str(tmp_path)], run=False)
            assert cli.config["overwrite"] is True and cli.model.max_gen_iters == 3, rest
            continue
        if sub == "list" or sub not in SUBCOMMANDS:
            assert sub == "list" and not options, (sub, rest)
            continue
        parser = importlib.import_module(SUBCOMMANDS[sub])._parser()
        for option in options:
            assert option in parser._option_string_actions, f"usage: ganzoo {sub} {option}: no such option"
    # the option the usage names for `ganzoo stats`'s file is the one of ganzoo eval that reads statistics
    stats_line = next(line for line in USAGE.splitlines() if "reference statistics for" in line)
    option = re.search(r"ganzoo eval (--\w+)", stats_line).group(1)
    eval_parser = importlib.import_module(SUBCOMMANDS["eval"])._parser()
    assert ".safetensors" in eval_parser._option_string_actions[option].help, option


# ------------------------------------------------------ 4: a folder of samples, stats of a dataset, the how-to
@pytest.mark.fashion_mnist
def test_sample_writes_a_folder_of_pngs_and_stats_takes_a_dataset(tmp_path):
    folder = tmp_path / "my_samples"
    main(["sample", "dcgan-fashion_mnist", "--n", "300", "--batch_size", "128", "--seed", "1", "--out", f"{folder}/"])
    files = sorted(p.name for p in folder.iterdir())
    assert files == [f"{i:06d}.png" for i in range(300)]  # no temporaries left
    from PIL import Image

    read = np.stack([np.asarray(Image.open(folder / f)) for f in files])
    want = (ganzoo.sample("dcgan-fashion_mnist", 300, seed=1).clamp(0, 1) * 255).round().to(torch.uint8)[:, 0]
    assert np.array_equal(read, want.numpy())
    assert "not empty" in _refused("sample", "dcgan-fashion_mnist", "--n", "4", "--out", f"{folder}/")
    assert "a folder holds images" in _refused("sample", "wgan_gp-8gaussians", "--out", tmp_path / "points")

    main(["stats", "--data", "fashion_mnist", "--n", "500", "--out", str(tmp_path / "train.safetensors")])
    from ganzoo.data import FashionMNISTDataModule
    from ganzoo.metrics.images import reference_stats
    from ganzoo.metrics.reference import load_stats

    stats = load_stats(tmp_path / "train.safetensors")
    assert stats.n == 500 and stats.protocol["source"] == "fashion_mnist train split, the first 500 images"
    x, _ = FashionMNISTDataModule().reference_images("train", 500)
    assert torch.allclose(stats.features, reference_stats((x + 1) / 2).features)
    main(["eval", str(folder), "--ref", str(tmp_path / "train.safetensors"), "--metrics", "fid", "--device", "cpu",
          "--out", str(tmp_path / "scores.json")])
    scores = json.loads((tmp_path / "scores.json").read_text())
    assert scores["fid"] > 0 and scores["protocol"]["n_fake"] == 300
    assert "one of them" in _refused("stats", folder, "--data", "fashion_mnist", "--out", tmp_path / "x.safetensors")


@pytest.mark.fashion_mnist
def test_the_evaluate_howtos_commands_create_what_they_use(tmp_path, monkeypatch):
    """docs/howto/evaluate.md evaluated ``train_images/`` and ``my_samples/``, which no command created. Its shell
    block runs here in order, in an empty folder, with its counts cut to 200."""
    text = (ROOT / "docs" / "howto" / "evaluate.md").read_text()
    block = re.search(r"## Score a folder of images.*?```bash\n(.*?)```", text, re.S).group(1)
    commands = [shlex.split(line.split("#")[0]) for line in block.splitlines() if line.startswith("ganzoo ")]
    assert len(commands) >= 5
    monkeypatch.chdir(tmp_path)
    for argv in commands:
        argv = ["200" if a.isdigit() and int(a) > 200 else a for a in argv[1:]]
        if argv[0] == "stats" and "--n" not in argv:
            argv += ["--n", "200"]
        if argv[0] == "eval":
            argv += ["--device", "cpu"]
        try:
            main(argv)
        except SystemExit as e:
            pytest.fail(f"ganzoo {shlex.join(argv)}: {e}")


# ----------------------------------------------------------------------- 5: more samples than fit in memory
def test_sampling_more_than_fits_is_refused_before_any_work_or_streamed(tmp_path):
    """``ganzoo sample dcgan-fashion_mnist --n 100000000`` allocated 410 GB at once and ended in an allocator
    traceback. A grid is refused above its limit, a .npy or a folder that the disk cannot hold before sampling, and
    what the disk holds is streamed a batch at a time."""
    message = _refused("sample", "dcgan-fashion_mnist", "--n", "100000000", "--out", tmp_path / "grid.png")
    assert message.startswith("ganzoo sample: --n 100000000: a .png grid or plot shows at most 10,000 samples")
    huge = str(10**15)  # more than any disk: 4 PB as float32
    message = _refused("sample", "dcgan-fashion_mnist", "--n", huge, "--out", tmp_path / "x.npy")
    assert f"--n {huge}: the .npy would take 4,096,000,000 GB; {tmp_path} has" in message and "free" in message
    message = _refused("sample", "cgan-fashion_mnist", "--n", huge, "--out", f"{tmp_path / 'pngs'}/")
    assert f"--n {huge}:" in message and "PNG files" in message
    assert "--steps must be <= 10,000" in _refused("sample", "dcgan-fashion_mnist", "--interpolate", "0", "1",
                                                  "--steps", "100000000", "--out", tmp_path / "path.gif")
    assert sorted(tmp_path.iterdir()) == []  # nothing written, not even a temporary file

    # streamed: 700 samples in batches of 256 are the array np.save writes of sample()'s tensor, byte for byte
    out = tmp_path / "s.npy"
    main(["sample", "cgan-fashion_mnist", "--n", "700", "--batch_size", "256", "--out", str(out)])
    np.save(tmp_path / "ref.npy", ganzoo.sample("cgan-fashion_mnist", 700, seed=0).numpy())
    assert out.read_bytes() == (tmp_path / "ref.npy").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ref.npy", "s.npy"]


# --------------------------------------------------------------------- 7: --push_to_hub without a network
def test_push_to_hub_without_network_says_where_the_generator_is_in_one_line(tmp_path, monkeypatch, capsys):
    from hub_test_doubles import install_offline_hf_api

    api = install_offline_hf_api(monkeypatch)
    root = tmp_path / "run"
    code, err = _console(monkeypatch, capsys, "fit", "--config", TOY, "--trainer.default_root_dir", root,
                         "--model.init_args.max_gen_iters", 2, "--model.init_args.hidden_dim", 8,
                         "--trainer.enable_progress_bar", "false", "--push_to_hub", "someone/toy")
    assert api.calls and api.calls[0][0] == "create_repo"  # it tried, and the network failed
    assert code == 1 and "Traceback" not in err and len(err.splitlines()) == 1, err
    folder = root / "generator"
    assert err.startswith("ganzoo fit: error: --push_to_hub someone/toy: upload failed (gaierror: ")
    assert f"The generator is saved in {folder}; push it later with ganzoo.push_to_hub({str(folder)!r}, " \
           "'someone/toy')" in err
    assert ganzoo.sample(ganzoo.load(folder), 3, seed=0).shape == (3, 2)  # and it is


# ------------------------------------------------------------------ 8: CIFAR-10 without a network
def test_cifar10_without_network_says_where_to_put_it_in_one_line(tmp_path, monkeypatch, capsys):
    from ganzoo.data import images

    with socket.socket() as s:  # a local port nothing listens on: the download is refused at once
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(images, "CIFAR10_URL", f"http://127.0.0.1:{port}/cifar-10-binary.tar.gz")
    monkeypatch.setenv("GANZOO_DATA", str(tmp_path / "data"))
    code, err = _console(monkeypatch, capsys, "fit", "--config", ROOT / "recipes" / "sngan" / "cifar10.yaml",
                         "--trainer.default_root_dir", tmp_path / "run", "--trainer.accelerator", "cpu")
    assert code == 1 and "Traceback" not in err and len(err.splitlines()) == 1, err
    folder = tmp_path / "data" / "cifar-10-batches-bin"
    assert err.startswith(f"ganzoo fit: error: CIFAR-10 is not in {folder} and could not be downloaded ("), err
    assert "on a machine with network" in err and "data_dir" in err and "$GANZOO_DATA" in err


@pytest.mark.parametrize("args, expected", [
    (["sample", "wgan_gp-8gaussians", "--n", "abc"], "ganzoo sample: error: --n: expects an integer, got 'abc'"),
    (["sample", "wgan_gp-8gaussians", "--truncation", "x"], "ganzoo sample: error: argument --truncation: invalid"),
    (["search", "wgan_gp-8gaussians", "--examples", "x.npy", "--kernel", "foo"],
     "ganzoo search: error: --kernel: must be one of rq, rbf, got 'foo'"),
])
def test_a_value_of_the_wrong_type_is_named_in_plain_words(monkeypatch, capsys, args, expected):
    """The inference commands' parsers are generated (jsonargparse); their type errors read as a person writes them,
    after the usage, not as Python's type names."""
    code, err = _console(monkeypatch, capsys, *args)
    assert code == 2 and err.splitlines()[-1].startswith(expected), err
    assert "<class" not in err and "typing." not in err
