"""Bad input gets a clear 4xx and moves nothing: joins, limits, and deals that cannot work."""

from __future__ import annotations

from datetime import timedelta

import pytest
from marketplace_kit_group_buying import service
from marketplace_kit_group_buying.models import Deal, Group, Member
from sqlalchemy import func, select

from marketplace_kit.core.db import utcnow
from marketplace_kit.core.ledger import service as ledger
from marketplace_kit.core.listings.models import Listing
from marketplace_kit.core.orders.models import Order
from marketplace_kit.errors import ValidationError
from marketplace_kit.events import commit
from marketplace_kit.extensions import db


def count(model):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def paid_group(deal, leader, now=None):
    member = service.start_group(leader, deal, now=now)
    commit()
    service.pay_from_wallet(member, leader, now=now)
    commit()
    return db.session.get(Group, member.group_id)


@pytest.fixture
def nothing_moves():
    """Snapshot orders, members and ledger entries; assert a refused call changed none of them."""
    from marketplace_kit.core.ledger.models import JournalEntry

    def snapshot():
        return (count(Order), count(Member), count(Group), count(JournalEntry))

    before = {}

    def start():
        before["v"] = snapshot()

    def check():
        assert snapshot() == before["v"]
        assert ledger.verify() == []

    return start, check


def test_joining_a_group_twice_or_a_second_open_group_of_the_deal_is_refused(
    app, deal_factory, buyers, nothing_moves
):
    deal = deal_factory(group_price=800, group_size=3)
    leader, other_leader, a = buyers(3)
    group = paid_group(deal, leader)
    other = paid_group(deal, other_leader)
    start, check = nothing_moves
    start()
    with pytest.raises(service.AlreadyInGroup):  # the leader into their own group
        service.join_group(leader, group)
    with pytest.raises(service.AlreadyInGroup):  # one open group per user per deal
        service.join_group(leader, other)
    with pytest.raises(service.AlreadyInGroup):
        service.start_group(leader, deal)
    check()
    member = service.join_group(a, group)
    commit()
    start()
    with pytest.raises(service.AlreadyInGroup):  # a reserved place counts too
        service.join_group(a, group)
    with pytest.raises(service.AlreadyInGroup):
        service.join_group(a, other)
    check()
    assert member.status == "reserved"


def test_joining_an_expired_or_settled_group_is_refused(app, deal_factory, buyers, nothing_moves):
    now = utcnow()
    deal = deal_factory(group_price=800, group_size=3, now=now)
    leader, a = buyers(2)
    group = paid_group(deal, leader, now=now)
    start, check = nothing_moves
    start()
    with pytest.raises(service.GroupClosed):
        service.join_group(a, group, now=now + timedelta(minutes=61))
    check()
    service.settle_group(group.id, now=now + timedelta(minutes=61))
    start()
    with pytest.raises(service.GroupClosed):
        service.join_group(a, db.session.get(Group, group.id), now=now + timedelta(minutes=62))
    check()


def test_quantities_over_the_limits_are_refused(app, deal_factory, buyers, nothing_moves):
    deal = deal_factory(group_price=800, group_size=3, per_order_limit=2, per_user_limit=3)
    leader, a = buyers(2)
    start, check = nothing_moves
    start()
    with pytest.raises(ValidationError) as info:
        service.start_group(leader, deal, 3)
    assert "quantity" in info.value.errors
    check()
    group = paid_group(deal, leader)
    tipping = deal_factory(
        kind="tipping",
        price=500,
        min_quantity=2,
        max_quantity=10,
        per_order_limit=2,
        per_user_limit=3,
        listing=deal.listing,
    )
    member = service.start_group(a, tipping, 2)
    commit()
    service.pay_from_wallet(member, a)
    commit()
    start()
    with pytest.raises(ValidationError) as info:  # 2 + 2 > 3 per customer
        service.start_group(a, tipping, 2)
    assert "you have 2 already" in info.value.errors["quantity"][0]
    with pytest.raises(ValidationError):
        service.join_group(a, group, 3)
    check()


def test_the_stock_cap_limits_the_whole_deal(app, deal_factory, buyers, nothing_moves):
    deal = deal_factory(group_price=800, group_size=2, stock_cap=3)
    a, b, c, d = buyers(4)
    g1 = paid_group(deal, a)
    service.join_group(b, g1)
    commit()
    paid_group(deal, c)
    start, check = nothing_moves
    start()
    with pytest.raises(service.GroupFull) as info:
        service.start_group(d, deal)
    assert "Only 0 left" in info.value.detail
    check()


def test_a_deal_not_started_or_over_takes_no_one(app, deal_factory, buyers, nothing_moves):
    now = utcnow()
    deal = deal_factory(group_price=800, group_size=2, starts_at=now + timedelta(hours=1), now=now)
    (a,) = buyers(1)
    start, check = nothing_moves
    start()
    with pytest.raises(service.DealNotOpen):
        service.start_group(a, deal, now=now)
    # a group can only start while its full window fits before the deal's end
    with pytest.raises(service.DealNotOpen):
        service.start_group(a, deal, now=deal.ends_at - timedelta(minutes=59))
    check()


BASE = {"fill_window_minutes": 60}


@pytest.mark.parametrize(
    ("fields", "key", "words"),
    [
        (
            {"tiers": [{"min_size": 4, "unit_price": 900}, {"min_size": 2, "unit_price": 700}]},
            "tiers",
            "strictly increasing",
        ),
        (
            {"tiers": [{"min_size": 2, "unit_price": 900}, {"min_size": 2, "unit_price": 700}]},
            "tiers",
            "strictly increasing",
        ),
        (
            {"tiers": [{"min_size": 2, "unit_price": 700}, {"min_size": 4, "unit_price": 900}]},
            "tiers",
            "cheaper",
        ),
        ({"group_price": 1200, "group_size": 2}, "group_price", "cheaper"),
        (
            {"tiers": [{"min_size": 2, "unit_price": 900}, {"min_size": 9, "unit_price": 700}]},
            "tiers",
            "cannot be bought",
        ),
        ({"group_price": 800, "group_size": 4, "stock_cap": 3}, "group_size", "only 3 units"),
        (
            {"tiers": [{"min_size": 2, "unit_price": 900}], "group_size": 9},
            "group_size",
            "Only 8 units",
        ),
        ({"group_price": 800}, "group_size", "Required"),
        ({}, "group_price", "group price or price tiers"),
        (
            {"group_price": 800, "group_size": 2, "leader_discount": 800},
            "leader_discount",
            "less than",
        ),
        (
            {"group_price": 800, "group_size": 2, "per_order_limit": 3, "per_user_limit": 2},
            "per_user_limit",
            "below",
        ),
        (
            {"group_price": 800, "group_size": 2, "fill_window_minutes": 24 * 60},
            "ends_at",
            "before a group's fill window",
        ),
    ],
)
def test_deals_that_cannot_work_are_rejected_with_the_field_named(
    app, client, listing_factory, api_token_factory, fields, key, words
):
    listing = listing_factory(price_amount=1000, quantity=8)
    token = api_token_factory(listing.author)
    now = utcnow()
    body = {
        "listing_id": listing.id,
        **BASE,
        "starts_at": now.isoformat(),
        "ends_at": (now + timedelta(hours=12)).isoformat(),
        **fields,
    }
    response = client.post(
        "/api/v1/group-buying/deals", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 422, response.get_json()
    assert response.content_type.startswith("application/problem+json")
    problem = response.get_json()
    assert any(words in message for message in problem["errors"][key]), problem
    assert count(Deal) == 0


def test_only_the_listings_author_makes_deals(
    app, client, listing_factory, user_factory, api_token_factory
):
    listing = listing_factory(price_amount=1000, quantity=8)
    token = api_token_factory(user_factory())
    response = client.post(
        "/api/v1/group-buying/deals",
        json={
            "listing_id": listing.id,
            "group_price": 800,
            "group_size": 2,
            "fill_window_minutes": 60,
            "ends_at": (utcnow() + timedelta(days=1)).isoformat(),
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 403
    assert count(Deal) == 0


def test_the_deal_form_shows_the_short_deal_error_next_to_the_end_field(
    app, client, listing_factory
):
    listing = listing_factory(price_amount=1000, quantity=8)
    client.login(listing.author)
    url = f"/group-buying/listings/{listing.id}/deals/new"
    assert client.get(url).status_code == 200
    start = utcnow().replace(tzinfo=None, microsecond=0, second=0) + timedelta(minutes=5)
    response = client.submit(
        url,
        {
            "kind": "team",
            "group_price": "8.00",
            "group_size": "2",
            "fill_window_minutes": "1440",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
            "per_order_limit": "1",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="ends_at-errors"' in html
    assert "before a group&#39;s fill window (1440 minutes)" in html
    assert count(Deal) == 0
    response = client.submit(
        url,
        {
            "kind": "team",
            "tiers": "2 = 9.00\n4 = 7.00",
            "fill_window_minutes": "60",
            "ends_at": (start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
            "per_order_limit": "1",
        },
    )
    assert response.status_code == 302
    deal = db.session.scalars(select(Deal)).one()
    assert deal.tiers == [{"min_size": 2, "unit_price": 900}, {"min_size": 4, "unit_price": 700}]
    assert deal.group_size == 4
    assert db.session.get(Listing, listing.id).quantity == 8
