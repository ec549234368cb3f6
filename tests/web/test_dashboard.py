"""The account overview is a dashboard: money, listings, saved things, latest orders."""

from __future__ import annotations

from marketplace_kit.core.listings.social import add_favourite
from marketplace_kit.core.orders import engine
from marketplace_kit.events import commit
from marketplace_kit.testing import count_queries


def test_dashboard_for_a_provider_and_customer(
    app, client, user_factory, listing_factory, order_factory, fund_wallet
):
    seller = user_factory(display_name="Sam")
    buyer = user_factory(display_name="Bea")
    listing = listing_factory(author=seller, title="Kayak", price_amount=5000)
    listing_factory(author=seller, status="draft")
    fund_wallet(buyer, 20000)
    order = order_factory(customer=buyer, listing=listing)
    for name, actor in (
        ("pay_from_wallet", buyer),
        ("mark_delivered", seller),
        ("accept", buyer),
    ):
        engine.transition(order, name, actor)
        commit()
    add_favourite(buyer, listing=listing)
    commit()

    client.login(seller)
    page = client.get("/account").text
    assert "<strong>1</strong> Published" in page and "<strong>1</strong> Draft" in page
    assert "Latest orders from customers" in page and "Kayak" in page and "Completed" in page
    earned = page.split("Earned in the last 30 days")[1].split("</dd>")[0]
    assert "$50.00" in earned  # no fee rules in the test config: all of it

    client.logout()
    client.login(buyer)
    page = client.get("/account").text
    assert "Your latest purchases" in page and "Latest orders from customers" not in page
    assert '<span class="balance">$150.00</span>' in page
    assert "<strong>1</strong> Favourites" in page
    assert "You have no listings yet." in page


def test_dashboard_queries_do_not_grow(app, client, user_factory, order_factory, listing_factory):
    seller = user_factory()
    client.login(seller)
    listing = listing_factory(author=seller)
    order_factory(listing=listing)
    client.get("/account")
    with count_queries(app) as few:
        client.get("/account")
    for _ in range(10):
        order_factory(listing=listing_factory(author=seller))
    with count_queries(app) as many:
        client.get("/account")
    assert len(many) == len(few), str(many)
