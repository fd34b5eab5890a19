"""The repository's measurements and the scripts that build what ships; not part of the installed package.

Run each script as a module from the repository root (``import ganzoo`` is then the checkout's)::

    python -m bench.zoo.make_entry dcgan-fashion_mnist
    python -m bench.perf.speed --device cpu --quick
    python -m bench.quality.toy2d --variants wgan_gp

* ``bench/zoo/``: builders of what ships or is shown: the zoo entries (``make_entry``, ``entries``, ``gpu``,
  ``leaderboard``), the shipped Fashion-MNIST classifier (``classifier``), the demo's screenshot
  (``demo_screenshot``);
* ``bench/perf/``: speed and overhead (``speed``, ``ddp_overhead``, ``lightning_overhead``, ``cold_start``; the
  timing callbacks in ``callbacks``; recipes pinned for a comparison in ``perf/recipes/``);
* ``bench/quality/``: experiments on what the models learn and how it is measured (FID, modes, divergences, ...);
* ``bench/common.py``: the machine, the stamp of a result, the docs' measured tables;
* ``bench/results/``: the raw results (JSON) the docs' numbers come from.
"""
