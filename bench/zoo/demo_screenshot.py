"""The docs' screenshot of ``ganzoo demo`` (docs/demo.png): the app served locally, opened in headless Chromium
(Debian's ``chromium`` and ``chromium-driver``, driven by Selenium, as tests/test_demo.py does), Generate clicked in
the Sample tab.

    python -m bench.zoo.demo_screenshot [--entry cgan-fashion_mnist] [--out docs/demo.png]
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import time
from pathlib import Path

from bench.common import ROOT

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def main(argv: list[str] | None = None) -> Path:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--entry", default="cgan-fashion_mnist", help="the Sample tab's entry (a conditional one shows the "
                                                                 "class selector)")
    p.add_argument("--out", default=str(ROOT / "docs" / "demo.png"))
    p.add_argument("--width", type=int, default=1280)
    p.add_argument("--height", type=int, default=1100)
    args = p.parse_args(argv)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    from ganzoo.demo import build_demo, launch
    from ganzoo.io import atomic_write_bytes

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo, url = launch("127.0.0.1", port, block=False, quiet=True, demo=build_demo(default_entry=args.entry))
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--hide-scrollbars",
              f"--window-size={args.width},{args.height}"):
        options.add_argument(a)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.get(url)
        wait = WebDriverWait(driver, 120)
        wait.until(ec.element_to_be_clickable((By.ID, "sample-generate"))).click()
        img = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, "#sample-output img")))
        wait.until(lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", img))
        time.sleep(1.0)  # let the page settle (fonts, the image's fade-in)
        out = Path(args.out)
        atomic_write_bytes(out, driver.get_screenshot_as_png())
    finally:
        driver.quit()
        demo.close()
    print(f"wrote {out}", file=sys.stderr)
    return out


if __name__ == "__main__":
    main()
