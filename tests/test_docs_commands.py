"""Every ``ganzoo`` command of the how-tos (``docs/howto/*.md``) and the README runs as written.

tests/test_docs.py runs the Python examples; this runs the shell ones. The ``ganzoo ...`` commands of a page's
```` ```bash ```` blocks run in order, with the words the shell would pass (``ganzoo fit`` as a process of its own,
the others through ``ganzoo.cli.main``, what the ``ganzoo`` script calls), in one fresh working folder per page
that holds ``recipes/`` (a link to the repository's), offline.
Continuation lines are joined, comments dropped, ``a && b`` runs the ganzoo part; other programs (``pip``,
``python -m bench...``, ``torchrun``) are not run. A block right after a ``<!-- not run: REASON -->`` line is skipped:
it needs the network (the Hub, a dataset download), a GPU, or it serves until stopped (``ganzoo demo``).

What the reader would bring is made by the test, only when a command names it as an input and it does not exist yet
(``PLACEHOLDERS``): folders of 1x32x32 images (samples of the zoo's DCGAN saved as PNGs: a reader's own 16 in
``my_images/``, 300 in ``few_images/``, 16 in the others), and the generator folders that ``docs/howto/train.md``'s
runs export (copies of the zoo's bundled entries).

Long runs are shortened, mechanically and only so (``shorten``): every ``ganzoo fit`` trains at most
``max_gen_iters`` N // 1200 generator iterations (at least 2; 2 where the command sets none), so a budget and its
extension keep their order; ``--n`` and ``--n_real`` (images) are capped at ``CAPS``, and ``ganzoo eval`` (of a
generator or images: a translator is scored on its test split as written) or ``ganzoo stats`` without ``--n`` gets
the cap; ``ganzoo project`` and ``ganzoo search`` take at most ``LATENT_STEPS`` Adam steps (``--steps``). The pages
with training runs are marked slow (``SLOW``); on the other pages the commands matching ``SLOW_COMMANDS`` run only
in the slow suite, which runs each page whole. A command that fails is a bug of the page or of the command.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_docs import README, ROOT, code_blocks

from ganzoo.cli.eval import TRANSLATION_DATA  # the datasets a translator is scored on

HOWTO = ROOT / "docs" / "howto"
PAGES = [README, *sorted(HOWTO.glob("*.md"))]
SHELL = ("bash", "sh", "shell", "console")
FIT_DIVISOR, FIT_MIN = 1200, 2
CAPS = {"--n": 100, "--n_real": 100}
LATENT_STEPS = 20  # Adam steps on the latents of ganzoo project and ganzoo search
# pages with training runs (10 s of CPU and more each, most of it the end-of-fit evaluation): slow
SLOW = {"README.md", "train.md", "resume.md", "multi-gpu.md", "small-data.md"}
SLOW_COMMANDS = {  # a pattern of the command as written: why it is slow
    r"^ganzoo eval .*--data (" + "|".join(TRANSLATION_DATA) + r")\b": "a translator scored on its whole test split",
    r"^ganzoo eval .*--metrics \S*copy": "the copy check extracts the features of all 60,000 training images",
}


def shell_commands(page: Path) -> list[tuple[int, list[str]]]:
    """``(line, argv)`` of each ``ganzoo`` command in the runnable shell blocks of ``page``."""
    out = []
    for lang, first, code, run in code_blocks(page):
        if lang not in SHELL or not run:
            continue
        lines = code.split("\n")
        i = 0
        while i < len(lines):
            start, text = first + i, lines[i]
            while text.rstrip().endswith("\\") and i + 1 < len(lines):
                i += 1
                text = text.rstrip()[:-1] + " " + lines[i]
            i += 1
            words = shlex.split(text, comments=True)
            while words:
                cut = words.index("&&") if "&&" in words else len(words)
                if words[0] == "ganzoo":
                    out.append((start, words[:cut]))
                words = words[cut + 1:]
    return out


def shorten(argv: list[str]) -> list[str]:
    """The command with the long parts cut as the module docstring says."""
    argv = list(argv)
    if argv[1] == "fit":
        key = "--model.init_args.max_gen_iters"
        if key in argv:
            i = argv.index(key) + 1
            argv[i] = str(max(FIT_MIN, int(argv[i]) // FIT_DIVISOR))
        else:
            argv += [key, str(FIT_MIN)]
    translator = argv[1] == "eval" and any(argv[i + 1] in TRANSLATION_DATA for i, w in enumerate(argv[:-1])
                                           if w == "--data")
    if argv[1] in ("eval", "stats") and "--n" not in argv and not translator:  # else 10,000 samples
        argv += ["--n", str(CAPS["--n"])]
    if argv[1] in ("project", "search"):
        if "--steps" not in argv:
            argv += ["--steps", str(LATENT_STEPS)]
        caps = {**CAPS, "--steps": LATENT_STEPS}
    else:
        caps = CAPS
    for i, word in enumerate(argv[:-1]):
        if word in caps and argv[i + 1].isdigit():
            argv[i + 1] = str(min(int(argv[i + 1]), caps[word]))
    return argv


def _image_folder(n: int):
    def make(path: Path) -> None:
        import ganzoo
        from ganzoo.sampling import to_pil

        path.mkdir(parents=True)
        for i, im in enumerate(to_pil(ganzoo.sample("dcgan-fashion_mnist", n, seed=1))):
            im.save(path / f"{i:03d}.png")
    return make


def _zoo_copy(name: str):
    def make(path: Path) -> None:
        shutil.copytree(ROOT / "ganzoo" / "zoo" / name, path)
    return make


PLACEHOLDERS = {
    "my_images/": _image_folder(16), "edges/": _image_folder(16), "sneakers/": _image_folder(16),
    "few_images/": _image_folder(300),  # the small-data how-to's: 250 to train on after its holdout of 50
    "runs/dcgan/fashion_mnist/generator": _zoo_copy("dcgan-fashion_mnist"),
    "runs/cyclegan/sneaker2boot/generator": _zoo_copy("cyclegan-sneaker2boot"),
}
OUTPUTS = ("--out", "--output")  # what these name, the command makes: never a placeholder
# pages not run here, with the reason
NOT_HERE: dict[str, str] = {}


def is_slow(argv: list[str]) -> bool:
    return any(re.search(pattern, shlex.join(argv)) for pattern in SLOW_COMMANDS)


def _pages() -> list:
    """``(page, whole)``: a page's quick commands in the quick suite, the whole page in the slow suite."""
    out = []
    for p in PAGES:
        commands = shell_commands(p)
        if not commands or p.name in NOT_HERE:
            continue
        if p.name in SLOW:
            out.append(pytest.param(p, True, marks=pytest.mark.slow, id=p.name))
            continue
        out.append(pytest.param(p, False, id=p.name))
        if any(is_slow(argv) for _, argv in commands):
            out.append(pytest.param(p, True, marks=pytest.mark.slow, id=f"{p.name}-whole"))
    return out


@pytest.fixture
def page_folder(tmp_path, monkeypatch):
    (tmp_path / "recipes").symlink_to(ROOT / "recipes")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("GANZOO_DATA", str(tmp_path / "data"))  # nothing may be downloaded
    return tmp_path


def run_command(argv: list[str], cwd: Path) -> str | None:
    """Run one ``ganzoo`` command; ``None``, or why it failed. ``ganzoo fit`` runs as a process of its own, as typed
    (a fit changes process-wide state: threads, seeds, and a 2-process fit starts its second process from the
    command line); the other commands through ``ganzoo.cli.main`` in this process, which the ``ganzoo`` script
    calls."""
    if argv[1] == "fit":
        p = subprocess.run([sys.executable, "-m", "ganzoo.cli", *argv[1:]], cwd=cwd, capture_output=True, text=True,
                           timeout=900)
        return None if p.returncode == 0 else f"exit {p.returncode}: {p.stderr.strip()[-2000:]}"
    import torch

    from ganzoo.cli import main

    threads = torch.get_num_threads()
    try:
        main(argv[1:])
    except SystemExit as e:
        return None if e.code in (None, 0) else str(e)
    except Exception as e:  # noqa: BLE001 (reported with the command)
        return f"{type(e).__name__}: {e}"
    finally:
        torch.set_num_threads(threads)
    return None


@pytest.mark.fashion_mnist
@pytest.mark.parametrize("page,whole", _pages())
def test_shell_commands_run_as_written(page, whole, page_folder):
    failed = []
    for line, argv in shell_commands(page):
        if not whole and is_slow(argv):
            continue
        for before, word in zip(argv, argv[1:]):  # inputs only: what --out/--output name, the command makes
            if word in PLACEHOLDERS and before not in OUTPUTS and not (page_folder / word).exists():
                PLACEHOLDERS[word](page_folder / word)
        run = shorten(argv)
        started = time.perf_counter()
        error = run_command(run, page_folder)
        print(f"{page.name}:{line}: {time.perf_counter() - started:.1f} s: {shlex.join(run)}")
        if error:
            failed.append(f"{page.name}:{line}: {shlex.join(argv)}\n  ran {shlex.join(run)}\n  -> {error}")
    assert not failed, "commands that fail as written:\n" + "\n".join(failed)


def test_commands_are_found_and_shortened_as_documented():
    """The parser finds the commands a reader would type; the shortening keeps a budget's order and its options."""
    found = {shlex.join(argv) for page in PAGES for _, argv in shell_commands(page)}
    assert "ganzoo fit --config recipes/wgan_gp/8gaussians.yaml" in found  # README's `pip install -e . && ganzoo ...`
    assert not any(w.startswith("#") for cmd in found for w in shlex.split(cmd))  # comments dropped
    assert not any(cmd.startswith("ganzoo demo") for cmd in found)  # a server: marked not run
    fit = ["ganzoo", "fit", "--config", "r.yaml", "--model.init_args.max_gen_iters", "4800", "--resume"]
    assert shorten(fit) == [*fit[:5], "4", "--resume"]
    assert shorten(["ganzoo", "fit", "--config", "r.yaml"])[-2:] == ["--model.init_args.max_gen_iters", "2"]
    assert shorten(["ganzoo", "eval", "x", "--n", "10000", "--n_real", "50"]) == ["ganzoo", "eval", "x", "--n", "100",
                                                                                  "--n_real", "50"]
    assert shorten(["ganzoo", "eval", "m", "--data", "d"])[-2:] == ["--n", "100"]
    translator = ["ganzoo", "eval", "m", "--data", "sneaker2boot"]
    assert shorten(translator) == translator and is_slow(translator) and not is_slow(translator[:3])
    assert shorten(["ganzoo", "sample", "m", "--steps", "30"])[-1] == "30"  # interpolation steps: not capped
    assert shorten(["ganzoo", "project", "m", "--steps", "200"])[-1] == str(LATENT_STEPS)
    assert shorten(["ganzoo", "search", "m", "--n", "64"])[-4:] == ["--n", "64", "--steps", str(LATENT_STEPS)]
