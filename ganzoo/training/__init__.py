from ganzoo.schedules import CriticSchedule

from .adversarial import AdversarialModule
from .ddp import GanDDPStrategy  # registers the 'ddp_gan' strategy name with Lightning
from .ema import make_ema, update_ema
from .guard import DivergenceError
from .latent_gan import LatentGAN
from .optim import OptimizerSpec
from .paper import Paper
from .translation_gan import TranslationGAN, TranslationPaper

__all__ = [
    "LatentGAN", "Paper", "AdversarialModule", "TranslationGAN", "TranslationPaper", "OptimizerSpec", "CriticSchedule",
    "DivergenceError", "GanDDPStrategy", "make_ema", "update_ema",
]
