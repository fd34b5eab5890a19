"""Sphinx configuration: ``sphinx-build -W --keep-going -b html docs docs/_build/html`` (see docs/contributing.md)."""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # the checkout's ganzoo, also when it is not installed in editable mode
sys.path.insert(0, str(DOCS))

project = "ganzoo"
author = "the ganzoo authors"
copyright = "the ganzoo authors, Apache-2.0"

# MathJax from the sphinx-mathjax-offline package (copied into _static/mathjax): the formulas render offline
extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.mathjax",
              "sphinx-mathjax-offline"]
source_suffix = {".md": "markdown"}
root_doc = "index"
smartquotes = False  # "--resume" stays two hyphens, as typed
exclude_patterns = ["_build", "README.md"]

myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3  # [text](page.md#a-heading) links, as GitHub renders them

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False

html_theme = "furo"
html_title = "ganzoo"
html_static_path = ["_static"]
html_css_files = ["custom.css"]  # wide tables scroll instead of wrapping every cell

autodoc_inherit_docstrings = False  # Lightning's hook docstrings would otherwise appear under every override

# The zoo page is generated from ganzoo/zoo/index.json and the model cards (docs/zoo_page.py): rebuild it here so
# the site always shows the entries as they are; tests/test_docs.py checks that the committed page is current.
import zoo_page  # noqa: E402

if zoo_page.write():
    print("docs/zoo.md regenerated from the zoo's model cards")
