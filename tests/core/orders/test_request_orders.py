"""Orders on request listings: the author is the customer and names the provider."""

from __future__ import annotations

import pytest
from marshmallow import Schema

from marketplace_kit.core.listings.types import ListingType
from marketplace_kit.core.orders import engine
from marketplace_kit.errors import PermissionDenied, ValidationError
from marketplace_kit.events import commit
from marketplace_kit.hookspecs import hookimpl


class Wanted:
    @staticmethod
    @hookimpl
    def mk_register_listing_types(app):
        return [ListingType("wanted", "Wanted", Schema, author_side="request")]


@pytest.fixture
def app(app_factory):
    """Every test here runs on an app that also has a request listing type."""
    application = app_factory(extra_plugins=[Wanted])
    with application.app_context():
        yield application


def test_the_author_of_a_request_orders_from_the_provider_they_name(
    app, user_factory, listing_factory
):
    client_user, worker = user_factory(), user_factory()
    wanted = listing_factory(author=client_user, listing_type="wanted", price_amount=5000)
    order = engine.place_order("inquiry", customer=client_user, listing=wanted, provider=worker)
    commit()
    assert (order.customer_id, order.provider_id, order.state) == (
        client_user.id,
        worker.id,
        "open",
    )
    wanted.status = "closed"  # bidding over: the author's orders with the provider go on
    commit()
    later = engine.place_order("inquiry", customer=client_user, listing=wanted, provider=worker)
    commit()
    assert later.provider_id == worker.id


def test_request_orders_refuse_strangers_and_missing_or_self_providers(
    app, user_factory, listing_factory
):
    client_user, worker, stranger = user_factory(), user_factory(), user_factory()
    wanted = listing_factory(author=client_user, listing_type="wanted")
    with pytest.raises(PermissionDenied):
        engine.place_order("inquiry", customer=stranger, listing=wanted, provider=worker)
    with pytest.raises(ValidationError) as missing:
        engine.place_order("inquiry", customer=client_user, listing=wanted)
    assert "provider" in missing.value.errors
    with pytest.raises(ValidationError):
        engine.place_order("inquiry", customer=client_user, listing=wanted, provider=client_user)


def test_an_offer_keeps_its_author_as_provider(app, user_factory, listing_factory):
    customer, author, other = user_factory(), user_factory(), user_factory()
    offer = listing_factory(author=author)
    with pytest.raises(ValidationError):
        engine.place_order("inquiry", customer=customer, listing=offer, provider=other)
    order = engine.place_order("inquiry", customer=customer, listing=offer, provider=author)
    commit()
    assert order.provider_id == author.id


def test_a_request_listing_page_offers_no_checkout(app, client, user_factory, listing_factory):
    wanted = listing_factory(listing_type="wanted")
    offer = listing_factory()
    client.login(user_factory())
    assert f"/listings/{offer.id}/checkout" in client.get(f"/listings/{offer.id}").get_data(
        as_text=True
    )
    page = client.get(f"/listings/{wanted.id}").get_data(as_text=True)
    assert f"/listings/{wanted.id}/checkout" not in page
