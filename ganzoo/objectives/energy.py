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


def _mean_dist_to_others(h: Tensor, h_x: Tensor | None = None) -> Tensor:
    """Per row i of ``h_x`` (default ``h``): the mean of ||h_x_i - h_j|| over the rows j != i of ``h`` (a
    U-statistic's pairs; row i of ``h_x`` stands for, or was made from, sample i of ``h``)."""
    if h.shape[0] < 2:
        raise ValueError(f"energy pairs='one_batch' needs generated batches of at least 2 samples, got {h.shape[0]}")
    h_x = h if h_x is None else h_x
    if h_x.shape[0] != h.shape[0]:
        raise ValueError(f"energy pairs='one_batch': {h_x.shape[0]} points against a generated batch of {h.shape[0]}")
    d = _dists(h_x, h)
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

    Example:
        Critic features h: 0 for the real sample, (3, 4) (norm 5) for both generated batches. The generator loss is
        ||0 - (3, 4)|| + ||0 - (3, 4)|| - ||(3, 4) - (3, 4)|| = 10; the surrogate critic is f(x_r) = 5 - 0 and
        f(x_g) = 0 - 5, so the critic loss is -(5 - (-5)) = -10:

        >>> import torch
        >>> from ganzoo.objectives import Energy
        >>> h_real, h_fake, h_fake2 = torch.zeros(1, 2), torch.tensor([[3.0, 4.0]]), torch.tensor([[3.0, 4.0]])
        >>> loss = Energy()
        >>> loss.n_fake_batches  # two independent generated batches per step
        2
        >>> round(loss.generator_loss([h_fake, h_fake2], h_real).item(), 4)
        10.0
        >>> round(loss.critic_loss(h_real, [h_fake, h_fake2]).item(), 4)
        -10.0
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
        """The surrogate critic f that the penalty constrains, at a batch ``x`` of the real batch's size (the
        interpolates). With ``one_batch``, interpolate i lies between real sample i and generated sample i, and f
        pairs it with the generated samples j != i, as the critic loss's f at generated sample i does: at the
        generated end (``x = x_g``) the witness is the loss's f."""
        h_g2 = fake_outs[-1]
        if self.pairs == "one_batch":
            def f(x: Tensor) -> Tensor:
                h_x = critic(x)
                return _mean_dist_to_others(h_g2, h_x) - _norm(h_x)

            return f
        return lambda x: _surrogate(critic(x), h_g2, self._real_pairs)

    def surface(self, critic: nn.Module, real_out: Tensor, fake_outs: Sequence[Tensor]) -> Witness:
        """E_{x'_g} f(x): the surrogate averaged over the whole second batch (any number of points x)."""
        h_g2 = fake_outs[-1]
        return lambda x: _surrogate(critic(x), h_g2, "all")

    def __repr__(self) -> str:
        return f"Energy(pairs={self.pairs!r})"
