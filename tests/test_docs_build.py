"""The documentation site builds with warnings as errors, and renders its mathematics with no network: MathJax is
shipped (sphinx-mathjax-offline), no page loads a script or stylesheet from another host, and a browser shows the
formulas of "The pieces" typeset."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from browser import chromium

ROOT = Path(__file__).resolve().parents[1]
REMOTE = re.compile(r"""<(?:script|link)\b[^>]*\b(?:src|href)=["'](?:https?:)?//""", re.I)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("html")
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", "docs", str(out)],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    return out


def test_the_site_builds_without_warnings_and_loads_nothing_from_the_network(site):
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 20
    remote = {str(p.relative_to(site)): REMOTE.findall(p.read_text(encoding="utf-8")) for p in pages}
    assert not {k: v for k, v in remote.items() if v}, "pages that load from the network"
    pieces = (site / "concepts" / "pieces.html").read_text(encoding="utf-8")
    assert 'src="../_static/mathjax/tex-chtml.js"' in pieces
    assert (site / "_static" / "mathjax" / "tex-chtml.js").stat().st_size > 100_000


def test_the_formulas_are_typeset_in_a_browser_offline(site):
    driver = chromium("the docs' browser test")
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        driver.get((site / "concepts" / "pieces.html").as_uri())
        WebDriverWait(driver, 60).until(lambda d: d.execute_script(
            "return document.querySelectorAll('mjx-container').length"))
        n = driver.execute_script("return document.querySelectorAll('mjx-container').length")
        raw = driver.execute_script("return document.body.innerText.includes('\\\\mathbb')")
    finally:
        driver.quit()
    assert n > 10 and not raw, (n, raw)


def test_the_wide_tables_read_one_line_a_row_at_1280_px(site):
    """The zoo's leaderboard (13 columns) at the browser's 1280 px: every row on one line (the table scrolls sideways
    inside the text column instead of wrapping each cell into a tower), and the page itself no wider than the window."""
    driver = chromium("the docs' wide-table test")
    try:
        driver.get((site / "zoo.html").as_uri())
        page_w, window_w, rows = driver.execute_script("""
            const t = document.querySelector('article table');
            const line = parseFloat(getComputedStyle(t.querySelector('td')).lineHeight) || 20;
            return [document.documentElement.scrollWidth, document.documentElement.clientWidth,
                    [...t.querySelectorAll('tbody tr')].map(r => r.getBoundingClientRect().height / line)];""")
    finally:
        driver.quit()
    assert page_w <= window_w, (page_w, window_w)
    assert len(rows) >= 10 and max(rows) < 2, rows  # in lines of text: a wrapped cell makes a row 2+ lines tall
