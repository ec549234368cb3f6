"""The operator console's statistics panel for group buying (``mk_console_stats_panels``).

For the chosen period (UTC days, both ends included; ``period.start_at`` up to
but excluding ``period.end_at``), counted in one SQL query over the plugin's
tables:

* **team groups opened** -- the leader paid (``opened_at``) in the period;
* **filled** -- team groups that succeeded (``settled_at`` in the period), full
  or settled at a lower tier when the window ran out;
* **failed** -- team groups that expired below the lowest tier in the period;
* **still open** -- team groups opened before the period's end and not settled
  by then (for a period ending today: the groups open now);
* **fill rate** -- filled / (filled + failed), cut (never rounded up) to 0.1%;
  "—" when no group settled;
* **tipping deals tipped / failed** -- tipping-point deals settled in the period.

Groups whose leader never paid (``pending``, ``abandoned``) are not counted.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import format_percent
from flask_babel import gettext as _
from sqlalchemy import and_, case, func, or_, select

from marketplace_kit.core.stats.panels import StatsPanel
from marketplace_kit.extensions import db

from .models import TEAM, TIPPING, Deal, Group

PANEL_KEY = "group_buying-outcomes"


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def outcome_counts(period: Any) -> dict[str, int]:
    """The panel's counts for ``period`` (see the module docstring)."""
    start, end = period.start_at, period.end_at
    team = Deal.kind == TEAM
    tipping = Deal.kind == TIPPING
    settled_in = and_(Group.settled_at >= start, Group.settled_at < end)
    row = db.session.execute(
        select(
            _count(and_(team, Group.opened_at >= start, Group.opened_at < end)),
            _count(and_(team, Group.status == "filled", settled_in)),
            _count(and_(team, Group.status == "failed", settled_in)),
            _count(
                and_(
                    team,
                    Group.opened_at < end,
                    or_(Group.settled_at.is_(None), Group.settled_at >= end),
                )
            ),
            _count(and_(tipping, Group.status == "tipped", settled_in)),
            _count(and_(tipping, Group.status == "failed", settled_in)),
        )
        .select_from(Group)
        .join(Deal, Deal.id == Group.deal_id)
    ).one()
    keys = ("opened", "filled", "failed", "still_open", "tipped", "tipping_failed")
    return {key: int(value or 0) for key, value in zip(keys, row, strict=True)}


def fill_rate(filled: int, failed: int) -> str:
    """``filled / (filled + failed)`` as a percentage cut to 0.1% (2 of 3 is 66.6%, not 66.7%)."""
    settled = filled + failed
    if not settled:
        return "—"
    return format_percent(Decimal(filled * 1000 // settled) / 1000, "#,##0.0%")


def panel(period: Any) -> StatsPanel:
    c = outcome_counts(period)
    return StatsPanel(
        key=PANEL_KEY,
        title=_("Group buying"),
        description=_(
            "Team groups opened, filled (including groups settled at a lower tier) and "
            "failed in the period, groups still open at its end, and tipping-point deals "
            "settled in the period. The fill rate is filled / (filled + failed), never "
            "rounded up."
        ),
        columns=[_("Figure"), _("Count")],
        rows=[
            [_("Team groups opened"), c["opened"]],
            [_("Team groups filled"), c["filled"]],
            [_("Team groups failed"), c["failed"]],
            [_("Team groups still open at the end"), c["still_open"]],
            [_("Fill rate"), fill_rate(c["filled"], c["failed"])],
            [_("Tipping deals tipped"), c["tipped"]],
            [_("Tipping deals failed"), c["tipping_failed"]],
        ],
        order=60,
    )
