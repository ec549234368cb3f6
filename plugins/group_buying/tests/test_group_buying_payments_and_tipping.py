"""Card payments with repeated callbacks, and tipping-point deals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from marketplace_kit_group_buying import service
from marketplace_kit_group_buying.models import Group, Member
from sqlalchemy import func, select

from marketplace_kit.core.db import utcnow
from marketplace_kit.core.ledger import service as ledger
from marketplace_kit.core.ledger.models import JournalEntry
from marketplace_kit.core.notifications.models import Notification
from marketplace_kit.core.orders.models import Order
from marketplace_kit.core.payments.models import Payment
from marketplace_kit.core.payments.providers import payment_providers
from marketplace_kit.core.payments.service import receive_webhook, start_payment
from marketplace_kit.events import commit
from marketplace_kit.extensions import db
from marketplace_kit.money import Money

PENDING_CARD = "4000000000000077"
GOOD_CARD = "4242424242424242"


def usd(amount):
    return Money(amount, "USD")


def reload(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def entries(kind):
    return db.session.scalar(select(func.count(JournalEntry.id)).where(JournalEntry.kind == kind))


def test_a_repeated_payment_callback_counts_the_member_once(app, client, deal_factory, buyers):
    deal = deal_factory(group_price=800, group_size=3)
    (leader,) = buyers(1)
    member = service.start_group(leader, deal)
    commit()
    order = db.session.get(Order, member.order_id)
    start_payment(order, leader, "sandbox", {"card": PENDING_CARD})
    commit()  # the outbox charges the card: pending (3-D Secure)
    payment = db.session.scalars(select(Payment).where(Payment.order_id == order.id)).one()
    assert payment.status == "pending"
    sandbox = payment_providers()["sandbox"]
    body, headers = sandbox.webhook(payment.reference, "succeeded", event_id="evt_same")
    for _ in range(3):  # the same event, delivered three times
        response = client.post("/payments/webhooks/sandbox", data=body, headers=headers)
        assert response.status_code < 300
    # the provider also sends a second, distinct event saying the same thing
    body, headers = sandbox.webhook(payment.reference, "succeeded", event_id="evt_other")
    assert client.post("/payments/webhooks/sandbox", data=body, headers=headers).status_code < 300
    group = reload(db.session.get(Group, member.group_id))
    assert group.status == "open" and group.paid_members == 1
    assert reload(member).status == "paid"
    assert ledger.balance_of("escrow", order, "USD") == usd(1000)
    assert entries("escrow_in") == 1
    opened = db.session.scalar(
        select(func.count(Notification.id)).where(Notification.event == "group_buying_group_opened")
    )
    assert opened == 1
    assert ledger.verify() == []


def test_a_card_payment_after_the_reservation_lapsed_is_refunded_not_counted(
    app, deal_factory, buyers
):
    now = utcnow()
    deal = deal_factory(group_price=800, group_size=2, now=now)
    leader, slow, fast = buyers(3)
    lead = service.start_group(leader, deal, now=now)
    commit()
    service.pay_from_wallet(lead, leader, now=now)
    commit()
    group = db.session.get(Group, lead.group_id)
    member = service.join_group(slow, group, now=now)
    commit()
    order = db.session.get(Order, member.order_id)
    start_payment(order, slow, "sandbox", {"card": PENDING_CARD})
    commit()
    payment = db.session.scalars(select(Payment).where(Payment.order_id == order.id)).one()
    # the TTL passes and someone else takes (and pays for) the place
    later = now + timedelta(minutes=16)
    taker = service.join_group(fast, reload(group), now=later)
    commit()
    service.pay_from_wallet(taker, fast, now=later)
    commit()
    sandbox = payment_providers()["sandbox"]
    body, headers = sandbox.webhook(payment.reference, "succeeded")
    assert receive_webhook("sandbox", body, headers) == "applied"
    assert reload(payment).status == "refunded"  # the core gives it back at the provider
    group = reload(group)
    assert group.status == "filled" and group.paid_members == 2
    assert reload(member).status == "released"
    assert ledger.verify() == []


def tipping_deal(deal_factory, now, **extra):
    return deal_factory(
        kind="tipping",
        price=700,
        min_quantity=4,
        max_quantity=6,
        per_order_limit=3,
        per_user_limit=3,
        ends_at=now + timedelta(days=1),
        now=now,
        **extra,
    )


def commit_units(deal, user, quantity, now):
    member = service.start_group(user, deal, quantity, now=now)
    commit()
    service.pay_from_wallet(member, user, now=now)
    commit()
    return member


def test_a_tipping_deal_tips_at_the_deadline_when_the_minimum_was_reached(
    app, deal_factory, buyers
):
    now = utcnow()
    deal = tipping_deal(deal_factory, now)
    a, b = buyers(2)
    commit_units(deal, a, 3, now)
    commit_units(deal, b, 1, now)
    group = service.tipping_group(deal)
    assert group.paid_units == 4 and group.status == "open"  # the order waits for the deadline
    assert service.settle_group(group.id, now=now + timedelta(hours=1)) == "not_due"
    assert service.settle_due(now + timedelta(days=1, seconds=1)) == {"tipped": 1}
    group = reload(group)
    assert group.status == "tipped"
    assert {db.session.get(Order, m.order_id).state for m in group.members} == {"filled"}
    assert ledger.balance_of("wallet", a, "USD") == usd(10_000 - 2100)
    tipped = db.session.scalars(
        select(Notification).where(Notification.event == "group_buying_deal_tipped")
    ).all()
    assert sorted(n.user_id for n in tipped) == sorted([a.id, b.id])
    assert ledger.verify() == []


def test_a_tipping_deal_below_the_minimum_fails_and_refunds_everyone(app, deal_factory, buyers):
    now = utcnow()
    deal = tipping_deal(deal_factory, now)
    a, b = buyers(2)
    commit_units(deal, a, 2, now)
    commit_units(deal, b, 1, now)
    later = now + timedelta(days=1, seconds=1)
    assert service.settle_due(later) == {"failed": 1}
    assert service.settle_due(later) == {}
    assert reload(service.tipping_group(deal)).status == "failed"
    for person in (a, b):
        assert ledger.balance_of("wallet", person, "USD") == usd(10_000)
    assert entries("refund") == 2
    assert ledger.verify() == []


def test_the_hard_cap_stops_sales_at_the_maximum(app, deal_factory, buyers):
    now = utcnow()
    deal = tipping_deal(deal_factory, now)
    a, b, c = buyers(3)
    commit_units(deal, a, 3, now)
    commit_units(deal, b, 2, now)
    with pytest.raises(service.GroupFull) as info:
        service.start_group(c, deal, 2, now=now)
    assert info.value.extra["available"] == 1
    commit_units(deal, c, 1, now)  # exactly the last unit
    # at the cap the deal tips at once (the minimum is reached)
    assert reload(service.tipping_group(deal)).status == "tipped"
    assert db.session.scalar(select(func.sum(Member.quantity))) == 6
    assert ledger.verify() == []
