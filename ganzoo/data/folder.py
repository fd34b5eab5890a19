"""Any folder of images as an image datamodule (:class:`ImageFolderDataModule`): class subfolders or loose files,
every image's header checked in the constructor, and an optional held-out test split.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Dataset

from ganzoo.checks import check_int
from ganzoo.imageio import IMAGE_EXTENSIONS

from .base import LIMIT_SEED, FileImages, ImageDataModule


class ImageFolderDataModule(ImageDataModule):
    """Any folder of images: ``root/<class>/*.png`` (labels = sorted class folder names) or ``root/*.png``
    (unlabelled). Every image's header is checked in the constructor: with ``resize="none"`` an image that is not
    ``resolution`` x ``resolution`` is an error naming it (``"resize"`` resizes, ``"center_crop"`` crops the
    largest centred square, then resizes); an image whose mode does not match ``channels`` (1: grey "L", 3: "RGB")
    is an error naming it.

    A folder has one split. ``holdout=N`` sets ``N`` of its images aside (drawn with a fixed seed, the same for every
    run): they are the test split, which training never sees, and the rest are the training split; the copy check
    (``ganzoo eval --metrics copy``) compares with them. Without it the test split is the training split.

    Example:
        >>> import tempfile
        >>> from PIL import Image
        >>> from ganzoo.data import ImageFolderDataModule
        >>> root = tempfile.mkdtemp()
        >>> for i in range(10):
        ...     Image.new("L", (32, 32), color=i * 20).save(f"{root}/{i}.png")
        >>> dm = ImageFolderDataModule(root, channels=1, holdout=3)
        >>> len(dm.dataset("train")), len(dm.dataset("test")), dm.held_out_test
        (7, 3, True)
    """

    dataset_name = "image_folder"

    def __init__(self, root: str, resolution: int = 32, channels: int = 3, resize: str = "none",
                 batch_size: int = 64, num_workers: int = 0, seed: int = 0, limit: int | None = None,
                 holdout: int = 0):
        super().__init__(batch_size, num_workers, seed, limit)
        check_int("holdout", holdout, 0)
        from PIL import Image, UnidentifiedImageError

        check_int("resolution", resolution, 8)
        if channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, got {channels!r}")
        if resize not in ("none", "resize", "center_crop"):
            raise ValueError(f"resize must be 'none', 'resize' or 'center_crop', got {resize!r}")
        self.root = Path(root).expanduser()
        if not self.root.is_dir():
            raise FileNotFoundError(f"image folder {self.root} does not exist")
        self.resolution, self.channels, self.resize = resolution, channels, resize
        self.data_shape = (channels, resolution, resolution)
        classes = sorted(d.name for d in self.root.iterdir() if d.is_dir() and not d.name.startswith("."))
        loose = [p for p in self.root.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS]
        if classes and not loose:
            self.class_names = tuple(classes)
            items = [(p, k) for k, c in enumerate(classes) for p in sorted((self.root / c).iterdir())
                     if p.suffix.lower() in IMAGE_EXTENSIONS]
        else:
            items = [(p, 0) for p in sorted(loose)]
        self.num_classes = len(self.class_names)
        if not items:
            raise ValueError(f"image folder {self.root} holds no images ({', '.join(IMAGE_EXTENSIONS)})")
        modes = {1: ("L",), 3: ("RGB",)}[channels]
        for path, _ in items:
            try:
                with Image.open(path) as im:
                    size, mode = im.size, im.mode
            except (UnidentifiedImageError, OSError) as e:
                raise ValueError(f"image {path} cannot be read: {e}") from e
            if mode not in modes:
                raise ValueError(f"image {path} has mode {mode!r} but channels={channels} expects {modes[0]!r}; "
                                 f"set channels={1 if mode in ('L', 'LA', 'I', 'I;16') else 3} or convert the images")
            if resize == "none" and size != (resolution, resolution):
                raise ValueError(f"image {path} is {size[0]}x{size[1]} but resolution={resolution}; "
                                 "set resize='resize' or 'center_crop'")
        if holdout >= len(items):
            raise ValueError(f"holdout={holdout} leaves no training images: image folder {self.root} holds "
                             f"{len(items)}")
        self.holdout = holdout
        self.held_out_test = holdout > 0  # otherwise the test split is the training split
        test = set(torch.randperm(len(items), generator=torch.Generator().manual_seed(LIMIT_SEED))[:holdout].tolist())
        self._items = {"train": [it for i, it in enumerate(items) if i not in test or not holdout],
                       "test": [it for i, it in enumerate(items) if i in test or not holdout]}

    def _load(self, split: str) -> Dataset:
        return FileImages(self._items[split], self.resolution, self.channels, self.resize)

    def batch_settings(self) -> dict[str, Any]:
        return {**super().batch_settings(), "holdout": self.holdout}
