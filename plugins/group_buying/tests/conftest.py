"""Every test runs with the plugin enabled; fixtures come from marketplace_kit.testing only."""

from __future__ import annotations

import pytest


@pytest.fixture
def mk_plugins():
    return ["group_buying"]


@pytest.fixture
def mk_config():
    return {"fees": {"rules": []}, "database": {"pool_size": 20}}


@pytest.fixture
def deal_factory(app, user_factory, listing_factory):
    """``deal_factory(price_amount=1000, quantity=100, now=None, **deal fields)`` -> a committed deal."""
    from datetime import timedelta

    from marketplace_kit_group_buying import service

    from marketplace_kit.core.db import utcnow
    from marketplace_kit.events import commit

    def make(*, price_amount=1000, quantity=100, now=None, listing=None, **fields):
        now = now or utcnow()
        listing = listing or listing_factory(price_amount=price_amount, quantity=quantity)
        data = {
            "kind": "team",
            "tiers": [],
            "group_price": None,
            "group_size": None,
            "fill_window_minutes": 60,
            "starts_at": now - timedelta(minutes=1),
            "ends_at": now + timedelta(days=2),
            "stock_cap": None,
            "per_order_limit": 1,
            "per_user_limit": None,
            "leader_discount": 0,
        }
        data.update(fields)
        deal = service.create_deal(listing.author, listing, data, now=now)
        commit()
        return deal

    return make


@pytest.fixture
def buyers(user_factory, fund_wallet):
    """``buyers(n, amount=10_000)`` -> n committed users with funded wallets."""

    def make(n, amount=10_000):
        people = [user_factory() for _ in range(n)]
        for person in people:
            fund_wallet(person, amount)
        return people

    return make
