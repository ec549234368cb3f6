"""Pages and API lists run a number of queries that does not grow with the rows shown.

Each case builds the page's data with 1 row and with 25 rows and compares the
statement counts; listing and search pages must also stay within 10.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from marketplace_kit.core.listings import images
from marketplace_kit.events import commit
from marketplace_kit.testing import count_queries

MANY = 25


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 120, 90)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def world(app, user_factory, listing_factory, category_factory, order_factory, api_token_factory):
    """Two users; ``grow(n)`` gives the viewer n of everything."""
    viewer = user_factory(display_name="Viewer")
    seller = user_factory(display_name="Seller")
    token = api_token_factory(viewer)
    parent = category_factory("home")
    category = category_factory("kitchen", parent=parent)
    picture = _png()

    def grow(n: int) -> None:
        from marketplace_kit.core.listings.social import add_favourite
        from marketplace_kit.core.messaging import service as messaging

        for i in range(n):
            listing = listing_factory(
                author=seller if i % 2 else user_factory(), category=category, title=f"Pan {i}"
            )
            images.add_image(listing, listing.author, picture)
            listing_factory(author=viewer, title=f"Own {i}")
            add_favourite(viewer, listing=listing)
            order_factory(customer=viewer, listing=listing)
            messaging.start_conversation(viewer, listing=listing, body=f"Is pan {i} iron?")
            commit()

    return {"viewer": viewer, "token": token, "grow": grow}


PAGES = [
    ("/", None),
    ("/listings/", 10),
    ("/listings/?q=Pan&sort=relevance", 10),
    ("/listings/?category=home&sort=price_asc", 10),
    ("/listings/mine", 10),
    ("/listings/favourites", 10),
    ("/orders", None),
    ("/api/v1/listings/", 10),
    ("/api/v1/orders", None),
    ("/messages", None),
    ("/api/v1/conversations", None),
]


def _count(app, client, url, token) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if url.startswith("/api/") else {}
    client.get(url, headers=headers)  # warm caches (categories, listing types)
    with count_queries(app) as log:
        resp = client.get(url, headers=headers)
    assert resp.status_code == 200, (url, resp.status_code)
    return len(log), str(log)


@pytest.mark.parametrize(("url", "limit"), PAGES)
def test_queries_do_not_grow_with_rows(app, client, world, url, limit):
    client.login(world["viewer"])
    world["grow"](1)
    few, _ = _count(app, client, url, world["token"])
    world["grow"](MANY - 1)
    many, many_log = _count(app, client, url, world["token"])
    assert many == few, f"{url}: {few} queries for 1 row, {many} for {MANY}:\n{many_log}"
    if limit is not None:
        assert many <= limit, f"{url}: {many} queries:\n{many_log}"


def test_listing_page_query_budget(app, client, world, listing_factory):
    client.login(world["viewer"])
    world["grow"](3)
    listing = listing_factory(title="Kettle")
    for _ in range(4):
        images.add_image(listing, listing.author, _png())
    commit()
    url = f"/listings/{listing.id}"
    count, log = _count(app, client, url, world["token"])
    assert count <= 10, f"{url}: {count} queries:\n{log}"


@pytest.mark.mk_config({"messaging": {"mask_contacts": True}})
@pytest.mark.parametrize("url", ["/messages", "/api/v1/conversations"])
def test_inbox_with_masking_does_not_grow_with_rows(app, client, world, url):
    client.login(world["viewer"])
    world["grow"](1)
    few, _ = _count(app, client, url, world["token"])
    world["grow"](MANY - 1)
    many, many_log = _count(app, client, url, world["token"])
    assert many == few, f"{url}: {few} queries for 1 row, {many} for {MANY}:\n{many_log}"
