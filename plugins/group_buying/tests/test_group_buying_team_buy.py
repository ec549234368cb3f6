"""Team buys (拼团): opening by paying, joining by link, reservations, settlement, refunds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from marketplace_kit_group_buying import service
from marketplace_kit_group_buying.models import Group, Member
from sqlalchemy import func, select

from marketplace_kit.core.db import utcnow
from marketplace_kit.core.ledger import service as ledger
from marketplace_kit.core.ledger.models import JournalEntry
from marketplace_kit.core.listings.models import Listing
from marketplace_kit.core.notifications.models import Notification
from marketplace_kit.core.orders import engine
from marketplace_kit.core.orders.models import Order
from marketplace_kit.events import commit
from marketplace_kit.extensions import db
from marketplace_kit.money import Money
from marketplace_kit.testing import schema_differences


def usd(amount):
    return Money(amount, "USD")


def wallet(user):
    return ledger.balance_of("wallet", user, "USD")


def order_of(member):
    return db.session.get(Order, member.order_id)


def reload(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def open_paid_group(deal, leader, now=None, quantity=1):
    member = service.start_group(leader, deal, quantity, now=now)
    commit()
    service.pay_from_wallet(member, leader, now=now)
    commit()
    return reload(db.session.get(Group, member.group_id))


def join_and_pay(group, user, now=None, quantity=1):
    member = service.join_group(user, group, quantity, now=now)
    commit()
    service.pay_from_wallet(member, user, now=now)
    commit()
    return member


def test_migrations_agree_with_the_models(app_factory):
    app = app_factory(plugins=["group_buying"], migrate=True)
    assert schema_differences(app) == []


def test_the_leader_opens_the_group_by_paying_and_only_then_gets_the_share_link(
    app, deal_factory, buyers
):
    deal = deal_factory(group_price=800, group_size=3)
    (leader,) = buyers(1)
    member = service.start_group(leader, deal)
    commit()
    group = db.session.get(Group, member.group_id)
    assert group.status == "pending" and group.share_token is None
    assert member.role == "leader" and member.status == "reserved"
    assert order_of(member).state == "pending_payment"
    assert order_of(member).customer_total == usd(1000)  # pays the regular price up front
    service.pay_from_wallet(member, leader)
    commit()
    group = reload(group)
    assert group.status == "open" and group.share_token
    assert group.paid_members == 1 and group.reserved_members == 0
    assert group.expires_at == group.opened_at + timedelta(minutes=60)
    assert wallet(leader) == usd(9000)
    note = db.session.scalars(
        select(Notification).where(
            Notification.user_id == leader.id, Notification.event == "group_buying_group_opened"
        )
    ).one()
    assert note.context["share_url"] == f"http://localhost/group-buying/g/{group.share_token}"
    assert ledger.verify() == []


def test_only_paid_members_count_and_a_reservation_holds_a_place(app, deal_factory, buyers):
    deal = deal_factory(group_price=800, group_size=3)
    leader, a, b, c = buyers(4)
    group = open_paid_group(deal, leader)
    reserved = service.join_group(a, group)
    commit()
    group = reload(group)
    assert (group.paid_members, group.reserved_members) == (1, 1)
    assert service.progress(group)["paid"] == 1  # the unpaid join does not count
    join_and_pay(group, b)
    group = reload(group)
    assert (group.paid_members, group.reserved_members) == (2, 1)
    # paid + reserved = size: nobody else may join, even though only 2 paid
    with pytest.raises(service.GroupFull):
        service.join_group(c, group)
    assert db.session.scalar(select(func.count(Member.id)).where(Member.user_id == c.id)) == 0
    assert wallet(c) == usd(10_000)
    service.pay_from_wallet(reserved, a)
    commit()
    # full: settled at once (the job runs immediately in tests)
    group = reload(group)
    assert group.status == "filled" and group.final_unit_price_amount == 800
    assert ledger.verify() == []


def test_reservation_ttl_expiry_frees_the_slot(app, deal_factory, buyers):
    deal = deal_factory(group_price=800, group_size=2)
    leader, slow, fast = buyers(3)
    now = utcnow()
    group = open_paid_group(deal, leader, now=now)
    slow_member = service.join_group(slow, group, now=now)
    commit()
    with pytest.raises(service.GroupFull):
        service.join_group(fast, group, now=now + timedelta(minutes=14))
    # 15 minutes (the configured TTL) later the place is free again
    later = now + timedelta(minutes=15)
    member = service.join_group(fast, reload(group), now=later)
    commit()
    assert reload(slow_member).status == "released"
    assert order_of(slow_member).state == "cancelled"
    stock = db.session.get(Listing, deal.listing_id).quantity
    service.pay_from_wallet(member, fast, now=later)
    commit()
    assert reload(group).status == "filled"
    # the slow payer's order was cancelled: paying it now is refused, nothing moves
    with pytest.raises(engine.TransitionNotAllowed):
        service.pay_from_wallet(reload(slow_member), slow, now=later)
    assert wallet(slow) == usd(10_000)
    assert db.session.get(Listing, deal.listing_id).quantity == stock
    assert ledger.verify() == []


def test_the_core_timer_job_lapses_unpaid_reservations(app, deal_factory, buyers):
    deal = deal_factory(group_price=800, group_size=3)
    leader, a = buyers(2)
    now = utcnow()
    group = open_paid_group(deal, leader, now=now)
    member = service.join_group(a, group, now=now)
    commit()
    assert engine.run_due_timers(now=now + timedelta(minutes=16)) >= 1
    assert reload(member).status == "released"
    assert reload(group).reserved_members == 0


def test_the_group_fills_and_every_order_moves_on_together_then_escrow_is_released(
    app, deal_factory, buyers, user_factory
):
    deal = deal_factory(
        tiers=[{"min_size": 2, "unit_price": 900}, {"min_size": 4, "unit_price": 700}],
        leader_discount=50,
    )
    leader, *others = buyers(4)
    group = open_paid_group(deal, leader)
    assert order_of(group.members[0]).customer_total == usd(950)  # leader discount up front
    for person in others:
        join_and_pay(group, person)
    group = reload(group)
    assert group.status == "filled" and group.tier_size == 4
    members = group.members
    assert {order_of(m).state for m in members} == {"filled"}
    assert wallet(leader) == usd(10_000 - 650)  # 700 - 50 leader discount
    for person in others:
        assert wallet(person) == usd(10_000 - 700)
    assert sorted(m.refunded_amount for m in members) == [300, 300, 300, 300]
    provider = deal.listing.author
    for m in members:
        engine.transition(order_of(m), "mark_delivered", provider)
        engine.transition(order_of(m), "accept", m.user)
        commit()
    assert ledger.balance_of("wallet", provider, "USD") == usd(650 + 3 * 700)
    assert ledger.verify() == []


def test_tier_settlement_at_expiry_three_paid_of_tiers_two_and_four(app, deal_factory, buyers):
    now = utcnow()
    deal = deal_factory(
        tiers=[{"min_size": 2, "unit_price": 900}, {"min_size": 4, "unit_price": 700}],
        now=now,
        per_order_limit=2,
        per_user_limit=2,
    )
    leader, a, b, late = buyers(4)
    group = open_paid_group(deal, leader, now=now)
    join_and_pay(group, a, now=now, quantity=2)
    join_and_pay(group, b, now=now)
    unpaid = service.join_group(late, group, now=now + timedelta(minutes=50))
    commit()
    assert service.settle_group(group.id, now=now + timedelta(minutes=59)) == "not_due"
    assert service.settle_group(group.id, now=now + timedelta(minutes=61)) == "filled"
    group = reload(group)
    assert group.tier_size == 2 and group.final_unit_price_amount == 900
    assert reload(unpaid).status == "released"
    assert order_of(unpaid).state == "cancelled"
    # each paid 1000 per unit up front and gets the difference to 900 back
    assert wallet(leader) == usd(10_000 - 900)
    assert wallet(a) == usd(10_000 - 1800)
    assert wallet(b) == usd(10_000 - 900)
    assert wallet(late) == usd(10_000)
    refunds = {m.user_id: m.refunded_amount for m in group.members if m.status == "succeeded"}
    assert refunds == {leader.id: 100, a.id: 200, b.id: 100}
    assert ledger.verify() == []


def refund_entries():
    return db.session.scalar(
        select(func.count(JournalEntry.id)).where(JournalEntry.kind == "refund")
    )


def test_failure_refunds_everyone_exactly_once_even_when_the_job_runs_twice(
    app, deal_factory, buyers
):
    now = utcnow()
    deal = deal_factory(group_price=800, group_size=4, now=now)
    leader, a, unpaid = buyers(3)
    group = open_paid_group(deal, leader, now=now)
    join_and_pay(group, a, now=now)
    reserved = service.join_group(unpaid, group, now=now + timedelta(minutes=55))
    commit()
    stock_before = db.session.get(Listing, deal.listing_id).quantity
    later = now + timedelta(minutes=61)
    assert service.settle_due(later) == {"failed": 1}
    assert service.settle_due(later) == {}
    assert service.settle_group(group.id, later) == "skipped"
    group = reload(group)
    assert group.status == "failed"
    assert {m.status for m in group.members} == {"refunded", "released"}
    assert reload(reserved).status == "released"
    for person in (leader, a, unpaid):
        assert wallet(person) == usd(10_000)
    assert refund_entries() == 2
    assert db.session.get(Listing, deal.listing_id).quantity == stock_before + 3
    notes = db.session.scalars(
        select(Notification).where(Notification.event == "group_buying_group_failed")
    ).all()
    assert sorted(n.user_id for n in notes) == sorted([leader.id, a.id])
    assert ledger.verify() == []


def test_an_abandoned_group_never_opens(app, deal_factory, buyers):
    now = utcnow()
    deal = deal_factory(group_price=800, group_size=2, now=now)
    (leader,) = buyers(1)
    member = service.start_group(leader, deal, now=now)
    commit()
    engine.run_due_timers(now=now + timedelta(minutes=20))
    group = reload(db.session.get(Group, member.group_id))
    assert group.status == "abandoned" and group.share_token is None
    # the leader may start another one
    again = service.start_group(leader, deal, now=now + timedelta(minutes=21))
    commit()
    assert again.group_id != group.id
    assert ledger.verify() == []
