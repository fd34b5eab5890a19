from .ddp import GanDDPStrategy  # registers the 'ddp_gan' strategy name with Lightning
from .ema import make_ema, update_ema
from .guard import DivergenceError
from .module import AdversarialModule, OptimizerSpec
from .schedule import CriticSchedule

__all__ = [
    "AdversarialModule", "OptimizerSpec", "CriticSchedule", "DivergenceError", "GanDDPStrategy", "make_ema",
    "update_ema",
]
