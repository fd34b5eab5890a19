"""``ganzoo.project``: latents (and classes) of a fixed generator whose samples reconstruct given images.

GAN inversion by optimisation (Zhu, Krähenbühl, Shechtman, Efros, "Generative Visual Manipulation on the Natural
Image Manifold", ECCV 2016; Creswell & Bharath, "Inverting the Generator of a Generative Adversarial Network",
2018): start from the best of a batch of the generator's own samples, then descend a pixel loss plus a perceptual
(feature) loss over the latent only. Does not import Lightning.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from ganzoo.checks import check_int, check_positive
from ganzoo.imageio import grid_png, read_examples
from ganzoo.latents import latents
from ganzoo.loading import as_generator
from ganzoo.metrics.pixels import psnr  # the one PSNR (capped at 100 dB), also ganzoo.projection.psnr
from ganzoo.sampling import _labels, run_device_of
from ganzoo.search import _CLASSIFIER_SHAPES, _feature_fn, _from_latent, _to_latent

FEATURES = ("auto", "classifier")  # or None (pixels only) or a callable
# Weight of the classifier-feature MSE against the pixel MSE. Between a Fashion-MNIST test image and a random DCGAN
# sample the feature MSE is ~35x the pixel MSE (4.8 vs 0.14, measured): at 0.01 the pixel term leads and the
# feature term is a third of it.
FEATURE_WEIGHT = 0.01
CANDIDATES = 512
LR = 0.05


@dataclass(frozen=True)
class ProjectionResult:
    """What :func:`project` returns.

    * ``latents``: ``(n, latent_dim)`` float32 (CPU), the found latents: ``model(latents[, labels])`` mapped to
      [0, 1] gives ``images``.
    * ``labels``: ``(n,)`` long class indices for a conditional model, else ``None``.
    * ``images``: ``(n, C, H, W)`` in [0, 1], the reconstructions.
    * ``loss``: ``(n,)`` the objective (pixel MSE + ``feature_weight`` x feature MSE) of each reconstruction.
    * ``psnr``: ``(n,)`` reconstruction PSNR in dB, ``10 log10(1 / MSE)`` on [0, 1] images, capped at 100 dB
      (:func:`ganzoo.metrics.pixels.psnr`).
    * ``start_psnr``: ``(n,)`` PSNR of the best candidate each optimisation started from.
    * ``seed``, ``steps``, ``candidates``, ``features`` (the feature term's name, ``None`` if off), ``seconds``.
    """

    latents: Tensor
    labels: Tensor | None
    images: Tensor
    loss: Tensor
    psnr: Tensor
    start_psnr: Tensor
    seed: int
    steps: int
    candidates: int
    features: str | None
    seconds: float

    @property
    def mean_psnr(self) -> float:
        """The mean of ``psnr`` over the images (dB)."""
        return float(self.psnr.mean())


def comparison_png(targets: Tensor, reconstructions: Tensor, nrow: int = 16) -> bytes:
    """A PNG of ``(n, C, H, W)`` images in [0, 1]: rows of ``nrow`` targets, each over its row of reconstructions."""
    if targets.shape != reconstructions.shape:
        raise ValueError(f"targets {tuple(targets.shape)} and reconstructions {tuple(reconstructions.shape)} differ")
    check_int("nrow", nrow, 1)
    nrow = min(nrow, len(targets))
    rows = []
    for i in range(0, len(targets), nrow):
        pad = torch.ones((nrow - len(targets[i: i + nrow]), *targets.shape[1:]))  # white cells end the last row
        rows += [targets[i: i + nrow].cpu(), pad, reconstructions[i: i + nrow].cpu(), pad]
    return grid_png(torch.cat(rows).float().clamp(0, 1), nrow=nrow)


def _features(features: Any, out_shape: tuple[int, ...], dev: torch.device) -> tuple[Callable | None, str | None]:
    if features is None:
        return None, None
    if callable(features) and not isinstance(features, str):
        return _feature_fn(features, out_shape, dev)
    if features not in FEATURES:
        raise ValueError(f"features must be one of {FEATURES}, None (pixel loss only) or a callable "
                         f"images (B, C, H, W) in [0, 1] -> (B, D), got {features!r}")
    if features == "auto" and out_shape not in _CLASSIFIER_SHAPES:
        return None, None
    return _feature_fn("classifier", out_shape, dev)


def project(
    model: nn.Module | str | os.PathLike,
    images: Any,
    *,
    steps: int = 200,
    seed: int = 0,
    candidates: int = CANDIDATES,
    features: str | Callable[[Tensor], Tensor] | None = "auto",
    feature_weight: float = FEATURE_WEIGHT,
    lr: float = LR,
    labels: int | Sequence[int] | Tensor | None = None,
    device: str | torch.device | None = None,
    batch_size: int = 128,
    progress: bool = False,
) -> ProjectionResult:
    """Project ``images`` into the latent space of ``model``: latents (and labels) whose samples reconstruct them.

    ``model``: a generator module or anything ``ganzoo.load`` takes (folder, zoo name, Hub id); image-to-image
    translators (pix2pix, CycleGAN) have no latent space and are rejected. ``images``: ``(n, C, H, W)`` floats in
    [0, 1] (or uint8) shaped like the model's ``output_shape`` (``(n, H, W)`` for one channel), a ``.npy`` file, or
    a folder of images (as ``ganzoo.search`` reads examples). Returns a :class:`ProjectionResult`.

    Method, per image ``x`` (images are independent; ``batch_size`` of them are optimised at once):

    * **objective** ``L(z) = mean((G(z) - x)^2) + feature_weight * mean((phi(G(z)) - phi(x))^2)``, images in
      [0, 1]. ``features``: ``"auto"`` (default) is ``"classifier"`` for 1x32x32 (or 1x28x28) models and off
      otherwise; ``"classifier"`` is the shipped Fashion-MNIST classifier's 128-d penultimate layer (the features
      ``ganzoo.search`` uses); ``None`` is the pixel loss alone; a callable ``(B, C, H, W) in [0, 1] -> (B, D)``
      is used as it is (set ``feature_weight`` for its scale). The feature term pulls the reconstruction towards
      the image's content (its class, its shape) where the pixel loss alone settles for a blurry average.
    * **start**: the best of ``candidates`` latents under ``L``, the latents ``ganzoo.sample(model, candidates,
      seed=seed)`` draws (``ganzoo.latents.latents(range(candidates), seed)``),
      so the start is one of the model's own samples. **Conditional models**: without ``labels``, candidate ``i``
      has class ``i % num_classes`` (as in ``ganzoo.sample``), and each image takes the class of its best
      candidate; the class is then fixed. The feature term makes this choice class-aware (the classifier's
      features separate the classes), which costs nothing beyond the candidates; ``labels`` (one int, or ``n``)
      fixes the classes instead, and then every candidate is drawn with the image's class.
    * **optimisation**: Adam (``lr``, betas 0.9/0.999) on the latent for ``steps`` steps; the latent with the lowest
      loss seen is kept. The latent stays where the generator was trained, as in ``ganzoo.search``: for a normal
      prior its norm is clamped to the shell holding 99% of the prior's mass (``ganzoo.search.norm_shell``, about
      [8.2, 11.8] around sqrt(100) = 10 for 100 dimensions); for a uniform prior it is ``tanh`` of a free variable.
      Unconstrained latents reach lower pixel losses with images the generator never produces (noise and artefacts
      that no prior sample has).

    Deterministic: the same arguments on the same device give the same latents, bit for bit. The generator runs in
    eval mode and its weights are neither changed nor given gradients. ``progress`` shows a tqdm bar over the
    optimisation steps.

    Example:
        Three images of another model (stand-ins for your own) projected into the DCGAN's latent space, with fewer
        candidates and steps than the defaults to keep the example fast:

        >>> import ganzoo
        >>> images = ganzoo.sample("wgan_gp-fashion_mnist", 3, seed=0)
        >>> result = ganzoo.project("dcgan-fashion_mnist", images, steps=10, candidates=16)
        >>> result.latents.shape, result.images.shape
        (torch.Size([3, 100]), torch.Size([3, 1, 32, 32]))
        >>> bool((result.psnr > result.start_psnr).all())  # the optimisation improves on the best candidate
        True
    """
    t0 = time.perf_counter()
    check_int("steps", steps, 0)
    check_int("seed", seed, 0)
    check_int("candidates", candidates, 1)
    check_int("batch_size", batch_size, 1)
    check_positive("lr", lr)
    check_positive("feature_weight", feature_weight, allow_zero=True)
    if not (features is None or callable(features) or features in FEATURES):
        raise ValueError(f"features must be one of {FEATURES}, None (pixel loss only) or a callable "
                         f"images (B, C, H, W) in [0, 1] -> (B, D), got {features!r}")
    gen = as_generator(model, device)
    out_shape, out_range = tuple(gen.output_shape), gen.output_range
    if len(out_shape) != 3:
        raise ValueError(f"model outputs {out_shape} (not images): projection needs an image generator")
    x = read_examples(images, out_shape, True, name="images", min_items=1)
    n = len(x)
    num_classes, latent_dim, distribution = int(gen.num_classes), int(gen.latent_dim), gen.latent_distribution
    y = _labels(labels, n, num_classes) if labels is not None else None
    dev = run_device_of(gen, device)  # the model's device, as sample's
    phi, feat_name = _features(features, out_shape, dev)
    weight = float(feature_weight) if phi is not None else 0.0
    lo, hi = (float(out_range[0]), float(out_range[1])) if out_range is not None else (0.0, 1.0)
    x = x.to(dev)

    def render(z: Tensor, lab: Tensor | None) -> Tensor:
        out = gen(z, lab) if num_classes else gen(z)
        if tuple(out.shape[1:]) != out_shape:
            raise ValueError(f"model output has shape {tuple(out.shape[1:])}, expected output_shape {out_shape}")
        return (out.float() - lo) / (hi - lo)

    def feats(img: Tensor) -> Tensor | None:
        if phi is None:
            return None
        f = phi(img).float()
        if f.dim() != 2 or len(f) != len(img):
            raise ValueError(f"features must map (B, C, H, W) images to (B, D) features, got {tuple(f.shape)}")
        return f

    was_training = gen.training
    gen.eval()
    try:
        with torch.no_grad():
            f_x = torch.cat([feats(x[i: i + batch_size]) for i in range(0, n, batch_size)]) if phi is not None else None
            z_start, y_start = _start(render, feats, x, f_x, y, weight, candidates, seed, latent_dim, distribution,
                                      num_classes, dev, batch_size)
        z_out = torch.empty_like(z_start)
        loss_out = torch.empty(n)
        from tqdm.auto import tqdm

        chunks = range(0, n, batch_size)
        with tqdm(total=steps * len(chunks), desc="project", unit="step", disable=not progress or steps == 0,
                  leave=False) as bar:
            for i in chunks:
                sl = slice(i, i + batch_size)
                lab = y_start[sl] if y_start is not None else None
                z, loss = _optimise(render, feats, x[sl], f_x[sl] if f_x is not None else None, z_start[sl], lab,
                                    weight, steps, lr, distribution, bar)
                z_out[sl], loss_out[sl] = z, loss.cpu()
        with torch.no_grad():
            recon = torch.cat([render(z_out[i: i + batch_size], y_start[i: i + batch_size] if y_start is not None
                                      else None) for i in chunks]).clamp_(0.0, 1.0)
            start = torch.cat([render(z_start[i: i + batch_size], y_start[i: i + batch_size] if y_start is not None
                                      else None) for i in chunks]).clamp_(0.0, 1.0)
    finally:
        gen.train(was_training)
    return ProjectionResult(
        latents=z_out.detach().float().cpu(), labels=y_start.cpu() if y_start is not None else None,
        images=recon.cpu(), loss=loss_out, psnr=psnr(recon, x), start_psnr=psnr(start, x), seed=int(seed),
        steps=int(steps), candidates=int(candidates), features=feat_name, seconds=time.perf_counter() - t0,
    )


def _loss(img: Tensor, x: Tensor, f_img: Tensor | None, f_x: Tensor | None, weight: float) -> Tensor:
    """Per-image objective ``(B,)``: pixel MSE + weight * feature MSE."""
    loss = (img - x).pow(2).flatten(1).mean(1)
    if f_img is not None and weight > 0:
        loss = loss + weight * (f_img - f_x).pow(2).mean(1)
    return loss


def _pairwise(a: Tensor, b: Tensor) -> Tensor:
    """Mean squared difference between every row of ``a`` (m, D) and of ``b`` (k, D): ``(m, k)``, in float64."""
    a, b = a.flatten(1).double(), b.flatten(1).double()
    d = (a * a).sum(1, keepdim=True) - 2 * a @ b.T + (b * b).sum(1)
    return d.clamp_min_(0) / a.shape[1]


def _start(render, feats, x, f_x, y, weight, k, seed, latent_dim, distribution, num_classes, dev, batch_size):
    """The best of the ``k`` candidates ``ganzoo.sample`` draws, per image: latents ``(n, d)`` and labels."""
    z_cand = latents(range(k), seed, latent_dim, distribution, device=dev)
    n = len(x)
    best = torch.full((n,), math.inf, dtype=torch.float64, device=dev)
    pick = torch.zeros(n, dtype=torch.long, device=dev)
    pick_label = torch.zeros(n, dtype=torch.long, device=dev)
    if not num_classes:
        groups = [(None, torch.arange(n, device=dev))]
    elif y is None:
        groups = [(torch.arange(k) % num_classes, torch.arange(n, device=dev))]
    else:  # every candidate drawn with the class of the images it competes for
        groups = [(torch.full((k,), int(c)), (y == c).nonzero().flatten().to(dev)) for c in y.unique()]
    for cand_labels, rows in groups:
        for j in range(0, k, batch_size):
            lab = cand_labels[j: j + batch_size].to(dev) if cand_labels is not None else None
            img = render(z_cand[j: j + batch_size], lab)
            d = _pairwise(x[rows], img)
            f_img = feats(img)
            if f_img is not None and weight > 0:
                d = d + weight * _pairwise(f_x[rows], f_img)
            val, idx = d.min(1)
            better = val < best[rows]
            best[rows] = torch.where(better, val, best[rows])
            pick[rows] = torch.where(better, idx + j, pick[rows])
            if lab is not None:
                pick_label[rows] = torch.where(better, lab[idx], pick_label[rows])
    return z_cand[pick].clone(), (pick_label.cpu() if num_classes else None)


def _optimise(render, feats, x, f_x, z0, lab, weight, steps, lr, distribution, bar):
    """Adam on the (reparametrised) latents of one batch of images; the lowest-loss latent seen, and its loss."""
    w = _from_latent(z0, distribution)
    lab = lab.to(x.device) if lab is not None else None

    def loss_of(w: Tensor) -> Tensor:
        img = render(_to_latent(w, distribution), lab)
        return _loss(img, x, feats(img), f_x, weight)

    best_w, best = w.clone(), torch.full((len(x),), math.inf, device=x.device)
    # Adam written out (betas 0.9, 0.999, eps 1e-8): torch.optim's first use imports torch._dynamo (~4 s)
    m1, m2 = torch.zeros_like(w), torch.zeros_like(w)
    for t in range(1, steps + 2):
        last = t == steps + 1
        if last:  # the loss after the final step
            with torch.no_grad():
                loss = loss_of(w)
        else:
            w_req = w.detach().requires_grad_(True)
            with torch.enable_grad():
                loss = loss_of(w_req)
                (g,) = torch.autograd.grad(loss.sum(), w_req)
            loss = loss.detach()
        better = loss < best
        best = torch.where(better, loss, best)
        best_w = torch.where(better[:, None], w, best_w)
        if last:
            break
        m1.mul_(0.9).add_(g, alpha=0.1)
        m2.mul_(0.999).addcmul_(g, g, value=0.001)
        w = w - lr * (m1 / (1 - 0.9**t)) / ((m2 / (1 - 0.999**t)).sqrt() + 1e-8)
        bar.update(1)
    return _to_latent(best_w, distribution).detach(), best
