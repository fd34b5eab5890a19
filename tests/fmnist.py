"""Tests that need Fashion-MNIST's IDX files carry ``@pytest.mark.fashion_mnist`` (conftest.py applies this).

Without the files such a test is skipped on a developer's machine, with a message saying how to get them, and
FAILS under CI (``CI=true``, which GitHub Actions and ``.ci/run``'s callers set): a CI that silently skipped
the image tests (FID, translation quality) would be green without having tested them.
"""

from __future__ import annotations

import os

import pytest

HOW_TO_GET = (
    "Fashion-MNIST's IDX files are absent from /usr/share/datasets/fashion-mnist: install Debian/Ubuntu's "
    "package (sudo apt-get install dataset-fashion-mnist)"
)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def require_fashion_mnist(what: str = "this test") -> None:
    """Skip (outside CI) or fail (in CI) the calling test when the dataset is missing."""
    from ganzoo.data import idx

    if idx.default_fashion_mnist_dir() is not None:
        return
    if in_ci():
        pytest.fail(f"{HOW_TO_GET}; CI=true, so {what} fails instead of being skipped", pytrace=False)
    pytest.skip(f"{what} needs Fashion-MNIST. {HOW_TO_GET}")
