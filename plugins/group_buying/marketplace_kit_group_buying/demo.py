"""Demo data: a team-buy deal with filled, tier-settled, failed and open groups, and a tipping deal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from marketplace_kit.core.db import utcnow
from marketplace_kit.core.ledger import service as ledger
from marketplace_kit.core.listings.models import Listing
from marketplace_kit.core.users.models import User
from marketplace_kit.core.users.service import create_user
from marketplace_kit.events import commit
from marketplace_kit.extensions import db
from marketplace_kit.money import Money

from . import service


def _listing(provider: User, title: str, description: str, price: int, currency: str) -> Listing:
    listing = Listing(
        author_id=provider.id,
        listing_type="product",
        title=title,
        description=description,
        price_amount=price,
        currency=currency,
        status="published",
        quantity=500,
        public_data={},
        protected_data={},
        private_data={},
        published_at=utcnow(),
    )
    db.session.add(listing)
    commit()
    from marketplace_kit.core.listings.service import refresh_document

    refresh_document(listing)
    commit()
    return listing


def _buy(user: User, member_fn, *args: Any, now) -> None:
    member = member_fn(user, *args, now=now)
    commit()
    service.pay_from_wallet(member, user, now=now)
    commit()


def seed_demo(app: Flask, seed: int) -> None:
    from marketplace_kit.app import state

    provider = db.session.scalars(select(User).where(User.email == "provider@demo.example")).first()
    customer = db.session.scalars(select(User).where(User.email == "customer@demo.example")).first()
    if provider is None or customer is None:
        return
    currency = state(app).settings.site["currency"]
    shoppers = []
    for n in range(1, 11):
        shopper = create_user(f"teambuyer{n}@demo.example", f"Team buyer {n}")
        shoppers.append(shopper)
    commit()
    clearing = ledger.account("clearing", "sandbox", currency)
    for user in [customer, *shoppers]:
        ledger.transfer(
            "deposit",
            clearing,
            ledger.account("wallet", user, currency),
            Money(30000, currency),
            memo="demo top-up",
        )
    commit()

    now = utcnow()
    past = now - timedelta(days=3)
    lychees = _listing(
        provider,
        "Lychees, 5 kg box — group buy",
        "Fresh lychees from the orchard. 团购荔枝 5 公斤装。Личи, коробка 5 кг.",
        6000,
        currency,
    )
    deal = service.create_deal(
        provider,
        lychees,
        {
            "kind": "team",
            "tiers": [{"min_size": 2, "unit_price": 5000}, {"min_size": 4, "unit_price": 4200}],
            "group_size": 4,
            "fill_window_minutes": 24 * 60,
            "starts_at": past,
            "ends_at": now + timedelta(days=7),
            "per_order_limit": 2,
            "per_user_limit": 2,
            "leader_discount": 200,
        },
        now=past,
    )
    commit()
    # a filled group: four paid members
    _buy(shoppers[0], service.start_group, deal, now=past)
    filled = service.groups_of(shoppers[0])[0][1]
    for shopper in shoppers[1:4]:
        _buy(shopper, service.join_group, filled, now=past + timedelta(minutes=30))
    service.settle_group(filled.id, now=past + timedelta(hours=1))
    # a group that reached the first tier only: settles at it, with refunds
    _buy(shoppers[4], service.start_group, deal, now=past)
    tier_group = service.groups_of(shoppers[4])[0][1]
    _buy(shoppers[5], service.join_group, tier_group, now=past + timedelta(hours=2))
    service.settle_group(tier_group.id, now=past + timedelta(days=1, minutes=1))
    # a failed group: only the leader paid; refunded at expiry
    _buy(shoppers[6], service.start_group, deal, now=past)
    failed = service.groups_of(shoppers[6])[0][1]
    service.settle_group(failed.id, now=past + timedelta(days=1, minutes=1))
    # an open group the demo customer leads, two of four paid
    _buy(customer, service.start_group, deal, now=now - timedelta(hours=3))
    open_group = service.groups_of(customer)[0][1]
    _buy(shoppers[7], service.join_group, open_group, now=now - timedelta(hours=1))

    bread = _listing(
        provider,
        "Sourdough bread club — 10 loaves",
        "Ten weekly loaves if 10 neighbours sign up. 拼单面包。Хлебный клуб.",
        3500,
        currency,
    )
    tipping = service.create_deal(
        provider,
        bread,
        {
            "kind": "tipping",
            "price": 2800,
            "min_quantity": 10,
            "max_quantity": 30,
            "starts_at": now - timedelta(hours=1),
            "ends_at": now + timedelta(days=5),
            "per_order_limit": 3,
            "per_user_limit": 3,
        },
    )
    commit()
    for shopper in shoppers[8:10]:
        _buy(shopper, service.start_group, tipping, 2, now=now)
