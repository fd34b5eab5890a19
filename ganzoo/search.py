"""``ganzoo.search``: "more samples like these" by kernel mean matching in a fixed generator's latent space.

Given example images ``X_1..X_m`` and a trained generator ``G``, find latents ``Z_1..Z_n`` minimising

    MMD_k^2( {phi(X_i)}, {phi(G(Z_j))} )

over the latents only, with ``phi`` a feature extractor and ``k`` a characteristic kernel on the features (Jitkrittum,
Sangkloy, Gondal, Raj, Hays, Schölkopf, "Kernel Mean Matching for Content Addressability of GANs", ICML 2019). The
found samples match the examples *as a set* (their kernel mean embedding), so they vary like the examples do rather
than collapsing onto the single nearest image. Does not import Lightning.
"""

from __future__ import annotations

import copy
import math
import os
import time
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
import torch
from torch import Tensor, nn

from ganzoo.checks import check_int
from ganzoo.imageio import read_examples, to_pil
from ganzoo.latents import latents
from ganzoo.loading import as_generator
from ganzoo.objectives.mmd import Kernel, MixRBF, MixRQ, mmd2
from ganzoo.sampling import OUTPUT_TYPES, _labels, check_pil_output

FEATURES = ("auto", "classifier", "pixels")
KERNELS = ("rq", "rbf")
RBF_SCALES = (0.5, 1.0, 2.0)  # RBF bandwidths, in units of the examples' median feature distance
_CLASSIFIER_SHAPES = ((1, 32, 32), (1, 28, 28))


# ---------------------------------------------------------------------------------------------------- features
def _feature_fn(features: Any, out_shape: tuple[int, ...], device: torch.device) -> tuple[Callable, str]:
    if callable(features) and not isinstance(features, str):
        return features, getattr(features, "__name__", type(features).__name__)
    if features not in FEATURES:
        raise ValueError(f"features must be one of {FEATURES} or a callable, got {features!r}")
    if features == "auto":
        features = "classifier" if out_shape in _CLASSIFIER_SHAPES else "pixels"
    if features == "pixels":
        return (lambda x: x.reshape(len(x), -1)), "pixels"
    if out_shape not in _CLASSIFIER_SHAPES:
        raise ValueError(f"features='classifier' is the Fashion-MNIST classifier, for 1x32x32 (or 1x28x28) images; "
                         f"the generator outputs {out_shape}")
    from ganzoo.metrics.classifier import load_fmnist_classifier

    clf = load_fmnist_classifier()  # shared and cached on the CPU: a copy goes to another device
    clf = clf if device.type == "cpu" else copy.deepcopy(clf).to(device)
    return clf.features, "fmnist_classifier"


def median_distance(f: Tensor) -> float:
    """The median of the pairwise Euclidean distances between the rows of ``f`` (1.0 if they all coincide)."""
    d = torch.cdist(f.double(), f.double())
    iu = torch.triu_indices(len(f), len(f), 1)
    med = float(d[iu[0], iu[1]].median())
    return med if med > 0 and math.isfinite(med) else 1.0


def _kernel(kernel: Any) -> Kernel | Callable:
    if isinstance(kernel, str):
        if kernel not in KERNELS:
            raise ValueError(f"kernel must be one of {KERNELS} or a Kernel (callable (x, y) -> matrix), got {kernel!r}")
        return MixRQ(linear=False) if kernel == "rq" else MixRBF(sigmas=RBF_SCALES)
    if not callable(kernel):
        raise ValueError(f"kernel must be one of {KERNELS} or a Kernel (callable (x, y) -> matrix), got {kernel!r}")
    return kernel


# ---------------------------------------------------------------------------------------------------- latents
SHELL_TAIL = 0.005  # the normal prior's latents are kept in the shell between its 0.5% and 99.5% norm quantiles


def norm_shell(d: int, tail: float = SHELL_TAIL) -> tuple[float, float]:
    """The ``tail`` and ``1 - tail`` quantiles of the norm of a ``d``-dim standard normal (chi with d degrees of
    freedom; Wilson-Hilferty approximation of the chi-square quantiles). For d = 100: about (8.2, 11.8)."""
    from statistics import NormalDist

    q = NormalDist().inv_cdf(1 - tail)
    c = 2 / (9 * d)
    lo = d * max(1 - c - q * math.sqrt(c), 0.0) ** 3
    hi = d * (1 - c + q * math.sqrt(c)) ** 3
    return math.sqrt(lo), math.sqrt(hi)


def _to_latent(w: Tensor, distribution: str) -> Tensor:
    """Unconstrained parameters ``w`` -> latents on the prior's support / typical set."""
    if distribution == "uniform":
        return torch.tanh(w)
    lo, hi = norm_shell(w.shape[1])
    r = w.norm(dim=1, keepdim=True)
    return w * (r.clamp(lo, hi) / r.clamp_min(1e-12))


def _from_latent(z: Tensor, distribution: str) -> Tensor:
    return torch.atanh(z.clamp(-0.999, 0.999)) if distribution == "uniform" else z.clone()


# ---------------------------------------------------------------------------------------------------- search
def greedy_mmd_subset(f_pool: Tensor, f_ex: Tensor, n: int, kernel: Callable) -> Tensor:
    """Indices of ``n`` distinct rows of ``f_pool`` chosen greedily to minimise the (biased) MMD^2 to ``f_ex``.

    Step t adds the candidate c minimising ``-2 (A + a_c) / t + (B + 2 r_c + k_cc) / t^2``, where ``a_c`` is c's mean
    kernel value to the examples, ``r_c`` the sum of its kernel values to the rows already chosen, and A, B the
    running sums over the chosen set (kernel herding towards the examples' mean embedding, without replacement).
    """
    a = kernel(f_pool, f_ex).double().mean(1)
    k_pool = kernel(f_pool, f_pool).double()
    diag = k_pool.diagonal()
    r = torch.zeros_like(a)
    taken = torch.zeros(len(a), dtype=torch.bool, device=a.device)
    sum_a = sum_k = 0.0
    chosen = []
    for t in range(1, n + 1):
        score = -2 * (sum_a + a) / t + (sum_k + 2 * r + diag) / t**2
        score[taken] = math.inf
        c = int(score.argmin())
        chosen.append(c)
        taken[c] = True
        sum_a += float(a[c])
        sum_k += float(2 * r[c] + diag[c])
        r += k_pool[:, c]
    return torch.tensor(chosen, dtype=torch.long)


def search(
    model: nn.Module | str | os.PathLike,
    examples: Any,
    n: int = 64,
    *,
    seed: int | None = None,
    steps: int = 100,
    lr: float = 0.05,
    pool: int = 16,
    features: str | Callable[[Tensor], Tensor] = "auto",
    kernel: str | Kernel | Callable[[Tensor, Tensor], Tensor] = "rq",
    labels: int | Sequence[int] | Tensor | None = None,
    device: str | torch.device | None = None,
    output_type: Literal["tensor", "numpy", "pil"] = "tensor",
    return_latents: bool = False,
    return_info: bool = False,
) -> Any:
    """``n`` samples of a fixed generator whose distribution matches ``examples`` (minimum MMD^2 over the latents).

    ``model``: a generator module or anything ``ganzoo.load`` accepts (folder, zoo name, Hub id). ``examples``: ``m >=
    2`` items shaped like the generator's output: a tensor/array (images as floats in [0, 1] or uint8, ``(m, H, W)``
    read as grey), a ``.npy`` file, or a folder of images. Returns what ``ganzoo.sample`` returns (``output_type``
    ``"tensor"``/``"numpy"``/``"pil"``; images in [0, 1]); with ``return_latents`` also the found latents ``(n,
    latent_dim)``, with ``return_info`` also a dict (``mmd2_before``, ``mmd2_init``, ``mmd2_after``,
    ``mmd2_history``, ``labels``, ``bandwidth``, ``features``, ``kernel``, ``seconds``): ``samples[, latents][, info]``.

    Method (Jitkrittum et al. 2019):

    * **features** ``phi``: ``"auto"`` is the shipped Fashion-MNIST classifier's 128-d penultimate layer for 1x32x32
      (or 1x28x28) images and the raw values (pixels / coordinates) otherwise; ``"classifier"``, ``"pixels"``, or
      any differentiable callable ``images in [0, 1] (B, C, H, W) -> (B, D)``.
    * **kernel** on the features, bandwidth set from the examples by the *median heuristic*: the features are divided
      by the median pairwise distance between the examples' features, then ``"rq"`` (default) is the
      rational-quadratic mixture of ``ganzoo.objectives.mmd.MixRQ`` (alphas 0.2..5, no linear term; heavy-tailed,
      like the paper's IMQ kernel, so far-away samples still get a gradient) and ``"rbf"`` the Gaussian mixture
      ``MixRBF`` with bandwidths 0.5, 1 and 2 medians. A ``Kernel``/callable ``(x, y) -> (len x, len y)`` is used on
      the scaled features as it is.
    * **objective**: the unbiased MMD^2 estimate (``ganzoo.objectives.mmd.mmd2``); its sample-sample term keeps the
      ``n`` found samples apart, so they cover the examples' variation instead of all copying one of them.
    * **latent parametrisation**, keeping the latents where the generator was trained (its typical set): for a
      standard normal prior ``z = w * clamp(|w|, r_lo, r_hi) / |w|`` with unconstrained ``w``, where ``[r_lo, r_hi]``
      are the 0.5% and 99.5% quantiles of a d-dim standard normal's norm (``norm_shell``; for d = 100 about
      [8.2, 11.8], around sqrt(d) = 10, where the prior's mass is): directions are free, the norm stays in the shell
      the generator saw in training. For a uniform prior on [-1, 1], ``z = tanh(w)``.
    * **start** (``pool``): MMD^2 over latents has many local minima (a sample sitting in the wrong mode of the
      generator rarely crosses to the right one), so the search starts from the ``n`` best of ``pool * n``
      candidates: the latents ``ganzoo.sample`` draws for this seed (``ganzoo.sampling.latents(range(pool * n),
      seed)``), of which ``n`` are chosen greedily to minimise MMD^2 to the examples (``greedy_mmd_subset``, kernel
      herding without replacement). ``pool=1`` starts from exactly ``ganzoo.sample(model, n, seed=seed)``'s latents.
    * **refinement**: Adam (``lr``) on ``w`` for ``steps`` steps, all ``n`` latents at once; the latents with the
      lowest MMD^2 seen (the last step included) are returned. ``info["mmd2_before"]`` is MMD^2 of the first ``n``
      candidates (the random samples ``ganzoo.sample`` gives), ``"mmd2_init"`` after the greedy start,
      ``"mmd2_after"`` at the end.
    * **conditional generators**: ``labels`` as in ``ganzoo.sample``. Without labels candidate ``i`` gets class
      ``i % num_classes`` (as ``ganzoo.sample`` does), so the greedy start also picks the classes; with one int all
      candidates get that class; with ``n`` labels there is no pool (the start is the first ``n`` latents). The
      classes stay fixed during the refinement; ``info["labels"]`` has them.

    Deterministic for a ``seed`` (``None`` draws one from torch's global generator): the same arguments on the same
    device give the same samples, bit for bit. There is deliberately no ``batch_size``: MMD^2 couples all ``n``
    samples, so they are optimised as one set, and every network call sees the same batch (the ``pool * n``
    candidates, then the ``n`` latents); splitting the calls would change the float rounding of the networks (BLAS
    and oneDNN/cuDNN kernels depend on the batch shape, ~1e-7), which Adam and the greedy choice amplify into
    different samples.

    Example:
        Samples of the unconditional DCGAN like 8 sneakers (here drawn from the conditional model, as stand-ins for
        your own images; ``steps`` and ``pool`` are cut down to keep the example fast):

        >>> import ganzoo
        >>> sneakers = ganzoo.sample("cgan-fashion_mnist", 8, seed=0, labels=7)
        >>> found, info = ganzoo.search("dcgan-fashion_mnist", sneakers, n=4, seed=0, steps=5, pool=4,
        ...                             return_info=True)
        >>> found.shape
        torch.Size([4, 1, 32, 32])
        >>> info["mmd2_after"] < info["mmd2_before"]  # closer to the examples than 4 random samples
        True
    """
    t0 = time.perf_counter()
    check_int("n", n, 1)
    check_int("steps", steps, 0)
    check_int("pool", pool, 1)
    if seed is not None:
        check_int("seed", seed, 0)
    if not (isinstance(lr, (int, float)) and not isinstance(lr, bool) and lr > 0 and math.isfinite(lr)):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    if output_type not in OUTPUT_TYPES:
        raise ValueError(f"output_type must be one of {OUTPUT_TYPES}, got {output_type!r}")
    kern = _kernel(kernel)
    gen = as_generator(model, device)
    latent_dim = int(gen.latent_dim)
    num_classes, out_shape, out_range = int(gen.num_classes), tuple(gen.output_shape), gen.output_range
    image = len(out_shape) == 3
    check_pil_output(output_type, out_shape, out_range)
    x_ex = read_examples(examples, out_shape, image)
    params = next(gen.parameters(), None)
    dev = torch.device(device) if device is not None else (params.device if params is not None else torch.device("cpu"))
    phi, feat_name = _feature_fn(features, out_shape, dev)
    if seed is None:
        seed = int(torch.randint(0, 2**62, (1,)).item())
    y = _labels(labels, n, num_classes) if labels is not None else None
    distribution = gen.latent_distribution
    lo, hi = (float(out_range[0]), float(out_range[1])) if out_range is not None else (0.0, 1.0)

    was_training = gen.training
    gen.eval()
    try:
        with torch.no_grad():
            f_ex = phi(x_ex.to(dev)).float()
        if f_ex.dim() != 2 or len(f_ex) != len(x_ex):
            raise ValueError(f"features must map (B, ...) inputs to (B, D) features, got {tuple(f_ex.shape)}")
        bandwidth = median_distance(f_ex)
        scale = 1.0 / bandwidth
        f_ex = f_ex * scale

        def feats(w: Tensor, lab: Tensor | None) -> Tensor:
            z = _to_latent(w, distribution)
            out = gen(z, lab.to(dev)) if num_classes else gen(z)
            if tuple(out.shape[1:]) != out_shape:
                raise ValueError(f"model output has shape {tuple(out.shape[1:])}, expected output_shape {out_shape}")
            return phi((out.float() - lo) / (hi - lo)).float() * scale

        def all_feats(w: Tensor, lab: Tensor | None) -> Tensor:
            with torch.no_grad():
                return feats(w, lab)

        # 1. start: the n latents ganzoo.sample uses, or the n of a larger pool that match the examples best
        per_sample = y is not None and labels is not None and not isinstance(labels, (int, np.integer))
        n_pool = n * pool if pool > 1 and not per_sample else n
        w_pool = _from_latent(latents(range(n_pool), seed, latent_dim, distribution), distribution).to(dev)
        y_pool = (_labels(None, n_pool, num_classes) if y is None else y[:1].expand(n_pool)) if num_classes else None
        if per_sample:
            y_pool = y
        f_pool = all_feats(w_pool, y_pool)
        mmd_random = float(mmd2(f_ex, f_pool[:n], kern))
        pick = greedy_mmd_subset(f_pool, f_ex, n, kern) if n_pool > n else torch.arange(n)
        w = w_pool[pick.to(dev)].clone()
        y = y_pool[pick].clone().cpu() if y_pool is not None else None
        del f_pool

        # 2. refine: Adam on the latents, the full set of n at once
        def loss_and_grad(w: Tensor) -> tuple[float, Tensor]:
            w = w.detach().requires_grad_(True)
            with torch.enable_grad():
                loss = mmd2(f_ex, feats(w, y), kern)
                (g_w,) = torch.autograd.grad(loss, w)
            return float(loss.detach()), g_w

        # Adam (betas 0.9, 0.999, eps 1e-8) written out: torch.optim's first use imports torch._dynamo (~4 s)
        m1, m2 = torch.zeros_like(w), torch.zeros_like(w)
        history: list[float] = []
        best, best_w = math.inf, w.clone()
        for t in range(1, steps + 1):
            loss, g = loss_and_grad(w)
            history.append(loss)
            if loss < best:
                best, best_w = loss, w.clone()
            m1.mul_(0.9).add_(g, alpha=0.1)
            m2.mul_(0.999).addcmul_(g, g, value=0.001)
            w = w - lr * (m1 / (1 - 0.9**t)) / ((m2 / (1 - 0.999**t)).sqrt() + 1e-8)
        final = float(mmd2(f_ex, all_feats(w, y), kern))
        history.append(final)
        if final <= best:
            best, best_w = final, w.clone()
        z = _to_latent(best_w, distribution)
        with torch.no_grad():
            out = (gen(z, y.to(dev)) if num_classes else gen(z)).float().cpu()
    finally:
        gen.train(was_training)
    if out_range is not None:
        out = ((out - lo) / (hi - lo)).clamp_(0.0, 1.0)
    result: Any = out.numpy() if output_type == "numpy" else to_pil(out) if output_type == "pil" else out
    info = {
        "mmd2_before": mmd_random, "mmd2_init": history[0], "mmd2_after": best, "mmd2_history": history,
        "steps": steps, "pool": n_pool, "seed": seed,
        "labels": y.tolist() if y is not None else None, "bandwidth": bandwidth, "features": feat_name,
        "kernel": kernel if isinstance(kernel, str) else repr(kernel), "n_examples": len(x_ex),
        "seconds": time.perf_counter() - t0,
    }
    if not (return_latents or return_info):
        return result
    extra = ([z.detach().cpu()] if return_latents else []) + ([info] if return_info else [])
    return (result, *extra)
