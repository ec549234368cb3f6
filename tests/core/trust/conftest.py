"""Fixtures for reviews and reputation: parties and completed purchase orders."""

from __future__ import annotations

from types import SimpleNamespace

import pytest


@pytest.fixture
def trade(user_factory, listing_factory, fund_wallet, order_factory):
    """``t.customer``, ``t.provider``, ``t.listing`` and ``t.complete()`` -> a completed order."""
    from marketplace_kit.core.orders import engine
    from marketplace_kit.events import commit

    t = SimpleNamespace()
    t.customer = user_factory(display_name="Chen Wei")
    t.provider = user_factory(display_name="Bright Clean Ltd")
    t.listing = listing_factory(author=t.provider, title="Oolong tea", price_amount=1000)
    fund_wallet(t.customer, 100_000)

    def complete(customer=None, listing=None):
        order = order_factory(customer=customer or t.customer, listing=listing or t.listing)
        engine.transition(order, "pay_from_wallet", order.customer)
        engine.transition(order, "mark_delivered", order.provider)
        engine.transition(order, "accept", order.customer)
        commit()
        return order

    def paid(customer=None):
        order = order_factory(customer=customer or t.customer, listing=t.listing)
        engine.transition(order, "pay_from_wallet", order.customer)
        commit()
        return order

    t.complete = complete
    t.paid = paid
    return t
