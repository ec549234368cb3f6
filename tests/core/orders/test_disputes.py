"""Disputes: window, answer, operator resolution (release, refund, split), default loser."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace_kit.core.db import utcnow
from marketplace_kit.core.disputes.service import add_message, dispute_of
from marketplace_kit.core.ledger import service as ledger
from marketplace_kit.core.orders import engine
from marketplace_kit.core.orders.models import Order
from marketplace_kit.errors import Conflict, PermissionDenied, ValidationError
from marketplace_kit.events import commit
from marketplace_kit.extensions import db
from marketplace_kit.money import Money


@pytest.fixture
def delivered(people, listing_factory, fund_wallet):
    listing = listing_factory(author=people["provider"], price_amount=2000, quantity=2)
    fund_wallet(people["customer"], 5000)
    order = engine.place_order(None, customer=people["customer"], listing=listing)
    engine.transition(order, "pay_from_wallet", people["customer"])
    engine.transition(order, "mark_delivered", people["provider"])
    commit()
    return order  # total 2100 (5 % buyer fee), provider payout 1800 (10 % commission)


def test_dispute_answered_and_split_by_an_operator(delivered, people, user_factory):
    order = delivered
    with pytest.raises(ValidationError):
        engine.transition(order, "open_dispute", people["customer"], {"reason": ""})
    engine.transition(
        order,
        "open_dispute",
        people["customer"],
        {
            "reason": "Half the tea was missing.",
            "evidence": [{"label": "photo", "url": "https://x/1.jpg"}],
        },
    )
    commit()
    assert order.state == "disputed"
    assert engine.pending_timers(order)[0].transition == "dispute_unanswered"
    add_message(order, people["operator"], "Please send the packing slip.")
    with pytest.raises(PermissionDenied):
        add_message(order, user_factory(), "me too")
    engine.transition(order, "answer_dispute", people["provider"], {"message": "Slip attached."})
    commit()
    assert engine.pending_timers(order) == []
    with pytest.raises(PermissionDenied):
        engine.transition(order, "resolve_split", people["customer"], {"amount": 1000})
    engine.transition(
        order, "resolve_split", people["operator"], {"amount": 1050, "message": "Split."}
    )
    commit()
    dispute = dispute_of(order)
    assert (dispute.status, dispute.resolution, dispute.refunded_amount) == (
        "resolved",
        "split",
        1050,
    )
    assert [m.role for m in dispute.messages] == ["customer", "operator", "provider", "operator"]
    assert dispute.messages[0].evidence == [{"label": "photo", "url": "https://x/1.jpg"}]
    assert ledger.balance_of("wallet", people["customer"], "USD") == Money(
        5000 - 2100 + 1050, "USD"
    )
    assert ledger.balance_of("escrow", order, "USD") == Money(0, "USD")
    assert ledger.verify() == []
    with pytest.raises(Conflict):
        add_message(order, people["customer"], "and another thing")


def test_unanswered_dispute_is_lost_by_the_silent_side(delivered, people):
    order = delivered
    engine.transition(order, "open_dispute", people["customer"], {"reason": "Never arrived."})
    commit()
    assert engine.run_due_timers(utcnow() + timedelta(days=4)) == 0
    assert engine.run_due_timers(utcnow() + timedelta(days=6)) == 1
    order = db.session.get(Order, order.id)
    assert order.state == "refunded"
    assert dispute_of(order).resolution == "refund_unanswered"
    assert ledger.balance_of("wallet", people["customer"], "USD") == Money(5000, "USD")
    assert ledger.verify() == []


def test_disputes_only_within_the_window(delivered, people):
    with pytest.raises(Conflict, match="passed"):
        engine.transition(
            delivered,
            "open_dispute",
            people["customer"],
            {"reason": "Late"},
            now=utcnow() + timedelta(days=15),
        )
    assert db.session.get(Order, delivered.id).state == "delivered"


@pytest.mark.mk_config(
    {"orders": {"dispute_unanswered": "operator_decides", "dispute_response_days": 2}}
)
def test_operators_decide_when_configured_so(delivered, people):
    engine.transition(delivered, "open_dispute", people["customer"], {"reason": "Broken"})
    commit()
    assert engine.pending_timers(delivered) == []
    engine.transition(delivered, "resolve_release", people["operator"])
    commit()
    assert ledger.balance_of("wallet", people["provider"], "USD") == Money(1800, "USD")
    assert dispute_of(delivered).resolution == "release"
