from .ema import make_ema, update_ema
from .module import AdversarialModule, OptimizerSpec
from .schedule import CriticSchedule

__all__ = ["AdversarialModule", "OptimizerSpec", "CriticSchedule", "make_ema", "update_ema"]
