"""``ganzoo demo`` (issue 24): the Gradio app launched locally and driven through ``gradio_client``, as a browser's
page would call it: every tab returns an image of the right size (and the right pixels), bad input is a message,
not a traceback. One slow test starts ``ganzoo demo`` as a command and clicks Generate in headless Chromium.

Skipped as a whole when Gradio is not installed (the ``ganzoo[demo]`` extra; ``.ci/run`` installs it)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
gr = pytest.importorskip("gradio", reason="the demo needs Gradio: pip install -e '.[demo]'")
client_mod = pytest.importorskip("gradio_client")

from browser import chromium  # noqa: E402

import ganzoo  # noqa: E402
from ganzoo.demo import CANDIDATES, launch  # noqa: E402
from ganzoo.imageio import image_grid, to_pil  # noqa: E402

pytestmark = [  # Gradio's queue calls pandas in ways pandas 3 deprecates; not ganzoo's to fix
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting.*"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]
AppError = client_mod.exceptions.AppError
ROOT = Path(__file__).resolve().parents[1]




def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def url():
    demo, address = launch("127.0.0.1", _free_port(), block=False, quiet=True)
    yield address
    demo.close()


@pytest.fixture(scope="module")
def client(url, tmp_path_factory):
    return client_mod.Client(url, verbose=False, analytics_enabled=False,
                             download_files=str(tmp_path_factory.mktemp("downloads")))


def _png(path: Path, array: np.ndarray) -> Path:
    from PIL import Image

    Image.fromarray(array).save(path)
    return path


def _pixels(path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("L"))


def _grid(images: torch.Tensor, nrow: int | None = None) -> np.ndarray:
    return np.asarray(to_pil(image_grid(images, nrow=nrow)[None])[0])


def _side(n: int) -> int:  # pixels of n 32-px tiles with image_grid's 2-px padding
    return n * 34 + 2


def _no_traceback(e: BaseException) -> str:
    text = str(e)
    assert "Traceback" not in text and 'File "' not in text, text
    return text


# ---------------------------------------------------------------------------------------------------- the tabs
def test_sample_tab_returns_the_grid_that_ganzoo_sample_draws(client):
    path, note = client.predict("dcgan-fashion_mnist", 3, 4, 0, -1, api_name="/sample")
    got = _pixels(path)
    assert got.shape == (_side(2), _side(2))  # 2x2 tiles of 32x32
    np.testing.assert_array_equal(got, _grid(ganzoo.sample("dcgan-fashion_mnist", 4, seed=3)))
    assert "4 samples of dcgan-fashion_mnist, seed 3" in note


def test_sample_tab_class_and_truncation_of_a_conditional_entry(client):
    path, note = client.predict("cgan-fashion_mnist", 0, 3, 1.5, 7, api_name="/sample")
    got = _pixels(path)
    assert got.shape == (_side(2), _side(2))  # 3 samples: 2 per row
    want = ganzoo.sample("cgan-fashion_mnist", 3, seed=0, labels=7, truncation=1.5)
    np.testing.assert_array_equal(got, _grid(want))
    assert "class 7" in note and "ψ = 1.5" in note


def test_the_class_selector_lists_the_classes_of_conditional_entries_only():
    from ganzoo.demo import ANY_CLASS, class_choices

    assert class_choices("dcgan-fashion_mnist") == []
    choices = class_choices("cgan-fashion_mnist")
    assert [v for _, v in choices] == [ANY_CLASS, *range(10)] and choices[8][0] == "7: Sneaker"


def test_interpolate_tab_is_one_row_from_seed_a_to_seed_b(client):
    path, _ = client.predict("dcgan-fashion_mnist", 0, 5, 3, "lerp", 0, -1, api_name="/interpolate")
    got = _pixels(path)
    assert got.shape == (_side(1), _side(3))  # one row of 3 frames
    frames = ganzoo.interpolate("dcgan-fashion_mnist", 0, 5, steps=3, method="lerp")
    np.testing.assert_array_equal(got, _grid(frames, nrow=3))
    ends = torch.cat([ganzoo.sample("dcgan-fashion_mnist", 1, seed=s) for s in (0, 5)])
    np.testing.assert_array_equal(got[2:34, 2:34], _grid(ends[:1])[2:34, 2:34])  # frame 0 is seed A's sample 0
    np.testing.assert_array_equal(got[2:34, 70:102], _grid(ends[1:])[2:34, 2:34])


@pytest.mark.fashion_mnist
def test_more_like_these_with_uploads_and_picks(client, tmp_path):
    from ganzoo.data import FashionMNISTDataModule

    x, _ = FashionMNISTDataModule().reference_images("test", 2)  # (2, 1, 32, 32) in [-1, 1]
    files = [client_mod.handle_file(str(_png(tmp_path / f"ex{i}.png", ((x[i, 0] + 1) * 127.5).round().byte().numpy())))
             for i in range(2)]
    cands = client.predict("dcgan-fashion_mnist", 0, api_name="/candidates")
    assert len(cands) == CANDIDATES and _pixels(cands[0]["image"]).shape == (32, 32)
    path, note = client.predict("dcgan-fashion_mnist", files, [0], 0, 4, 1, api_name="/search")
    got = _pixels(path)
    # 3 examples (2 uploads, candidate 0) on the first row, then the 4 found samples: 3 per row, 3 rows
    assert got.shape == (_side(3), _side(3))
    np.testing.assert_array_equal(got[2:34, 70:102], _pixels(cands[0]["image"]))  # the picked candidate
    assert "3 examples" in note and "MMD²" in note


@pytest.mark.fashion_mnist
def test_project_tab_shows_the_image_and_its_reconstruction(client, tmp_path):
    from ganzoo.data import FashionMNISTDataModule

    x, _ = FashionMNISTDataModule().reference_images("test", 1)
    img = ((x[0, 0] + 1) * 127.5).round().byte().numpy()
    path, note = client.predict("dcgan-fashion_mnist", client_mod.handle_file(str(_png(tmp_path / "t.png", img))),
                                2, 0, api_name="/project")
    got = _pixels(path)
    assert got.shape == (_side(1), _side(2))
    np.testing.assert_array_equal(got[2:34, 2:34], img)  # left: the image as uploaded
    result = ganzoo.project("dcgan-fashion_mnist", torch.from_numpy(img)[None, None].float() / 255, steps=2, seed=0)
    np.testing.assert_array_equal(got[2:34, 36:68], _grid(result.images)[2:34, 2:34])
    assert "PSNR" in note


@pytest.mark.fashion_mnist
def test_translate_tab_upload_and_sketch(client, tmp_path):
    from ganzoo.data import EdgesToFashionDataModule

    edges, _ = EdgesToFashionDataModule().reference_pairs("test", 1)  # {-1, 1}
    e = ((edges[0, 0] + 1) * 127.5).round().byte().numpy()
    path, _ = client.predict("pix2pix-edges2fashion", client_mod.handle_file(str(_png(tmp_path / "e.png", e))), "AtoB",
                             api_name="/translate")
    got = _pixels(path)
    assert got.shape == (_side(1), _side(2))
    want = ganzoo.translate("pix2pix-edges2fashion", (edges[:1] + 1) / 2)
    np.testing.assert_array_equal(got[2:34, 36:68], _grid(want)[2:34, 2:34])

    # a sketch: a 256x256 layer whose strokes (alpha) are the same edges drawn 8x larger
    layer = np.zeros((256, 256, 4), np.uint8)
    layer[..., :3] = 255
    layer[..., 3] = np.kron(e, np.ones((8, 8), np.uint8))
    bg = np.zeros((256, 256, 3), np.uint8)
    sketch = {"background": client_mod.handle_file(str(_png(tmp_path / "bg.png", bg))),
              "layers": [client_mod.handle_file(str(_png(tmp_path / "layer.png", layer)))],
              "composite": client_mod.handle_file(str(_png(tmp_path / "comp.png", layer[..., 3]))), "id": None}
    path, note = client.predict("pix2pix-edges2fashion", sketch, "AtoB", api_name="/translate_sketch")
    got = _pixels(path)
    np.testing.assert_array_equal(got[2:34, 2:34], e)  # the drawn edges, back at 32x32
    np.testing.assert_array_equal(got[2:34, 36:68], _grid(want)[2:34, 2:34])

    path, _ = client.predict("cyclegan-sneaker2boot", client_mod.handle_file(str(tmp_path / "e.png")), "BtoA",
                             api_name="/translate")
    assert _pixels(path).shape == (_side(1), _side(2))


# ---------------------------------------------------------------------------------------------------- bad input
def test_an_unknown_entry_is_a_message(client):
    with pytest.raises(AppError) as e:
        client.predict("biggan-imagenet", 0, 4, 0, -1, api_name="/sample")
    assert "'biggan-imagenet' is not a latent image generator of the zoo; choose one of" in _no_traceback(e.value)
    with pytest.raises(AppError) as e:
        client.predict("dcgan-fashion_mnist", None, "AtoB", api_name="/translate")
    assert "is not a translator of the zoo" in _no_traceback(e.value)


def test_a_label_out_of_range_is_a_message(client):
    with pytest.raises(AppError) as e:
        client.predict("cgan-fashion_mnist", 0, 4, 0, 12, api_name="/sample")
    assert "labels must lie in [0, 9]; got [12]" in _no_traceback(e.value)
    with pytest.raises(AppError) as e:
        client.predict("dcgan-fashion_mnist", 0, 4, 0, 3, api_name="/sample")
    assert "dcgan-fashion_mnist is unconditional; it takes no class" in _no_traceback(e.value)


def test_bad_uploads_are_messages_and_a_near_square_one_is_resized(client, tmp_path):
    wide = client_mod.handle_file(str(_png(tmp_path / "wide.png", np.zeros((40, 200), np.uint8))))
    with pytest.raises(AppError) as e:
        client.predict("dcgan-fashion_mnist", wide, 1, 0, api_name="/project")
    assert "wide.png is 200x40 pixels; this model takes 32x32 images" in _no_traceback(e.value)
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image at all")
    with pytest.raises(AppError) as e:  # the examples' file box: ganzoo reads the files
        client.predict("dcgan-fashion_mnist", [client_mod.handle_file(str(junk))], [0], 0, 4, 1, api_name="/search")
    assert "examples 1: junk.png is not a readable image" in _no_traceback(e.value)
    with pytest.raises(AppError) as e:  # an image box: Gradio opens the upload itself and says why it cannot
        client.predict("pix2pix-edges2fashion", client_mod.handle_file(str(junk)), "AtoB", api_name="/translate")
    assert "cannot identify image file" in _no_traceback(e.value) and "junk.png" in str(e.value)
    big = client_mod.handle_file(str(_png(tmp_path / "big.png", np.zeros((64, 64), np.uint8))))
    path, note = client.predict("pix2pix-edges2fashion", big, "AtoB", api_name="/translate")
    assert _pixels(path).shape == (_side(1), _side(2)) and "resized from 64x64 to 32x32" in note
    with pytest.raises(AppError) as e:  # one example is not a set
        client.predict("dcgan-fashion_mnist", None, [5], 0, 4, 1, api_name="/search")
    assert "examples: 1 given; the search needs at least 2" in _no_traceback(e.value)


def test_an_empty_sketch_is_a_message(client, tmp_path):
    blank = client_mod.handle_file(str(_png(tmp_path / "blank.png", np.zeros((256, 256, 4), np.uint8))))
    with pytest.raises(AppError) as e:
        client.predict("pix2pix-edges2fashion", {"background": blank, "layers": [blank], "composite": blank,
                                                 "id": None}, "AtoB", api_name="/translate_sketch")
    assert "the sketchpad is empty" in _no_traceback(e.value)


def test_each_tab_states_the_card_scores_and_protocol():
    from ganzoo.demo import card_markdown

    text = card_markdown("dcgan-fashion_mnist")
    fid = next(e for e in ganzoo.list_pretrained() if e.name == "dcgan-fashion_mnist").metrics["fid"]
    assert f"FID {fid:.2f}" in text and "n_fake 10,000" in text and "extractor fmnist" in text
    assert "PSNR (dB) 22.09" in card_markdown("pix2pix-edges2fashion")


# ---------------------------------------------------------------------------------------------------- a browser
@pytest.mark.slow
def test_ganzoo_demo_command_serves_a_page_where_generate_shows_an_image(tmp_path):
    """``ganzoo demo`` as a user starts it; headless Chromium (Debian's chromium + chromium-driver) clicks Generate
    in the Sample tab and an image appears."""
    driver = chromium("the demo's browser test")
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    port = _free_port()
    exe = shutil.which("ganzoo", path=str(Path(sys.executable).parent)) or "ganzoo"
    proc = subprocess.Popen([exe, "demo", "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"})
    try:
        line, deadline = "", time.monotonic() + 180
        while "running at" not in line and time.monotonic() < deadline and proc.poll() is None:
            line = proc.stdout.readline()
        address = re.search(r"running at (\S+)", line)
        assert address, f"ganzoo demo did not print its URL (exit {proc.poll()}): {line!r}"
        assert address.group(1).rstrip("/") == f"http://127.0.0.1:{port}"
        driver.get(address.group(1))
        wait = WebDriverWait(driver, 120)
        wait.until(ec.element_to_be_clickable((By.ID, "sample-generate"))).click()
        img = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, "#sample-output img")))
        wait.until(lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", img))
        assert driver.execute_script("return [arguments[0].naturalWidth, arguments[0].naturalHeight]", img) == \
            [_side(4), _side(4)]  # the default 16 samples
        assert "16 samples of dcgan-fashion_mnist" in driver.find_element(By.ID, "sample-note").text
    finally:
        driver.quit()
        proc.terminate()
        proc.wait(timeout=30)

