"""Payout requests: minimum, holding period, available balance, finance approval."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace_kit.core.db import utcnow
from marketplace_kit.core.ledger import service as ledger
from marketplace_kit.core.orders import engine
from marketplace_kit.core.payments import payouts
from marketplace_kit.errors import Conflict, PermissionDenied, ValidationError
from marketplace_kit.events import commit
from marketplace_kit.money import Money


def usd(n):
    return Money(n, "USD")


@pytest.fixture
def earned(people, listing_factory, fund_wallet):
    """The provider earned 2250 (2500 minus 10 %) from a completed order, released now."""
    listing = listing_factory(author=people["provider"], price_amount=2500)
    fund_wallet(people["customer"], 2500)
    order = engine.place_order(None, customer=people["customer"], listing=listing)
    engine.transition(order, "pay_from_wallet", people["customer"])
    engine.transition(order, "mark_delivered", people["provider"])
    engine.transition(order, "accept", people["customer"])
    commit()
    return people["provider"]


def test_money_released_within_the_holding_period_is_not_available(earned, app):
    from marketplace_kit.app import state

    assert ledger.balance_of("wallet", earned, "USD") == usd(2250)
    assert payouts.available(earned, "USD") == usd(0)
    with pytest.raises(ValidationError) as info:
        payouts.request_payout(earned, 1500, "USD")
    assert "At most" in str(info.value.errors["amount"])
    state(app).settings.orders["payout_holding_days"] = 0
    assert payouts.available(earned, "USD") == usd(2250)


@pytest.mark.mk_config({"orders": {"payout_holding_days": 0, "payout_minimum": 1000}})
def test_request_then_approve_moves_money_out_once(earned, people):
    with pytest.raises(ValidationError) as info:
        payouts.request_payout(earned, 999, "USD")
    assert "minimum" in str(info.value.errors["amount"])
    with pytest.raises(ValidationError):
        payouts.request_payout(earned, 2251, "USD")
    with pytest.raises(ValidationError):
        payouts.request_payout(earned, 1500, "XXZ")
    payout = payouts.request_payout(earned, 1500, "USD")
    commit()
    assert ledger.balance_of("wallet", earned, "USD") == usd(750)
    assert ledger.balance_of("payout_hold", earned, "USD") == usd(1500)
    # The held money cannot be requested a second time.
    with pytest.raises(ValidationError):
        payouts.request_payout(earned, 1500, "USD")
    with pytest.raises(PermissionDenied):
        payouts.approve_payout(payout, people["support"])
    payouts.approve_payout(payout, people["finance"])
    commit()
    assert payout.status == "paid"
    assert ledger.balance_of("payout_hold", earned, "USD") == usd(0)
    assert ledger.balance_of("clearing", "manual", "USD") == usd(1500)
    with pytest.raises(Conflict):
        payouts.approve_payout(payout, people["finance"])
    assert ledger.verify() == []


@pytest.mark.mk_config({"orders": {"payout_holding_days": 0}})
def test_rejected_payout_returns_to_the_wallet(earned, people):
    payout = payouts.request_payout(earned, 2000, "USD")
    commit()
    payouts.reject_payout(payout, people["finance"], "Bank details missing")
    commit()
    assert ledger.balance_of("wallet", earned, "USD") == usd(2250)
    assert payout.note == "Bank details missing"
    assert payouts.payouts_of(earned)[0].status == "rejected"
    assert payouts.pending_payouts() == []
    assert utcnow() - payout.decided_at < timedelta(minutes=1)


@pytest.mark.mk_config({"orders": {"payout_holding_days": 0, "payout_minimum": 1000}})
def test_payout_decisions_notify_the_provider(earned, people):
    from marketplace_kit.core import mail
    from marketplace_kit.core.notifications import service

    paid = payouts.request_payout(earned, 1000, "USD")
    commit()
    payouts.approve_payout(paid, people["finance"])
    commit()
    rejected = payouts.request_payout(earned, 1000, "USD")
    commit()
    payouts.reject_payout(rejected, people["finance"], note="Bank details do not match.")
    commit()
    notes = service.notifications_of(earned)
    assert [n.event for n in notes[:2]] == ["payout_rejected", "payout_paid"]
    title, body = service.render(notes[0])
    assert title == f"Payout #{rejected.id} was rejected"
    assert "Bank details do not match." in body
    subjects = [m.subject for m in mail.outbox() if m.to == earned.email]
    assert f"Payout #{paid.id} was sent" in subjects
