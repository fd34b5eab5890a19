"""Differentiable augmentation of the critic's inputs: DiffAugment (Zhao et al. 2020) and ADA's adaptive probability
(Karras et al. 2020).

A GAN trained on a few thousand images overfits its critic: it memorises the training set and the generator
collapses or copies. DiffAugment applies the *same kind* of random, differentiable transformation to real and
generated images before every critic call, in the critic's and the generator's updates, so the critic never sees an
un-augmented image and the generator's gradient flows through the transformation. The ops and their ranges are
those of the reference implementation (``mit-han-lab/data-efficient-gans``, ``DiffAugment_pytorch.py``):

* ``translation``: shift by up to 1/8 of the side in each direction (an integer shift per image, zero padding);
* ``cutout``: zero a square of half the side at a random centre (clipped at the border);
* ``color``: brightness (add U(-0.5, 0.5)), saturation (scale the distance to the channel mean by U(0, 2); only
  for images with more than one channel: on one channel the mean is the pixel and the op does nothing) and contrast
  (scale the distance to the image mean by U(0.5, 1.5)).

Each op is applied to each image independently with probability ``p`` (1 for DiffAugment; ADA adapts it). The
random draws come from torch's global generator on the images' device, which ganzoo seeds per rank and stores in
its checkpoints, so a seeded run is reproducible and a resumed one continues bitwise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from ganzoo.checks import check_probability

POLICIES = ("translation", "cutout", "color")


def _chosen(x: Tensor, p: float) -> Tensor:
    """``(N, 1, 1, 1)`` 1.0 for the images an op applies to (each with probability ``p``), else 0.0."""
    if p >= 1:
        return torch.ones(x.shape[0], 1, 1, 1, dtype=x.dtype, device=x.device)
    return (torch.rand(x.shape[0], 1, 1, 1, device=x.device) < p).to(x.dtype)


def brightness(x: Tensor, p: float = 1.0) -> Tensor:
    """Add U(-0.5, 0.5) to every pixel of an image."""
    return x + (torch.rand(x.shape[0], 1, 1, 1, dtype=x.dtype, device=x.device) - 0.5) * _chosen(x, p)


def saturation(x: Tensor, p: float = 1.0) -> Tensor:
    """Scale each pixel's distance to its channel mean by U(0, 2); the identity on one-channel images."""
    if x.shape[1] == 1:
        return x
    mean = x.mean(dim=1, keepdim=True)
    factor = torch.rand(x.shape[0], 1, 1, 1, dtype=x.dtype, device=x.device) * 2
    return torch.where(_chosen(x, p) > 0, mean + (x - mean) * factor, x)


def contrast(x: Tensor, p: float = 1.0) -> Tensor:
    """Scale each pixel's distance to the image mean by U(0.5, 1.5)."""
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    factor = torch.rand(x.shape[0], 1, 1, 1, dtype=x.dtype, device=x.device) + 0.5
    return torch.where(_chosen(x, p) > 0, mean + (x - mean) * factor, x)


def translation(x: Tensor, p: float = 1.0, ratio: float = 0.125) -> Tensor:
    """Shift each image by up to ``ratio`` of its side (zero padding where it leaves the frame)."""
    n, _, h, w = x.shape
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)  # shifts uniform on [-s, s], s = round(side * ratio)
    shifts = torch.stack([torch.randint(-sh, sh + 1, (n,), device=x.device),
                          torch.randint(-sw, sw + 1, (n,), device=x.device)], dim=1) * _chosen(x, p).view(n, 1).long()
    rows = (torch.arange(h, device=x.device).view(1, h) - shifts[:, :1]).clamp(-1, h)  # source row of each row
    cols = (torch.arange(w, device=x.device).view(1, w) - shifts[:, 1:]).clamp(-1, w)
    padded = F.pad(x, (1, 1, 1, 1))  # index -1 and h (w) read the zero border
    idx_r = (rows + 1).view(n, 1, h, 1).expand(n, x.shape[1], h, w + 2)
    out = padded.gather(2, idx_r)
    idx_c = (cols + 1).view(n, 1, 1, w).expand(n, x.shape[1], h, w)
    return out.gather(3, idx_c)


def cutout(x: Tensor, p: float = 1.0, ratio: float = 0.5) -> Tensor:
    """Zero a square of ``ratio`` of the side, centred at a random pixel, in each image."""
    n, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    # the reference's centres: uniform on 0..side (0..side-1 for an odd hole), the hole clipped at the border
    centres = torch.stack([torch.randint(0, h + 1 - ch % 2, (n,), device=x.device),
                           torch.randint(0, w + 1 - cw % 2, (n,), device=x.device)], dim=1)
    r = torch.arange(h, device=x.device).view(1, h)
    c = torch.arange(w, device=x.device).view(1, w)
    top, left = centres[:, :1] - ch // 2, centres[:, 1:] - cw // 2
    inside_r = (r >= top) & (r < top + ch)
    inside_c = (c >= left) & (c < left + cw)
    hole = (inside_r.view(n, h, 1) & inside_c.view(n, 1, w)).unsqueeze(1).to(x.dtype) * _chosen(x, p)
    return x * (1 - hole)


OPS: dict[str, tuple[Callable[..., Tensor], ...]] = {
    "color": (brightness, saturation, contrast),
    "translation": (translation,),
    "cutout": (cutout,),
}


def check_policy(policy: str | Sequence[str]) -> tuple[str, ...]:
    """The policy as a tuple of op groups; ``"translation,cutout"`` and ``["translation", "cutout"]`` are the same."""
    names = tuple(s.strip() for s in policy.split(",")) if isinstance(policy, str) else tuple(policy)
    bad = [n for n in names if n not in OPS]
    if not names or bad:
        raise ValueError(f"augment policy: unknown op(s) {bad or names!r}; use a comma-separated subset of "
                         f"{', '.join(POLICIES)} (e.g. 'translation,cutout' or 'color,translation,cutout')")
    return names


def diff_augment(x: Tensor, policy: str | Sequence[str] = "color,translation,cutout", p: float = 1.0) -> Tensor:
    """DiffAugment: ``policy``'s ops in order, each applied to each image with probability ``p``; differentiable in
    ``x``. Images are ``(N, C, H, W)`` in the training range ([-1, 1]).

    Example:
        >>> import torch
        >>> from ganzoo.augment import diff_augment
        >>> x = torch.zeros(2, 1, 8, 8); x[:, :, 3, 3] = 1.0
        >>> _ = torch.manual_seed(0)
        >>> y = diff_augment(x, "translation")
        >>> [tuple(map(int, (img[0] == 1).nonzero()[0])) for img in y]  # the pixel moved by at most 1 (8 / 8)
        [(4, 4), (2, 2)]
        >>> torch.equal(diff_augment(x, "color,translation,cutout", p=0.0), x)  # p = 0: the identity
        True
    """
    check_probability("p", p)
    if p == 0:
        return x
    for name in check_policy(policy):
        for op in OPS[name]:
            x = op(x, p)
    return x


class Augment:
    """The critic's input augmentation of a training run: ``augment:`` in a recipe (``model.init_args.augment``).

    ``{"policy": "translation,cutout"}`` is DiffAugment (every op on every image, ``p`` = 1). With ``ada_target``
    (ADA, Karras et al. 2020: 0.6) the probability adapts instead, starting at ``p`` (default 0): every
    ``ada_interval`` critic steps, the overfitting signal r_t = E[sign(D(x_real))] of those steps moves ``p`` by
    ``sign(r_t - ada_target) * batch * ada_interval / (ada_kimg * 1000)`` (``ada_kimg`` thousand images to go from 0
    to 1), clipped to [0, 1]. ``p``, r_t and the running sums are in the checkpoint; under DDP the sums are over every
    rank, so all ranks keep one ``p``. The heuristic reads the critic's sign as its verdict (real > 0), as the
    logistic, hinge and least-squares critics it was made for do; a Wasserstein or relativistic critic's output is
    defined up to a constant, so use a fixed ``p`` there.

    Example:
        >>> import torch
        >>> from ganzoo.augment import Augment
        >>> ada = Augment(policy="translation,cutout", ada_target=0.6, ada_interval=1, ada_kimg=1)
        >>> ada.p, ada.observe(torch.ones(64))  # a critic sure of every real image: p rises by 64 / 1000
        (0.0, 0.064)
        >>> ada.observe(-torch.ones(64)), ada.r_t
        (0.0, -1.0)
    """

    def __init__(self, policy: str | Sequence[str] = "color,translation,cutout", p: float | None = None,
                 ada_target: float | None = None, ada_interval: int = 4, ada_kimg: float = 500):
        from ganzoo.checks import check_int, check_positive

        self.policy = check_policy(policy)
        if ada_target is not None:
            check_probability("ada_target", ada_target)
        check_int("ada_interval", ada_interval)
        check_positive("ada_kimg", ada_kimg)
        self.p = float(p if p is not None else (0.0 if ada_target is not None else 1.0))
        check_probability("p", self.p)
        self.ada_target, self.ada_interval, self.ada_kimg = ada_target, ada_interval, ada_kimg
        self.r_t: float | None = None
        self._sums: Tensor | None = None  # (sum of signs, images) since the last adjustment
        self._steps = 0

    @property
    def adaptive(self) -> bool:
        return self.ada_target is not None

    def __call__(self, x: Tensor) -> Tensor:
        return diff_augment(x, self.policy, self.p)

    def observe(self, real_out: Tensor, reduce: Callable[[Tensor], Tensor] | None = None) -> float:
        """Record one critic step's outputs on the (augmented) real batch; every ``ada_interval`` steps adjust and
        return ``p``. ``reduce`` sums a tensor over DDP ranks (``None``: one process)."""
        if not self.adaptive:
            return self.p
        sums = torch.stack([torch.sign(real_out.detach().float()).sum(), torch.tensor(real_out.numel(),
                            dtype=torch.float32, device=real_out.device)])
        sums = reduce(sums) if reduce is not None else sums
        # summed on the device: the host reads them once an interval, not every step
        self._sums = sums if self._sums is None else self._sums + sums.to(self._sums.device)
        self._steps += 1
        if self._steps % self.ada_interval == 0:
            signs, count = self._sums.tolist()
            self.r_t = signs / max(count, 1)
            step = count / (self.ada_kimg * 1000)  # images seen in the interval, over every rank
            sign = (self.r_t > self.ada_target) - (self.r_t < self.ada_target)
            self.p = min(1.0, max(0.0, self.p + sign * step))
            self._sums = None
        return self.p

    def state_dict(self) -> dict[str, float | int | None]:
        signs, count = self._sums.tolist() if self._sums is not None else (0.0, 0.0)
        return {"p": self.p, "r_t": self.r_t, "signs": signs, "count": int(count), "steps": self._steps}

    def load_state_dict(self, state: dict) -> None:
        self.p, self.r_t = float(state["p"]), state["r_t"]
        self._sums = torch.tensor([float(state["signs"]), float(state["count"])]) if state["count"] else None
        self._steps = int(state["steps"])

    def __repr__(self) -> str:
        ada = f", ada_target={self.ada_target}, ada_interval={self.ada_interval}, ada_kimg={self.ada_kimg}"
        return f"Augment(policy={','.join(self.policy)!r}, p={self.p:g}{ada if self.adaptive else ''})"
