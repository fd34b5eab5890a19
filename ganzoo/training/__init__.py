from ganzoo.schedules import CriticSchedule

from .ddp import GanDDPStrategy  # registers the 'ddp_gan' strategy name with Lightning
from .ema import make_ema, update_ema
from .guard import DivergenceError
from .latent_gan import AdversarialModule, LatentGAN, Paper
from .optim import OptimizerSpec
from .translation_gan import TranslationGAN, TranslationPaper

__all__ = [
    "LatentGAN", "Paper", "AdversarialModule", "TranslationGAN", "TranslationPaper", "OptimizerSpec", "CriticSchedule",
    "DivergenceError", "GanDDPStrategy", "make_ema", "update_ema",
]
