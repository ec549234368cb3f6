"""Reputation factors: milestones delivered on time and contests won, recomputed by themselves."""

from __future__ import annotations

from datetime import timedelta

import pytest
from marketplace_kit_crowdsourcing import service
from marketplace_kit_crowdsourcing.reputation import CONTESTS_KEY, ON_TIME_KEY
from sqlalchemy import update

from marketplace_kit import ConfigError
from marketplace_kit.core.db import utcnow
from marketplace_kit.core.orders.models import OrderEvent
from marketplace_kit.core.trust.reputation import reputation_of
from marketplace_kit.events import commit
from marketplace_kit.extensions import db


def funded(award, people, due_date):
    m = service.add_milestone(
        award, people["client"], title="Step", amount=1_000, due_date=due_date
    )
    commit()
    service.fund_milestone(m, people["client"])
    commit()
    return m


def act(m, user, name):
    service.milestone_transition(m, user, name, {})
    commit()
    db.session.expire_all()


def factor(user, key, role="provider"):
    db.session.expire_all()
    rep = reputation_of(user, role)
    found = [f for f in (rep.factors if rep else []) if f["key"] == key]
    return found[0] if found else None


def test_milestones_released_on_time_count_by_their_first_submission(app, client, award, people):
    alice, boss = people["alice"], people["client"]
    today = utcnow().date()
    yesterday, tomorrow = today - timedelta(days=1), today + timedelta(days=1)

    early = funded(award, people, tomorrow)
    act(early, alice, "submit")
    act(early, boss, "release")
    # Released: the plugin queued the recompute itself (nobody called recompute).
    assert factor(alice, ON_TIME_KEY)["value"] == 1.0
    assert factor(alice, ON_TIME_KEY)["detail"] == "1/1"

    late = funded(award, people, yesterday)
    act(late, alice, "submit")
    act(late, boss, "release")
    assert factor(alice, ON_TIME_KEY)["detail"] == "1/2"

    released_unsubmitted = funded(award, people, today)  # released today without a submission
    act(released_unsubmitted, boss, "release")

    resubmitted = funded(award, people, yesterday)
    act(resubmitted, alice, "submit")
    db.session.execute(  # the first submission came two days ago, before the due date
        update(OrderEvent)
        .where(OrderEvent.order_id == resubmitted.order_id, OrderEvent.to_state == "submitted")
        .values(created_at=utcnow() - timedelta(days=2))
    )
    commit()
    act(resubmitted, boss, "request_changes")
    act(resubmitted, alice, "submit")  # late, but the first submission counts
    act(resubmitted, boss, "release")

    not_released = funded(award, people, yesterday)
    act(not_released, alice, "submit")
    no_due_date = funded(award, people, None)
    act(no_due_date, alice, "submit")
    act(no_due_date, boss, "release")

    f = factor(alice, ON_TIME_KEY)
    assert f["value"] == 0.75 and f["detail"] == "3/4" and f["weight"] == 5.0
    assert f["label"] == "Milestones delivered on time"
    assert f["points"] > 0
    assert factor(alice, CONTESTS_KEY) is None  # no contest won: left out
    assert factor(boss, ON_TIME_KEY, "customer") is None  # a provider factor only
    assert not [b for b in reputation_of(alice, "provider").badges if b["key"] == CONTESTS_KEY]

    html = client.get(f"/users/{alice.id}/reputation").text
    assert "Milestones delivered on time" in html and "<td>3/4</td>" in html


def test_a_provider_without_milestones_or_contests_gets_no_factor(app, award, people):
    from marketplace_kit.core.trust.reputation import compute

    alice = people["alice"]
    keys = {f["key"] for f in compute(alice, "provider")["factors"]}
    assert not keys & {ON_TIME_KEY, CONTESTS_KEY}


def test_a_contest_win_gives_the_factor_and_the_badge(app, client, post, people):
    task = post("contest", prize_amount=10_000)
    alice, bob = people["alice"], people["bob"]
    a = service.submit_entry(task, alice, note="Mine")
    service.submit_entry(task, bob, note="Also mine")
    commit()
    service.award_contest(task, people["client"], [a.id])
    commit()

    f = factor(alice, CONTESTS_KEY)
    assert f["value"] == 1.0 and f["detail"] == "1" and f["label"] == "Contests won"
    badges = reputation_of(alice, "provider").badges
    assert {"key": CONTESTS_KEY, "label": "Contest winner"} in badges
    assert factor(bob, CONTESTS_KEY) is None  # not chosen: not held against bob
    assert reputation_of(bob, "provider") is None or not [
        b for b in reputation_of(bob, "provider").badges if b["key"] == CONTESTS_KEY
    ]

    html = client.get(f"/users/{alice.id}/reputation").text
    assert "Contests won" in html and "Contest winner" in html


@pytest.mark.mk_config({"plugins": {"crowdsourcing": {"reputation_weight": 0}}})
def test_weight_zero_shows_the_factor_without_counting(app, post, people):
    task = post("contest", prize_amount=10_000)
    a = service.submit_entry(task, people["alice"], note="Mine")
    commit()
    service.award_contest(task, people["client"], [a.id])
    commit()
    f = factor(people["alice"], CONTESTS_KEY)
    assert f["weight"] == 0.0 and f["points"] == 0.0


@pytest.mark.parametrize("bad", [-1, 1001, "much"])
def test_a_bad_reputation_weight_stops_startup(app_factory, bad):
    with pytest.raises(ConfigError) as info:
        app_factory(
            {"plugins": {"crowdsourcing": {"reputation_weight": bad}}}, plugins=["crowdsourcing"]
        )
    assert "reputation_weight" in str(info.value)
