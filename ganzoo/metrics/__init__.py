from .toy import evaluate_generator, evaluate_toy, mode_stats, w1_exact

__all__ = ["evaluate_generator", "evaluate_toy", "mode_stats", "w1_exact"]
