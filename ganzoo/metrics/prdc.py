"""Precision / recall (Kynkäänniemi et al. 2019) and density / coverage (Naeem et al. 2020) on feature sets.

All four are k-nearest-neighbour manifold estimates. Around every sample of a set sits a ball whose radius is
the distance to that sample's k-th nearest neighbour *in the same set, excluding itself*:

* precision = fraction of fake samples inside at least one real ball (k = ``k_pr``, default 3),
* recall    = fraction of real samples inside at least one fake ball (k = ``k_pr``),
* density   = (1 / (k M)) * sum_j sum_i 1[Y_j in B(X_i, NND_k(X_i))] (k = ``k_dc``, default 5),
* coverage  = (1 / N) * sum_i 1[exists j: Y_j in B(X_i, NND_k(X_i))] (k = ``k_dc``),

with X the N real and Y the M fake features ("Improved Precision and Recall Metric for Assessing Generative
Models", NeurIPS 2019; "Reliable Fidelity and Diversity Metrics for Generative Models", ICML 2020).

Inside means *strictly* inside: ``distance < radius``. This follows the reference implementation of Naeem et al.
(clovaai/generative-evaluation-prdc, ``compute_prdc``), which compares ``distance_real_fake < radii`` for all four
metrics and takes the radius as the (k+1)-th smallest distance of a row that includes the sample itself (i.e. the
k-th neighbour excluding itself). The NVlabs precision-recall code of Kynkäänniemi et al. uses ``<=``; the two only
differ on exact ties (a fake sample exactly on a sphere, or duplicated samples giving radius 0), which continuous
features practically never produce. One consequence of ``<``: with fake = real and no tied distances, density is
exactly 1 (each ball strictly holds its centre and k - 1 neighbours); with ``<=`` it would be (k + 1) / k.

Everything is computed in float64 with ``torch.cdist`` on row chunks of the real set, so no more than a
``chunk x max(N, M)`` block of distances is held at once; the k-th neighbour radii come from a chunked ``topk``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

__all__ = ["prdc"]


def _as_features(x: Tensor | np.ndarray, name: str) -> Tensor:
    if isinstance(x, Tensor):
        t = x.detach()
    elif isinstance(x, np.ndarray):
        t = torch.from_numpy(np.asarray(x))
    else:
        raise ValueError(f"{name} must be a torch.Tensor or numpy array, got {type(x).__name__}")
    if t.dim() != 2:
        raise ValueError(f"{name} must be 2-D (num_samples, num_features), got shape {tuple(t.shape)}")
    if t.is_complex() or t.dtype == torch.bool:
        raise ValueError(f"{name} must hold real numbers, got dtype {t.dtype}")
    t = t.to(torch.float64)
    if not bool(torch.isfinite(t).all()):
        raise ValueError(f"{name} contains NaN or infinite values")
    return t


def _check_k(k: int, name: str) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"{name} must be a positive integer, got {k!r}")
    return int(k)


def _kth_neighbour_radii(x: Tensor, ks: tuple[int, ...], chunk: int) -> list[Tensor]:
    """For each k in ``ks``: distance from every row of ``x`` to its k-th nearest other row (self excluded by index).

    One chunked pass: ``cdist`` of a block of rows against all rows, then ``topk`` of the max(ks) + 1 smallest.
    """
    n = x.shape[0]
    k_max = max(ks)
    radii = torch.empty(len(ks), n, dtype=x.dtype, device=x.device)
    cols = torch.tensor(ks, device=x.device)  # index k in the sorted k_max + 1 smallest = k-th neighbour
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        d = torch.cdist(x[start:stop], x)
        rows = torch.arange(stop - start, device=x.device)
        d[rows, rows + start] = 0.0  # the self distance is exactly 0 (the matmul form of cdist can leave ~1e-8)
        # the k + 1 smallest include the (zero) self distance, so the last of them is the k-th neighbour excluding self
        smallest = torch.topk(d, k_max + 1, dim=1, largest=False, sorted=True).values
        radii[:, start:stop] = smallest[:, cols].T
        del d
    return list(radii)


@torch.no_grad()
def prdc(
    real_features: Tensor | np.ndarray,
    fake_features: Tensor | np.ndarray,
    *,
    k_pr: int = 3,
    k_dc: int = 5,
    chunk: int = 1024,
) -> dict:
    """Precision, recall, density and coverage of ``fake_features`` against ``real_features``.

    Args:
        real_features: (N, D) real features X (torch tensor or numpy array; computed in float64 on its device).
        fake_features: (M, D) fake features Y.
        k_pr: neighbourhood size for precision / recall (Kynkäänniemi et al. use 3). Needs N, M >= k_pr + 1.
        k_dc: neighbourhood size for density / coverage (Naeem et al. use 5). Needs N >= k_dc + 1.
        chunk: rows of real (or fake) features per ``cdist`` block; peak memory is about
            ``chunk * max(N, M) * 8`` bytes per block. The result does not depend on it.

    Returns:
        dict with floats ``precision``, ``recall``, ``density``, ``coverage`` and, to record the protocol, ints
        ``k_pr``, ``k_dc``, ``num_real``, ``num_fake``, ``num_features``. A sample is inside a ball when its
        distance to the centre is strictly less than the radius (as in clovaai/generative-evaluation-prdc).

    Raises:
        ValueError: naming the argument, for non-2-D input, mismatched feature sizes, non-finite values, too few
            samples for the requested k, or a non-positive k / chunk.
    """
    real = _as_features(real_features, "real_features")
    fake = _as_features(fake_features, "fake_features")
    k_pr = _check_k(k_pr, "k_pr")
    k_dc = _check_k(k_dc, "k_dc")
    if isinstance(chunk, bool) or not isinstance(chunk, int | np.integer) or chunk < 1:
        raise ValueError(f"chunk must be a positive integer, got {chunk!r}")
    chunk = int(chunk)
    n, dim = real.shape
    m, dim_fake = fake.shape
    if dim_fake != dim:
        raise ValueError(f"fake_features has {dim_fake} features per sample but real_features has {dim}")
    if dim == 0:
        raise ValueError("real_features and fake_features have 0 features per sample")
    k_real = max(k_pr, k_dc)
    if n < k_real + 1:
        raise ValueError(
            f"real_features has {n} samples; needs at least max(k_pr, k_dc) + 1 = {k_real + 1} "
            f"(k_pr={k_pr}, k_dc={k_dc})"
        )
    if m < k_pr + 1:
        raise ValueError(f"fake_features has {m} samples; needs at least k_pr + 1 = {k_pr + 1} (k_pr={k_pr})")
    fake = fake.to(real.device)

    real_r_pr, real_r_dc = _kth_neighbour_radii(real, (k_pr, k_dc), chunk)
    (fake_r_pr,) = _kth_neighbour_radii(fake, (k_pr,), chunk)

    fake_in_real = torch.zeros(m, dtype=torch.bool, device=real.device)  # precision
    real_in_fake = torch.zeros(n, dtype=torch.bool, device=real.device)  # recall
    balls_holding_fake = torch.zeros(m, dtype=torch.int64, device=real.device)  # density numerator per fake
    real_covered = torch.zeros(n, dtype=torch.bool, device=real.device)  # coverage
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        d = torch.cdist(real[start:stop], fake)  # (chunk, M)
        fake_in_real |= (d < real_r_pr[start:stop, None]).any(dim=0)
        real_in_fake[start:stop] = (d < fake_r_pr[None, :]).any(dim=1)
        inside_dc = d < real_r_dc[start:stop, None]
        balls_holding_fake += inside_dc.sum(dim=0)
        real_covered[start:stop] = inside_dc.any(dim=1)  # same as min_j d_ij < r_i
        del d, inside_dc

    return {
        "precision": int(fake_in_real.sum()) / m,
        "recall": int(real_in_fake.sum()) / n,
        "density": int(balls_holding_fake.sum()) / (k_dc * m),
        "coverage": int(real_covered.sum()) / n,
        "k_pr": k_pr,
        "k_dc": k_dc,
        "num_real": n,
        "num_fake": m,
        "num_features": dim,
    }
