"""Screenshots of the demo marketplace's main pages for docs/screenshots/.

Builds the demo (core and every installed plugin taking part in it) in a
temporary SQLite database, serves it on a free localhost port from a thread,
and drives Debian's Chromium through Playwright (``/usr/bin/chromium``, or
``MARKETPLACE_TEST_CHROMIUM``) to save one PNG per page, language and width:

    docs/screenshots/<page>-<language>-<desktop|phone>.png

Desktop is 1280x860, phone 360x760 (the smallest width the site supports);
screenshots show the first screen, not the whole page, so they stay small (the
operator console's statistics and reports queue are taken whole).

    .venv/bin/python scripts/screenshots.py                 # every page, en and zh_Hans
    .venv/bin/python scripts/screenshots.py --pages home listing --languages ru
    .venv/bin/python scripts/screenshots.py --out /tmp/shots
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
WIDTHS = {"desktop": (1280, 860), "phone": (360, 760)}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]


def first_link(page, pattern: str) -> str:
    """The first href on the current page matching ``pattern`` (a regex on the path)."""
    for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
        if re.fullmatch(pattern, href or ""):
            return href
    raise SystemExit(f"no link matching {pattern!r} on {page.url}")


def login(page, base: str, email: str, password: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("main form.stack button[type=submit]")
    page.wait_for_load_state()


def _listing(page, base: str) -> str:
    page.goto(base + "/listings/")
    return first_link(page, r"/listings/\d+")


def _order(page, base: str) -> str:
    page.goto(base + "/orders")
    return first_link(page, r"/orders/\d+")


def _conversation(page, base: str) -> str:
    page.goto(base + "/messages")
    return first_link(page, r"/messages/\d+")


def _profile(page, base: str) -> str:
    page.goto(base + _listing(page, base))
    return first_link(page, r"/users/\d+")


#: page name -> (who is signed in: None or a demo login role, path or a function finding it)
PAGES: dict[str, tuple[str | None, str | Callable]] = {
    "home": (None, "/"),
    "search": (None, "/listings/?q=tea"),
    "listing": (None, _listing),
    "profile": (None, _profile),
    "register": (None, "/register"),
    "order": ("customer", _order),
    "inbox": ("customer", "/messages"),
    "conversation": ("customer", _conversation),
    "notifications": ("customer", "/notifications"),
    "dashboard": ("provider", "/account"),
    "wallet": ("provider", "/wallet"),
    "console-stats": ("operator", "/console/stats?preset=30d&granularity=day"),
    "console-reports": ("operator", "/console/reports"),
}
#: pages taken whole (below the first screen too)
FULL_PAGE = {"console-stats", "console-reports"}


def serve(app) -> tuple[str, Callable[[], None]]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        thread.join(timeout=10)

    return f"http://127.0.0.1:{server.server_port}", stop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--pages", nargs="*", choices=sorted(PAGES), default=list(PAGES))
    parser.add_argument("--languages", nargs="*", default=["en", "zh_Hans"])
    parser.add_argument("--widths", nargs="*", choices=sorted(WIDTHS), default=list(WIDTHS))
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    from marketplace_kit.demo import DEMO_PASSWORD, build_demo

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mk-shots-") as tmp:
        app, logins = build_demo(
            None, database_url=f"sqlite:///{tmp}/demo.sqlite3", seed=3, port=5099, host="127.0.0.1"
        )
        emails = {}
        for role, email, _pw in logins:
            emails.setdefault(role, email)
        base, stop = serve(app)
        executable = os.environ.get("MARKETPLACE_TEST_CHROMIUM", "/usr/bin/chromium")
        saved = 0
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
                for lang in args.languages:
                    for who in (None, "customer", "provider", "operator"):
                        names = [n for n in args.pages if PAGES[n][0] == who]
                        if not names:
                            continue
                        for width in args.widths:
                            w, h = WIDTHS[width]
                            ctx = browser.new_context(
                                viewport={"width": w, "height": h},
                                locale=lang.replace("_Hans", "-CN"),
                                extra_http_headers={"Accept-Language": lang.replace("_", "-")},
                            )
                            ctx.add_cookies([{"name": "mk_lang", "value": lang, "url": base}])
                            page = ctx.new_page()
                            if who:
                                login(page, base, emails[who], DEMO_PASSWORD)
                            for name in names:
                                target = PAGES[name][1]
                                path = target if isinstance(target, str) else target(page, base)
                                resp = page.goto(base + path)
                                if resp is None or resp.status >= 400:
                                    status = resp and resp.status
                                    raise SystemExit(f"{name}: {path} answered {status}")
                                file = out / f"{name}-{lang}-{width}.png"
                                page.screenshot(path=str(file), full_page=name in FULL_PAGE)
                                saved += 1
                                print(file.relative_to(ROOT) if file.is_relative_to(ROOT) else file)
                            ctx.close()
                browser.close()
        finally:
            stop()
    print(f"{saved} screenshots in {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
