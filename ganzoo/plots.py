"""Pictures: 2-D samples over the critic's contours."""

from __future__ import annotations

import os
from collections.abc import Callable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import Tensor  # noqa: E402


def plot_toy(
    ax,
    real: Tensor,
    fake: Tensor,
    critic_fn: Callable[[Tensor], Tensor] | None = None,
    title: str = "",
    lim: float | None = None,
) -> None:
    """Draw real (orange) and generated (blue) points, over filled contours of ``critic_fn`` if given."""
    real, fake = real.detach().cpu().numpy(), fake.detach().cpu().numpy()
    if lim is None:
        lim = float(np.abs(real).max()) * 1.35
    if critic_fn is not None:
        g = np.linspace(-lim, lim, 120)
        xx, yy = np.meshgrid(g, g)
        grid = torch.tensor(np.stack([xx.ravel(), yy.ravel()], 1), dtype=torch.float32)
        with torch.no_grad():
            vals = critic_fn(grid).reshape(xx.shape).cpu().numpy()
        cs = ax.contourf(xx, yy, vals, levels=20, cmap="Greys", alpha=0.8)
        plt.colorbar(cs, ax=ax, fraction=0.046, pad=0.02)
    ax.scatter(real[:, 0], real[:, 1], s=2, c="tab:orange", alpha=0.5, label="real")
    ax.scatter(fake[:, 0], fake[:, 1], s=2, c="tab:blue", alpha=0.5, label="generated")
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_title(title, fontsize=9)


def save_figure(fig, path: str | os.PathLike) -> None:
    """Save ``fig`` atomically (temporary file, then rename) and close it."""
    path = str(path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp.png"
    fig.savefig(tmp, dpi=110, bbox_inches="tight")
    plt.close(fig)
    os.replace(tmp, path)


def score_curve(history: list[dict], keys: list[str], path: str | os.PathLike, title: str = "",
                lower_is_better: bool = True) -> None:
    """A training curve: each of ``keys`` (e.g. ``"fid"``) of the ``history`` records (dicts with
    ``generator_iterations``) against generator iterations, written to ``path`` (PNG)."""
    fig, ax = plt.subplots(figsize=(5, 3.2), dpi=100)
    for key in keys:
        pts = [(r["generator_iterations"], r[key]) for r in history if isinstance(r.get(key), (int, float))]
        if pts:
            x, y = zip(*pts, strict=True)
            ax.plot(x, y, marker="o", ms=3, label=key)
    ax.set_xlabel("generator iterations")
    ax.set_ylabel(", ".join(keys) + (" (lower is better)" if lower_is_better else ""))
    if lower_is_better and any(isinstance(r.get(k), (int, float)) for r in history for k in keys):
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    tmp = f"{path}.tmp.png"
    fig.savefig(tmp)
    plt.close(fig)
    os.replace(tmp, path)
