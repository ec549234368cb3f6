"""The console statistics panel: groups opened, filled, failed, still open, fill rate, tipping deals.

Every group below goes through the real service (start, pay, join, settle) at
chosen moments, so the panel is checked against figures worked out by hand.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from marketplace_kit_group_buying import service
from marketplace_kit_group_buying.models import Group
from marketplace_kit_group_buying.stats import fill_rate

from marketplace_kit.core.db import utcnow
from marketplace_kit.core.ledger import service as ledger
from marketplace_kit.core.stats.period import midnight
from marketplace_kit.events import commit
from marketplace_kit.extensions import db

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def start_paid(deal, leader, at, quantity=1):
    member = service.start_group(leader, deal, quantity, now=at)
    commit()
    service.pay_from_wallet(member, leader, now=at)
    commit()
    return db.session.get(Group, member.group_id)


def join_paid(group, user, at):
    member = service.join_group(user, group, 1, now=at)
    commit()
    service.pay_from_wallet(member, user, now=at)
    commit()


def settle(group, at, expected):
    assert service.settle_group(group.id, now=at) == expected


def filled_at(group, at):
    db.session.expire_all()
    group = db.session.get(Group, group.id)
    assert group.status == "filled"
    group.settled_at = at
    commit()


@pytest.fixture
def seeded(app, deal_factory, buyers):
    """Groups around the period ``today - 6 days`` .. ``yesterday`` (T0 = today, midnight UTC).

    Team deal (3 days to fill; tiers 2 people at 9.00, 3 at 8.00):

    ===========  ==========  ==================================  ====================
    group        opened      settled                             in the period
    ===========  ==========  ==================================  ====================
    old          T0-10d      failed T0-7d (before the period)    --
    carry        T0-8d       filled at tier 2 at expiry, T0-5d   filled
    full         T0-3d       filled (3 paid) T0-2d               opened, filled
    fail         T0-4d       failed at expiry T0-1d              opened, failed
    open         T0-1d       --                                  opened, still open
    late         T0-2d       filled today (after the period)     opened, still open
    pending      (unpaid)    --                                  --
    ===========  ==========  ==================================  ====================

    Tipping deals: one tipped T0-3d, one failed T0-2d (both in the period),
    one tipped T0-8d (before it), one still running.
    """
    t0 = midnight(utcnow().date())
    people = iter(buyers(17))
    team = deal_factory(
        tiers=[{"min_size": 2, "unit_price": 900}, {"min_size": 3, "unit_price": 800}],
        fill_window_minutes=3 * 24 * 60,
        now=t0 - 20 * DAY,
        ends_at=t0 + 10 * DAY,
    )

    old = start_paid(team, next(people), t0 - 10 * DAY)
    settle(old, t0 - 7 * DAY + HOUR, "failed")

    carry = start_paid(team, next(people), t0 - 8 * DAY)
    join_paid(carry, next(people), t0 - 8 * DAY + HOUR)
    settle(carry, t0 - 5 * DAY + HOUR, "filled")

    full = start_paid(team, next(people), t0 - 3 * DAY)
    join_paid(full, next(people), t0 - 3 * DAY + HOUR)
    join_paid(full, next(people), t0 - 2 * DAY)
    # The last payment filled it: the settle job ran at once (now); backdate it.
    filled_at(full, t0 - 2 * DAY)

    fail = start_paid(team, next(people), t0 - 4 * DAY)
    settle(fail, t0 - DAY + HOUR, "failed")

    start_paid(team, next(people), t0 - DAY + HOUR)

    late = start_paid(team, next(people), t0 - 2 * DAY)
    join_paid(late, next(people), t0 - 2 * DAY + HOUR)
    join_paid(late, next(people), utcnow())  # fills it: settled now, by the job
    db.session.expire_all()
    assert db.session.get(Group, late.id).status == "filled"

    service.start_group(next(people), team, now=t0 - 3 * DAY)  # the leader never pays
    commit()

    def tipping(created, ends_at, minimum):
        return deal_factory(
            kind="tipping",
            price=700,
            min_quantity=minimum,
            max_quantity=5,
            per_order_limit=2,
            now=created,
            ends_at=ends_at,
        )

    tipped = tipping(t0 - 10 * DAY, t0 - 3 * DAY, 2)
    start_paid(tipped, next(people), t0 - 9 * DAY)
    start_paid(tipped, next(people), t0 - 9 * DAY)
    settle(service.tipping_group(tipped), t0 - 3 * DAY + HOUR, "tipped")

    failed = tipping(t0 - 10 * DAY, t0 - 2 * DAY, 3)
    start_paid(failed, next(people), t0 - 9 * DAY)
    settle(service.tipping_group(failed), t0 - 2 * DAY + HOUR, "failed")

    tipped_before = tipping(t0 - 12 * DAY, t0 - 8 * DAY, 2)
    start_paid(tipped_before, next(people), t0 - 11 * DAY, quantity=2)
    settle(service.tipping_group(tipped_before), t0 - 8 * DAY + HOUR, "tipped")

    running = tipping(t0 - 5 * DAY, t0 + 5 * DAY, 2)
    start_paid(running, next(people), t0 - 4 * DAY)

    assert ledger.verify() == []
    return t0


def _page(client, user_factory, **args):
    client.login(user_factory(roles=["finance"]))
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return client.get(f"/console/stats?{query}")


def _csv(resp):
    assert resp.status_code == 200, resp.status_code
    assert resp.mimetype == "text/csv"
    return [(r["Figure"], r["Count"]) for r in csv.DictReader(io.StringIO(resp.text))]


def test_the_panel_counts_the_period_by_hand(client, user_factory, seeded):
    t0 = seeded
    period = {
        "from": (t0 - 6 * DAY).date().isoformat(),
        "to": (t0 - DAY).date().isoformat(),
        "granularity": "day",
    }
    html = _page(client, user_factory, **period).text
    section = html.split('aria-labelledby="panel-group_buying-outcomes-h"', 1)[1]
    section = section.split("</section>", 1)[0]
    assert ">Group buying</h2>" in section
    assert "<td>Team groups opened</td><td>4</td>" in section
    assert "<td>Fill rate</td><td>66.6%</td>" in section  # 2 of 3 settled: cut, not 66.7%
    rows = _csv(
        _page(client, user_factory, **period, format="csv", table="panel-group_buying-outcomes")
    )
    assert rows == [
        ("Team groups opened", "4"),  # full, fail, open, late
        ("Team groups filled", "2"),  # carry (at tier 2), full
        ("Team groups failed", "1"),  # fail
        ("Team groups still open at the end", "2"),  # open, and late (filled only today)
        ("Fill rate", "66.6%"),
        ("Tipping deals tipped", "1"),
        ("Tipping deals failed", "1"),
    ]


def test_a_period_up_to_today_counts_todays_settlements(client, user_factory, seeded):
    rows = _csv(
        _page(client, user_factory, preset="7d", format="csv", table="panel-group_buying-outcomes")
    )
    assert rows == [
        ("Team groups opened", "4"),
        ("Team groups filled", "3"),  # late filled today
        ("Team groups failed", "1"),
        ("Team groups still open at the end", "1"),  # open
        ("Fill rate", "75.0%"),
        ("Tipping deals tipped", "1"),
        ("Tipping deals failed", "1"),
    ]


def test_an_empty_period_shows_no_fill_rate(client, user_factory):
    rows = _csv(
        _page(client, user_factory, preset="7d", format="csv", table="panel-group_buying-outcomes")
    )
    assert dict(rows)["Fill rate"] == "—"
    assert dict(rows)["Team groups opened"] == "0"


@pytest.mark.parametrize(
    ("filled", "failed", "shown"),
    [(0, 0, "—"), (2, 1, "66.6%"), (1999, 1, "99.9%"), (1, 0, "100.0%"), (0, 3, "0.0%")],
)
def test_the_fill_rate_is_never_rounded_up(app, filled, failed, shown):
    with app.test_request_context():
        assert fill_rate(filled, failed) == shown


def test_only_console_finance_sees_the_panel(client, user_factory):
    client.login(user_factory())
    assert (
        client.get("/console/stats?format=csv&table=panel-group_buying-outcomes").status_code == 403
    )
