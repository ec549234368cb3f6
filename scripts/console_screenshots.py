"""Screenshots of the operator console for the docs (re-run after UI changes).

Starts the demo (``marketplace-kit demo``) on a free port, signs in as the
demo operator (admin) with Playwright for Python on Debian's Chromium, and
writes ``docs/screenshots/console-stats.png`` (the statistics dashboard) and
``docs/screenshots/console-reports.png`` (the reports queue).

    .venv/bin/python scripts/console_screenshots.py [--port 5066] [--chromium /usr/bin/chromium]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
SHOTS = {
    "console-stats.png": "/console/stats?preset=30d&granularity=day",
    "console-reports.png": "/console/reports",
}


def wait_for(url: str, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5):  # noqa: S310 - localhost only
                return
        except OSError:
            time.sleep(1)
    raise SystemExit(f"the demo did not answer at {url}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=5066)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from marketplace_kit.demo import DEMO_PASSWORD

    exe = Path(sys.executable).with_name("marketplace-kit")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MARKETPLACE_CONFIG")}
    demo = subprocess.Popen(  # noqa: S603 - our own command
        [str(exe), "demo", "--port", str(args.port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{args.port}"
    try:
        wait_for(base + "/")
        OUT.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=args.chromium)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(base + "/login")
            page.fill("input[name=email]", "admin@demo.example")
            page.fill("input[name=password]", DEMO_PASSWORD)
            page.click("form.stack button[type=submit]")
            page.wait_for_load_state()
            for name, path in SHOTS.items():
                page.goto(base + path)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(OUT / name), full_page=True)
                print(f"wrote {OUT / name}")
            browser.close()
    finally:
        demo.terminate()
        demo.wait(timeout=30)


if __name__ == "__main__":
    main()
