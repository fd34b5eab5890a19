"""Experiments on what the models learn and how it is measured: FID's bias and sanity, mode coverage, the f-GAN
divergences, small data, truncation, projection, search, the 2-D and Fashion-MNIST tables. Run as
``python -m bench.quality.<module>`` from the repository root."""
