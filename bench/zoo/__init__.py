"""Builders of what ships or is shown: the zoo's entries, their leaderboard, the shipped classifier's weights, the
demo's screenshot. Run as ``python -m bench.zoo.<module>`` from the repository root."""
