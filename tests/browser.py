"""Headless Chromium for the browser tests (the demo, the docs): Debian's chromium + chromium-driver (what .ci/run
installs), or ``GANZOO_CHROME`` / ``GANZOO_CHROMEDRIVER`` (the GitHub workflow points them at the runner's Chrome).
Without them a test skips with the reason, also written to the GitHub job summary."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


def _browser() -> tuple[Path | None, Path | None]:
    chrome = os.environ.get("GANZOO_CHROME") or shutil.which("chromium") or shutil.which("google-chrome")
    driver = os.environ.get("GANZOO_CHROMEDRIVER") or shutil.which("chromedriver")
    return (Path(chrome) if chrome else None), (Path(driver) if driver else None)


CHROMIUM, CHROMEDRIVER = _browser()


def chromium(what: str):
    """A headless Chromium WebDriver at 1280x1000, or a skip that names ``what`` was skipped and why."""
    if not (CHROMIUM and CHROMIUM.is_file() and CHROMEDRIVER and CHROMEDRIVER.is_file()):
        why = (f"{what} was skipped: no Chromium/Chrome ({CHROMIUM}) or WebDriver ({CHROMEDRIVER}); "
               "apt-get install chromium chromium-driver, or set GANZOO_CHROME and GANZOO_CHROMEDRIVER")
        if os.environ.get("GITHUB_STEP_SUMMARY"):  # said in the job summary, not only in pytest's -ra lines
            with open(os.environ["GITHUB_STEP_SUMMARY"], "a") as f:
                f.write(f"**{why}**\n")
        pytest.skip(why)
    webdriver = pytest.importorskip("selenium.webdriver", reason="needs Selenium (pip install -e '.[test]')")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
