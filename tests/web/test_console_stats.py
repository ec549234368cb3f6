"""The statistics dashboard page: figures, charts, CSV exports, plugin panels, the form."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace_kit import hookimpl
from marketplace_kit.core.stats.models import ListingViewDay
from marketplace_kit.core.stats.panels import StatsPanel
from marketplace_kit.core.stats.service import flush_views
from marketplace_kit.extensions import db
from marketplace_kit.money import Money
from tests.conftest import STATS_CONFIG

pytestmark = pytest.mark.mk_config(STATS_CONFIG)


def _url(w, **extra):
    args = {
        "from": (w.today - timedelta(days=13)).isoformat(),
        "to": w.today.isoformat(),
        "granularity": "day",
        **extra,
    }
    return "/console/stats?" + "&".join(f"{k}={v}" for k, v in args.items())


def _csv(resp):
    assert resp.status_code == 200, resp.status_code
    assert resp.mimetype == "text/csv"
    assert resp.headers["Content-Disposition"].startswith('attachment; filename="stats-')
    return list(csv.DictReader(io.StringIO(resp.text)))


@pytest.fixture
def finance(user_factory):
    return user_factory(roles=["finance"], display_name="Fin")


def test_the_dashboard_shows_the_figures_and_charts(client, stats_world, finance):
    client.login(finance)
    html = client.get(_url(stats_world)).text
    assert "<h1>Statistics dashboard</h1>" in html
    assert "$194.00" in html  # USD GMV
    assert "€31.00" in html  # EUR GMV
    assert "57.1%" in html  # completion rate 4/7
    assert "11.9%" in html  # take rate 2300/19400
    assert "$48.50" in html  # average order value
    assert "50.0%" in html  # conversion 8/16
    assert html.count('role="img"') >= 6
    assert "<title id=" in html and "<desc id=" in html
    assert "GMV in USD per day" in html
    assert "Tool Tom" in html and "Garden Gina" in html
    assert "Every day is computed live." in html


def test_presets_and_granularities(client, stats_world, finance):
    client.login(finance)
    for preset in ("7d", "30d", "90d", "year"):
        for granularity in ("day", "week", "month"):
            resp = client.get(f"/console/stats?preset={preset}&granularity={granularity}")
            assert resp.status_code == 200, (preset, granularity)
    html = client.get("/console/stats?preset=year").text
    assert '<option value="month" selected>' in html  # a year defaults to months


@pytest.mark.parametrize(
    "query,field,message",
    [
        ("from=2026-13-01&to=2026-01-01", "from", "Give a date as YYYY-MM-DD."),
        ("from=2026-02-01&to=2026-01-01", "to", "The end must not be before the start."),
        ("from=2020-01-01&to=2026-01-01", "to", "At most 1098 days at a time."),
        ("preset=5y", "preset", "Choose one of the periods offered."),
        ("preset=7d&granularity=hour", "granularity", "Choose day, week or month."),
    ],
)
def test_bad_periods_are_told_next_to_the_field(client, finance, query, field, message):
    client.login(finance)
    resp = client.get(f"/console/stats?{query}")
    assert resp.status_code == 400
    assert f'id="{field}-errors"' in resp.text and message in resp.text


def test_csv_exports_of_every_table(client, stats_world, finance):
    w = stats_world
    client.login(finance)
    rows = _csv(client.get(_url(w, format="csv", table="orders")))
    assert len(rows) == 28  # 14 days x 2 currencies
    usd = [r for r in rows if r["currency"] == "USD"]
    assert sum(int(r["gmv_minor"]) for r in usd) == 19400
    assert sum(int(r["fees_minor"]) for r in usd) == 2300
    day10 = next(r for r in usd if r["period_start"] == (w.today - timedelta(10)).isoformat())
    assert (day10["orders_placed"], day10["orders_completed"], day10["completion_rate"]) == (
        "3",
        "2",
        "0.6667",
    )
    users = _csv(client.get(_url(w, format="csv", table="users")))
    assert sum(int(r["listing_views"]) for r in users) == 16
    assert sum(int(r["new_users"]) for r in users) == 7  # the six of the world and `finance`
    cats = _csv(client.get(_url(w, format="csv", table="categories")))
    assert [(r["currency"], r["category"], r["gmv_minor"]) for r in cats] == [
        ("EUR", "Garden", "3100"),
        ("USD", "Tools", "15200"),
        ("USD", "Garden", "4200"),
    ]
    provs = _csv(client.get(_url(w, format="csv", table="providers")))
    assert [(r["provider_id"], r["gmv_minor"], r["refund_rate"]) for r in provs] == [
        (str(w.p3.id), "3100", "0.0000"),
        (str(w.p2.id), "15200", "0.3333"),
        (str(w.p1.id), "4200", "0.2500"),
    ]
    assert client.get(_url(w, format="csv", table="nope")).status_code == 404


def test_csv_cells_that_look_like_formulas_are_defused(client, stats_world, finance):
    w = stats_world
    w.p2.display_name = "=HYPERLINK(1)"
    db.session.commit()
    client.login(finance)
    provs = _csv(client.get(_url(w, format="csv", table="providers")))
    assert "'=HYPERLINK(1)" in [r["provider"] for r in provs]


class GroupPanels:
    """A test-local plugin: groups filled vs failed in the period."""

    def __init__(self):
        self.periods = []

    @hookimpl
    def mk_console_stats_panels(self, period):
        self.periods.append(period)
        return [
            StatsPanel(
                key="groups-outcome",
                title="Groups filled vs failed",
                columns=["Outcome", "Groups", "Value"],
                rows=[["filled", 7, Money(12345, "USD")], ["failed", 2, Money(500, "USD")]],
                description="Group buys that closed in the period.",
                chart="bar",
            )
        ]


def test_a_plugin_adds_a_panel_with_its_csv(app_factory, user_factory):
    plugin = GroupPanels()
    app = app_factory(STATS_CONFIG, extra_plugins=[plugin])
    client = app.test_client()
    with app.app_context():
        client.login(user_factory(roles=["admin"]))
    html = client.get("/console/stats?preset=7d").text
    assert "Groups filled vs failed" in html and "$123.45" in html
    assert html.count('class="chart hbar-chart"') >= 1
    assert plugin.periods[-1].days == 7 and plugin.periods[-1].preset == "7d"
    rows = _csv(client.get("/console/stats?preset=7d&format=csv&table=panel-groups-outcome"))
    assert rows == [
        {
            "Outcome": "filled",
            "Groups": "7",
            "Value (minor units)": "12345",
            "Value (currency)": "USD",
        },
        {
            "Outcome": "failed",
            "Groups": "2",
            "Value (minor units)": "500",
            "Value (currency)": "USD",
        },
    ]


def test_two_plugins_with_one_panel_key_stop_with_both_names(app_factory, user_factory):
    from marketplace_kit.core.stats.panels import collect
    from marketplace_kit.errors import PluginError

    app = app_factory(extra_plugins=[GroupPanels(), GroupPanels()])
    with app.app_context():
        from marketplace_kit.app import state
        from marketplace_kit.core.stats.period import Period

        with pytest.raises(PluginError, match="groups-outcome"):
            collect(state(app).pm, Period.last("7d", __import__("datetime").date.today()))


@pytest.mark.parametrize("who", ["moderator", "support", None])
def test_other_roles_may_not_see_the_statistics(client, user_factory, who):
    client.login(user_factory(roles=[who] if who else []))
    assert client.get("/console/stats").status_code == 403
    assert client.get("/console/stats?format=csv&table=orders").status_code == 403


def test_listing_views_are_counted_per_day_but_not_the_authors(client, listing_factory):
    listing = listing_factory()
    client.get(f"/listings/{listing.id}")
    client.get(f"/listings/{listing.id}")
    client.login(listing.author)
    client.get(f"/listings/{listing.id}")
    flush_views()  # views are written in batches, not per request
    total = db.session.scalar(
        select(func.sum(ListingViewDay.views)).where(ListingViewDay.listing_id == listing.id)
    )
    assert total == 2


def test_listing_views_are_written_in_one_batch(client, listing_factory, app):
    from marketplace_kit.testing import count_queries

    listing = listing_factory()
    flush_views()
    with count_queries(app) as log:
        for _ in range(3):
            client.get(f"/listings/{listing.id}")
    assert not [q for q in log if "listing_view_days" in q]  # no write per page view
    assert flush_views() == 1  # one row for the listing and day, counting 3
    total = db.session.scalar(
        select(func.sum(ListingViewDay.views)).where(ListingViewDay.listing_id == listing.id)
    )
    assert total == 3
    assert flush_views() == 0
