"""The home page from [landing] config, and the listing page's call to action and sharing tags."""

from __future__ import annotations

import pytest

from marketplace_kit.config import load_settings
from marketplace_kit.errors import ConfigError

LANDING = {
    "copy": {
        "en": {
            "headline": "Fresh from the harbour",
            "lead": "Buy straight from the boats.",
            "cta_label": "Sell your catch",
            "steps": [{"title": "Order before ten", "text": "Boats land at noon."}],
        },
        "ru": {"headline": "Прямо из гавани"},
    },
    "recent": 2,
}


@pytest.mark.mk_config({"landing": LANDING})
def test_home_page_copy_per_locale_with_fallback(client):
    page = client.get("/", headers={"Accept-Language": "en"}).text
    assert '<h1 id="hero-h">Fresh from the harbour</h1>' in page
    assert "Buy straight from the boats." in page and "Sell your catch" in page
    assert "Order before ten" in page and "Boats land at noon." in page
    ru = client.get("/", headers={"Accept-Language": "ru"}).text
    assert "Прямо из гавани" in ru
    assert "Buy straight from the boats." in ru  # no Russian lead: the default locale's


def test_home_page_defaults_to_site_name_and_tagline(app_factory):
    app = app_factory({"site": {"name": "Tea Co-op", "tagline": "Leaves from our members"}})
    page = app.test_client().get("/").text
    assert "Tea Co-op</h1>" in page and "Leaves from our members" in page
    assert 'href="/listings/new"' in page  # default call to action: start selling
    closed = app_factory({"users": {"allow_registration": False}})
    assert 'href="/listings/new"' not in closed.test_client().get("/").text


@pytest.fixture
def shop(app_factory):
    return app_factory({"landing": {"featured": [3, 1, 99], "recent": 2}})


def test_featured_in_config_order_then_newest(
    shop, listing_factory, category_factory, user_factory
):
    with shop.app_context():
        bikes = category_factory("bikes")
        road = category_factory("road-bikes", parent=bikes)
        category_factory("empty")
        one = listing_factory(title="First bike", category=road)
        listing_factory(title="Draft bike", category=bikes, status="draft")
        three = listing_factory(title="Third bike", category=bikes)
        listing_factory(title="Fourth thing")
        listing_factory(title="Fifth thing")
        assert (one.id, three.id) == (1, 3)
    page = shop.test_client().get("/").text
    featured = page[page.index('id="featured-h"') : page.index('id="recent-h"')]
    assert featured.index("Third bike") < featured.index("First bike")
    assert "Draft bike" not in page
    recent = page[page.index('id="recent-h"') :]
    assert "Fifth thing" in recent and "Fourth thing" in recent and "bike" not in recent
    categories = page[page.index('id="categories-h"') : page.index('id="featured-h"')]
    assert "Bikes" in categories and "2 listings" in categories  # road bikes count too
    assert "Road Bikes" not in categories  # top level only
    assert "Empty" in categories and "0 listings" in categories


def test_bad_landing_config_is_refused():
    with pytest.raises(ConfigError, match=r"\[landing\] copy"):
        load_settings({"landing": {"copy": {"xx_Bogus": {"headline": "x"}}}})
    with pytest.raises(ConfigError, match=r"\[landing\] recent"):
        load_settings({"landing": {"recent": 1000}})


def test_listing_page_call_to_action_and_sharing_tags(client, user_factory, listing_factory):
    seller = user_factory(display_name="Sam Seller")
    listing = listing_factory(author=seller, title="Blue kayak", description="Two seats. " * 40)
    page = client.get(f"/listings/{listing.id}").text
    assert f'href="/listings/{listing.id}/checkout">Buy now</a>' in page
    assert '<meta property="og:title" content="Blue kayak">' in page
    assert f'<link rel="canonical" href="http://localhost/listings/{listing.id}">' in page
    assert '<meta property="product:price:amount" content="10.00">' in page
    description = page.split('<meta name="description" content="')[1].split('"')[0]
    assert description.startswith("Two seats.") and len(description) <= 163
    assert f'href="/users/{seller.id}">Sam Seller</a>' in page
    client.login(seller)
    own = client.get(f"/listings/{listing.id}").text
    assert "Buy now" not in own and "Edit" in own
    sold_out = listing_factory(author=seller, quantity=0)
    client.logout()
    assert "Sold out" in client.get(f"/listings/{sold_out.id}").text


def test_unpublished_listing_is_not_indexed(client, user_factory, listing_factory):
    seller = user_factory()
    draft = listing_factory(author=seller, status="draft")
    client.login(seller)
    page = client.get(f"/listings/{draft.id}").text
    assert '<meta name="robots" content="noindex">' in page and "Buy now" not in page
