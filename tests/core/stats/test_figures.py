"""The statistics match figures computed by hand, live and from the rollups alike."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace_kit.core.stats import service
from marketplace_kit.core.stats.models import StatsDaily, StatsDailySite, StatsRollupState
from marketplace_kit.core.stats.period import Period
from marketplace_kit.extensions import db
from tests.conftest import STATS_CONFIG

pytestmark = pytest.mark.mk_config(STATS_CONFIG)


def period(w, granularity="day", days=14):
    return Period(w.today - timedelta(days=days - 1), w.today, granularity)


def comparable(d):
    return (
        d.currencies,
        d.totals,
        d.series,
        d.site,
        d.site_series,
        d.top_categories,
        d.top_providers,
    )


def check_hand_figures(d, w):
    usd, eur = d.totals["USD"], d.totals["EUR"]
    assert d.currencies == ["EUR", "USD"]
    assert (usd.orders_placed, usd.orders_completed, usd.orders_refunded, usd.orders_disputed) == (
        7,
        4,
        2,
        1,
    )
    assert usd.gmv_amount == 2100 + 10100 + 5100 + 2100
    assert usd.fees_amount == 300 + 1100 + 600 + 300
    assert usd.refunded_amount == 2100 + 1000
    assert usd.average_order_amount == 4850
    assert usd.completion_rate == pytest.approx(4 / 7)
    assert usd.take_rate == pytest.approx(2300 / 19400)
    assert usd.refund_rate == pytest.approx(2 / 7)
    assert usd.dispute_rate == pytest.approx(1 / 7)
    assert (eur.orders_placed, eur.orders_completed, eur.gmv_amount, eur.fees_amount) == (
        1,
        1,
        3100,
        400,
    )
    assert eur.refunded_amount == 0 and eur.dispute_rate == 0
    # per day (USD): T-10, T-3, T
    by_day = {day: f for day, f in d.series["USD"]}
    t = w.today
    assert len(by_day) == 14
    assert (by_day[t - timedelta(10)].orders_placed, by_day[t - timedelta(10)].gmv_amount) == (
        3,
        12200,
    )
    assert by_day[t - timedelta(3)].orders_refunded == 2
    assert by_day[t - timedelta(3)].gmv_amount == 5100
    assert (by_day[t].orders_placed, by_day[t].orders_completed, by_day[t].gmv_amount) == (
        2,
        1,
        2100,
    )
    assert by_day[t - timedelta(5)].orders_placed == 0
    # users and views
    assert d.site.new_users == 6  # admin and three providers today, c1 at T-10, c2 at T-3
    assert d.site.active_users == 5  # c1, c2, p1, p2, p3
    assert d.site.listing_views == 16
    assert d.site.orders_placed == 8
    assert d.site.conversion == pytest.approx(0.5)
    site = dict(d.site_series)
    assert (site[t - timedelta(10)].new_users, site[t - timedelta(10)].active_users) == (1, 4)
    assert (site[t - timedelta(3)].listing_views, site[t - timedelta(3)].active_users) == (10, 5)
    assert (site[t].new_users, site[t].listing_views, site[t].active_users) == (4, 2, 4)
    # top lists per currency, by GMV
    cats = d.top_categories["USD"]
    assert [(r.name, r.figures.gmv_amount, r.figures.orders_placed) for r in cats] == [
        ("Tools", 15200, 3),
        ("Garden", 4200, 4),
    ]
    assert [(r.name, r.figures.gmv_amount) for r in d.top_categories["EUR"]] == [("Garden", 3100)]
    provs = d.top_providers["USD"]
    assert [(r.key, r.name, r.figures.gmv_amount) for r in provs] == [
        (w.p2.id, "Tool Tom", 15200),
        (w.p1.id, "Garden Gina", 4200),
    ]
    assert [r.key for r in d.top_providers["EUR"]] == [w.p3.id]


def test_live_figures_match_the_hand_computed_ones(stats_world):
    d = service.dashboard(period(stats_world), source="live")
    check_hand_figures(d, stats_world)


def test_rollups_give_the_same_numbers_as_live(stats_world, cli):
    w = stats_world
    assert service.rolled_through() is None
    days = service.refresh_rollups()
    assert days == 10  # T-10 (the first order) .. T-1
    assert service.rolled_through() == w.today - timedelta(days=1)
    assert db.session.scalar(select(func.count()).select_from(StatsDaily)) == 3  # 2 USD days, 1 EUR
    assert db.session.get(StatsDailySite, w.today - timedelta(days=3)).listing_views == 10
    for granularity in ("day", "week", "month"):
        for days in (7, 14, 90, 365):
            p = period(w, granularity, days)
            auto, live = service.dashboard(p), service.dashboard(p, source="live")
            assert auto.rolled_through == w.today - timedelta(days=1)
            assert comparable(auto) == comparable(live), (granularity, days)
    check_hand_figures(service.dashboard(period(w)), w)
    # the sum of the buckets is the total
    d = service.dashboard(period(w, "week", 90))
    assert sum(f.gmv_amount for _, f in d.series["USD"]) == d.totals["USD"].gmv_amount
    # the ledger is untouched by all this
    assert cli("ledger", "verify").exit_code == 0


def test_a_changed_order_on_a_rolled_day_is_recomputed(stats_world):
    from marketplace_kit.core.db import utcnow
    from marketplace_kit.core.orders import engine
    from marketplace_kit.events import commit

    w = stats_world
    service.refresh_rollups()
    # the job looks back 5 minutes; move its mark past the seeding (done just now)
    db.session.get(StatsRollupState, 1).watermark = utcnow()
    commit()
    engine.transition(w.o3, "pay_from_wallet", w.c2)
    engine.transition(w.o3, "mark_delivered", w.p1)
    engine.transition(w.o3, "accept", w.c2)
    commit()
    p = period(w)
    stale = service.dashboard(p)
    assert stale.totals["USD"].orders_completed == 4  # T-10 still as rolled
    assert service.dashboard(p, source="live").totals["USD"].orders_completed == 5
    assert service.refresh_rollups() == 1  # only T-10 was redone
    fresh = service.dashboard(p)
    assert fresh.totals["USD"].orders_completed == 5
    assert fresh.totals["USD"].gmv_amount == 19400 + 2100
    assert comparable(fresh) == comparable(service.dashboard(p, source="live"))


def test_the_next_day_rolls_today_and_nothing_else(stats_world):
    w = stats_world
    from marketplace_kit.core.db import utcnow

    service.refresh_rollups()
    state = db.session.get(StatsRollupState, 1)
    state.watermark = utcnow()  # past the seeding, which changed orders just now
    db.session.commit()
    tomorrow = state.watermark + timedelta(days=1)
    assert service.refresh_rollups(now=tomorrow) == 1
    assert service.rolled_through() == w.today
    p = period(w)
    d = service.dashboard(p)
    assert d.rolled_through == w.today  # nothing live left in this period
    assert comparable(d) == comparable(service.dashboard(p, source="live"))
    check_hand_figures(d, w)


def test_empty_database_rolls_nothing_and_shows_nothing(app):
    from marketplace_kit.core.db import utcnow

    assert service.refresh_rollups() == 0
    d = service.dashboard(Period.last("30d", utcnow().date()))
    assert d.currencies == [] and d.totals == {} and d.site.conversion is None
    assert len(d.site_series) == 30


# ---------------------------------------------------------------------------
# active users: exact distinct counts for any period and bucket
# ---------------------------------------------------------------------------


def _activity():
    """``{(user_id, day)}`` of every priced order, straight from the orders."""
    from marketplace_kit.core.orders.models import Order

    pairs = set()
    for o in db.session.scalars(select(Order).where(Order.customer_total_amount.is_not(None))):
        for user_id in (o.customer_id, o.provider_id):
            pairs.add((user_id, o.created_at.date()))
    return pairs


def _expected_active(pairs, p):
    from marketplace_kit.core.stats.period import next_bucket

    total = len({u for u, d in pairs if p.start <= d <= p.end})
    per = {}
    for b in p.buckets():
        lo, hi = max(b, p.start), min(next_bucket(b, p.granularity) - timedelta(days=1), p.end)
        n = len({u for u, d in pairs if lo <= d <= hi})
        if n:
            per[b] = n
    return total, per


def _check_every_period(w, source, back=14):
    pairs = _activity()
    checked = 0
    for first in range(back, -1, -1):
        for last in range(first, -1, -1):
            for granularity in ("day", "week", "month"):
                p = Period(w.today - timedelta(first), w.today - timedelta(last), granularity)
                got = service.active_users(p, source)
                assert got == _expected_active(pairs, p), (source, p)
                checked += 1
    return checked


def _check_user_days_table(through):
    """``stats_user_days`` holds every active (user, day) up to ``through`` with its previous day."""
    from marketplace_kit.core.stats.models import StatsUserDay

    pairs = sorted(p for p in _activity() if p[1] <= through)
    expected, last_day = set(), {}
    for user_id, day in pairs:
        expected.add((user_id, day, last_day.get(user_id)))
        last_day[user_id] = day
    rows = db.session.scalars(select(StatsUserDay))
    assert {(r.user_id, r.day, r.prev_day) for r in rows} == expected


def test_active_users_are_exact_for_every_period_live_and_rolled(stats_world):
    w = stats_world
    t = w.today
    assert _check_every_period(w, "live") == 120 * 3
    # by hand: c1 and p1 at T-10, c2 and p1 at T-10 (o3 has a price), p2 at T-10 and T-3 ...
    p = Period(t - timedelta(days=9), t, "day")  # after T-10: c1, c2, p1, p2, p3
    assert service.active_users(p, "live")[0] == 5
    p = Period(t - timedelta(days=10), t - timedelta(days=4), "week")  # T-10 only: c1, c2, p1, p2
    assert service.active_users(p, "live")[0] == 4
    service.refresh_rollups()
    _check_user_days_table(t - timedelta(days=1))
    _check_every_period(w, "auto")


def test_active_users_follow_orders_added_on_rolled_days(stats_world, order_factory, user_factory):
    from sqlalchemy import update

    from marketplace_kit.core.db import utcnow
    from marketplace_kit.core.orders.models import Order
    from marketplace_kit.events import commit

    w = stats_world
    t = w.today
    service.refresh_rollups()
    db.session.get(StatsRollupState, 1).watermark = utcnow()
    commit()
    now = utcnow()
    c3 = user_factory(display_name="Eli")

    def placed(customer, listing, days_ago):
        order = order_factory(customer=customer, listing=listing)
        db.session.execute(
            update(Order)
            .where(Order.id == order.id)
            .values(created_at=now - timedelta(days=days_ago), updated_at=now)
        )
        commit()

    # The job redoes a rolled day when one of its orders changed; orders that
    # appear on rolled days change who is active there and the previous
    # active day of those users' later rows.
    placed(w.c2, w.l3, 12)  # c2 + p3 before the first rolled day
    placed(w.c1, w.l2, 7)  # c1 + p2 between T-10 and T-3
    placed(c3, w.l1, 5)  # a new customer
    placed(c3, w.l2, 5)
    placed(w.c2, w.l1, 1)  # yesterday, the last rolled day
    assert service.refresh_rollups() == 4  # T-12, T-7, T-5, T-1
    _check_user_days_table(t - timedelta(days=1))
    _check_every_period(w, "auto")
    _check_every_period(w, "live")
    # and once today is rolled too, with nothing live left
    state = db.session.get(StatsRollupState, 1)
    state.watermark = utcnow()
    commit()
    service.refresh_rollups(now=state.watermark + timedelta(days=1))
    _check_user_days_table(t)
    _check_every_period(w, "auto")
