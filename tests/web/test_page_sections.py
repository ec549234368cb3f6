"""Plugins add sections to the listing, order, profile and dashboard pages (mk_page_sections)."""

from __future__ import annotations

import pytest

from marketplace_kit import hookimpl
from marketplace_kit.web.menus import PageSection


@pytest.fixture
def sections_app(app_factory, tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "extra_section.html").write_text(
        "<p class='extra'>{{ note }} about {{ subject.id }} for "
        "{{ user.display_name if user else 'a visitor' }}</p>"
    )

    class Sections:
        @hookimpl
        def mk_page_sections(self, place, subject, user):
            if place == "order" and user is None:
                raise AssertionError("order pages are never anonymous")
            return [
                PageSection(
                    key="extra",
                    title=f"Extra on {place}",
                    template="extra_section.html",
                    context={"note": place.upper()},
                ),
                PageSection(key="first", title="First", template="extra_section.html", order=1),
            ]

    return app_factory(
        {"app": {"config_dir": str(tmp_path)}, "theme": {"templates_folder": "site"}},
        extra_plugins=[Sections()],
    )


def test_sections_render_on_each_core_page(
    sections_app, user_factory, listing_factory, order_factory
):
    client = sections_app.test_client()
    with sections_app.app_context():
        seller = user_factory(display_name="Sam")
        buyer = user_factory(display_name="Bea")
        listing = listing_factory(author=seller)
        order = order_factory(listing=listing, customer=buyer)
        ids = {
            "listing": listing.id,
            "order": order.id,
            "profile": seller.id,
            "dashboard": buyer.id,
        }

    page = client.get(f"/listings/{ids['listing']}").text
    assert f"LISTING about {ids['listing']} for a visitor" in page
    assert page.index('id="section-first-h"') < page.index('id="section-extra-h"')

    client.login(buyer)
    checks = {
        f"/listings/{ids['listing']}": ("listing", "Bea"),
        f"/orders/{ids['order']}": ("order", "Bea"),
        f"/users/{ids['profile']}": ("profile", "Bea"),
        "/account": ("dashboard", "Bea"),
    }
    for url, (place, viewer) in checks.items():
        page = client.get(url).text
        assert f"Extra on {place}" in page, url
        assert f"{place.upper()} about {ids[place]} for {viewer}" in page, url


def test_unknown_place_is_a_programming_error(app):
    with app.test_request_context(), pytest.raises(ValueError, match="unknown place 'basket'"):
        app.jinja_env.globals["page_sections"]("basket", None)
