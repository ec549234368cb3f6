"""A live server and a real browser (Playwright on Debian's Chromium) for tests.

``live_server`` serves the test's ``app`` on a free localhost port from a
background thread; ``page`` is a Playwright page on headless Chromium
(``/usr/bin/chromium`` unless ``MARKETPLACE_TEST_CHROMIUM`` says otherwise).
Without a Chromium binary the browser tests are skipped with that reason.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM_ENV = "MARKETPLACE_TEST_CHROMIUM"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@dataclass
class LiveServer:
    url: str

    def __call__(self, path: str = "/") -> str:
        return self.url + path


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    executable = os.environ.get(CHROMIUM_ENV, "/usr/bin/chromium")
    if not os.path.exists(executable):
        pytest.skip(f"no Chromium at {executable} (apt-get install chromium; CI does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server: LiveServer) -> Iterator[object]:
    """A fresh browser context (own cookies) and page; ``page.goto(live_server('/'))``."""
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    pg = context.new_page()
    yield pg
    context.close()
