"""Energy distance and the Cramer GAN objective (Bellemare et al. 2017)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from .base import Objective, Witness


def energy_distance_sq(x: Tensor, y: Tensor) -> Tensor:
    """Squared energy distance of the empirical distributions of ``x (n, d)`` and ``y (m, d)``.

    2 E||X - Y|| - E||X - X'|| - E||Y - Y'|| over all pairs (a V-statistic: the zero diagonal
    counts), so that for 1-D data ``sqrt`` of it equals ``scipy.stats.energy_distance``.
    """
    x, y = x.reshape(x.shape[0], -1), y.reshape(y.shape[0], -1)
    return 2 * torch.cdist(x, y).mean() - torch.cdist(x, x).mean() - torch.cdist(y, y).mean()


def _norm(x: Tensor) -> Tensor:
    # ||x|| with a finite gradient at 0
    return torch.sqrt(x.pow(2).sum(dim=1) + 1e-12)


def _dists(a: Tensor, b: Tensor) -> Tensor:
    """``(n, m)`` distances ||a_i - b_j|| with a finite gradient at 0 (torch.cdist's is not)."""
    return torch.sqrt((a.unsqueeze(1) - b.unsqueeze(0)).pow(2).sum(dim=2) + 1e-12)


def _mean_dist(a: Tensor, b: Tensor, pairs: str) -> Tensor:
    """Per row of ``a``: ||a_i - b_i|| (``matched``) or the mean of ||a_i - b_j|| over j (``all``)."""
    if pairs == "matched":
        return _norm(a - b)
    return _dists(a, b).mean(1)


def _mean_dist_to_others(h: Tensor) -> Tensor:
    """Per row of ``h``: the mean of ||h_i - h_j|| over the other rows j != i (a U-statistic's pairs)."""
    if h.shape[0] < 2:
        raise ValueError(f"energy pairs='one_batch' needs generated batches of at least 2 samples, got {h.shape[0]}")
    d = _dists(h, h)
    return (d.sum(1) - d.diagonal()) / (h.shape[0] - 1)


def _surrogate(h_x: Tensor, h_fake2: Tensor, pairs: str) -> Tensor:
    """Cramer GAN's surrogate critic f(x) = ||h(x) - h(x'_g)|| - ||h(x)|| over the pairs ``pairs`` names."""
    return _mean_dist(h_x, h_fake2, pairs) - _norm(h_x)


class Energy(Objective):
    """Cramer GAN: the critic h maps samples to features; the energy distance is taken in feature space.

    surrogate critic  f(x) = ||h(x) - h(x'_g)|| - ||h(x)||                 (x'_g: second fake batch)
    critic loss       -(E f(x_r) - E f(x_g))   (+ gradient penalty on f, the constraint's job)
    generator loss    E||h(x_r) - h(x_g)|| + E||h(x_r) - h(x'_g)|| - E||h(x_g) - h(x'_g)||
    The generator loss is the energy distance estimate with its real-real term dropped (constant in G),
    using two independent generated batches.

    ``pairs``: ``"matched"`` (the paper's Algorithm 1) pairs sample i of one batch with sample i of the other, a
    per-sample mean that DDP's shards average exactly; ``"all"`` takes every expectation over all pairs of the two
    batches (``x'_g`` averaged over the whole second batch in ``f``, a smoother function for the penalty): estimates
    of the same expectations that, like MMD's, are computed per shard under DDP; ``"one_batch"`` draws a single
    generated batch and takes its own other samples as the second batch (a U-statistic: every pair j != i of it in
    E||h(x_g) - h(x'_g)|| and in ``f`` at a generated sample, the whole batch in ``f`` at a real one), the same
    expectations again for half the generator's and a third less of the critic's work a step.
    """

    name = "energy"
    needs_real_for_generator = True
    is_distance = True
    scalar_critic = False

    def __init__(self, pairs: str = "matched"):
        if pairs not in ("matched", "all", "one_batch"):
            raise ValueError(f"pairs must be 'matched' (the paper's Algorithm 1), 'all' or 'one_batch', got {pairs!r}")
        self.pairs = pairs
        self.n_fake_batches = 1 if pairs == "one_batch" else 2
        # the pairs a real (or interpolated) sample forms with the second batch: all of it unless matched
        self._real_pairs = "matched" if pairs == "matched" else "all"

    def critic_loss(self, real_out: Tensor, fake_outs: Sequence[Tensor]) -> Tensor:
        h_g, h_g2 = fake_outs[0], fake_outs[-1]
        if self.pairs == "one_batch":
            f_fake = _mean_dist_to_others(h_g) - _norm(h_g)
        else:
            f_fake = _surrogate(h_g, h_g2, self.pairs)
        return -(_surrogate(real_out, h_g2, self._real_pairs).mean() - f_fake.mean())

    def generator_loss(self, fake_outs: Sequence[Tensor], real_out: Tensor | None = None) -> Tensor:
        if real_out is None:
            raise ValueError("the energy (Cramer) generator loss needs the critic's output on a real batch")
        if self.pairs == "one_batch":
            h_g = fake_outs[0]
            return (2 * _mean_dist(real_out, h_g, "all") - _mean_dist_to_others(h_g)).mean()
        h_g, h_g2 = fake_outs[0], fake_outs[1]
        return (_mean_dist(real_out, h_g, self.pairs) + _mean_dist(real_out, h_g2, self.pairs)
                - _mean_dist(h_g, h_g2, self.pairs)).mean()

    def witness(self, critic: nn.Module, real_out: Tensor, fake_outs: Sequence[Tensor]) -> Witness:
        h_g2 = fake_outs[-1]
        return lambda x: _surrogate(critic(x), h_g2, self._real_pairs)

    def surface(self, critic: nn.Module, real_out: Tensor, fake_outs: Sequence[Tensor]) -> Witness:
        """E_{x'_g} f(x): the surrogate averaged over the whole second batch (any number of points x)."""
        h_g2 = fake_outs[-1]
        return lambda x: _surrogate(critic(x), h_g2, "all")

    def __repr__(self) -> str:
        return f"Energy(pairs={self.pairs!r})"
