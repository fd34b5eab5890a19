"""Atomic file writes, and the on-disk cache folder.

Every file ganzoo writes (exported generators, cards, metrics, checkpoints, sample grids) goes through
:func:`atomic_write` and every folder it replaces through :func:`atomic_dir`, which give the result the umask's
permissions (:func:`default_file_mode`), not the temporary file's or folder's private 0o600 / 0o700.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO


def cache_dir(kind: str) -> Path:
    """ganzoo's cache folder for ``kind`` (``fid_stats``, ``toy_w1``): under ``$GANZOO_CACHE``, default
    ``~/.cache/ganzoo``."""
    return Path(os.environ.get("GANZOO_CACHE", Path.home() / ".cache" / "ganzoo")) / kind


def default_file_mode(directory: bool = False) -> int:
    """Permissions a plain ``open``/``mkdir`` would give (0o666 / 0o777 minus the umask).

    ``mkstemp``/``mkdtemp`` create private (0o600 / 0o700) files, so a renamed temporary file must be given
    this mode or other users of a shared machine could not read the result.
    """
    umask = os.umask(0)
    os.umask(umask)
    return (0o777 if directory else 0o666) & ~umask


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], None]) -> None:
    """Call ``write(f)`` on a temporary file in ``path``'s folder, fsync it, then rename it to ``path``.

    A reader (or a process killed mid-write) sees either the old file or the complete new one. The file gets
    the permissions a plain ``open`` would give (umask), not the temporary file's 0o600.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, default_file_mode())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename."""
    atomic_write(path, lambda f: f.write(data))


def atomic_copy(src: str | os.PathLike, dst: str | os.PathLike) -> None:
    """Copy the file ``src`` to ``dst`` through :func:`atomic_write` (the umask's mode, not ``src``'s)."""
    with open(src, "rb") as fsrc:
        atomic_write(dst, lambda f: shutil.copyfileobj(fsrc, f))


@contextlib.contextmanager
def atomic_dir(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a new empty folder beside ``target``; when the block ends without error it replaces ``target``
    (:func:`replace_dir`), else it is deleted. The folder gets the umask's mode, not ``mkdtemp``'s 0o700."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.tmp-"))
    try:
        os.chmod(tmp, default_file_mode(directory=True))
        yield tmp
        replace_dir(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def replace_dir(tmp_dir: Path, target: Path) -> None:
    """Move the complete folder ``tmp_dir`` to ``target``, replacing an existing one."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, old)
    os.replace(tmp_dir, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
