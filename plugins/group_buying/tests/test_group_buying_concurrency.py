"""Real concurrent transactions: joiners racing for a group, settlement jobs racing each other.

Each worker thread has its own app context, session and database connection.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from marketplace_kit_group_buying import service
from marketplace_kit_group_buying.models import Group, Member
from sqlalchemy import func, select

from marketplace_kit.core.db import utcnow
from marketplace_kit.core.ledger import service as ledger
from marketplace_kit.core.ledger.models import JournalEntry
from marketplace_kit.core.orders.models import Order
from marketplace_kit.core.users.models import User
from marketplace_kit.events import commit
from marketplace_kit.extensions import db
from marketplace_kit.money import Money

RACERS = 30
SIZE = 5


def run_parallel(app, fn, args_list):
    barrier = threading.Barrier(len(args_list))

    def worker(args):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                return fn(*args)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=len(args_list)) as pool:
        return list(pool.map(worker, args_list))


def join_and_pay(group_id: int, user_id: int) -> str:
    user = db.session.get(User, user_id)
    try:
        member = service.join_group(user, db.session.get(Group, group_id))
        commit()
    except service.GroupFull:
        db.session.rollback()
        return "full"
    except service.GroupClosed:
        db.session.rollback()
        return "closed"
    service.pay_from_wallet(member, user)
    commit()
    return "paid"


def test_thirty_customers_race_to_join_a_five_person_group(app, deal_factory, buyers):
    deal = deal_factory(group_price=800, group_size=SIZE)
    leader, *racers = buyers(RACERS + 1)
    member = service.start_group(leader, deal)
    commit()
    service.pay_from_wallet(member, leader)
    commit()
    results = run_parallel(app, join_and_pay, [(member.group_id, r.id) for r in racers])
    assert results.count("paid") == SIZE - 1
    # the rest were told the group is full (or, once it filled and settled, closed)
    assert results.count("full") + results.count("closed") == RACERS - (SIZE - 1)
    assert results.count("full") >= 1
    db.session.expire_all()
    group = db.session.get(Group, member.group_id)
    paid = db.session.scalar(
        select(func.count(Member.id)).where(
            Member.group_id == group.id, Member.status.in_(["paid", "succeeded"])
        )
    )
    assert paid == SIZE and group.paid_members == SIZE
    assert group.status == "filled"
    assert db.session.scalar(select(func.count(Order.id))) == SIZE
    losers = [r for r, res in zip(racers, results, strict=True) if res != "paid"]
    assert all(ledger.balance_of("wallet", r, "USD") == Money(10_000, "USD") for r in losers)
    assert ledger.verify() == []


def test_settlement_running_concurrently_refunds_each_member_exactly_once(
    app, deal_factory, buyers
):
    now = utcnow()
    deal = deal_factory(group_price=800, group_size=4, now=now)
    people = buyers(3)
    member = service.start_group(people[0], deal, now=now)
    commit()
    service.pay_from_wallet(member, people[0], now=now)
    commit()
    group = db.session.get(Group, member.group_id)
    for person in people[1:]:
        m = service.join_group(person, group, now=now)
        commit()
        service.pay_from_wallet(m, person, now=now)
        commit()
    later = now + timedelta(minutes=61)
    outcomes = run_parallel(app, lambda: service.settle_due(later), [()] * 8)
    assert sum(o.get("failed", 0) for o in outcomes) == 1
    db.session.expire_all()
    assert db.session.get(Group, group.id).status == "failed"
    refunds = db.session.scalar(
        select(func.count(JournalEntry.id)).where(JournalEntry.kind == "refund")
    )
    assert refunds == 3
    for person in people:
        assert ledger.balance_of("wallet", person, "USD") == Money(10_000, "USD")
    assert ledger.verify() == []


def test_settlement_run_twice_in_a_row_on_any_database_refunds_once(app, deal_factory, buyers):
    now = utcnow()
    deal = deal_factory(group_price=800, group_size=4, now=now)
    (leader,) = buyers(1)
    member = service.start_group(leader, deal, now=now)
    commit()
    service.pay_from_wallet(member, leader, now=now)
    commit()
    later = now + timedelta(minutes=61)
    assert [service.settle_group(member.group_id, later) for _ in range(3)] == [
        "failed",
        "skipped",
        "skipped",
    ]
    assert ledger.balance_of("wallet", leader, "USD") == Money(10_000, "USD")
    assert ledger.verify() == []
