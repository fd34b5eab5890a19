"""The IDX format of (Fashion-)MNIST, and where Fashion-MNIST's files are found offline.

No Lightning import: the metrics and the classifier script use it too.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

# IDX type codes (the third magic byte) -> numpy dtype, big-endian as the format specifies
_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}

FASHION_MNIST_DIRS = ("/usr/share/datasets/fashion-mnist",)  # Debian's dataset-fashion-mnist
FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
_PREFIX = {"train": "train", "test": "t10k"}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (optionally gzipped) into an array; errors name the file and what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"IDX file {path} does not exist")
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise ValueError(f"IDX file {path} is not a readable gzip file: {e}") from e
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _DTYPES:
        raise ValueError(f"IDX file {path} has a bad magic number {raw[:4].hex() or '(empty)'}; is it an IDX file?")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise ValueError(f"IDX file {path} is truncated in its header ({len(raw)} bytes, {ndim} dimensions)")
    dims = tuple(int(d) for d in np.frombuffer(raw, ">u4", ndim, 4))
    dtype = np.dtype(_DTYPES[raw[2]])
    expected = header + int(np.prod(dims)) * dtype.itemsize
    if len(raw) != expected:
        raise ValueError(
            f"IDX file {path} has {len(raw)} bytes but its header {dims} ({dtype}) needs {expected}: "
            "truncated or corrupt"
        )
    return np.frombuffer(raw, dtype, offset=header).reshape(dims).astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write ``array`` as an IDX file (gzipped when ``path`` ends in ``.gz``); the inverse of :func:`read_idx`."""
    array = np.asarray(array)
    code = {np.dtype(v).newbyteorder("=").str: k for k, v in _DTYPES.items()}.get(array.dtype.str)
    if code is None:
        raise ValueError(f"IDX cannot store dtype {array.dtype}")
    big = array.astype(np.dtype(_DTYPES[code]))
    data = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, ">u4").tobytes() + big.tobytes()
    path = Path(path)
    path.write_bytes(gzip.compress(data, mtime=0) if path.suffix == ".gz" else data)


def find_idx_pair(root: str | os.PathLike, split: str) -> tuple[Path, Path]:
    """The ``(images, labels)`` IDX files of ``split`` (``train``/``test``) in ``root``, gzipped or not."""
    if split not in _PREFIX:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"data directory {root} does not exist")
    found = []
    for kind in ("images-idx3-ubyte", "labels-idx1-ubyte"):
        names = [f"{_PREFIX[split]}-{kind}{ext}" for ext in ("", ".gz")]
        hit = next((root / n for n in names if (root / n).is_file()), None)
        if hit is None:
            raise FileNotFoundError(f"data directory {root} has neither {names[0]} nor {names[1]}")
        found.append(hit)
    return found[0], found[1]


def default_fashion_mnist_dir() -> Path | None:
    """The first system folder holding Fashion-MNIST's IDX files (Debian's package), or ``None``."""
    for d in FASHION_MNIST_DIRS:
        try:
            find_idx_pair(d, "train")
            return Path(d)
        except FileNotFoundError:
            continue
    return None


def load_idx_split(root: str | os.PathLike, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(N, 28, 28)`` uint8 and labels ``(N,)`` int64 of one split; checks that they match."""
    img_path, lab_path = find_idx_pair(root, split)
    images, labels = read_idx(img_path), read_idx(lab_path)
    if images.ndim != 3:
        raise ValueError(f"IDX file {img_path} holds shape {images.shape}, expected (N, H, W) images")
    if labels.ndim != 1:
        raise ValueError(f"IDX file {lab_path} holds shape {labels.shape}, expected (N,) labels")
    if len(images) != len(labels):
        raise ValueError(f"{img_path} has {len(images)} images but {lab_path} has {len(labels)} labels")
    return images, labels.astype(np.int64)
