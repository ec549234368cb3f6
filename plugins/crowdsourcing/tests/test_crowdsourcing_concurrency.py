"""Races: the monthly allowance, awarding, and funding hold under concurrent requests."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from marketplace_kit_crowdsourcing import service
from marketplace_kit_crowdsourcing.models import AllowanceUse, Award, Bid, Milestone, Task

from marketplace_kit.core.users.models import User
from marketplace_kit.errors import Conflict
from marketplace_kit.events import commit
from marketplace_kit.extensions import db

pytestmark = pytest.mark.mk_config(
    {"database": {"pool_size": 20}, "plugins": {"crowdsourcing": {"monthly_bids": 3}}}
)


def run_parallel(app, fn, args_list):
    barrier = threading.Barrier(len(args_list))

    def worker(args):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                return fn(*args)
            except Conflict:
                db.session.rollback()
                return "refused"
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=len(args_list)) as pool:
        return list(pool.map(worker, args_list))


def _bid(task_id, provider_id):
    service.place_bid(
        db.session.get(Task, task_id),
        db.session.get(User, provider_id),
        amount=1000,
        days=1,
        proposal="race",
    )
    commit()
    return "ok"


def test_concurrent_bids_never_exceed_the_allowance(app, post, people):
    tasks = [post() for _ in range(8)]
    alice = people["alice"].id
    results = run_parallel(app, _bid, [(t.id, alice) for t in tasks])
    assert results.count("ok") == 3 and results.count("refused") == 5
    assert db.session.query(AllowanceUse).filter_by(provider_id=alice).count() == 3
    assert db.session.query(Bid).filter_by(provider_id=alice).count() == 3


def _award(task_id, bid_id, client_id):
    service.award_bid(
        db.session.get(Task, task_id), db.session.get(User, client_id), db.session.get(Bid, bid_id)
    )
    commit()
    return "ok"


def _fund(milestone_id, client_id):
    service.fund_milestone(db.session.get(Milestone, milestone_id), db.session.get(User, client_id))
    commit()
    return "ok"


def test_one_award_and_one_funding_when_clicked_twice_at_once(app, post, people):
    task = post()
    bids = [
        service.place_bid(task, people[n], amount=5000, days=2, proposal="p")
        for n in ("alice", "bob", "carol")
    ]
    commit()
    client_id = people["client"].id
    results = run_parallel(app, _award, [(task.id, b.id, client_id) for b in bids])
    assert results.count("ok") == 1
    assert db.session.query(Award).count() == 1
    award = db.session.query(Award).one()
    milestone = service.add_milestone(award, people["client"], title="All", amount=5000)
    commit()
    results = run_parallel(app, _fund, [(milestone.id, client_id)] * 4)
    assert results.count("ok") == 1
    db.session.expire_all()
    assert milestone.state == "funded"
