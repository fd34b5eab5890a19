"""``ganzoo eval SOURCE --data fashion_mnist --metrics fid,kid,is --n 10000``: image metrics as JSON.

SOURCE is a generator (a local folder with ``config.json``, a zoo name or a Hub repository id, loaded as by
``ganzoo.load``) or images: a folder of PNG/JPEG/BMP/WebP files, or a ``.npy``/``.npz`` array (uint8 in 0..255 or
floats in [0, 1]; ``(N, C, H, W)``, ``(N, H, W, C)`` or ``(N, H, W)``; see ``ganzoo.imageio.as_images``).

The reference is one of:

* ``--data NAME`` (default: the dataset a generator's ``config.json`` records it was trained on, else
  fashion_mnist): an image datamodule (fashion_mnist, stacked_fashion_mnist, mnist, cifar10, celeba, image_folder
  with ``--data_dir``), its ``--split``: ``--n_real`` images (default ``--n`` for a generator, else 10,000 or the
  whole split);
* ``--ref PATH``: a folder of images or an ``.npy``/``.npz`` array (all images, or the first ``--n_real``), or
  reference statistics written by ``ganzoo stats`` (``.safetensors``; their extractor is used).

The printed JSON holds the metrics and their protocol (extractor, weights hash, resize mode, counts of both sets,
the reference split or path, which set precision/recall treat as real); ``--out`` also writes it to a file. With
fewer than 2,048 images in either set, a warning on stderr says how far FID is biased upward at those two counts
(measured on Fashion-MNIST; ``ganzoo.metrics.fid_bias.fid_bias_note``). Raw 28x28 Fashion-MNIST images (SOURCE or
``--ref``) are padded to 32x32 for the fmnist extractor as the datamodule pads them, said in one line on stderr.

``--metrics copy`` asks whether the generator copies its training images (``ganzoo.metrics.copying``): each
sample's distance to its nearest training image in the extractor's features against the same of as many held-out
images (the test split): ``copy_median_ratio`` (about 1, well below 1 for a copier), ``copy_fraction`` (the samples
nearer than the closest 1% of held-out images: about 0.01, 1 for a copier) and ``fid_gap`` (FID against training
images minus FID against as many test images). The training images are those the generator trained on: the whole
split, or the ``limit`` subset its ``config.json`` records. ``--nearest-grid PATH`` writes the 8 samples nearest to a
training image beside it as a PNG.

A generator of Stacked Fashion-MNIST (3x32x32, ``--data stacked_fashion_mnist`` or recorded in its ``config.json``)
is scored with the ``fmnist_stacked`` extractor on 26,000 samples by default (the modes protocol): the JSON also
holds ``modes`` (of 1,000), ``modes_kl`` (KL of the mode histogram to uniform) and ``modes_floor``, the same of as
many real stacked test images (``ganzoo.metrics.modes``).

A translation model (pix2pix, CycleGAN) is scored on the test split of ``--data`` (edges2fashion, sneaker2boot,
or paired / unpaired with ``--data_dir``): L1, PSNR and FID for paired data; target-class fraction, cycle L1 and FID
for unpaired data (see ``ganzoo.metrics.translation``).
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from types import SimpleNamespace

from ganzoo.cli import api_defaults, command_parser, run
from ganzoo.io import atomic_write_bytes
from ganzoo.metrics.evaluate import evaluate
from ganzoo.nets.base import ImageTranslator

DEFAULT_DATA = "fashion_mnist"


def source_kind(source: str) -> str:
    """``"images"`` for a folder of images or a ``.npy``/``.npz`` path, else ``"model"`` (a generator folder holds
    ``config.json``; zoo names and Hub ids are not paths)."""
    path = Path(source)
    if path.is_dir():
        return "model" if (path / "config.json").is_file() else "images"
    return "images" if path.suffix.lower() in (".npy", ".npz", ".safetensors") else "model"


_API = api_defaults(evaluate)


def eval_command(
    source: str,
    *,
    data: str | None = None,
    ref: str | None = None,
    data_dir: str | None = None,
    split: str = _API["split"],
    metrics: str = ",".join(_API["metrics"]),
    n: int | None = _API["n"],
    n_real: int | None = _API["n_real"],
    extractor: str | None = _API["extractor"],
    weights_path: str | None = _API["weights_path"],
    seed: int = _API["seed"],
    revision: str | None = None,
    device: str | None = _API["device"],
    out: str | None = None,
    nearest_grid: str | None = _API["nearest_grid"],
) -> dict:
    """Image metrics as JSON, of a generator or of images (FID, KID, IS, PRDC, copying).

    Prints and returns the metrics with their protocol.

    Args:
        source: a generator (local folder, zoo name, Hub repo id org/name) or images (a folder, .npy, .npz)
        data: reference dataset (default when --ref is not given: the one a generator's config.json records it was
            trained on, else fashion_mnist)
        ref: reference images (a folder, .npy, .npz) or statistics from `ganzoo stats` (.safetensors)
        data_dir: folder of the reference data (default: the dataset's own)
        split: reference split of --data
        metrics: comma-separated subset of fid,kid,is,prdc,copy; copy: is it copying the training images (needs
            --data)
        n: generated images (default 10000; 26000 for stacked_fashion_mnist, the modes protocol), or the first N of
            SOURCE's images (default all)
        n_real: reference images: from --data default --n for a generator, else 10000 (or the whole split); from
            --ref images the first N (default all)
        extractor: fmnist (the shipped classifier; default for 1x32x32 images) or inception; with --ref
            statistics, theirs
        weights_path: local weights file of the FID Inception network
        seed: sample seed; sample i depends only on (seed, i)
        revision: Hub revision (branch, tag or commit)
        device: where sampling and feature extraction run: cpu, cuda, cuda:1, ... (default: cuda when available)
        out: also write the JSON to this file
        nearest_grid: with --metrics copy: write a PNG of the 8 samples nearest to a training image, each beside
            that image

    Examples:
        ganzoo eval MODEL_DIR_OR_NPY --data fashion_mnist --metrics fid,kid --n 10000
    """
    args = SimpleNamespace(**locals())
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()]
    try:
        from ganzoo.metrics.fid_bias import SmallSampleWarning
        from ganzoo.metrics.scores import check_metrics

        check_metrics(metrics)
        for name in ("n", "n_real"):
            if getattr(args, name) is not None and getattr(args, name) < 1:
                raise ValueError(f"--{name} must be a positive integer, got {getattr(args, name)}")
        if args.nearest_grid is not None and "copy" not in metrics:
            raise ValueError(f"--nearest-grid {args.nearest_grid}: the grid comes from the copy check; add copy to "
                             "--metrics")
        if args.data is not None and args.ref is not None:
            raise ValueError(f"give one reference, --data or --ref, not both (--data {args.data}, --ref {args.ref})")
        if args.ref is not None and (args.data_dir is not None or args.split != "train"):
            raise ValueError("--data_dir and --split apply to --data, not to --ref")
        kind = source_kind(args.source)
        if kind == "images":
            if args.revision is not None:
                raise ValueError(f"--revision applies to Hub models, but SOURCE {args.source} is images")
            fake = args.source
            head = {"source": str(args.source)}
        else:
            from ganzoo.loading import load

            try:
                fake = load(args.source, args.revision, device=_device(args.device))
            except FileNotFoundError as e:
                raise FileNotFoundError(f"SOURCE: {e} (nor a folder of images, a .npy or .npz file)") from None
            if isinstance(fake, ImageTranslator):
                if args.ref is not None:
                    raise ValueError("a translation model is scored on the test split of --data; --ref does not "
                                     "apply")
                return _translation(args, fake, metrics)
            if len(getattr(fake, "output_shape", ())) != 3:
                raise ValueError(f"{args.source} is not an image generator (output shape {fake.output_shape})")
            head = {"model": str(args.source)}
        if args.ref is not None:
            reference, ref_name = args.ref, "--ref"
        else:
            from ganzoo.data.images import IMAGE_DATAMODULES, image_datamodule

            trained_on = getattr(fake, "trained_on", None) if kind == "model" else None
            recorded = trained_on if trained_on in IMAGE_DATAMODULES and trained_on != "image_folder" else None
            data = args.data or recorded or DEFAULT_DATA
            # a generator trained on a subset (config.json's training.limit) is checked for copies of that subset
            # (and one trained on a folder with images set aside, training.holdout, is compared with those)
            same = kind == "model" and data == trained_on
            settings = {k: getattr(fake, f"trained_{k}", None) if same else None for k in ("limit", "holdout")}
            shape = tuple(getattr(fake, "output_shape", ()))
            if data == "image_folder" and len(shape) == 3:  # a folder's images are read at the generator's size
                settings.update(channels=shape[0], resolution=shape[1])
            reference, ref_name = image_datamodule(data, **({"data_dir": args.data_dir} if args.data_dir else {}),
                                                   **{k: v for k, v in settings.items() if v}), f"--data {data}"
            if kind == "model" and tuple(reference.data_shape) != shape:
                raise ValueError(f"{args.source} makes images of shape {shape} but --data {data} has "
                                 f"{tuple(reference.data_shape)}; name the generator's dataset with --data (one of "
                                 f"{sorted(IMAGE_DATAMODULES)})")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SmallSampleWarning)  # printed below, once, as a line
            out = evaluate(
                fake, reference, metrics=metrics, n=args.n,  # a generator's default: evaluate's (10,000 or 26,000)
                n_real=args.n_real, split=args.split, extractor=args.extractor, weights_path=args.weights_path,
                seed=args.seed, device=_device(args.device) if kind == "images" else None, progress=True,
                fake_name="SOURCE", reference_name=ref_name, nearest_grid=args.nearest_grid,
            )
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(f"ganzoo eval: {e}") from None
    out = {**head, **out}
    for line in out.get("notes", []):  # e.g. 28x28 images padded to 32x32
        print(f"ganzoo eval: {line}", file=sys.stderr)
    for line in out.get("warnings", []):
        print(f"ganzoo eval: warning: {line}", file=sys.stderr)
    text = json.dumps(out, indent=1)
    print(text)
    if args.out:
        atomic_write_bytes(Path(args.out), text.encode())
    return out


def _device(name: str | None):
    import torch

    if name is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as e:
        raise ValueError(f"--device {name!r}: {e}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"--device {name}: CUDA is not available on this machine (use --device cpu)")
    return device


TRANSLATION_DATA = {
    "edges2fashion": "EdgesToFashionDataModule", "sneaker2boot": "SneakerToBootDataModule",
    "paired": "PairedImageDataModule", "unpaired": "UnpairedImageDataModule",
}


def _translation(args: SimpleNamespace, model, metrics: list[str]) -> dict:
    from ganzoo import data
    from ganzoo.training.translation_eval import evaluate_translation

    if args.data not in TRANSLATION_DATA:
        raise SystemExit(f"ganzoo eval: --data for a translation model must be one of {sorted(TRANSLATION_DATA)}, "
                         f"got {args.data!r}")
    try:
        dm = getattr(data, TRANSLATION_DATA[args.data])(**({"data_dir": args.data_dir} if args.data_dir else {}))
        n = args.n or 10000  # --n has no default for images; a translator's test split, up to 10,000 pairs
        n = min(n, dm.test_size()) if hasattr(dm, "test_size") else n
        scores, _ = evaluate_translation(model, dm, n=n, fid="fid" in metrics, split="test")
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(f"ganzoo eval: {e}") from None
    out = {"model": str(args.source), "data": args.data, "split": "test", **scores}
    skipped = sorted(set(metrics) - {"fid"})
    if skipped:  # KID/IS describe unconditional samples; translations get L1/PSNR or class fraction/cycle L1
        out["not_computed_for_translation"] = skipped
    text = json.dumps(out, indent=1)
    print(text)
    if args.out:
        atomic_write_bytes(Path(args.out), text.encode())
    return out


def _parser():
    # --nearest-grid keeps its dash (jsonargparse would spell it --nearest_grid)
    return command_parser(eval_command, argparse_style={
        "source": {"metavar": "SOURCE"}, "nearest_grid": {"option": "--nearest-grid", "metavar": "PATH"}})


def main(argv: list[str] | None = None) -> dict:
    """Run ``ganzoo eval``; prints and returns the metrics with their protocol."""
    return run(eval_command, _parser(), argv)


if __name__ == "__main__":
    main()
