"""The statistics dashboard: ``/console/stats`` (``?format=csv&table=...`` exports a table)."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from flask import abort, current_app, render_template, request
from flask_babel import format_date, format_decimal, format_percent
from flask_babel import gettext as _
from flask_login import login_required

from ...core.access import require
from ...core.db import utcnow
from ...core.stats import panels as panel_registry
from ...core.stats import service
from ...core.stats.period import GRANULARITY_LABELS, PRESET_LABELS, Period, parse_period
from ...money import Money
from ..i18n import format_money, locale_code
from . import bp, charts
from .common import csv_cell, csv_response, me

ORDER_COLUMNS = (
    "orders_placed",
    "orders_completed",
    "completion_rate",
    "gmv_minor",
    "fees_minor",
    "take_rate",
    "average_order_minor",
    "orders_refunded",
    "refund_rate",
    "refunded_minor",
    "orders_disputed",
    "dispute_rate",
)
TABLES = ("orders", "users", "categories", "providers")


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _order_cells(f: service.Figures) -> list[Any]:
    return [
        f.orders_placed,
        f.orders_completed,
        _rate(f.completion_rate),
        f.gmv_amount,
        f.fees_amount,
        _rate(f.take_rate),
        "" if f.average_order_amount is None else f.average_order_amount,
        f.orders_refunded,
        _rate(f.refund_rate),
        f.refunded_amount,
        f.orders_disputed,
        _rate(f.dispute_rate),
    ]


def table_csv(d: service.Dashboard, table: str, panels: list[Any]) -> str | None:
    """The CSV of one table of the dashboard (``None``: no such table)."""
    out = io.StringIO()
    w = csv.writer(out)
    if table == "orders":
        w.writerow(["period_start", "currency", *ORDER_COLUMNS])
        for currency in d.currencies:
            for day, f in d.series[currency]:
                w.writerow([day.isoformat(), currency, *_order_cells(f)])
    elif table == "users":
        w.writerow(
            [
                "period_start",
                "new_users",
                "active_users",
                "listing_views",
                "orders_placed",
                "conversion",
            ]
        )
        for day, s in d.site_series:
            w.writerow(
                [
                    day.isoformat(),
                    s.new_users,
                    s.active_users,
                    s.listing_views,
                    s.orders_placed,
                    _rate(s.conversion),
                ]
            )
    elif table in ("categories", "providers"):
        top = d.top_categories if table == "categories" else d.top_providers
        key = "category_id" if table == "categories" else "provider_id"
        name = "category" if table == "categories" else "provider"
        w.writerow(["currency", "rank", key, name, *ORDER_COLUMNS])
        for currency in d.currencies:
            for rank, row in enumerate(top.get(currency, []), 1):
                w.writerow(
                    [
                        currency,
                        rank,
                        "" if row.key is None else row.key,
                        csv_cell(row.name),
                        *_order_cells(row.figures),
                    ]
                )
    elif table.startswith("panel-"):
        panel = next((p for p in panels if f"panel-{p.key}" == table), None)
        if panel is None:
            return None
        header: list[Any] = []
        for column, sample in zip(
            panel.columns,
            panel.rows[0] if panel.rows else [None] * len(panel.columns),
            strict=False,
        ):
            if isinstance(sample, Money):
                header += [f"{column} (minor units)", f"{column} (currency)"]
            else:
                header.append(str(column))
        w.writerow([csv_cell(h) for h in header])
        for cells in panel.rows:
            row: list[Any] = []
            for cell in cells:
                if isinstance(cell, Money):
                    row += [cell.amount, cell.currency]
                else:
                    row.append(csv_cell(str(cell)) if not isinstance(cell, int | float) else cell)
            w.writerow(row)
    else:
        return None
    return out.getvalue()


def _label(day: date, period: Period) -> str:
    if period.granularity == "month":
        return format_date(day, "MMM y")
    return format_date(day, "d MMM")


def _pct(value: float | None) -> str:
    return "—" if value is None else format_percent(value, "#,##0.0%")


def _cell(value: Any) -> str:
    if isinstance(value, Money):
        return format_money(value)
    if isinstance(value, float):
        return format_decimal(value)
    return str(value)


def _charts(d: service.Dashboard) -> dict[str, Any]:
    p = d.period
    labels = [_label(day, p) for day in p.buckets()]
    out: dict[str, Any] = {"gmv": {}, "categories": {}, "providers": {}}
    for currency in d.currencies:
        series = d.series[currency]

        def money_fmt(v: Any, currency: str = currency) -> str:
            return format_money(Money(int(v), currency))

        out["gmv"][currency] = charts.bar_chart(
            _(
                "GMV in %(currency)s per %(unit)s",
                currency=currency,
                unit=GRANULARITY_LABELS[p.granularity].lower(),
            ),
            _(
                "Bar chart of the value of completed orders; the same figures are in the table below."
            ),
            labels,
            [(_("GMV"), [f.gmv_amount for _day, f in series])],
            money_fmt,
        )
        out["categories"][currency] = charts.hbar_chart(
            _("Top categories by GMV in %(currency)s", currency=currency),
            _("Ranking of categories by the value of completed orders; see the table below."),
            [
                (r.name or _("No category"), r.figures.gmv_amount)
                for r in d.top_categories.get(currency, [])
            ],
            money_fmt,
        )
        out["providers"][currency] = charts.hbar_chart(
            _("Top providers by GMV in %(currency)s", currency=currency),
            _("Ranking of providers by the value of completed orders; see the table below."),
            [
                (r.name or f"#{r.key}", r.figures.gmv_amount)
                for r in d.top_providers.get(currency, [])
            ],
            money_fmt,
        )
    out["orders"] = charts.bar_chart(
        _(
            "Orders placed and completed per %(unit)s",
            unit=GRANULARITY_LABELS[p.granularity].lower(),
        ),
        _("Bar chart of orders placed and, of those, completed, in all currencies."),
        labels,
        [
            (_("placed"), [s.orders_placed for _day, s in d.site_series]),
            (
                _("completed"),
                [
                    sum(d.series[c][i][1].orders_completed for c in d.currencies)
                    for i in range(len(d.site_series))
                ],
            ),
        ],
        lambda v: format_decimal(v),
    )
    out["users"] = charts.bar_chart(
        _("New and active users per %(unit)s", unit=GRANULARITY_LABELS[p.granularity].lower()),
        _("Bar chart of accounts created and of users who placed or received an order."),
        labels,
        [
            (_("new"), [s.new_users for _day, s in d.site_series]),
            (_("active"), [s.active_users for _day, s in d.site_series]),
        ],
        lambda v: format_decimal(v),
    )
    return out


def _panel_chart(panel: Any) -> Any:
    rows = [r for r in panel.rows if len(r) >= 2]
    money = next((r[1] for r in rows if isinstance(r[1], Money)), None)

    def fmt(v: Any) -> str:
        if money is not None:
            return format_money(Money(int(v), money.currency))
        return format_decimal(v)

    values = [(str(r[0]), r[1].amount if isinstance(r[1], Money) else r[1]) for r in rows]
    return charts.hbar_chart(str(panel.title), str(panel.description or panel.title), values, fmt)


@bp.get("/stats")
@login_required
def stats():
    from ...app import state

    require(me(), "console.stats")
    today = utcnow().date()
    period, errors = parse_period(request.args, today)
    if errors:
        return (
            render_template(
                "console/stats.html",
                period=period,
                errors=errors,
                args=request.args,
                presets=PRESET_LABELS,
                granularities=GRANULARITY_LABELS,
                d=None,
            ),
            400,
        )
    locale = locale_code()
    d = service.dashboard(period, locale=locale)
    panels = panel_registry.collect(state(current_app).pm, period)
    if request.args.get("format") == "csv":
        table = request.args.get("table", "")
        text = table_csv(d, table, panels)
        if text is None:
            abort(404)
        span = f"{period.start.isoformat()}_{period.end.isoformat()}"
        return csv_response(text, f"stats-{table}-{span}.csv")
    return render_template(
        "console/stats.html",
        period=period,
        errors={},
        args=request.args,
        presets=PRESET_LABELS,
        granularities=GRANULARITY_LABELS,
        d=d,
        panels=panels,
        panel_charts={p.key: _panel_chart(p) for p in panels if p.chart == "bar"},
        charts=_charts(d),
        label=lambda day: _label(day, period),
        pct=_pct,
        cell=_cell,
        csv_args=lambda table: {**period.query_args(), "format": "csv", "table": table},
    )
