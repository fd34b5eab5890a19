"""A newcomer's first hour (issue 15): file modes, CI parity, quiet output, one-line errors, resume."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from ganzoo.io import atomic_write_bytes, default_file_mode
from ganzoo.training.checkpoint_io import AtomicCheckpointIO


# ------------------------------------------------------------------------------------------- file modes
@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_atomic_writes_get_the_umask_mode_not_the_temp_files_0600(tmp_path, umask):
    old = os.umask(umask)
    try:
        assert default_file_mode() == 0o666 & ~umask
        atomic_write_bytes(tmp_path / "metrics.json", b"{}")
        AtomicCheckpointIO().save_checkpoint({"w": torch.zeros(2)}, tmp_path / "last.ckpt")
    finally:
        os.umask(old)
    for name in ("metrics.json", "last.ckpt"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~umask, name


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_every_file_of_a_fit_gets_the_umask_mode(tmp_path, umask):
    """Issue 23: the exported ``model.safetensors`` was written 0600 (safetensors writes its file private) while the
    rest of the folder got the umask's mode; on a shared machine teammates could not read the weights."""
    from ganzoo.cli import main

    root = tmp_path / "run"
    old = os.umask(umask)
    try:
        main(["fit", "--config", str(TOY), "--trainer.default_root_dir", str(root),
              "--model.init_args.max_gen_iters", "2", "--model.init_args.hidden_dim", "8"])
    finally:
        os.umask(old)
    assert (root / "generator" / "model.safetensors").is_file() and (root / "checkpoints" / "last.ckpt").is_file()
    for folder in (root / "generator", root / "checkpoints"):
        for path in [folder, *sorted(folder.rglob("*"))]:
            want = (0o777 if path.is_dir() else 0o666) & ~umask
            assert stat.S_IMODE(path.stat().st_mode) == want, f"{path}: {oct(path.stat().st_mode)}, umask {oct(umask)}"


# ---------------------------------------------------------------------------------------- CI parity
ROOT = Path(__file__).resolve().parents[1]


def test_missing_fashion_mnist_fails_in_ci_and_skips_with_a_hint_elsewhere(tmp_path, monkeypatch):
    from fmnist import require_fashion_mnist

    from ganzoo.data import idx

    monkeypatch.setattr(idx, "FASHION_MNIST_DIRS", (str(tmp_path / "nowhere"),))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="dataset-fashion-mnist"):
        require_fashion_mnist()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="apt-get install dataset-fashion-mnist"):
        require_fashion_mnist()


def test_no_test_skips_fashion_mnist_on_its_own():
    """Every Fashion-MNIST test goes through the ``fashion_mnist`` marker (which fails in CI), not a skipif."""
    for f in sorted((ROOT / "tests").glob("test_*.py")):
        text = f.read_text()
        assert not re.search(r"skipif\(\s*default_fashion_mnist_dir", text), f.name


def test_github_workflow_runs_ci_run_with_the_dataset_a_pip_cache_and_a_pinned_ruff():
    import yaml

    wf = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    runs = [s.get("run", "") for job in wf["jobs"].values() for s in job["steps"]]
    assert any("dataset-fashion-mnist" in r for r in runs)
    assert any(r.strip() in ("bash .ci/run", ".ci/run") for r in runs)
    assert all("pip install" not in r for r in runs), "installs belong in .ci/run, which the workflow calls"
    assert all(s.get("with", {}).get("cache") == "pip" for job in wf["jobs"].values() for s in job["steps"]
               if "setup-python" in s.get("uses", ""))
    script = (ROOT / ".ci" / "run").read_text()
    pin = re.search(r"RUFF_VERSION=(\S+)", script)
    assert pin and '"ruff==$RUFF_VERSION"' in script
    ruff = shutil.which("ruff")
    if ruff:  # the version the developers lint with
        out = subprocess.run([ruff, "--version"], capture_output=True, text=True).stdout.split()
        assert out[-1] == pin.group(1)


# ------------------------------------------------------------------------------------ one-line errors
TOY = ROOT / "recipes" / "wgan_gp" / "8gaussians.yaml"


def _console(monkeypatch, capsys, *args):
    """Run ``ganzoo ARGS`` as the console script does (argv from sys.argv); returns (exit code, stderr)."""
    from ganzoo.cli import main

    monkeypatch.setattr(sys, "argv", ["ganzoo", *map(str, args)])
    with pytest.raises(SystemExit) as exc:
        main()
    return exc.value.code, capsys.readouterr().err.strip()


@pytest.mark.parametrize("args, expected", [
    (["--model.init_args.n_critic", "-1"], "--model.init_args.n_critic: n_critic must be an integer >= 1, got -1"),
    (["--data.init_args.dataset", "9gaussians"], "--data.init_args.dataset: dataset must be one of"),
    (["--model.init_args.constraint", "1"], "did you mean 'constraints'?"),
    (["--trainer.max_steps", "200"], "use --model.init_args.max_gen_iters 200"),
])
def test_bad_values_end_in_one_or_two_lines_naming_the_option(tmp_path, monkeypatch, capsys, args, expected):
    code, err = _console(monkeypatch, capsys, "fit", "--config", TOY, "--trainer.default_root_dir", tmp_path, *args)
    assert code == 2
    assert expected in err and len(err.splitlines()) <= 2, err
    assert "Traceback" not in err and not (tmp_path / "generator").exists()


def test_a_missing_data_dir_says_how_to_get_the_data(tmp_path, monkeypatch, capsys):
    code, err = _console(monkeypatch, capsys, "fit", "--config", ROOT / "recipes" / "dcgan" / "fashion_mnist.yaml",
                         "--trainer.default_root_dir", tmp_path, "--data.init_args.data_dir", tmp_path / "nonexistent")
    assert code == 2 and len(err.splitlines()) <= 2, err
    assert "--data.init_args.data_dir" in err and "apt-get install dataset-fashion-mnist" in err
    assert "download=True" in err


def test_help_lists_the_working_subcommands_only(monkeypatch, capsys):
    from ganzoo.cli import main

    main(["--help"])
    out = capsys.readouterr().out
    for cmd in ("fit", "sample", "search", "eval", "translate", "list"):
        assert f"ganzoo {cmd}" in out
    for cmd in ("validate", "test", "predict"):
        assert cmd not in out
    code, err = _console(monkeypatch, capsys, "test", "--config", TOY)
    assert code == 2 and len(err.splitlines()) == 1 and "'test' is not a ganzoo fit subcommand" in err


# ----------------------------------------------------------------------------- translate input range
def test_translate_refuses_images_outside_the_input_range():
    import ganzoo.nets  # noqa: F401  (registers the architectures)
    from ganzoo.translators import Translator, translate

    net = Translator({"AtoB": {"arch": "unet_generator", "in_channels": 1, "out_channels": 1, "num_downs": 3,
                               "width": 4}})
    x = torch.rand(2, 1, 16, 16)
    assert translate(net, x).shape == (2, 1, 16, 16)
    assert translate(net, x * 255, input_range=(0, 255)).allclose(translate(net, x), atol=1e-5)
    for bad in (x * 2 - 1, x * 300, x.masked_fill(x > 0.5, float("nan"))):
        with pytest.raises(ValueError, match=r"images: values in .* outside input_range=\(0, 1\)"):
            translate(net, bad)


# --------------------------------------------------------------------------- the sampling claim
def test_sampling_latents_are_identical_and_outputs_equal_to_float_rounding_across_batch_sizes():
    """What docs/howto/sample.md claims: latents bitwise identical; outputs equal up to float rounding (atol 1e-5)."""
    import ganzoo.nets  # noqa: F401  (registers the architectures)
    from ganzoo.registry import build_model
    from ganzoo.sampling import latents, sample

    assert torch.equal(latents(range(10), 0, 8), latents(range(64), 0, 8)[:10])
    assert torch.equal(latents(range(7, 14), 0, 8), latents(range(64), 0, 8)[7:14])
    torch.manual_seed(0)
    g = build_model("dcgan_generator", {"latent_dim": 8, "channels": 1, "resolution": 32, "width": 8}).eval()
    ref = sample(g, 64, seed=0)
    for other in (sample(g, 10, seed=0), sample(g, 64, seed=0, batch_size=7), sample(g, 64, seed=0, batch_size=1)):
        torch.testing.assert_close(other, ref[:len(other)], rtol=0, atol=1e-5)
    page = (ROOT / "docs" / "howto" / "sample.md").read_text()
    assert "latents are bitwise identical" in page and "equal up to float rounding" in page


def test_readme_gives_the_cpu_install_the_test_times_and_max_gen_iters():
    readme = (ROOT / "README.md").read_text()
    cpu = readme.find("pip install torch torchvision --index-url https://download.pytorch.org/whl/cpu")
    assert 0 <= cpu < readme.find("pip install -e .\n", cpu)
    assert re.search(r'`pytest -m "not slow"` \(about \d+ tests\) about \d+ minutes', readme)
    assert "the full `pytest`" in readme and "`--trainer.max_steps`" in readme and "max_gen_iters N" in readme


# ------------------------------------------------------------------------------------------ quiet output
def test_toy_fit_without_a_terminal_prints_plain_lines_and_no_known_harmless_warnings(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "default"}
    p = subprocess.run(
        [sys.executable, "-m", "ganzoo.cli", "fit", "--config", str(TOY), "--trainer.default_root_dir",
         str(tmp_path / "run"), "--model.init_args.max_gen_iters", "10", "--model.init_args.hidden_dim", "16"],
        capture_output=True, text=True, env=env, timeout=600, cwd=tmp_path,
    )
    assert p.returncode == 0, p.stderr[-3000:]
    assert len(p.stdout.encode()) < 20_000
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("generator iterations")]
    assert 1 <= len(lines) <= 11 and lines[-1].startswith("generator iterations 10/10 (100%)")
    assert "\r" not in p.stdout and "it/s]" not in p.stdout  # no tqdm redraws
    both = p.stdout + p.stderr
    for noise in ("Tip:", "LeafSpec", "module(s) in eval mode", "will save all extracted features"):
        assert noise not in both, noise


# ------------------------------------------------------------------------------ no silent overwrite
def test_an_earlier_run_is_not_silently_overwritten(tmp_path, monkeypatch, capsys):
    (tmp_path / "generator").mkdir()
    (tmp_path / "metrics.json").write_text('{"w1": 0.1}')
    code, err = _console(monkeypatch, capsys, "fit", "--config", TOY, "--trainer.default_root_dir", tmp_path,
                         "--model.init_args.max_gen_iters", "1")
    assert code == 2 and "already holds a run (generator, metrics.json); pass --overwrite" in err
    assert (tmp_path / "metrics.json").read_text() == '{"w1": 0.1}'
    from ganzoo.cli import main

    main(["fit", "--config", str(TOY), "--trainer.default_root_dir", str(tmp_path), "--overwrite", "true",
          "--model.init_args.max_gen_iters", "1", "--model.init_args.hidden_dim", "16"])
    assert '"generator_iterations": 1' in (tmp_path / "metrics.json").read_text()


def test_stale_checkpoint_temporaries_are_removed_at_start(tmp_path):
    from ganzoo.cli import main

    stale = tmp_path / "checkpoints" / ".last.ckpt.k3j2_x.tmp"
    stale.parent.mkdir()
    stale.write_bytes(b"\0" * 1000)
    keep = tmp_path / "checkpoints" / "notes.tmp"
    keep.write_text("mine")
    main(["fit", "--config", str(TOY), "--trainer.default_root_dir", str(tmp_path),
          "--model.init_args.max_gen_iters", "1", "--model.init_args.hidden_dim", "16"])
    assert not stale.exists() and keep.exists()


# ------------------------------------------------------------------------------------------ CI cannot pass untested
def test_ci_run_installs_and_tests_as_separate_commands_with_a_collected_floor():
    """Under ``set -e`` a failing command on the left of ``&&`` does not stop bash: ``pip install ... && pytest``
    could end 0 having run no test. Each README test command is its own line of .ci/run, after the floor check."""
    script = (ROOT / ".ci" / "run").read_text()
    lines = [ln.strip() for ln in script.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    assert "set -euo pipefail" in lines
    readme = (ROOT / "README.md").read_text()
    block = readme[readme.index("Run the tests"):]
    block = block[block.index("```bash") + 7: block.index("```", block.index("```bash") + 7)]
    commands = [c.strip() for c in block.strip().splitlines()]
    assert commands == ['pip install -e ".[test]"', "pytest"]
    for c in commands:
        assert c in lines, c  # a command of its own
    assert not any("&&" in ln and "pytest" in ln for ln in lines)
    floor = int((ROOT / ".ci" / "min_tests").read_text())
    assert floor >= 800 and lines.index("pytest") > next(i for i, ln in enumerate(lines) if "min_tests" in ln)


def test_a_hung_test_fails_within_the_configured_timeout(tmp_path):
    """pytest-timeout is configured (pyproject.toml) and ends a test blocked in a sleep."""
    import time

    text = (ROOT / "pyproject.toml").read_text()  # (tomllib is Python 3.11+; CI also runs 3.10)
    opts = dict(re.findall(r'^(timeout|timeout_method) = "?(\w+)"?$', text, re.M))
    assert 600 <= int(opts["timeout"]) <= 3600 and opts["timeout_method"] == "thread"
    (tmp_path / "test_hang.py").write_text("import time\n\ndef test_hangs():\n    time.sleep(600)\n")
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "timeout=3",
                        "-o", f"timeout_method={opts['timeout_method']}", str(tmp_path / "test_hang.py")],
                       capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert r.returncode != 0 and time.monotonic() - t0 < 60
    assert "Timeout" in r.stdout + r.stderr
