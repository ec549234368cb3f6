"""Tenders: bids (open and sealed), the monthly allowance, shortlist and award."""

from __future__ import annotations

from datetime import timedelta

import pytest
from marketplace_kit_crowdsourcing import service
from marketplace_kit_crowdsourcing.models import AllowanceUse, Award, Bid
from sqlalchemy import select

from marketplace_kit.core.db import utcnow
from marketplace_kit.core.notifications.models import Notification
from marketplace_kit.errors import Conflict, PermissionDenied, ValidationError
from marketplace_kit.events import commit
from marketplace_kit.extensions import db


def bid(task, user, amount=20_000, **kw):
    result = service.place_bid(
        task, user, amount=amount, days=kw.get("days", 5), proposal=kw.get("proposal", "Me!")
    )
    commit()
    return result


def events_of(user, event):
    return db.session.scalars(
        select(Notification).where(Notification.user_id == user.id, Notification.event == event)
    ).all()


def test_sealed_bids_are_seen_only_by_the_client_and_their_author(post, people):
    task = post(sealed=True)
    a, b = bid(task, people["alice"]), bid(task, people["bob"], 30_000)
    assert service.visible_bids(task, people["client"]) == [a, b]
    assert service.visible_bids(task, people["alice"]) == [a]
    assert service.visible_bids(task, people["carol"]) == []
    assert service.visible_bids(task, None) == []
    open_task = post()
    c = bid(open_task, people["alice"])
    assert service.visible_bids(open_task, people["carol"]) == [c]


def test_one_bid_per_provider_editable_until_award(post, people):
    task = post()
    first = bid(task, people["alice"], 20_000)
    again = bid(task, people["alice"], 18_000, proposal="Cheaper")
    assert again.id == first.id and (again.amount, again.proposal) == (18_000, "Cheaper")
    assert db.session.query(Bid).filter_by(task_id=task.id).count() == 1
    service.award_bid(task, people["client"], again)
    commit()
    with pytest.raises(Conflict):
        bid(task, people["alice"], 15_000)


def test_allowance_is_spent_once_per_task_and_returned_only_on_cancel_before_award(post, people):
    alice = people["alice"]
    limit = service.settings()["monthly_bids"]
    t1, t2, t3 = post(), post(), post()
    bid(t1, alice)
    bid(t1, alice, 19_000)  # editing is free
    assert service.allowance_left(alice) == limit - 1
    service.withdraw_bid(db.session.query(Bid).filter_by(task_id=t1.id).one(), alice)
    commit()
    assert service.allowance_left(alice) == limit - 1  # withdrawing returns nothing
    bid(t1, alice)  # re-activating the withdrawn bid spends nothing more
    assert service.allowance_left(alice) == limit - 1
    won = bid(t2, alice)
    service.award_bid(t2, people["client"], won)
    commit()
    assert service.allowance_left(alice) == limit - 2  # awarded: spent for good
    bid(t3, alice)
    assert service.allowance_left(alice) == limit - 3
    service.cancel_task(t3, people["client"])
    commit()
    assert service.allowance_left(alice) == limit - 2  # client cancelled before award
    uses = db.session.scalars(select(AllowanceUse).where(AllowanceUse.provider_id == alice.id))
    assert sorted((u.task_id, u.returned_at is not None) for u in uses) == [
        (t1.id, False),
        (t2.id, False),
        (t3.id, True),
    ]


@pytest.mark.mk_config({"plugins": {"crowdsourcing": {"monthly_bids": 2}}})
def test_bids_over_the_allowance_are_refused_and_nothing_is_saved(post, people):
    t1, t2 = post(), post()
    t3 = post(deadline=utcnow() + timedelta(days=60))
    bid(t1, people["alice"])
    bid(t2, people["alice"])
    with pytest.raises(Conflict, match="used all 2 bids"):
        bid(t3, people["alice"])
    db.session.rollback()
    assert db.session.query(Bid).filter_by(task_id=t3.id).count() == 0
    assert db.session.query(AllowanceUse).filter_by(task_id=t3.id).count() == 0
    # a new month brings the allowance back
    next_month = utcnow() + timedelta(days=32)
    service.place_bid(t3, people["alice"], amount=1000, days=1, proposal="x", now=next_month)
    commit()


def test_awarding_one_bid_closes_the_others_and_tells_them(post, people):
    task = post()
    a, b, c = bid(task, people["alice"]), bid(task, people["bob"]), bid(task, people["carol"])
    service.shortlist_bid(b, people["client"])
    commit()
    service.award_bid(task, people["client"], b)
    commit()
    db.session.expire_all()
    assert [x.status for x in (a, b, c)] == ["declined", "awarded", "declined"]
    assert task.state == "awarded" and task.listing.status == "closed"
    assert len(events_of(people["bob"], "crowdsourcing_bid_awarded")) == 1
    for loser in (people["alice"], people["carol"]):
        assert len(events_of(loser, "crowdsourcing_bid_not_awarded")) == 1
    assert len(events_of(people["client"], "crowdsourcing_bid_received")) == 3


def test_a_task_may_allow_several_awards(post, people):
    task = post(max_awards=2)
    a, b, c = bid(task, people["alice"]), bid(task, people["bob"]), bid(task, people["carol"])
    service.award_bid(task, people["client"], a)
    commit()
    assert task.state == "open" and c.status == "active"
    service.award_bid(task, people["client"], b)
    commit()
    db.session.expire_all()
    assert task.state == "awarded" and c.status == "declined"


def test_bad_bids_and_awards_are_refused_and_change_nothing(post, people):
    task = post()
    mine = bid(task, people["alice"])
    with pytest.raises(PermissionDenied):
        service.award_bid(task, people["bob"], mine)  # not the owner
    db.session.rollback()
    assert db.session.query(Award).count() == 0 and mine.status == "active"
    with pytest.raises(PermissionDenied):
        service.place_bid(task, people["client"], amount=1, days=1, proposal="own task")
    with pytest.raises(ValidationError):
        service.place_bid(task, people["bob"], amount=-5, days=1, proposal="x")
    with pytest.raises(ValidationError):
        service.place_bid(task, people["bob"], amount=5, days=0, proposal="x")
    db.session.rollback()
    late = utcnow() + timedelta(days=8)
    with pytest.raises(Conflict, match="deadline"):
        service.place_bid(task, people["bob"], amount=5, days=1, proposal="x", now=late)
    db.session.rollback()
    service.award_bid(task, people["client"], mine)
    commit()
    with pytest.raises(Conflict):
        service.place_bid(task, people["bob"], amount=5, days=1, proposal="late")  # awarded
    db.session.rollback()
    with pytest.raises(Conflict):
        service.cancel_task(task, people["client"])  # awarded already
    db.session.rollback()
    cancelled = post()
    service.cancel_task(cancelled, people["client"])
    commit()
    with pytest.raises(Conflict):
        service.place_bid(cancelled, people["bob"], amount=5, days=1, proposal="closed")
    db.session.rollback()
    assert db.session.query(Bid).filter_by(provider_id=people["bob"].id).count() == 0


def test_posting_validates_every_field(people, verify_ledger):
    now = utcnow()
    good = {
        "kind": "tender",
        "title": "Fine title",
        "description": "",
        "deadline": now + timedelta(days=1),
        "budget_max": 1000,
    }
    for change, key in [
        ({"kind": "lottery"}, "kind"),
        ({"deadline": now - timedelta(days=1)}, "deadline"),
        ({"budget_max": None}, "budget_max"),
        ({"budget_min": 2000}, "budget_min"),
        ({"max_awards": 0}, "max_awards"),
        ({"skills": "<script>"}, "skills"),
        ({"kind": "contest", "prize_amount": 100}, "selection_deadline"),
    ]:
        with pytest.raises(ValidationError) as exc:
            service.post_task(people["client"], **{**good, **change})
        assert key in exc.value.errors
        db.session.rollback()
