from .toy import evaluate_toy, mode_stats, w1_exact

__all__ = ["evaluate_toy", "mode_stats", "w1_exact"]
