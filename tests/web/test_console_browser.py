"""The listings queue in a real browser: filter, tick, bulk-approve; and the docs screenshot.

Set ``MARKETPLACE_SCREENSHOTS=1`` to (re)write ``docs/screenshots/console-queue.png``.
"""

from __future__ import annotations

import os
from pathlib import Path

from marketplace_kit.core.listings.models import Listing
from marketplace_kit.extensions import db

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "console-queue.png"


def test_listing_queue_in_the_browser(page, live_server, console_world, listing_factory, tmp_path):
    w = console_world
    kettle = listing_factory(
        author=w.provider, title="Copper kettle, barely used", status="pending", price_amount=4500
    )
    lamp = listing_factory(
        author=w.customer, title="Reading lamp", status="pending", price_amount=1800
    )
    page.goto(live_server("/login"))
    page.fill("#email", w.moderator.email)
    page.fill("#password", "correct horse battery staple")
    page.click("form button[type=submit]")
    page.goto(live_server("/console/listings"))
    assert page.locator("h1").inner_text() == "Listings pending approval"
    assert page.locator("table.queue tbody tr").count() == 3
    page.select_option(f"#assign-listings-{kettle.id}", "me")
    page.click(f"#assign-listings-{kettle.id} + button")
    assert "Assignment saved." in page.locator(".flashes").inner_text()
    shot = SCREENSHOT if os.environ.get("MARKETPLACE_SCREENSHOTS") else tmp_path / "queue.png"
    page.screenshot(path=str(shot), full_page=True)
    page.check(f"input[name=ids][value='{kettle.id}']")
    page.check(f"input[name=ids][value='{lamp.id}']")
    page.click("button[name=decision][value=approve]")
    assert "2 listings decided." in page.locator(".flashes").inner_text()
    db.session.expire_all()
    assert {db.session.get(Listing, i).status for i in (kettle.id, lamp.id)} == {"published"}
    assert page.locator("table.queue tbody tr").count() == 1
