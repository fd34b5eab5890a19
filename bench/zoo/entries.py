"""The zoo's entries: which recipe builds each, on which data, under which Hub repository id.

Names follow ``<variant>-<dataset>``. ``kind`` is ``toy`` (2-D points, exact metrics), ``image`` (a latent image
generator, FID/KID/IS/precision/recall/density/coverage with the shipped Fashion-MNIST classifier) or ``translation``
(an image-to-image translator, scored on the test split).
"""

from __future__ import annotations

import json

import yaml

from bench.common import RESULTS_DIR, ROOT

_PAPERS = {
    "dcgan": "DCGAN (Radford et al. 2016)", "wgan": "WGAN (Arjovsky et al. 2017)",
    "wgan_gp": "WGAN-GP (Gulrajani et al. 2017)", "sngan": "SN-GAN (Miyato et al. 2018)",
    "cramer_gan": "Cramer GAN (Bellemare et al. 2017)", "mmd_gan": "MMD GAN (Binkowski et al. 2018)",
    "cgan": "class-conditional GAN with projection discriminator (Miyato & Koyama 2018)",
    "fgan": "f-GAN, Jensen-Shannon divergence (Nowozin et al. 2016)", "lsgan": "LSGAN (Mao et al. 2017)",
    "ragan": "RaGAN, relativistic average standard GAN (Jolicoeur-Martineau 2018)",
    "r3gan": "R3GAN, relativistic pairing loss with R1 + R2 (Huang et al. 2024)",
}

# FID targets of the latent Fashion-MNIST entries (classifier FID, 10,000 samples; issue 22)
TARGET_FID = {"dcgan": 10, "wgan_gp": 10, "sngan": 10, "lsgan": 10, "ragan": 10, "fgan": 10, "cramer_gan": 12,
              "mmd_gan": 12, "wgan": 20, "cgan": 6, "r3gan": 6}  # R3GAN: issue 36's target

# the order of a rebuild (python -m bench.zoo.make_entry --all): the Wasserstein and kernel critics first, then DCGAN
# and cGAN, then the rest
ZOO_ORDER = [f"{v}-fashion_mnist" for v in ("wgan_gp", "sngan", "mmd_gan", "cramer_gan", "wgan", "dcgan", "cgan",
                                            "lsgan", "ragan", "fgan", "r3gan")]


def _generator_shape(variant: str) -> str:
    """``latent L, width W`` as ``recipes/<variant>/fashion_mnist.yaml`` sets them for its generator."""
    cfg = yaml.safe_load((ROOT / "recipes" / variant / "fashion_mnist.yaml").read_text())
    g = cfg["model"]["init_args"]["generator"]
    width = f"width {g['width']}" if "width" in g else f"widths {g['widths']}"
    return f"latent {g['latent_dim']}, {width}"


ENTRIES: dict[str, dict] = {
    "wgan_gp-8gaussians": {
        "kind": "toy", "recipe": "recipes/wgan_gp/8gaussians.yaml", "dataset": "8gaussians",
        "description": (
            "WGAN-GP (Gulrajani et al. 2017) generator for the 8 Gaussians of the WGAN-GP toy code: a 3-layer "
            "ReLU MLP (width 128) mapping 2-d normal noise to points in the plane, trained on a 2-core CPU with "
            "the recipe below; the exported weights are an exponential moving average of the generator."
        ),
    },
    **{
        f"{v}-fashion_mnist": {
            "kind": "image", "recipe": f"recipes/{v}/fashion_mnist.yaml", "dataset": "fashion_mnist",
            "target_fid": TARGET_FID[v],
            "description": (
                f"{paper} generator for Fashion-MNIST padded to 32x32: the "
                f"DCGAN generator ({_generator_shape(v)}) "
                f"trained with `recipes/{v}/fashion_mnist.yaml`" + (
                    ", conditional on the 10 classes (conditional batch norm)" if v == "cgan" else "") + "."
            ),
        }
        for v, paper in _PAPERS.items()
    },
    "pix2pix-edges2fashion": {
        "kind": "translation", "recipe": "recipes/pix2pix/edges2fashion.yaml", "dataset": "edges2fashion",
        "description": ("pix2pix (Isola et al. 2017) translator from Sobel edge maps of Fashion-MNIST garments to the "
                        "garments (32x32): U-Net with 5 downsamplings, 34x34 PatchGAN."),
    },
    "cyclegan-sneaker2boot": {
        "kind": "translation", "recipe": "recipes/cyclegan/sneaker2boot.yaml", "dataset": "sneaker2boot",
        "description": ("CycleGAN (Zhu et al. 2017) translators between Fashion-MNIST sneakers (class 7) and ankle "
                        "boots (class 9), unpaired, 32x32: ResNet translators with 6 blocks, 34x34 PatchGANs."),
    },
}
# f-GAN with each divergence but JS (the ``fgan-fashion_mnist`` entry, which is the DCGAN loss up to constants):
# the f-GAN recipe with ``set`` applied (dotted recipe keys), each for the JS entry's number of generator iterations
# (17,975 in its 45 minutes), about 20 minutes on an idle 2-core AMD EPYC (64 ms an iteration)
FGAN_DIVERGENCES = ("kl", "reverse_kl", "pearson", "hellinger")
FGAN_ITERS = 18000
FGAN_TARGET_FID = 15
# squared Hellinger weighs each fake in the generator's gradient by exp(-v): in the first ~150 iterations one fake the
# critic rejects hard makes a gradient spike that fills Adam's second moment (beta2 = 0.999 remembers it for ~10^4
# steps), and the generator's step falls to ~1e-6 of its learning rate: frozen (bench/quality/fgan_hellinger.py
# measures it).
# beta2 = 0.9 (WGAN-GP's Adam) forgets a spike in tens of steps. Reverse KL weighs its fakes by exp(-v) too and froze
# so on Stacked Fashion-MNIST (199 modes); on one channel it learns with either beta2 (FID 191 and 188 at 1,000
# iterations), so 0.9 costs nothing and guards against the freeze.
FGAN_EXTRA = {d: {"model.init_args.betas": [0.5, 0.9]} for d in ("hellinger", "reverse_kl")}
_DIV_WORDS = {"kl": "Kullback-Leibler KL(P||Q)", "reverse_kl": "reverse Kullback-Leibler KL(Q||P)",
              "pearson": "Pearson chi-squared", "hellinger": "squared Hellinger"}
for _d in FGAN_DIVERGENCES:
    ENTRIES[f"fgan_{_d}-fashion_mnist"] = {
        "kind": "image", "recipe": "recipes/fgan/fashion_mnist.yaml", "dataset": "fashion_mnist",
        "target_fid": FGAN_TARGET_FID,
        "set": {"model.init_args.objective": {"name": "fgan", "divergence": _d},
                "model.init_args.max_gen_iters": FGAN_ITERS, **FGAN_EXTRA.get(_d, {})},
        "description": (
            f"f-GAN (Nowozin et al. 2016) generator trained by minimising the {_DIV_WORDS[_d]} divergence through "
            f"its variational bound, for Fashion-MNIST padded to 32x32: the DCGAN generator "
            f"({_generator_shape('fgan')}) trained with `recipes/fgan/fashion_mnist.yaml` and the divergence "
            f"`{_d}`, {FGAN_ITERS:,} generator iterations."
        ),
    }

ENTRIES["fgan-fashion_mnist"]["description"] += (
    " With the alternative (non-saturating) generator update, the Jensen-Shannon f-GAN is the DCGAN loss "
    "up to constants: the critic's output v enters the generator's loss as -(log 2 - softplus(-v)) here a"
    "nd as softplus(-v) in DCGAN, so the gradients are the same; with the same networks and seed this ent"
    "ry and `dcgan-fashion_mnist` agree to the third digit (FID 6.588 vs 6.574). The f-GAN family's other"
    " divergences are the `fgan_<divergence>-fashion_mnist` entries.")


def _wgan_loss_note() -> str:
    """What the WGAN paper claimed of its critic's value and what ``bench.quality.loss_vs_fid`` measured on this
    recipe (from ``bench/results/loss_vs_fid.json``)."""
    runs = json.loads((RESULTS_DIR / "loss_vs_fid.json").read_text())
    w, d = runs["wgan"], runs["dcgan"]
    (_, w0, f0), (_, w1, f1) = w["points"][0], w["points"][-1]
    return (
        " The WGAN paper claims (its Figures 3-4) that the critic's estimate of the Wasserstein distance tracks "
        "sample quality, where a GAN's discriminator loss does not. Measured on this recipe (`python -m "
        f"bench.quality.loss_vs_fid`, 15 minutes on one CPU core): the estimate fell from {w0:.2f} to {w1:.2f} while "
        f"the FID of 2,000 samples fell from {f0:.0f} to {f1:.0f}, a Spearman rank correlation of "
        f"{w['spearman_rho']:+.2f} over {w['n']} evaluations (DCGAN's discriminator value: {d['spearman_rho']:+.2f}), "
        "so the logged `train/distance` is this run's progress bar. Its FID is set by the time limit, not a plateau: "
        "weight clipping with RMSProp makes few generator iterations (five critic steps each, a hundred in the "
        "warm-ups) in 45 minutes, and the training curve below still falls at the end.")


ENTRIES["wgan-fashion_mnist"]["description"] += _wgan_loss_note()


def _r3gan_network_note() -> str:
    """Why the R3GAN entry trains the DCGAN recipe's networks (from ``bench/results/r3gan_calibration.json``)."""
    runs = json.loads((RESULTS_DIR / "r3gan_calibration.json").read_text())
    at = {k: dict((i, f) for i, f in runs[k]["curve"]) for k in ("gamma_0.5", "gamma_0.5_dcgan_nets")}
    return (
        " These are the DCGAN recipe's networks with the critic's batch norm removed, not the paper's simplified "
        "ResNeXt (`r3gan_generator` / `r3gan_critic`): at the width a CPU trains in 45 minutes the ResNeXt was the "
        "bottleneck (`python -m bench.quality.r3gan_calibration`, 10 minutes on one core each: a 2,000-sample FID of "
        f"{at['gamma_0.5'][2000]:.0f} at 2,000 iterations, against {at['gamma_0.5_dcgan_nets'][2000]:.0f} with the "
        "same loss, penalties and schedules on these networks), and gamma is 0.5, the official ImageNet-32 preset's.")


ENTRIES["r3gan-fashion_mnist"]["description"] += _r3gan_network_note()

# small data (issue 37): the DCGAN recipe on 1,000 training images with ADA, the small-data benchmark's better
# augmentation at 20 minutes (bench/quality/small_data.py); its card records the subset, the augmentation's final p
# and the copy check against those 1,000 images
SMALL_DATA_AUGMENT = {"policy": "color,translation,cutout", "ada_target": 0.6}
ENTRIES["dcgan-fashion_mnist_1k"] = {
    "kind": "image", "recipe": "recipes/dcgan/fashion_mnist.yaml", "dataset": "fashion_mnist",
    "set": {"data.init_args.limit": 1000, "model.init_args.augment": SMALL_DATA_AUGMENT},
    "description": (
        f"{_PAPERS['dcgan']} generator for Fashion-MNIST padded to 32x32, trained on 1,000 of the 60,000 training "
        "images (a seeded subset, `limit: 1000`) with DiffAugment's color, translation and cutout (Zhao et al. "
        "2020) at ADA's adaptive probability (Karras et al. 2020, target r_t = 0.6): the DCGAN generator "
        f"({_generator_shape('dcgan')}) trained with `recipes/dcgan/fashion_mnist.yaml` and those two settings. "
        "Its FID is against the whole training split, like every entry's; the copy check compares its samples' "
        "distances to the 1,000 images it trained on with held-out test images' (Train on a few hundred images, "
        "docs/howto/small-data.md, has the benchmark it comes from)."
    ),
}

for _name, _e in ENTRIES.items():
    _e.setdefault("repo_id", f"ganzoo/{_name}")
