"""Image files and arrays in, image grids out: the one place ganzoo reads and writes images outside a datamodule's
batches (sampling, the metrics, search, projection, the demo and the translation data).

* read: a folder (:func:`read_images`), one file (:func:`read_image`, with the grey/colour check of
  :func:`check_image_mode`), an array, a tensor or a ``.npy``/``.npz`` file (:func:`as_images`, :func:`read_image_set`),
  search's and projection's examples (:func:`read_examples`), an upload to the demo (:func:`read_upload`);
* write: ``(n, C, H, W)`` images in [0, 1] as PIL images (:func:`to_pil`), tiled into one image (:func:`image_grid`)
  or one PNG (:func:`grid_png`);
* the file kinds: :data:`IMAGE_EXTENSIONS` (images) and :data:`ARRAY_SUFFIXES` (arrays).

Grids are tiled here rather than by ``torchvision.utils.make_grid``, which makes grey images RGB and narrows a grid
of fewer images than ``nrow``: the PNG bytes of ganzoo's grids stay as they were. Imports neither Lightning nor
torchvision; PIL is imported where a file is read or written.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ganzoo.checks import check_int

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp")  # the image files ganzoo reads from a folder
ARRAY_SUFFIXES = (".npy", ".npz")
MAX_ASPECT = 1.25  # an upload further from square than this is refused rather than distorted by the resize


# ---------------------------------------------------------------------------------------------------- writing
def to_pil(images: Tensor) -> list:
    """``(n, C, H, W)`` images in [0, 1] (C = 1 or 3) to a list of ``n`` PIL images (mode "L" or "RGB")."""
    from PIL import Image

    if images.dim() != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"images must be (n, 1 or 3, H, W), got {tuple(images.shape)}")
    arr = (images.clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
    return [Image.fromarray(a[..., 0], "L") if a.shape[-1] == 1 else Image.fromarray(a, "RGB") for a in arr]


def image_grid(images: Tensor, nrow: int | None = None, padding: int = 2, pad_value: float = 1.0) -> Tensor:
    """Tile ``(n, C, H, W)`` images in [0, 1] into one ``(C, H', W')`` image, ``nrow`` per row (default √n)."""
    if images.dim() != 4:
        raise ValueError(f"images must be (n, C, H, W), got {tuple(images.shape)}")
    n, c, h, w = images.shape
    nrow = nrow or max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / nrow)
    grid = torch.full((c, rows * (h + padding) + padding, nrow * (w + padding) + padding), pad_value)
    for k in range(n):
        r, col = divmod(k, nrow)
        top, left = padding + r * (h + padding), padding + col * (w + padding)
        grid[:, top: top + h, left: left + w] = images[k]
    return grid


def grid_image(images: Tensor, nrow: int | None = None) -> Any:
    """``(n, C, H, W)`` images in [0, 1] tiled (:func:`image_grid`) into one PIL image."""
    return to_pil(image_grid(images, nrow=nrow)[None])[0]


def grid_png(images: Tensor, nrow: int | None = None) -> bytes:
    """``(n, C, H, W)`` images in [0, 1] tiled into one PNG (bytes)."""
    import io

    buf = io.BytesIO()
    grid_image(images, nrow=nrow).save(buf, format="PNG")
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------------- files
def npy_bytes(array: Tensor) -> bytes:
    """The ``.npy`` file of a CPU tensor (what ``np.save`` writes)."""
    buf = io.BytesIO()
    np.save(buf, array.numpy())
    return buf.getvalue()


def image_files(folder: Path) -> list[Path]:
    """The image files (:data:`IMAGE_EXTENSIONS`, any case) directly in ``folder``, sorted."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)


def read_images(folder: Path, channels: int) -> tuple[list[str], Tensor]:
    """The images of ``folder`` (:data:`IMAGE_EXTENSIONS`; all must share one size) as ``(N, channels, H, W)`` in
    [0, 1], and their stems. Errors name the folder or the file."""
    from PIL import Image, UnidentifiedImageError

    files = sorted(f for f in folder.iterdir() if f.suffix.lower() in IMAGE_EXTENSIONS)
    if not files:
        raise ValueError(f"{folder}: no images ({', '.join(IMAGE_EXTENSIONS)})")
    arrays = []
    for f in files:
        try:
            with Image.open(f) as im:
                arr = np.asarray(im.convert("L" if channels == 1 else "RGB"), dtype=np.uint8)
        except (UnidentifiedImageError, OSError) as e:
            raise ValueError(f"{f}: not a readable image ({e})") from None
        if arrays and arr.shape != arrays[0].shape:
            raise ValueError(f"{f}: size {arr.shape[1]}x{arr.shape[0]} differs from {files[0]} "
                             f"({arrays[0].shape[1]}x{arrays[0].shape[0]}); resize the inputs to one size")
        arrays.append(arr)
    x = torch.from_numpy(np.stack(arrays)).float().div(255)
    x = x[:, None] if channels == 1 else x.permute(0, 3, 1, 2)
    return [f.stem for f in files], x.contiguous()


def check_image_mode(path: Path, mode: str, channels: int) -> None:
    """A grey image where ``channels=3`` is expected (or a colour one where 1 is) is an error naming the file."""
    grey = mode in ("L", "LA", "I", "I;16", "1")
    if channels == 3 and grey or channels == 1 and not grey:
        raise ValueError(f"image {path} has mode {mode!r} but channels={channels}; set channels="
                         f"{1 if grey else 3} or convert the images")


def read_image(path: Path, channels: int, decode: bool = True) -> Tensor | None:
    """The image file ``path`` as uint8 ``(C, H, W)``, ``C = channels`` (:func:`check_image_mode` first: a grey file
    where colour is expected, or the reverse, is an error naming it). ``decode=False``: only the header is read and
    checked; returns ``None``."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            check_image_mode(path, im.mode, channels)
            if not decode:
                return None
            arr = np.asarray(im.convert("L" if channels == 1 else "RGB"), dtype=np.uint8)
    except (UnidentifiedImageError, OSError) as e:
        raise ValueError(f"image {path} cannot be read: {e}") from e
    arr = arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)
    return torch.from_numpy(arr.copy())


# ---------------------------------------------------------------------------------------------------- arrays
def as_images(array: Any, name: str = "images") -> Tensor:
    """An array of images as float32 ``(N, C, H, W)`` in [0, 1], C = 1 or 3.

    Values: uint8 in 0..255 (divided by 255) or floats in [0, 1]; any other dtype is refused. Layouts:
    ``(N, C, H, W)``, ``(N, H, W, C)`` (C = 1 or 3; when both axes 1 and 3 could be channels the array is refused
    as ambiguous) or ``(N, H, W)`` (one channel). At least 2 images.
    """
    if isinstance(array, np.ndarray):
        if not (array.dtype == np.uint8 or np.issubdtype(array.dtype, np.floating)):
            raise ValueError(f"{name}: images must be uint8 (0..255) or floats in [0, 1], got an array of "
                             f"{array.dtype}")
        array = torch.from_numpy(np.ascontiguousarray(array))
    if not isinstance(array, Tensor):
        raise ValueError(f"{name}: expected images (a tensor, an array, a folder, a .npy or .npz file), got "
                         f"{type(array).__name__}")
    x = array.detach().cpu()
    if not (x.dtype == torch.uint8 or x.dtype.is_floating_point):
        raise ValueError(f"{name}: images must be uint8 (0..255) or floats in [0, 1], got {x.dtype}")
    shape = tuple(x.shape)
    if x.dim() == 3:
        x = x[:, None]
    elif x.dim() == 4:
        first, last = shape[1] in (1, 3), shape[3] in (1, 3)
        if first and last:
            raise ValueError(f"{name}: shape {shape} is ambiguous: axis 1 and axis 3 could both be channels; "
                             "give (N, C, H, W) or (N, H, W, C) with H, W not 1 or 3")
        if last:
            x = x.permute(0, 3, 1, 2)
        elif not first:
            raise ValueError(f"{name}: shape {shape} has no channel axis of size 1 or 3; give (N, C, H, W), "
                             "(N, H, W, C) or (N, H, W)")
    else:
        raise ValueError(f"{name}: images must be (N, C, H, W), (N, H, W, C) or (N, H, W), got shape {shape}")
    if len(x) < 2:
        raise ValueError(f"{name}: {len(x)} image(s); FID and KID need at least 2")
    if x.dtype == torch.uint8:
        return x.float().div_(255).contiguous()
    x = x.float()
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name}: images contain NaN or infinite values")
    lo, hi = float(x.min()), float(x.max())
    if lo < 0 or hi > 1:
        raise ValueError(f"{name}: float images must lie in [0, 1], got values in [{lo:.3g}, {hi:.3g}] "
                         "(images in [-1, 1]: (x + 1) / 2; in 0..255: store them as uint8)")
    return x.contiguous()


def match_channels(images: Tensor, channels: int | None, name: str = "images") -> Tensor:
    """``images`` with ``channels`` channels: 1 -> 3 repeats the grey channel; 3 -> 1 only for grey images stored
    as RGB (all three channels equal), else an error. ``None``: 3 -> 1 for grey-as-RGB images, else unchanged."""
    c = images.shape[1]
    grey = c == 3 and bool((images[:, 0] == images[:, 1]).all() and (images[:, 1] == images[:, 2]).all())
    if channels is None:
        return images[:, :1].contiguous() if grey else images
    if channels == c:
        return images
    if channels == 3 and c == 1:
        return images.expand(-1, 3, -1, -1).contiguous()
    if channels == 1 and grey:
        return images[:, :1].contiguous()
    raise ValueError(f"{name}: images have {c} channels (in colour), the reference has {channels}")


def read_image_set(source: Any, *, name: str = "images", channels: int | None = None,
                   n: int | None = None) -> tuple[Tensor, str]:
    """Images from a folder (PNG, JPEG, BMP, WebP: :func:`read_images`), a ``.npy`` file, a ``.npz``
    file (its only array, or the one named ``images``), a tensor or an array (:func:`as_images`), as float32
    ``(N, C, H, W)`` in [0, 1], and a description naming the source. ``channels`` as in :func:`match_channels`
    (grey images stored as RGB are read as one channel); ``n``: the first ``n`` images. Errors start with ``name``.
    """
    desc = "in memory"
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.is_dir():
            try:
                _, x = read_images(path, 3)
            except ValueError as e:
                raise ValueError(f"{name}: {e}") from None
            desc = f"folder {path}"
        elif path.suffix.lower() in ARRAY_SUFFIXES:
            if not path.is_file():
                raise FileNotFoundError(f"{name}: no file {path}")
            x, key = _load_array(path, name)
            desc = f"array {path}" + (f"[{key!r}]" if key else "")
        elif path.suffix.lower() == ".safetensors":
            raise ValueError(f"{name}: {path} holds reference statistics, not images; give it as the reference")
        elif not path.exists():
            raise FileNotFoundError(f"{name}: {path} does not exist (a folder of images, a .npy or a .npz file)")
        else:
            raise ValueError(f"{name}: {path} is neither a folder of images nor a .npy/.npz file")
        x = as_images(x, name)
    elif isinstance(source, (Tensor, np.ndarray)):
        x = as_images(source, name)
    else:
        raise ValueError(f"{name}: expected a folder, a .npy/.npz file, a tensor or an array, got "
                         f"{type(source).__name__}")
    x = match_channels(x, channels, name)
    total = len(x)
    if n is not None:
        check_int("n", n)
        if n > total:
            raise ValueError(f"{name}: asked for {n} images, {desc} has {total}")
        x = x[:n]
    return x, f"{desc} ({len(x)} images" + (f", the first of {total})" if len(x) < total else ")")


def _load_array(path: Path, name: str) -> tuple[Any, str | None]:
    try:
        data = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as e:
        raise ValueError(f"{name}: {path} is not a readable {path.suffix} file ({e})") from None
    if isinstance(data, np.ndarray):
        return data, None
    with data:
        keys = list(data.keys())
        if {"mu", "sigma"} <= set(keys):
            raise ValueError(f"{name}: {path} holds mu/sigma statistics (pytorch-fid's or clean-fid's format), "
                             "not images; ganzoo reads statistics written by `ganzoo stats` (.safetensors)")
        key = "images" if "images" in keys else keys[0] if len(keys) == 1 else None
        if key is None:
            raise ValueError(f"{name}: {path} holds {len(keys)} arrays {keys}; name the images 'images'")
        return data[key], key


def read_examples(examples: Any, out_shape: tuple[int, ...], image: bool, *, name: str = "examples",
                  min_items: int = 2) -> Tensor:
    """``examples`` (tensor, array, ``.npy`` file or folder of images) as float32 ``(m, *out_shape)``.

    Images: floats in [0, 1] or uint8 in [0, 255]; ``(m, H, W)`` is read as one channel. Errors call the input
    ``name``; fewer than ``min_items`` items is an error (search needs 2: the MMD estimate and the bandwidth). The
    reader of ``ganzoo.search`` and ``ganzoo.project`` (and of their commands).
    """
    if isinstance(examples, (str, os.PathLike)):
        path = Path(examples)
        if path.is_dir():
            if not image:
                raise ValueError(f"{name}={str(path)!r}: a folder of images, but the model is not an image model")
            try:
                _, examples = read_images(path, out_shape[0])
            except ValueError as e:
                raise ValueError(f"{name}: {e}") from None
        elif path.suffix == ".npy" and path.is_file():
            examples = np.load(path, allow_pickle=False)
        else:
            raise ValueError(f"{name}={str(path)!r} is neither a folder of images nor a .npy file")
    if isinstance(examples, np.ndarray):
        if examples.dtype == object or not (np.issubdtype(examples.dtype, np.number)):
            raise ValueError(f"{name} must hold numbers, got an array of {examples.dtype}")
        examples = torch.from_numpy(np.ascontiguousarray(examples))
    if not isinstance(examples, Tensor):
        raise ValueError(f"{name} must be a tensor, a NumPy array, a .npy file or a folder of images, got "
                         f"{type(examples).__name__}")
    x = examples.detach().cpu()
    if x.dtype == torch.uint8 and image:
        x = x.float() / 255
    elif not x.dtype.is_floating_point:
        raise ValueError(f"{name} must be floats{' in [0, 1] (or uint8)' if image else ''}, got {x.dtype}")
    x = x.float()
    if image and x.dim() == 3 and out_shape[0] == 1:
        x = x[:, None]
    if len(x) == 0:
        raise ValueError(f"{name} is empty: give at least {min_items}")
    if x.dim() != 1 + len(out_shape):
        raise ValueError(f"{name} must have shape (m, {', '.join(map(str, out_shape))}) like the generator's "
                         f"output, got {tuple(x.shape)}")
    if image and x.shape[1] != out_shape[0]:
        raise ValueError(f"{name} have {x.shape[1]} channels, the generator outputs {out_shape[0]} "
                         f"(shape {tuple(x.shape)})")
    if tuple(x.shape[1:]) != out_shape:
        raise ValueError(f"{name} have shape {tuple(x.shape[1:])} per item, the generator outputs {out_shape}"
                         + (f" (resize or pad the {name})" if image else ""))
    if len(x) < min_items:
        raise ValueError(f"{name} has {len(x)} item; the MMD estimate and the bandwidth need at least 2"
                         if min_items == 2 else f"{name} has {len(x)} items; give at least {min_items}")
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} contain NaN or infinite values")
    if image and (float(x.min()) < 0 or float(x.max()) > 1):
        raise ValueError(f"{name} must lie in [0, 1] (or be uint8), got values in [{float(x.min()):.3g}, "
                         f"{float(x.max()):.3g}]")
    return x


# ---------------------------------------------------------------------------------------------------- uploads
def read_upload(path: Any, shape: Sequence[int], what: str = "image", *,
                error: type[ValueError] = ValueError) -> tuple[Tensor, str]:
    """An uploaded image file as ``(C, H, W)`` in [0, 1] for a model of ``shape`` ``(C, H, W)``, and a note.

    Colour is converted to the model's channels (grey or RGB). An image of another size whose aspect ratio is
    within ``MAX_ASPECT`` is resized (Lanczos) and the note says so; a file that is not an image, or one further
    from square, is an ``error`` (the demo's ``DemoInputError``) whose message is for the person who uploaded it.
    """
    from PIL import Image, UnidentifiedImageError

    if path is None or path == "":
        raise error(f"{what}: no image was uploaded")
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
        raise error(f"{what}: {name} is not a readable image ({type(e).__name__})") from None
    note = ""
    if im.size != (w, h):
        iw, ih = im.size
        if min(iw, ih) < 1 or max(iw / ih, ih / iw) > MAX_ASPECT * (max(w, h) / min(w, h)):
            raise error(f"{what}: {name} is {iw}x{ih} pixels; this model takes {w}x{h} images. Crop it "
                        f"to a square (aspect ratio at most {MAX_ASPECT}) and upload it again.")
        im = im.resize((w, h), Image.Resampling.LANCZOS)
        note = f"{what}: resized from {iw}x{ih} to {w}x{h} pixels."
    arr = np.asarray(im, dtype=np.float32) / 255.0
    x = torch.from_numpy(arr)[None] if c == 1 else torch.from_numpy(arr).permute(2, 0, 1)
    return x.contiguous(), note


def read_uploads(paths: Any, shape: Sequence[int], what: str = "examples", *,
                 error: type[ValueError] = ValueError) -> tuple[Tensor | None, list[str]]:
    """Several uploads (a list of paths, or ``None``) as ``(m, C, H, W)`` (``None`` if there are none), and notes."""
    if paths is None or paths == "":
        return None, []
    paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    if not paths:
        return None, []
    images, notes = [], []
    for i, p in enumerate(paths):
        x, note = read_upload(upload_path(p), shape, f"{what} {i + 1}", error=error)
        images.append(x)
        if note:
            notes.append(note)
    return torch.stack(images), notes


def upload_path(p: Any) -> Any:
    """A path from what Gradio passes for a file (a path string, or a dict / object with ``path``)."""
    if isinstance(p, dict):
        return p.get("path") or p.get("name")
    return getattr(p, "path", None) or getattr(p, "name", None) if not isinstance(p, (str, os.PathLike)) else p

