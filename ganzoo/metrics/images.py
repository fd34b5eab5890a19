"""FID, KID and IS of image sets through torchmetrics, with cached real features and a recorded protocol: the image
metrics' public face, whose parts live in one module a job.

Images are float tensors ``(N, C, H, W)`` in [0, 1] (what ``ganzoo.sample`` returns; map datamodule images with
``(x + 1) / 2``). An extractor (:mod:`ganzoo.metrics.extractors`: ``"fmnist"``, ``"fmnist_stacked"``,
``"inception"``) turns them into features (FID, KID) and class logits (IS) once per set; those go into torchmetrics'
``FrechetInceptionDistance``, ``KernelInceptionDistance`` and ``InceptionScore`` (float64 statistics), so the three
metrics share one pass of the network (:func:`ganzoo.metrics.scores.compute_image_metrics`). With the
``fmnist_stacked`` extractor, the default for Stacked Fashion-MNIST, the result also has the modes covered and their
KL to uniform (:mod:`ganzoo.metrics.modes`), from the same forward pass.

Real features are cached on disk (``cache_dir``, default ``$GANZOO_CACHE`` or ``~/.cache/ganzoo/fid_stats``) in one
safetensors file per (dataset, split, resolution, extractor, weights hash, number of images), written atomically
and checked against its metadata when read (:mod:`ganzoo.metrics.features`).

:func:`ganzoo.metrics.evaluate.evaluate` is the entry point of ``ganzoo eval``: a generator or images (a folder, an
``.npy``/``.npz`` file, a tensor: :func:`ganzoo.imageio.read_image_set`) against a datamodule, images, or reference
statistics (:mod:`ganzoo.metrics.reference`: ``ReferenceStats``, saved by ``save_stats`` / ``ganzoo stats`` and read
by ``load_stats``). Below 2,048 images in either set FID comes with a ``SmallSampleWarning`` quoting the bias
measured at those two counts (:mod:`ganzoo.metrics.fid_bias`; the table ships as ``fid_bias.json``). Raw 28x28
Fashion-MNIST images are padded to 32x32 for the ``fmnist`` extractor
(:func:`ganzoo.metrics.extractors.pad_for_fmnist`).

``evaluate``, ``compute_image_metrics``, ``reference_stats`` and ``save_stats`` are importable from here, as the
how-tos import them.
"""

from __future__ import annotations

from .evaluate import evaluate
from .reference import reference_stats, save_stats
from .scores import compute_image_metrics

__all__ = ["compute_image_metrics", "evaluate", "reference_stats", "save_stats"]
