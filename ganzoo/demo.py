"""``ganzoo demo``: a local Gradio web app of the zoo (the optional ``ganzoo[demo]`` extra).

:func:`build_demo` returns the app (a ``gradio.Blocks``) and :func:`launch` starts it: on the CPU by default, offline
(the zoo's bundled weights; no analytics), with the models loaded once and cached. Tabs:

* **Sample**: an entry, a seed, a count, the truncation psi and, for conditional entries only, a class
  (``ganzoo.sample``);
* **Interpolate**: two seeds, steps, slerp or lerp (``ganzoo.interpolate``);
* **More like these**: uploaded images and/or picks from a grid of the model's samples (``ganzoo.search``);
* **Project**: an uploaded image and its reconstruction (``ganzoo.project``);
* **Translate**: an uploaded image; for edges2fashion also edges drawn on a sketchpad (``ganzoo.translate``).

Each tab shows the chosen entry's model-card scores and their protocol. Bad input (an unreadable or far from
square upload, an unknown entry, a class out of range, ...) is a message in the page (``gradio.Error``), never a
traceback; an upload of the right shape but another size is resized, with a note. Every tab's function is also a
named API endpoint (``/sample``, ``/interpolate``, ``/candidates``, ``/search``, ``/project``, ``/translate``,
``/translate_sketch``) that ``gradio_client`` can call.

Gradio is imported only by :func:`build_demo` and :func:`launch`; the functions behind the tabs (``run_*``) take
and return plain values (PIL images, Markdown text) and raise :class:`DemoInputError` for bad input.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from ganzoo.sampling import image_grid, load, to_pil
from ganzoo.zoo import PretrainedEntry, get_entry, list_pretrained

MAX_COUNT = 64  # samples a Sample / More-like-these request may ask for
MAX_STEPS = 16  # interpolation frames
MAX_SEARCH_STEPS = 200
MAX_PROJECT_STEPS = 500
CANDIDATES = 16  # the grid of samples to pick examples from in "More like these"
MAX_ASPECT = 1.25  # an upload further from square than this is refused rather than distorted by the resize
SKETCH_SIZE = 256  # the sketchpad's canvas (px), downsampled to the translator's input size
SKETCH_THRESHOLD = 0.25  # a pixel of the downsampled sketch is an edge where strokes cover a quarter of it
ANY_CLASS = -1  # the class selector's "every class in turn" (sample i gets class i % num_classes)
CSS = (  # the 32x32 images fill their box, sharp (no blur from the browser's smooth scaling)
    ".ganzoo-pixels img { image-rendering: pixelated; width: 100% !important; height: 100% !important; "
    "object-fit: contain !important; } .ganzoo-sharp img { image-rendering: pixelated; }"
)


class DemoInputError(ValueError):
    """A bad value given to the demo; its message is shown in the page."""


# ---------------------------------------------------------------------------------------------------- entries
def image_entries() -> list[str]:
    """The zoo's latent image generators that ship inside the package (usable offline)."""
    return [e.name for e in list_pretrained() if e.kind == "image" and e.bundled]


def translation_entries() -> list[str]:
    """The zoo's image-to-image translators that ship inside the package, edge-to-image ones (with a sketchpad)
    first."""
    entries = [e for e in list_pretrained() if e.kind == "translation" and e.bundled]
    return [e.name for e in sorted(entries, key=lambda e: not e.dataset.startswith("edges2"))]


def _entry(name: Any, kind: str) -> PretrainedEntry:
    names = image_entries() if kind == "image" else translation_entries()
    what = "latent image generator" if kind == "image" else "translator"
    if not isinstance(name, str) or name not in names:
        raise DemoInputError(f"entry: {name!r} is not a {what} of the zoo; choose one of {', '.join(names)}")
    entry = get_entry(name)
    assert entry is not None
    return entry


@functools.lru_cache(maxsize=16)
def _load(name: str) -> nn.Module:
    """The zoo entry ``name`` loaded once (on the CPU) and kept."""
    return load(name, device="cpu")


def model_for(name: Any, kind: str = "image") -> nn.Module:
    """The cached model of zoo entry ``name`` (``kind`` ``"image"`` or ``"translation"``)."""
    return _load(_entry(name, kind).name)


def class_choices(name: Any) -> list[tuple[str, int]]:
    """The class selector's choices for an image entry: ``[]`` for an unconditional model, else "every class in turn"
    (``ANY_CLASS``) and one choice per class (Fashion-MNIST's class names where the entry was trained on it)."""
    entry = _entry(name, "image")
    k = int(model_for(name).num_classes)
    if not k:
        return []
    names = [f"class {i}" for i in range(k)]
    if entry.dataset == "fashion_mnist":
        from ganzoo.data.idx import FASHION_MNIST_CLASSES

        names = [f"{i}: {c}" for i, c in enumerate(FASHION_MNIST_CLASSES[:k])]
    return [(f"every class in turn (sample i: class i mod {k})", ANY_CLASS), *zip(names, range(k))]


def _labels(name: str, label: Any) -> int | None:
    """The class selector's value as ``labels`` for ``ganzoo.sample``: ``None`` (hidden / every class) or an int; the
    range is checked by ganzoo itself (so the message is the library's)."""
    if label is None or label == "" or label == ANY_CLASS:
        return None
    try:
        value = int(str(label).split(":")[0]) if isinstance(label, str) else label
    except ValueError:
        raise DemoInputError(f"class: {label!r} is not a class number") from None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise DemoInputError(f"class: {label!r} is not a class number")
    if value == ANY_CLASS:
        return None
    if not int(model_for(name).num_classes):
        raise DemoInputError(f"class: {name} is unconditional; it takes no class (got {value})")
    return value


def _int(name: str, value: Any, lo: int, hi: int | None = None) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < lo or (hi is not None and value > hi):
        where = f"in [{lo}, {hi}]" if hi is not None else f">= {lo}"
        raise DemoInputError(f"{name} must be an integer {where}, got {value!r}")
    return value


def _truncation(psi: Any) -> float | None:
    """The slider's psi, 0 meaning off (``None``); ``ganzoo.sample`` checks the rest."""
    if psi is None or psi == 0:
        return None
    if isinstance(psi, bool) or not isinstance(psi, (int, float)) or not math.isfinite(psi) or psi < 0:
        raise DemoInputError(f"truncation must be 0 (off) or a number > 0, got {psi!r}")
    return float(psi)


# ---------------------------------------------------------------------------------------------------- model cards
_METRIC_FORMAT = {"fid": ".2f", "kid": ".3f", "is": ".2f", "precision": ".3f", "recall": ".3f", "density": ".3f",
                  "coverage": ".3f", "classes_covered": ".0f", "l1": ".4f", "psnr_db": ".2f", "cycle_l1": ".4f",
                  "target_fraction": ".3f", "class_accuracy": ".3f"}
_PROTOCOL_SKIP = {"kid_std", "is_std", "k", "direction", "rule", "num_classes"}  # shown with the score, or not needed


@functools.lru_cache(maxsize=32)
def card_markdown(name: str) -> str:
    """The scores of zoo entry ``name``'s model card (its ``model-index``) and their protocol, as Markdown."""
    entry = get_entry(name) if isinstance(name, str) else None
    if entry is None or entry.folder is None:
        return f"**{name}**: not a bundled zoo entry."
    from huggingface_hub import ModelCard

    results = ModelCard.load(entry.folder / "README.md").data.eval_results or []
    if not results:
        return f"**{entry.name}**: {entry.variant}. Its model card records no scores."
    head = f"**{entry.name}**: {entry.variant} (`{entry.architecture}`), trained on {results[0].dataset_name}."
    args = [{k: v for k, v in (r.metric_args or {}).items() if k not in _PROTOCOL_SKIP and not isinstance(v, list)}
            for r in results]
    common = {k: v for k, v in args[0].items() if all(a.get(k) == v for a in args)}
    splits = {r.dataset_split for r in results if r.dataset_split}
    if "reference_split" not in common and len(splits) == 1:
        common["split"] = splits.pop()
    scores = []
    for r, a in zip(results, args):
        fmt = _METRIC_FORMAT.get(r.metric_type, ".4g")
        std = (r.metric_args or {}).get(f"{r.metric_type}_std")
        own = ", ".join(f"{k} {_short(v)}" for k, v in a.items() if k not in common)
        scores.append(f"{r.metric_name} {format(r.metric_value, fmt)}" + (f" ± {format(std, fmt)}" if std else "")
                      + (f" ({own})" if own else ""))
    protocol = ", ".join(f"{k} {_short(v)}" for k, v in common.items())
    lines = [head, "", "**Card scores**: " + " · ".join(scores)]
    return "\n".join([*lines, "", f"**Protocol**: {protocol}."] if protocol else lines)


def _short(v: Any) -> str:
    if isinstance(v, str) and len(v) == 64 and all(c in "0123456789abcdef" for c in v):
        return v[:12] + "…"  # a sha256
    return f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v)


# ---------------------------------------------------------------------------------------------------- uploads
def read_upload(path: Any, shape: Sequence[int], what: str = "image") -> tuple[Tensor, str]:
    """An uploaded image file as ``(C, H, W)`` in [0, 1] for a model of ``shape`` ``(C, H, W)``, and a note.

    Colour is converted to the model's channels (grey or RGB). An image of another size whose aspect ratio is
    within ``MAX_ASPECT`` is resized (Lanczos) and the note says so; a file that is not an image, or one further
    from square, is a :class:`DemoInputError`.
    """
    from PIL import Image, UnidentifiedImageError

    if path is None or path == "":
        raise DemoInputError(f"{what}: no image was uploaded")
    c, h, w = (int(s) for s in shape)
    name = Path(str(path)).name
    try:
        with Image.open(path) as im:
            im.load()
            if im.mode in ("RGBA", "LA", "P"):  # transparency: flattened on black, Fashion-MNIST's background
                im = im.convert("RGBA")
                bg = Image.new("RGBA", im.size, (0, 0, 0, 255))
                im = Image.alpha_composite(bg, im)
            im = im.convert("L" if c == 1 else "RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as e:
        raise DemoInputError(f"{what}: {name} is not a readable image ({type(e).__name__})") from None
    note = ""
    if im.size != (w, h):
        iw, ih = im.size
        if min(iw, ih) < 1 or max(iw / ih, ih / iw) > MAX_ASPECT * (max(w, h) / min(w, h)):
            raise DemoInputError(f"{what}: {name} is {iw}x{ih} pixels; this model takes {w}x{h} images. Crop it "
                                 f"to a square (aspect ratio at most {MAX_ASPECT}) and upload it again.")
        im = im.resize((w, h), Image.Resampling.LANCZOS)
        note = f"{what}: resized from {iw}x{ih} to {w}x{h} pixels."
    arr = np.asarray(im, dtype=np.float32) / 255.0
    x = torch.from_numpy(arr)[None] if c == 1 else torch.from_numpy(arr).permute(2, 0, 1)
    return x.contiguous(), note


def read_uploads(paths: Any, shape: Sequence[int], what: str = "examples") -> tuple[Tensor | None, list[str]]:
    """Several uploads (a list of paths, or ``None``) as ``(m, C, H, W)`` (``None`` if there are none), and notes."""
    if paths is None or paths == "":
        return None, []
    paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    if not paths:
        return None, []
    images, notes = [], []
    for i, p in enumerate(paths):
        x, note = read_upload(_file_path(p), shape, f"{what} {i + 1}")
        images.append(x)
        if note:
            notes.append(note)
    return torch.stack(images), notes


def _file_path(p: Any) -> Any:
    """A path from what Gradio passes for a file (a path string, or a dict / object with ``path``)."""
    if isinstance(p, dict):
        return p.get("path") or p.get("name")
    return getattr(p, "path", None) or getattr(p, "name", None) if not isinstance(p, (str, os.PathLike)) else p


def sketch_edges(sketch: Any, size: tuple[int, int]) -> Tensor:
    """A sketchpad value (Gradio's ``{"background", "layers", "composite"}``, images as arrays) as an edge map
    ``(1, H, W)`` in {0, 1}: the strokes of the drawn layers (their alpha), downsampled to ``size`` (box filter) and
    thresholded at ``SKETCH_THRESHOLD``, white edges on black as ``ganzoo.data.edge_map`` draws them."""
    from PIL import Image

    layers = (sketch or {}).get("layers") or [] if isinstance(sketch, dict) else []
    alphas = []
    for layer in layers:
        a = np.asarray(layer)
        if a.ndim == 3 and a.shape[2] == 4:
            alphas.append(a[..., 3].astype(np.float32) / 255.0)
        elif a.ndim == 3 and a.shape[2] == 3:  # no alpha: light pixels are strokes
            alphas.append(a.astype(np.float32).mean(2) / 255.0)
        elif a.ndim == 2:
            alphas.append(a.astype(np.float32) / 255.0)
    if not alphas or max(float(a.max()) for a in alphas) == 0:
        raise DemoInputError("sketch: the sketchpad is empty; draw the garment's outline first")
    if len({a.shape for a in alphas}) != 1:
        raise DemoInputError("sketch: its layers have different sizes")
    strokes = np.maximum.reduce(alphas)
    h, w = size
    small = Image.fromarray((strokes * 255).astype(np.uint8), "L").resize((w, h), Image.Resampling.BOX)
    edges = (np.asarray(small, dtype=np.float32) / 255.0 > SKETCH_THRESHOLD).astype(np.float32)
    return torch.from_numpy(edges)[None]


# ---------------------------------------------------------------------------------------------------- tabs
def _grid(images: Tensor, nrow: int | None = None) -> Any:
    return to_pil(image_grid(images, nrow=nrow)[None])[0]


def run_sample(entry: Any, seed: Any, count: Any, truncation: Any = 0, label: Any = ANY_CLASS) -> tuple[Any, str]:
    """The Sample tab: a grid (PIL) of ``count`` samples of ``entry`` and a note."""
    import ganzoo

    n = _int("count", count, 1, MAX_COUNT)
    seed = _int("seed", seed, 0)
    model = model_for(entry)
    labels = _labels(entry, label)
    psi = _truncation(truncation)
    x = ganzoo.sample(model, n, seed=seed, labels=labels, truncation=psi)
    what = f"{n} sample{'s' if n > 1 else ''} of {entry}, seed {seed}"
    if labels is not None:
        what += f", class {labels}"
    return _grid(x), what + (f", truncation ψ = {psi:g}" if psi is not None else "") + "."


def run_interpolate(entry: Any, seed_a: Any, seed_b: Any, steps: Any = 8, method: Any = "slerp",
                    truncation: Any = 0, label: Any = ANY_CLASS) -> tuple[Any, str]:
    """The Interpolate tab: ``steps`` frames from seed A's first sample to seed B's, in one row."""
    import ganzoo

    steps = _int("steps", steps, 2, MAX_STEPS)
    seed_a, seed_b = _int("seed A", seed_a, 0), _int("seed B", seed_b, 0)
    model = model_for(entry)
    labels = _labels(entry, label)
    psi = _truncation(truncation)
    x = ganzoo.interpolate(model, seed_a, seed_b, steps=steps, method=method, labels=labels, truncation=psi)
    return _grid(x, nrow=steps), f"{steps} frames ({method}) of {entry} from seed {seed_a} to seed {seed_b}."


def run_candidates(entry: Any, seed: Any) -> list[tuple[Any, str]]:
    """The grid to pick examples from (More like these): ``CANDIDATES`` samples of ``entry`` with their numbers."""
    import ganzoo

    seed = _int("seed", seed, 0)
    x = ganzoo.sample(model_for(entry), CANDIDATES, seed=seed)
    return [(im, str(i)) for i, im in enumerate(to_pil(x))]


def run_search(entry: Any, uploads: Any, picked: Any, seed: Any, count: Any = 16, steps: Any = 30) -> tuple[Any, str]:
    """The More-like-these tab: ``ganzoo.search`` with the uploads and the picked candidates as examples; the grid
    has the examples on the first row(s) and the found samples below."""
    import ganzoo

    n = _int("count", count, 1, MAX_COUNT)
    steps = _int("steps", steps, 0, MAX_SEARCH_STEPS)
    seed = _int("seed", seed, 0)
    model = model_for(entry)
    shape = tuple(model.output_shape)
    up, notes = read_uploads(uploads, shape)
    picks = [] if picked is None else [picked] if isinstance(picked, (int, str)) else list(picked)
    try:
        idx = sorted({int(p) for p in picks})
    except (TypeError, ValueError):
        raise DemoInputError(f"picked: {picked!r} are not candidate numbers") from None
    if any(i < 0 or i >= CANDIDATES for i in idx):
        raise DemoInputError(f"picked: candidate numbers lie in [0, {CANDIDATES - 1}], got {idx}")
    parts = [up] if up is not None else []
    if idx:
        parts.append(ganzoo.sample(model, CANDIDATES, seed=seed)[idx])
    if not parts:
        raise DemoInputError("examples: upload images or pick candidates from the grid (at least 2)")
    examples = torch.cat(parts)
    if len(examples) < 2:
        raise DemoInputError(f"examples: {len(examples)} given; the search needs at least 2 (upload or pick more)")
    found, info = ganzoo.search(model, examples, n, seed=seed, steps=steps, return_info=True)
    nrow = max(len(examples), math.ceil(math.sqrt(n)))
    pad = (-len(examples)) % nrow
    blank = torch.ones((pad, *shape))
    grid = _grid(torch.cat([examples, blank, found]), nrow=nrow)
    text = (f"Top: the {len(examples)} examples; below: {n} samples of {entry} like them (seed {seed}, {steps} steps). "
            f"MMD² to the examples: {info['mmd2_before']:.4f} for random samples, {info['mmd2_after']:.4f} found.")
    return grid, " ".join([*notes, text])


def run_project(entry: Any, upload: Any, steps: Any = 100, seed: Any = 0) -> tuple[Any, str]:
    """The Project tab: the uploaded image (left) and its reconstruction by ``entry`` (right)."""
    import ganzoo

    steps = _int("steps", steps, 0, MAX_PROJECT_STEPS)
    seed = _int("seed", seed, 0)
    model = model_for(entry)
    x, note = read_upload(_file_path(upload), tuple(model.output_shape))
    result = ganzoo.project(model, x[None], steps=steps, seed=seed)
    recon = result.images
    label = ""
    if getattr(result, "labels", None) is not None:
        label = f", class {int(result.labels[0])}"
    psnr = getattr(result, "psnr", None)
    quality = f" PSNR {float(psnr[0]):.1f} dB." if psnr is not None else ""
    text = f"Left: the image; right: {entry}'s reconstruction ({steps} steps, seed {seed}{label}).{quality}"
    return _grid(torch.stack([x, recon[0]]), nrow=2), " ".join(s for s in (note, text) if s)


def direction_choices(name: Any) -> list[tuple[str, str]]:
    """A translator's directions as (label, value), e.g. ``("AtoB: sneaker → boot", "AtoB")`` for sneaker2boot."""
    entry = _entry(name, "translation")
    a, _, b = entry.dataset.partition("2")
    ends = {"AtoB": (a, b), "BtoA": (b, a)}
    return [(f"{d}: {ends[d][0]} → {ends[d][1]}" if b else d, d) for d in model_for(name, "translation").directions]


def _translate(entry: str, x: Tensor, direction: Any) -> Any:
    import ganzoo

    net = model_for(entry, "translation")
    if direction not in net.directions:
        raise DemoInputError(f"direction must be one of {list(net.directions)} for {entry}, got {direction!r}")
    out = ganzoo.translate(net, x[None], direction=direction)
    return _grid(torch.stack([x, out[0]]), nrow=2)


def _translator_shape(entry: str, direction: Any) -> tuple[int, int, int]:
    """(C, H, W) a translator takes: its input channels and the zoo dataset's image size (32x32)."""
    net = model_for(entry, "translation")
    d = direction if direction in net.directions else net.directions[0]
    return net.channels(d)[0], 32, 32


def run_translate(entry: Any, upload: Any, direction: Any = "AtoB") -> tuple[Any, str]:
    """The Translate tab: the uploaded image (left) and its translation (right)."""
    _entry(entry, "translation")
    x, note = read_upload(_file_path(upload), _translator_shape(entry, direction))
    grid = _translate(entry, x, direction)
    return grid, " ".join(s for s in (note, f"Left: the input; right: {entry}'s translation ({direction}).") if s)


def run_translate_sketch(entry: Any, sketch: Any, direction: Any = "AtoB") -> tuple[Any, str]:
    """The Translate tab's sketchpad (edge-to-image entries): the drawn edges (left) and the translation (right)."""
    e = _entry(entry, "translation")
    if not e.dataset.startswith("edges2"):
        raise DemoInputError(f"sketch: {entry} does not translate edges; upload an image instead")
    c, h, w = _translator_shape(entry, direction)
    x = sketch_edges(sketch, (h, w)).expand(c, h, w).contiguous()
    return _translate(entry, x, direction), f"Left: your edges at {w}x{h}; right: {entry}'s translation ({direction})."


# ---------------------------------------------------------------------------------------------------- the app
def _in_page(fn: Callable) -> Callable:
    """``fn`` with bad input (``ValueError``, ``FileNotFoundError``) turned into a ``gradio.Error``: a message in
    the page, no traceback in the page or the console."""
    import gradio as gr

    @functools.wraps(fn)
    def wrapped(*args: Any) -> Any:
        try:
            return fn(*args)
        except (ValueError, FileNotFoundError) as e:
            raise gr.Error(str(e), print_exception=False) from None

    return wrapped


def build_demo(default_entry: str = "dcgan-fashion_mnist") -> Any:
    """The zoo's web app, a ``gradio.Blocks``: ``build_demo().launch()`` serves it (or use :func:`launch`, which
    adds the page's CSS and error messages). Needs the ``ganzoo[demo]`` extra."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    try:
        import gradio as gr
    except ImportError:
        raise ImportError("ganzoo demo needs Gradio: pip install 'ganzoo[demo]'") from None

    images, translators = image_entries(), translation_entries()
    if not images:
        raise RuntimeError("the zoo has no bundled latent image generator to show")
    first = default_entry if default_entry in images else images[0]
    first_tr = translators[0] if translators else None

    def class_update(name: str) -> Any:
        try:
            choices = class_choices(name)
        except ValueError:
            return gr.update(visible=False, value=ANY_CLASS)
        return gr.update(choices=choices, value=ANY_CLASS, visible=bool(choices))

    def entry_changed(name: str) -> tuple[Any, str]:
        return class_update(name), card_markdown(name)

    def translator_changed(name: str) -> tuple[Any, Any, str]:
        try:
            e = _entry(name, "translation")
            dirs = direction_choices(name)
        except ValueError as err:
            raise gr.Error(str(err), print_exception=False) from None
        return (gr.update(choices=dirs, value=dirs[0][1]), gr.update(visible=e.dataset.startswith("edges2")),
                card_markdown(name))

    def entry_box(label: str = "zoo entry") -> Any:
        return gr.Dropdown(images, value=first, label=label, allow_custom_value=True, filterable=True)

    def class_box() -> Any:
        choices = class_choices(first)
        return gr.Dropdown(choices or [("every class", ANY_CLASS)], value=ANY_CLASS, label="class",
                           visible=bool(choices), allow_custom_value=True)

    def image_out(label: str, elem_id: str) -> Any:
        return gr.Image(label=label, type="pil", format="png", interactive=False, elem_id=elem_id,
                        elem_classes=["ganzoo-pixels"], height=360)

    def card(name: str | None) -> Any:
        with gr.Accordion("Model card: scores and protocol", open=True):
            return gr.Markdown(card_markdown(name) if name else "")

    truncation_help = "latent coordinates outside ±ψ are redrawn (a truncated normal); 0 is off"
    with gr.Blocks(title="ganzoo: the zoo", analytics_enabled=False) as demo:
        gr.Markdown("# ganzoo: the zoo\nThe pretrained models bundled with ganzoo, on this computer's CPU, offline. "
                    "Sample, interpolate, find samples like your images, project an image into a generator, or "
                    "translate one. Each tab shows its model's card scores and how they were measured.")
        with gr.Tab("Sample", id="sample"):
            with gr.Row():
                with gr.Column(scale=1):
                    s_entry = entry_box()
                    s_seed = gr.Number(0, label="seed", precision=0, minimum=0)
                    s_count = gr.Slider(1, MAX_COUNT, 16, step=1, label="count")
                    s_trunc = gr.Slider(0, 3, 0, step=0.1, label="truncation ψ", info=truncation_help)
                    s_class = class_box()
                    s_go = gr.Button("Generate", variant="primary", elem_id="sample-generate")
                with gr.Column(scale=2):
                    s_out = image_out("samples", "sample-output")
                    s_note = gr.Markdown(elem_id="sample-note")
            s_card = card(first)
            s_entry.change(entry_changed, s_entry, [s_class, s_card], api_name=False)
            s_go.click(_in_page(run_sample), [s_entry, s_seed, s_count, s_trunc, s_class], [s_out, s_note],
                       api_name="sample")

        with gr.Tab("Interpolate", id="interpolate"):
            with gr.Row():
                with gr.Column(scale=1):
                    i_entry = entry_box()
                    with gr.Row():
                        i_a = gr.Number(0, label="seed A", precision=0, minimum=0)
                        i_b = gr.Number(1, label="seed B", precision=0, minimum=0)
                    i_steps = gr.Slider(2, MAX_STEPS, 8, step=1, label="steps")
                    i_method = gr.Radio(["slerp", "lerp"], value="slerp", label="method",
                                        info="slerp keeps the latents' norm (normal priors); lerp is a straight line")
                    i_trunc = gr.Slider(0, 3, 0, step=0.1, label="truncation ψ", info=truncation_help)
                    i_class = class_box()
                    i_go = gr.Button("Interpolate", variant="primary", elem_id="interpolate-go")
                with gr.Column(scale=2):
                    i_out = image_out("frames", "interpolate-output")
                    i_note = gr.Markdown()
            i_card = card(first)
            i_entry.change(entry_changed, i_entry, [i_class, i_card], api_name=False)
            i_go.click(_in_page(run_interpolate), [i_entry, i_a, i_b, i_steps, i_method, i_trunc, i_class],
                       [i_out, i_note], api_name="interpolate")

        with gr.Tab("More like these", id="search"):
            with gr.Row():
                with gr.Column(scale=1):
                    m_entry = entry_box()
                    m_seed = gr.Number(0, label="seed", precision=0, minimum=0)
                    m_files = gr.File(label="example images (2 or more, or pick samples)", file_count="multiple",
                                      file_types=["image"])
                    m_count = gr.Slider(1, MAX_COUNT, 16, step=1, label="count")
                    m_steps = gr.Slider(0, MAX_SEARCH_STEPS, 30, step=1, label="steps")
                    m_go = gr.Button("Find more like these", variant="primary", elem_id="search-go")
                with gr.Column(scale=2):
                    with gr.Accordion("Pick examples from the model's samples", open=True):
                        m_draw = gr.Button("Show samples of this seed")
                        m_cands = gr.Gallery(label=f"{CANDIDATES} samples", columns=6, height="auto", format="png",
                                             elem_classes=["ganzoo-sharp"], interactive=False, allow_preview=False)
                        m_pick = gr.CheckboxGroup([(str(i), i) for i in range(CANDIDATES)],
                                                  label="use these samples as examples")
                    m_out = image_out("examples (top) and found samples", "search-output")
                    m_note = gr.Markdown()
            m_card = card(first)
            m_entry.change(card_markdown, m_entry, m_card, api_name=False)
            m_draw.click(_in_page(run_candidates), [m_entry, m_seed], m_cands, api_name="candidates")
            m_go.click(_in_page(run_search), [m_entry, m_files, m_pick, m_seed, m_count, m_steps], [m_out, m_note],
                       api_name="search")

        with gr.Tab("Project", id="project"):
            with gr.Row():
                with gr.Column(scale=1):
                    p_entry = entry_box()
                    p_in = gr.Image(label="an image to project (a light garment on black, as in Fashion-MNIST)",
                                    type="filepath", sources=["upload", "clipboard"], image_mode=None,
                                    elem_classes=["ganzoo-pixels"], height=240)
                    p_steps = gr.Slider(0, MAX_PROJECT_STEPS, 100, step=10, label="steps")
                    p_seed = gr.Number(0, label="seed", precision=0, minimum=0)
                    p_go = gr.Button("Project", variant="primary", elem_id="project-go")
                with gr.Column(scale=2):
                    p_out = image_out("image | reconstruction", "project-output")
                    p_note = gr.Markdown()
            p_card = card(first)
            p_entry.change(card_markdown, p_entry, p_card, api_name=False)
            p_go.click(_in_page(run_project), [p_entry, p_in, p_steps, p_seed], [p_out, p_note], api_name="project")

        with gr.Tab("Translate", id="translate"):
            with gr.Row():
                with gr.Column(scale=1):
                    t_entry = gr.Dropdown(translators, value=first_tr, label="translator", allow_custom_value=True)
                    dirs = direction_choices(first_tr) if first_tr else [("AtoB", "AtoB")]
                    t_dir = gr.Dropdown(dirs, value=dirs[0][1], label="direction", allow_custom_value=True)
                    t_in = gr.Image(label="an image to translate", type="filepath", sources=["upload", "clipboard"],
                                    image_mode=None, elem_classes=["ganzoo-pixels"], height=240)
                    t_go = gr.Button("Translate the image", variant="primary", elem_id="translate-go")
                    edges = bool(first_tr) and get_entry(first_tr).dataset.startswith("edges2")
                    with gr.Group(visible=edges) as t_sketch_box:
                        t_sketch = gr.Sketchpad(
                            label="or draw edges (white on black)", type="numpy", image_mode="RGBA",
                            canvas_size=(SKETCH_SIZE, SKETCH_SIZE), fixed_canvas=True,
                            value=np.zeros((SKETCH_SIZE, SKETCH_SIZE, 3), dtype=np.uint8),
                            brush=gr.Brush(default_size=14, colors=["#ffffff"], color_mode="fixed"), layers=False)
                        t_sketch_go = gr.Button("Translate the sketch", elem_id="translate-sketch-go")
                with gr.Column(scale=2):
                    t_out = image_out("input | translation", "translate-output")
                    t_note = gr.Markdown()
            t_card = card(first_tr)
            t_entry.change(translator_changed, t_entry, [t_dir, t_sketch_box, t_card], api_name=False)
            t_go.click(_in_page(run_translate), [t_entry, t_in, t_dir], [t_out, t_note], api_name="translate")
            t_sketch_go.click(_in_page(run_translate_sketch), [t_entry, t_sketch, t_dir], [t_out, t_note],
                              api_name="translate_sketch")
    return demo


def launch(host: str = "127.0.0.1", port: int | None = None, share: bool = False, *, block: bool = True,
           quiet: bool = False, demo: Any = None) -> tuple[Any, str]:
    """Build (or take) the demo and serve it at ``host:port`` (``port=None``: Gradio's first free port from 7860);
    returns ``(demo, url)``. ``block=False`` returns at once and leaves the server running (``demo.close()`` stops
    it). ``share=True`` asks Gradio for a public link (needs the network). Errors are shown in the page."""
    demo = build_demo() if demo is None else demo
    _, url, share_url = demo.launch(server_name=host, server_port=port, share=share, prevent_thread_lock=True,
                                    show_error=True, quiet=True, css=CSS, footer_links=["api", "gradio"])
    url = share_url or url
    if not quiet:
        print(f"ganzoo demo: running at {url} (Ctrl+C stops it)", flush=True)
    if block:
        try:
            demo.block_thread()
        finally:
            demo.close()
    return demo, url
