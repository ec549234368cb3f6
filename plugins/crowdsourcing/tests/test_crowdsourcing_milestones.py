"""Milestones of an awarded tender: funded escrow, submissions, (partial) release, timers, disputes."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from marketplace_kit_crowdsourcing import service
from sqlalchemy import update
from werkzeug.datastructures import FileStorage

from marketplace_kit.core.db import utcnow
from marketplace_kit.core.disputes.service import dispute_of
from marketplace_kit.core.ledger import service as ledger
from marketplace_kit.core.ledger.models import JournalEntry
from marketplace_kit.core.orders import engine
from marketplace_kit.core.orders.models import OrderTimer
from marketplace_kit.errors import Conflict, PermissionDenied, ValidationError
from marketplace_kit.events import commit
from marketplace_kit.extensions import db
from marketplace_kit.jobs import run_periodic_now
from marketplace_kit.money import Money


def usd(amount):
    return Money(amount, "USD")


def wallet(user):
    return ledger.balance_of("wallet", user, "USD")


def milestone(award, people, amount=10_000, title="Step", fund=True):
    m = service.add_milestone(award, people["client"], title=title, amount=amount)
    commit()
    if fund:
        service.fund_milestone(m, people["client"])
        commit()
    return m


def act(m, user, name, **params):
    service.milestone_transition(m, user, name, params)
    commit()
    db.session.expire_all()
    return m


def test_a_milestone_cannot_be_submitted_unfunded(award, people):
    m = milestone(award, people, fund=False)
    with pytest.raises(Conflict, match="Fund this milestone"):
        service.milestone_transition(m, people["alice"], "submit")
    db.session.rollback()
    assert m.state == "planned" and m.order_id is None


def test_fund_submit_changes_release_pays_the_provider_minus_commission(award, people):
    start = wallet(people["client"])
    m = milestone(award, people)
    assert m.order.provider_id == people["alice"].id  # the awarded bidder is the order's provider
    assert m.state == "funded" and wallet(people["client"]) == start - usd(10_000)
    assert ledger.balance_of("escrow", m.order, "USD") == usd(10_000)
    with pytest.raises(PermissionDenied):
        service.milestone_transition(m, people["client"], "submit")
    db.session.rollback()
    act(m, people["alice"], "submit", message="Done")
    act(m, people["client"], "request_changes", message="Bigger font")
    act(m, people["alice"], "submit")
    act(m, people["client"], "release")
    assert m.state == "released"
    assert wallet(people["alice"]) == usd(9_000)  # 10% provider commission (core fee rules)
    assert ledger.balance_of("revenue", None, "USD") == usd(1_000)


def test_funding_with_too_little_money_is_refused_and_moves_nothing(award, people, user_factory):
    m = milestone(award, people, amount=2_000_000, fund=False)
    before = db.session.query(JournalEntry).count()
    with pytest.raises(Conflict, match="Not enough money"):
        service.fund_milestone(m, people["client"])
    db.session.rollback()
    db.session.expire_all()
    assert m.order_id is None and m.status == "planned"
    assert db.session.query(JournalEntry).count() == before
    with pytest.raises(PermissionDenied):
        service.fund_milestone(m, people["bob"])


def test_partial_release_with_rollover_funds_the_next_milestone_first(award, people):
    start = wallet(people["client"])
    first = milestone(award, people, amount=10_000)
    second = milestone(award, people, amount=8_000, fund=False)
    act(first, people["alice"], "submit")
    act(first, people["client"], "release_part", amount=6_000, remainder="rollover")
    assert first.state == "released"
    assert wallet(people["alice"]) == usd(5_400)  # 6,000 less 10%
    assert ledger.balance_of("crowdsourcing_credit", award, "USD") == usd(4_000)
    service.fund_milestone(second, people["client"])
    commit()
    assert ledger.balance_of("crowdsourcing_credit", award, "USD") == usd(0)
    assert ledger.balance_of("escrow", second.order, "USD") == usd(8_000)
    # the client paid 10,000 + (8,000 - 4,000 credit)
    assert wallet(people["client"]) == start - usd(14_000)


def test_partial_release_with_refund_and_the_bad_amounts(award, people):
    start = wallet(people["client"])
    m = milestone(award, people, amount=10_000)
    act(m, people["alice"], "submit")
    for params, key in [
        ({"amount": 10_001, "remainder": "refund"}, "amount"),
        ({"amount": 0, "remainder": "refund"}, "amount"),
        ({"amount": 5_000, "remainder": "keep"}, "remainder"),
        ({"amount": 5_000, "remainder": "rollover"}, "remainder"),  # no next milestone
    ]:
        with pytest.raises(ValidationError) as exc:
            service.milestone_transition(m, people["client"], "release_part", params)
        assert key in exc.value.errors
        db.session.rollback()
        db.session.expire_all()
        assert m.state == "submitted"
        assert ledger.balance_of("escrow", m.order, "USD") == usd(10_000)
    act(m, people["client"], "release_part", amount=2_500, remainder="refund")
    assert wallet(people["client"]) == start - usd(2_500)
    assert wallet(people["alice"]) == usd(2_250)


def test_auto_release_fires_once_through_the_job(award, people):
    m = milestone(award, people)
    act(m, people["alice"], "submit")
    timers = engine.pending_timers(m.order)
    assert [t.transition for t in timers] == ["auto_release"]
    assert timers[0].due_at - utcnow() > timedelta(days=13)
    db.session.execute(update(OrderTimer).values(due_at=utcnow() - timedelta(seconds=1)))
    commit()
    assert run_periodic_now("core.order_timers") == 1
    assert run_periodic_now("core.order_timers") == 0
    db.session.expire_all()
    assert m.state == "released" and wallet(people["alice"]) == usd(9_000)


def test_auto_release_does_not_fire_when_the_client_acted(award, people):
    m = milestone(award, people)
    act(m, people["alice"], "submit")
    act(m, people["client"], "request_changes", message="Not yet")
    db.session.execute(update(OrderTimer).values(due_at=utcnow() - timedelta(seconds=1)))
    commit()
    assert run_periodic_now("core.order_timers") == 0
    db.session.expire_all()
    assert m.state == "changes_requested" and wallet(people["alice"]) == usd(0)


@pytest.mark.mk_config({"plugins": {"crowdsourcing": {"auto_release_days": 3}}})
def test_auto_release_days_come_from_config(award, people):
    m = milestone(award, people)
    act(m, people["alice"], "submit")
    due = engine.pending_timers(m.order)[0].due_at - utcnow()
    assert timedelta(days=2, hours=23) < due <= timedelta(days=3)


def test_the_provider_may_cancel_and_the_client_is_refunded(award, people):
    start = wallet(people["client"])
    m = milestone(award, people)
    act(m, people["alice"], "provider_cancel")
    assert m.state == "cancelled" and wallet(people["client"]) == start


def test_a_silent_provider_loses_the_clients_dispute_by_default(award, people):
    start = wallet(people["client"])
    m = milestone(award, people)
    act(m, people["alice"], "submit")
    act(m, people["client"], "open_dispute", reason="Nothing works")
    db.session.execute(update(OrderTimer).values(due_at=utcnow() - timedelta(seconds=1)))
    commit()
    assert run_periodic_now("core.order_timers") == 1
    db.session.expire_all()
    assert m.state == "refunded" and wallet(people["client"]) == start
    assert dispute_of(m.order).resolution == "refund_unanswered"


def test_a_silent_client_loses_the_providers_dispute_by_default(award, people):
    m = milestone(award, people)
    act(m, people["alice"], "submit")
    act(m, people["client"], "request_changes")
    act(m, people["alice"], "provider_dispute", reason="Client asks for a new project")
    db.session.execute(update(OrderTimer).values(due_at=utcnow() - timedelta(seconds=1)))
    commit()
    assert run_periodic_now("core.order_timers") == 1
    db.session.expire_all()
    assert m.state == "released" and wallet(people["alice"]) == usd(9_000)
    assert dispute_of(m.order).resolution == "release_unanswered"


def test_an_operator_rules_a_split(award, people, user_factory):
    operator = user_factory(roles=["support"])
    start = wallet(people["client"])
    m = milestone(award, people)
    act(m, people["alice"], "submit")
    act(m, people["client"], "open_dispute", reason="Half done")
    act(m, people["alice"], "answer_dispute", message="Mostly done")
    from marketplace_kit.core.console.service import rule_dispute

    rule_dispute(operator, dispute_of(m.order), "split", reason="Half of it works", amount=4_000)
    commit()
    db.session.expire_all()
    assert m.state == "released" and dispute_of(m.order).resolution == "split"
    assert wallet(people["client"]) == start - usd(6_000)
    assert wallet(people["alice"]) == usd(5_400)


def test_deliverables_reach_the_client_only_on_release(award, people):
    m = milestone(award, people)
    upload = FileStorage(io.BytesIO(b"final artwork"), filename="art.png", content_type="image/png")
    service.milestone_transition(m, people["alice"], "submit", {}, [upload])
    commit()
    (file,) = service.deliverables_of(milestone=m)
    assert service.read_deliverable(file.id, people["alice"])[1] == b"final artwork"
    for outsider in (people["client"], people["bob"], None):
        with pytest.raises(Exception, match="No such file"):
            service.read_deliverable(file.id, outsider)
    act(m, people["client"], "release")
    assert service.read_deliverable(file.id, people["client"])[1] == b"final artwork"
    with pytest.raises(Exception, match="No such file"):
        service.read_deliverable(file.id, people["bob"])
