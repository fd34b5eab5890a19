"""``ganzoo sample MODEL --n 64 --seed 0 --out grid.png``: sample a generator without importing Lightning.

MODEL is a local folder, a zoo name or a Hub repository id. ``--out`` ending in ``.png`` writes an image grid
(image models) or a scatter plot (2-D models), of at most ``MAX_PLOTTED`` samples; ``.npy`` writes the raw samples
and a folder (``--out DIR/``, or a name without a suffix) one PNG per sample (``000000.png``, ...), both streamed to
disk ``--batch_size`` samples at a time, so ``--n`` is bounded by the disk, not the memory. ``--truncation PSI``
redraws latent coordinates outside +-PSI; ``--interpolate A B`` writes the path from seed A's sample 0 to seed B's
(one row, or an animated ``.gif``); ``--grid classes`` writes one column per class of a conditional model.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch

from ganzoo.cli import api_defaults, command_parser, run
from ganzoo.imageio import grid_png, npy_bytes, to_pil
from ganzoo.io import atomic_write, atomic_write_bytes
from ganzoo.loading import load
from ganzoo.sampling import INTERPOLATION_METHODS, class_grid, sample, sample_batches
from ganzoo.sampling import interpolate as interpolate_path

OUT_SUFFIXES = (".png", ".npy", ".gif")
GIF_FRAME_MS = 120
MAX_PLOTTED = 10_000  # samples in one .png grid or scatter plot, .gif frames, --interpolate steps, class grid cells
PNG_MIN_BYTES = 67  # the smallest PNG file (signature, IHDR, one IDAT, IEND): a lower bound on a folder's size


ARGPARSE_STYLE = {"labels": {"nargs": "+"}, "interpolate": {"nargs": 2, "metavar": ("A", "B")}}
_API = api_defaults(sample)


def _parser():
    return command_parser(sample_command, argparse_style=ARGPARSE_STYLE)


def is_folder(out: str) -> bool:
    """``--out`` names a folder (one PNG per sample): it ends in ``/``, is an existing folder, or has no suffix."""
    return out.endswith(("/", os.sep)) or Path(out).is_dir() or not Path(out).suffix


def _check(args: SimpleNamespace, out: Path, folder: bool) -> None:
    """Every flag error, as one line naming the flag, before any model is loaded."""
    def fail(msg: str) -> None:
        raise SystemExit(f"ganzoo sample: {msg}")

    if folder:
        if out.exists() and not out.is_dir():
            fail(f"--out {args.out}: a file of that name exists; a folder of PNGs needs a new or empty folder")
        if out.is_dir() and any(out.iterdir()):
            fail(f"--out {args.out}: the folder is not empty; choose a new or empty folder (nothing is overwritten)")
        if args.interpolate is None and args.grid is None:
            _check_room(out, args.n, PNG_MIN_BYTES, files=True)
    elif out.suffix not in OUT_SUFFIXES:
        fail(f"--out must end in .png or .npy (or .gif with --interpolate), or be a folder (DIR/: one PNG per "
             f"sample), got {str(out)!r}")
    if args.n < 1:
        fail(f"--n must be >= 1, got {args.n}")
    if out.suffix == ".png" and not folder and args.interpolate is None and args.grid is None and \
            args.n > MAX_PLOTTED:
        fail(f"--n {args.n}: a .png grid or plot shows at most {MAX_PLOTTED:,} samples; write more to a folder "
             "(--out DIR/: one PNG per sample) or a .npy (both streamed to disk)")
    if args.seed < 0:
        fail(f"--seed must be >= 0, got {args.seed}")
    if args.truncation is not None and not (0 < args.truncation < float("inf")):
        fail(f"--truncation must be a finite number > 0, got {args.truncation}")
    if args.grid is not None and args.grid != "classes":
        fail(f"--grid must be 'classes', got {args.grid!r}")
    if args.interpolate is not None:
        if args.grid is not None:
            fail("--interpolate and --grid are exclusive")
        if min(args.interpolate) < 0:
            fail(f"--interpolate seeds must be >= 0, got {args.interpolate}")
        if args.steps < 2:
            fail(f"--steps must be >= 2, got {args.steps}")
        if args.steps > MAX_PLOTTED:
            fail(f"--steps must be <= {MAX_PLOTTED:,} (the path is drawn in memory), got {args.steps}")
        if args.method not in INTERPOLATION_METHODS:
            fail(f"--method must be one of {INTERPOLATION_METHODS}, got {args.method!r}")
        if args.labels is not None and len(args.labels) != 1:
            fail(f"--labels takes one class for --interpolate (the whole path), got {args.labels}")
    elif out.suffix == ".gif":
        fail(f"--out .gif is for --interpolate; use .png or .npy, got {str(out)!r}")
    if args.grid is not None:
        if args.labels is not None:
            fail("--labels and --grid classes are exclusive (the grid has every class)")
        if args.n_per_class < 1:
            fail(f"--n_per_class must be >= 1, got {args.n_per_class}")
        if args.n_per_class > MAX_PLOTTED:
            fail(f"--n_per_class must be <= {MAX_PLOTTED:,} (a grid is drawn in memory), got {args.n_per_class}")


def _gb(n_bytes: float) -> str:
    return f"{n_bytes / 1e9:,.0f} GB" if n_bytes >= 1e11 else f"{n_bytes / 1e9:,.1f} GB" if n_bytes >= 1e8 else \
        f"{n_bytes / 1e6:,.1f} MB"


def _check_room(out: Path, n: int, bytes_each: int, files: bool) -> None:
    """Refuse, in one line and before any sampling, ``n`` samples that cannot fit on ``out``'s filesystem:
    ``bytes_each`` bytes each (a ``.npy``: exact; a folder: the smallest PNG file, a lower bound) and, for a folder,
    one inode per file."""
    where = out if out.is_dir() else next((p for p in out.parents if p.is_dir()), Path("."))
    st = os.statvfs(where)
    need, free = n * bytes_each, st.f_bavail * st.f_frsize
    what = f"{n:,} PNG files take at least" if files else "the .npy would take"
    if need > free:
        raise SystemExit(f"ganzoo sample: --n {n}: {what} {_gb(need)}; {where} has {_gb(free)} free")
    if files and st.f_files and n > st.f_favail:  # f_files == 0: a filesystem without inode counts
        raise SystemExit(f"ganzoo sample: --n {n}: {n:,} PNG files do not fit: {where}'s filesystem has room for "
                         f"{st.f_favail:,} more files")


def gif_bytes(frames: torch.Tensor, frame_ms: int = GIF_FRAME_MS) -> bytes:
    """``(n, C, H, W)`` images in [0, 1] as an animated GIF (bytes) that loops forever."""
    images = to_pil(frames)
    buf = io.BytesIO()
    images[0].save(buf, format="GIF", save_all=True, append_images=images[1:], loop=0, duration=frame_ms)
    return buf.getvalue()


def scatter_png(points: torch.Tensor, title: str) -> bytes:
    """A scatter plot of ``(n, 2)`` points as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.scatter(points[:, 0].numpy(), points[:, 1].numpy(), s=4, c="tab:blue", alpha=0.6)
    ax.set_aspect("equal")
    ax.set_title(title, fontsize=9)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _write_folder(folder: Path, batches, n: int, done: list[int]) -> None:
    """One PNG per sample, ``000000.png``, ... (zero-padded to sort in sample order), each written under a
    temporary name and renamed: a crash leaves complete images only. ``done[0]`` counts the samples written."""
    folder.mkdir(parents=True, exist_ok=True)
    width = max(6, len(str(n - 1)))
    for start, x in batches:
        for k, image in enumerate(to_pil(x.cpu())):
            path = folder / f"{start + k:0{width}d}.png"
            tmp = folder / f".{path.name}.tmp"
            image.save(tmp, format="PNG")
            os.replace(tmp, path)
            done[0] = start + k + 1


def _write_npy(f, batches, shape: tuple[int, ...], done: list[int]) -> None:
    """An ``.npy`` file (float32, ``shape``) written batch by batch, as ``np.save`` would write the whole array."""
    np.lib.format.write_array_header_1_0(f, {"descr": np.lib.format.dtype_to_descr(np.dtype("<f4")),
                                             "fortran_order": False, "shape": shape})
    for start, x in batches:
        f.write(x.cpu().numpy().astype("<f4", copy=False).tobytes())
        done[0] = start + len(x)


def _stream(args: SimpleNamespace, model, out: Path, folder: bool, labels) -> str:
    """Sample ``--n`` samples to a folder of PNGs or a ``.npy``, ``--batch_size`` at a time (constant memory)."""
    shape = tuple(int(d) for d in model.output_shape)
    if folder and not (len(shape) == 3 and shape[0] in (1, 3)):
        raise SystemExit(f"ganzoo sample: --out {args.out}: a folder holds images, but {args.model} outputs samples "
                         f"of shape {shape}; use --out FILE.npy")
    if not folder:
        _check_room(out, args.n, 4 * int(np.prod(shape)), files=False)  # float32
    batches = sample_batches(model, args.n, seed=args.seed, labels=labels, batch_size=args.batch_size,
                             device=args.device, truncation=args.truncation)
    done = [0]
    try:
        if folder:
            _write_folder(out, batches, args.n, done)
        else:
            atomic_write(out, lambda f: _write_npy(f, batches, (args.n, *shape), done))
    except KeyboardInterrupt:
        kept = f"{out} holds samples 0 to {done[0] - 1}" if folder and done[0] else "nothing was written"
        print(f"ganzoo sample: interrupted after {done[0]} of {args.n} samples; {kept}", file=sys.stderr)
        raise SystemExit(130) from None
    except OSError as e:  # a full disk, a folder without write permission
        kept = f"the {done[0]} PNGs written are kept" if folder else "nothing was written"
        raise SystemExit(f"ganzoo sample: writing {out} failed after {done[0]} of {args.n} samples ({e}); "
                         f"{kept}") from None
    if folder:
        width = max(6, len(str(args.n - 1)))
        return f"{args.n} PNGs, {0:0{width}d}.png to {args.n - 1:0{width}d}.png: {args.n} samples"
    return f"{args.n} samples"


def sample_command(
    model: str,
    *,
    n: int = 64,
    seed: int = 0,
    out: str = "grid.png",
    labels: list[int] | None = None,
    revision: str | None = None,
    device: str = "cpu",
    batch_size: int = _API["batch_size"],
    nrow: int | None = None,
    truncation: float | None = None,
    interpolate: tuple[int, int] | None = None,
    steps: int = 8,
    method: str = "slerp",
    grid: str | None = None,
    n_per_class: int = 8,
) -> Path:
    """Sample a pretrained generator: a local folder, a zoo name or a Hub repo id.

    A .png is a grid (a scatter plot for 2-D samples); a .npy or a folder is written --batch_size samples at a
    time, so --n is bounded by the disk, not the memory. Returns the path written; a bad option ends it with one line
    naming the option.

    Args:
        model: local folder, zoo name (ganzoo.list_pretrained()) or Hub repo id org/name
        n: number of samples
        seed: random seed; sample i depends only on (seed, i)
        out: output: a .png (grid or scatter plot), a .npy, a .gif (an --interpolate animation), or a folder DIR/
            (one PNG per sample: 000000.png, ...); .npy and DIR/ are streamed to disk
        labels: class labels for a conditional model: one for all samples, or one per sample
        revision: Hub revision (branch, tag or commit)
        device: torch device
        batch_size: samples drawn at once
        nrow: images per grid row (default sqrt(n))
        truncation: PSI: redraw latent coordinates outside +-PSI (a truncated normal; default: off)
        interpolate: interpolate from sample 0 of seed A to sample 0 of seed B (--out .png: one row; .gif)
        steps: frames of --interpolate, ends included
        method: --interpolate path: slerp or lerp
        grid: 'classes': one column per class of a conditional model
        n_per_class: rows of --grid classes

    Examples:
        ganzoo sample MODEL --n 64 --seed 0 --out grid.png    (or --out DIR/: one PNG per sample)
    """
    args = SimpleNamespace(**locals())  # the options, for the checks below
    out, folder = Path(args.out), is_folder(args.out)
    _check(args, out, folder)
    labels = args.labels[0] if args.labels is not None and len(args.labels) == 1 else args.labels
    nrow, what = args.nrow, f"{args.n} samples"
    psi = "" if args.truncation is None else f", truncation {args.truncation:g}"
    seed = "" if args.interpolate is not None else f", seed {args.seed}"
    try:
        model = load(args.model, args.revision, device=args.device)
        classes = int(getattr(model, "num_classes", 0) or 0)
        if args.grid == "classes" and not classes:
            raise SystemExit(f"ganzoo sample: --grid classes needs a conditional model; {args.model} is "
                             "unconditional")
        if args.grid == "classes" and args.n_per_class * classes > MAX_PLOTTED:
            raise SystemExit(f"ganzoo sample: --n_per_class {args.n_per_class}: a class grid of {classes} classes "
                             f"holds at most {MAX_PLOTTED:,} images")
        if args.interpolate is None and args.grid is None and (folder or out.suffix == ".npy"):
            what = _stream(args, model, out, folder, labels)
            print(f"wrote {out}{'/' if folder else ''} ({what} of {args.model}{seed}{psi})")
            return out
        if args.interpolate is not None:
            a, b = args.interpolate
            x = interpolate_path(model, a, b, steps=args.steps, method=args.method, labels=labels,
                            truncation=args.truncation, device=args.device)
            nrow, what = args.steps, f"{args.steps}-step {args.method} from seed {a} to seed {b}"
            if (out.suffix == ".gif" or folder) and x.dim() != 4:
                raise SystemExit(f"ganzoo sample: --out {args.out} needs an image model; {args.model} outputs "
                                 f"{tuple(x.shape[1:])}")
        elif args.grid == "classes":
            x = class_grid(model, args.n_per_class, seed=args.seed, truncation=args.truncation,
                           batch_size=args.batch_size, device=args.device)
            nrow = classes
            what = f"class grid, {args.n_per_class} rows x {nrow} classes"
        else:
            x = sample(model, args.n, seed=args.seed, labels=labels, batch_size=args.batch_size, device=args.device,
                       truncation=args.truncation)
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(f"ganzoo sample: {e}") from None
    if folder:  # an --interpolate path or a class grid, one PNG per image
        try:
            _write_folder(out, [(0, x)], len(x), [0])
        except OSError as e:
            raise SystemExit(f"ganzoo sample: writing {out} failed ({e})") from None
        print(f"wrote {out}/ ({len(x)} PNGs: {what} of {args.model}{seed}{psi})")
        return out
    if out.suffix == ".gif":
        data = gif_bytes(x)
    elif out.suffix == ".npy":
        data = npy_bytes(x)
    elif x.dim() == 4:
        data = grid_png(x, nrow)
    elif x.dim() == 2 and x.shape[1] == 2:
        data = scatter_png(x, f"{args.model}: {what}{seed}")
    else:
        raise SystemExit(f"ganzoo sample: cannot draw samples of shape {tuple(x.shape[1:])} as a PNG; use .npy")
    atomic_write_bytes(out, data)
    print(f"wrote {out} ({what} of {args.model}{seed}{psi})")
    return out


def main(argv: list[str] | None = None) -> Path:
    """Run ``ganzoo sample``; returns the path written (a file, or the folder of PNGs)."""
    return run(sample_command, _parser(), argv)


if __name__ == "__main__":
    main()
