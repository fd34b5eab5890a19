"""The latent GAN's end-of-fit report (:func:`latent_report`): for 2-D models exact metrics (JSON) and a figure of
samples over the critic; for images the metrics of :mod:`ganzoo.training.image_eval`.

:meth:`ganzoo.training.LatentGAN.report` calls it; it reads the module through :class:`ToyModule` and does
not import :mod:`ganzoo.training.latent_gan`.
"""

from __future__ import annotations

import json
import os
from typing import Any, Protocol

import matplotlib.pyplot as plt
import torch
from torch import nn

from ganzoo.data.toy2d import toy_samples
from ganzoo.io import atomic_write_bytes
from ganzoo.metrics.toy import DRAWS, evaluate_generator
from ganzoo.objectives import Objective
from ganzoo.plots import plot_toy, save_figure
from ganzoo.sampling import sample

from .gan_module import Report


class ToyModule(Protocol):
    """What the report reads of a trained :class:`~ganzoo.training.LatentGAN` on 2-D data."""

    generator: nn.Module
    critic: nn.Module
    objective: Objective
    gen_iters: int
    critic_iters: int

    @property
    def export_model(self) -> nn.Module: ...

    def cpu(self) -> ToyModule: ...


def critic_surface(module: ToyModule, real: torch.Tensor):
    """The scalar function the constraint acts on (critic, Cramer surrogate or MMD witness), on a grid."""
    module.critic.eval()
    with torch.no_grad():
        fakes = [sample(module.generator, len(real), seed=s) for s in range(module.objective.n_fake_batches)]
        witness = module.objective.surface(module.critic, module.critic(real), [module.critic(f) for f in fakes])
    return witness


@torch.no_grad()
def toy_report(
    module: ToyModule, dataset: str, out_dir: str, n: int = 2000, seed: int = 0, draws: int = DRAWS
) -> dict:
    """Exact metrics of the exported generator (means over ``draws`` draws of ``n`` points, see
    :func:`ganzoo.metrics.toy.evaluate_generator`) in ``metrics.json`` and a figure ``samples.png``."""
    module = module.cpu()
    metrics = evaluate_generator(module.export_model, dataset, n, draws=draws, seed=seed)
    fake = sample(module.export_model, n, seed=seed)
    metrics.update(
        variant=type(module).__name__, dataset=dataset, generator_iterations=module.gen_iters,
        critic_iterations=module.critic_iters,
    )
    os.makedirs(out_dir, exist_ok=True)
    atomic_write_bytes(os.path.join(out_dir, "metrics.json"), (json.dumps(metrics, indent=2) + "\n").encode())
    real = toy_samples(dataset, n, seed + 99)
    fig, ax = plt.subplots(figsize=(5, 4.4))
    title = (f"{type(module).__name__} on {dataset}, {module.gen_iters} G-iters\n"
             f"W1={metrics['w1']:.3f} (real-vs-real {metrics['w1_baseline']:.3f})")
    if "modes" in metrics:
        title += f", modes {metrics['modes']}/{metrics['n_modes']}"
    was = module.critic.training
    plot_toy(ax, real[:1000], fake[:1000], critic_surface(module, real[:512]), title)
    module.critic.train(was)
    save_figure(fig, os.path.join(out_dir, "samples.png"))
    return metrics


def latent_report(module: Any, datamodule: Any, out_dir: str, *, n: int, metrics: list[str] | None) -> Report | None:
    """2-D data: the exact metrics against the known density (:func:`toy_report`); images with reference images:
    FID/KID and the other image metrics (:func:`~ganzoo.training.image_eval.image_report`); else ``None``."""
    shape = tuple(getattr(datamodule, "data_shape", ()))
    if len(shape) == 1 and hasattr(datamodule, "dataset"):
        from ganzoo.cards import toy_results

        m = toy_report(module, datamodule.dataset, out_dir)
        return Report(m, datamodule.dataset, toy_results(m, datamodule.dataset), os.path.join(out_dir, "samples.png"))
    if len(shape) == 3 and hasattr(datamodule, "reference_images"):
        from .image_eval import image_report, image_results

        device = module.trainer.strategy.root_device if module._trainer is not None else None  # the training device
        m = image_report(module, datamodule, out_dir, n=n, metrics=metrics, device=device)
        return Report(m, datamodule.dataset_name, image_results(m, conditional=bool(module.num_classes)),
                      os.path.join(out_dir, "samples.png"))
    return None
