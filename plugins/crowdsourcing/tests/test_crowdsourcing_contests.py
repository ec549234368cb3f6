"""Contests: prize escrowed at posting, entries, guarantee, refunds, awards and the timed split."""

from __future__ import annotations

from datetime import timedelta

import pytest
from marketplace_kit_crowdsourcing import service
from marketplace_kit_crowdsourcing.models import Entry, Task
from sqlalchemy import update

from marketplace_kit.core.db import utcnow
from marketplace_kit.core.ledger import service as ledger
from marketplace_kit.core.ledger.models import JournalEntry
from marketplace_kit.core.listings.models import Listing
from marketplace_kit.errors import Conflict, PermissionDenied, ValidationError
from marketplace_kit.events import commit
from marketplace_kit.extensions import db
from marketplace_kit.jobs import run_periodic_now
from marketplace_kit.money import Money


def usd(amount):
    return Money(amount, "USD")


def wallet(user):
    return ledger.balance_of("wallet", user, "USD")


def enter(task, user, note="My entry"):
    entry = service.submit_entry(task, user, note=note)
    commit()
    return entry


def test_the_full_prize_and_posting_fee_leave_the_wallet_at_posting(post, people):
    start = wallet(people["client"])
    task = post("contest", prize_amount=10_000)
    assert task.posting_fee_amount == 500  # 5% customer-side rule for contests
    assert wallet(people["client"]) == start - usd(10_500)
    assert ledger.balance_of("crowdsourcing_prize", task, "USD") == usd(10_000)
    assert ledger.balance_of("revenue", None, "USD") == usd(500)


def test_posting_a_contest_without_the_money_creates_nothing(people, user_factory, verify_ledger):
    poor = user_factory()
    now = utcnow()
    with pytest.raises(Conflict, match="Not enough money"):
        service.post_task(
            poor,
            kind="contest",
            title="No money",
            description="",
            deadline=now + timedelta(days=1),
            selection_deadline=now + timedelta(days=2),
            prize_amount=5_000,
        )
    db.session.rollback()
    assert db.session.query(Task).count() == 0
    assert db.session.query(Listing).count() == 0
    assert db.session.query(JournalEntry).count() == 1  # only the client's deposit


def test_refundable_minus_the_fee_before_the_guarantee(post, people):
    start = wallet(people["client"])
    task = post("contest", prize_amount=10_000)
    enter(task, people["alice"])
    service.cancel_task(task, people["client"])
    commit()
    # 10% cancellation fee of the prize; the posting fee is not refunded
    assert wallet(people["client"]) == start - usd(500) - usd(1_000)
    assert ledger.balance_of("crowdsourcing_prize", task, "USD") == usd(0)
    assert task.state == "cancelled"


@pytest.mark.parametrize("how", ["explicit", "shortlist"])
def test_no_refund_once_guaranteed(post, people, how):
    task = post("contest")
    entry = enter(task, people["alice"])
    if how == "explicit":
        service.guarantee(task, people["client"])
    else:
        service.shortlist_entry(entry, people["client"])
    commit()
    assert task.guaranteed_at is not None
    before = wallet(people["client"])
    with pytest.raises(Conflict, match="guaranteed"):
        service.cancel_task(task, people["client"])
    db.session.rollback()
    assert wallet(people["client"]) == before
    assert ledger.balance_of("crowdsourcing_prize", task, "USD") == usd(10_000)


def test_the_client_picks_winners_and_the_prize_is_paid(post, people):
    task = post("contest", prize_amount=10_001)
    a, b, c = enter(task, people["alice"]), enter(task, people["bob"]), enter(task, people["carol"])
    service.award_contest(task, people["client"], [b.id, a.id])
    commit()
    db.session.expire_all()
    # 10,001 split evenly: the earlier entry (alice) gets the odd cent; 10% commission each
    assert a.order.subtotal == usd(5_001) and b.order.subtotal == usd(5_000)
    assert wallet(people["alice"]) == usd(5_001 - 500) and wallet(people["bob"]) == usd(4_500)
    assert (a.status, b.status, c.status) == ("won", "won", "not_chosen")
    assert ledger.balance_of("crowdsourcing_prize", task, "USD") == usd(0)
    assert task.state == "awarded"


def test_bad_contest_actions_change_nothing(post, people):
    task = post("contest")
    a = enter(task, people["alice"])
    with pytest.raises(PermissionDenied):
        service.award_contest(task, people["bob"], [a.id])
    db.session.rollback()
    with pytest.raises(ValidationError):
        service.award_contest(task, people["client"], [a.id, a.id])
    db.session.rollback()
    with pytest.raises(ValidationError):
        service.award_contest(task, people["client"], [999])
    db.session.rollback()
    with pytest.raises(Conflict, match="entered this contest already"):
        enter(task, people["alice"])
    db.session.rollback()
    late = utcnow() + timedelta(days=8)
    with pytest.raises(Conflict, match="deadline"):
        service.submit_entry(task, people["bob"], note="late", now=late)
    db.session.rollback()
    with pytest.raises(Conflict, match="entries, not bids"):
        service.place_bid(task, people["bob"], amount=1, days=1, proposal="bid")
    db.session.rollback()
    assert db.session.query(Entry).count() == 1
    assert ledger.balance_of("crowdsourcing_prize", task, "USD") == usd(10_000)


def test_blind_entries_are_seen_only_by_the_client_and_their_author(post, people):
    task = post("contest", sealed=True)
    a, b = enter(task, people["alice"]), enter(task, people["bob"])
    assert service.visible_entries(task, people["client"]) == [a, b]
    assert service.visible_entries(task, people["alice"]) == [a]
    assert service.visible_entries(task, people["carol"]) == []


def _expire_selection(task):
    db.session.execute(
        update(Task)
        .where(Task.id == task.id)
        .values(
            deadline=utcnow() - timedelta(days=30),
            selection_deadline=utcnow() - timedelta(days=15),
        )
    )
    commit()


def test_an_unawarded_guaranteed_contest_is_split_among_finalists_once(post, people):
    task = post("contest", prize_amount=10_000)
    a, b, c = enter(task, people["alice"]), enter(task, people["bob"]), enter(task, people["carol"])
    for finalist in (c, a, b):
        service.shortlist_entry(finalist, people["client"])
    commit()
    assert run_periodic_now("crowdsourcing.split_contests") == 0  # not due yet
    _expire_selection(task)
    assert run_periodic_now("crowdsourcing.split_contests") == 1
    assert run_periodic_now("crowdsourcing.split_contests") == 0
    db.session.expire_all()
    shares = [e.order.subtotal for e in (a, b, c)]
    assert shares == [usd(3_334), usd(3_333), usd(3_333)]  # remainder to the earliest entry
    assert sum(s.amount for s in shares) == 10_000
    assert ledger.balance_of("crowdsourcing_prize", task, "USD") == usd(0)
    assert task.state == "split" and {e.status for e in (a, b, c)} == {"split"}


def test_without_finalists_all_entrants_share_and_not_guaranteed_is_left_alone(post, people):
    task = post("contest", prize_amount=10_000)
    a, b = enter(task, people["alice"]), enter(task, people["bob"])
    untouched = post("contest", prize_amount=7_000)
    enter(untouched, people["carol"])
    service.guarantee(task, people["client"])
    commit()
    _expire_selection(task)
    _expire_selection(untouched)
    assert run_periodic_now("crowdsourcing.split_contests") == 1
    db.session.expire_all()
    assert [e.order.subtotal for e in (a, b)] == [usd(5_000), usd(5_000)]
    assert untouched.state == "open"
    assert ledger.balance_of("crowdsourcing_prize", untouched, "USD") == usd(7_000)


def test_a_guaranteed_contest_without_entries_returns_the_prize(post, people):
    start = wallet(people["client"])
    task = post("contest", prize_amount=10_000)
    service.guarantee(task, people["client"])
    commit()
    _expire_selection(task)
    assert run_periodic_now("crowdsourcing.split_contests") == 1
    db.session.expire_all()
    assert task.state == "split" and wallet(people["client"]) == start - usd(500)
