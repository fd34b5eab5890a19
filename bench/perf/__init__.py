"""Speed and overhead: ganzoo against a plain PyTorch loop, DDP, Lightning's per-step cost, cold start. Run as
``python -m bench.perf.<module>`` from the repository root."""
