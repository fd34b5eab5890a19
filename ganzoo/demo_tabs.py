"""The functions behind the tabs of ``ganzoo demo`` (:mod:`ganzoo.demo` builds the Gradio app around them): the zoo
entries it shows, their model-card scores, and one ``run_*`` function per tab. They take and return plain values (PIL
images, Markdown text), raise :class:`DemoInputError` for bad input, and import neither Gradio nor Lightning; uploads
are read by :func:`ganzoo.imageio.read_upload`.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from ganzoo.imageio import grid_image, read_upload, read_uploads, to_pil, upload_path
from ganzoo.loading import load
from ganzoo.metrics.display import format_metric
from ganzoo.zoo import PretrainedEntry, get_entry, list_pretrained

MAX_COUNT = 64  # samples a Sample / More-like-these request may ask for
MAX_STEPS = 16  # interpolation frames
MAX_SEARCH_STEPS = 200
MAX_PROJECT_STEPS = 500
CANDIDATES = 16  # the grid of samples to pick examples from in "More like these"
SKETCH_THRESHOLD = 0.25  # a pixel of the downsampled sketch is an edge where strokes cover a quarter of it
ANY_CLASS = -1  # the class selector's "every class in turn" (sample i gets class i % num_classes)


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
        std = (r.metric_args or {}).get(f"{r.metric_type}_std")
        own = ", ".join(f"{k} {_short(v)}" for k, v in a.items() if k not in common)
        value, spread = (format_metric(r.metric_type, v) for v in (r.metric_value, std))
        scores.append(f"{r.metric_name} {value}" + (f" ± {spread}" if std else "")
                      + (f" ({own})" if own else ""))
    protocol = ", ".join(f"{k} {_short(v)}" for k, v in common.items())
    lines = [head, "", "**Card scores**: " + " · ".join(scores)]
    return "\n".join([*lines, "", f"**Protocol**: {protocol}."] if protocol else lines)


def _short(v: Any) -> str:
    if isinstance(v, str) and len(v) == 64 and all(c in "0123456789abcdef" for c in v):
        return v[:12] + "…"  # a sha256
    return f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v)


# ---------------------------------------------------------------------------------------------------- the sketchpad
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
    return grid_image(x), what + (f", truncation ψ = {psi:g}" if psi is not None else "") + "."


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
    return grid_image(x, nrow=steps), f"{steps} frames ({method}) of {entry} from seed {seed_a} to seed {seed_b}."


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
    up, notes = read_uploads(uploads, shape, error=DemoInputError)
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
    grid = grid_image(torch.cat([examples, blank, found]), nrow=nrow)
    text = (f"Top: the {len(examples)} examples; below: {n} samples of {entry} like them (seed {seed}, {steps} steps). "
            f"MMD² to the examples: {info['mmd2_before']:.4f} for random samples, {info['mmd2_after']:.4f} found.")
    return grid, " ".join([*notes, text])


def run_project(entry: Any, upload: Any, steps: Any = 100, seed: Any = 0) -> tuple[Any, str]:
    """The Project tab: the uploaded image (left) and its reconstruction by ``entry`` (right)."""
    import ganzoo

    steps = _int("steps", steps, 0, MAX_PROJECT_STEPS)
    seed = _int("seed", seed, 0)
    model = model_for(entry)
    x, note = read_upload(upload_path(upload), tuple(model.output_shape), error=DemoInputError)
    result = ganzoo.project(model, x[None], steps=steps, seed=seed)
    recon = result.images
    label = ""
    if getattr(result, "labels", None) is not None:
        label = f", class {int(result.labels[0])}"
    psnr = getattr(result, "psnr", None)
    quality = f" PSNR {float(psnr[0]):.1f} dB." if psnr is not None else ""
    text = f"Left: the image; right: {entry}'s reconstruction ({steps} steps, seed {seed}{label}).{quality}"
    return grid_image(torch.stack([x, recon[0]]), nrow=2), " ".join(s for s in (note, text) if s)


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
    return grid_image(torch.stack([x, out[0]]), nrow=2)


def _translator_shape(entry: str, direction: Any) -> tuple[int, int, int]:
    """(C, H, W) a translator takes: its input channels and the zoo dataset's image size (32x32)."""
    net = model_for(entry, "translation")
    d = direction if direction in net.directions else net.directions[0]
    return net.channels(d)[0], 32, 32


def run_translate(entry: Any, upload: Any, direction: Any = "AtoB") -> tuple[Any, str]:
    """The Translate tab: the uploaded image (left) and its translation (right)."""
    _entry(entry, "translation")
    x, note = read_upload(upload_path(upload), _translator_shape(entry, direction), error=DemoInputError)
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

