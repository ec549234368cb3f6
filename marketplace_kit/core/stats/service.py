"""The statistics: SQL aggregates over the orders, and the daily rollups that keep them fast.

Definitions (all per currency; amounts are integer minor units; an order
belongs to the UTC day it was placed; only priced orders count):

* **orders placed** -- orders with a price placed in the period;
* **completion rate** -- placed orders now in state ``completed`` / placed;
* **GMV** -- what customers pay for the completed orders (their totals);
* **fees** -- the fee lines (customer and provider side) of those orders;
  **take rate** = fees / GMV;
* **average order value** -- GMV / completed orders;
* **refund rate** / **dispute rate** -- placed orders that got any refund /
  had a dispute opened, over placed orders; **refunded** -- the money refunded
  to customers on them;
* **new users** -- accounts created; **active users** -- distinct users who
  placed or received an order in the period;
* **conversion** -- orders placed (all currencies) / listing page views.

Every figure except active users is additive over days, so closed days are
read from the ``stats_daily*`` rollup tables (written by
:func:`refresh_rollups`) and the days after the last rollup -- at least today
-- are computed live with the very same SELECT.

Active users are a distinct count, so they cannot be summed over days. The
job keeps one ``stats_user_days`` row per user and active day with the user's
previous active day: a user is active in ``a`` .. ``b`` exactly once as the
row of their first active day in it, i.e. the row whose previous day is before
``a``. So the distinct count is a plain count of those rows (see
:func:`active_users`), exact for any period and bucket.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import (
    TIMESTAMP,
    Date,
    Select,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    type_coerce,
    union,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from ...extensions import db
from ..db import utcnow
from ..disputes.models import Dispute
from ..ledger.models import JournalEntry, Posting
from ..listings.models import Category, Listing
from ..locking import dialect_name, locked
from ..orders.models import Order, OrderLine
from ..users.models import User
from .models import (
    ListingViewDay,
    StatsDaily,
    StatsDailyCategory,
    StatsDailyProvider,
    StatsDailySite,
    StatsRollupState,
    StatsUserDay,
)
from .period import Period, midnight

FIGURES = (
    "orders_placed",
    "orders_completed",
    "orders_refunded",
    "orders_disputed",
    "gmv_amount",
    "fees_amount",
    "refunded_amount",
)
#: How far back of the job's start a run looks for changed orders next time
#: (covers transactions that were still open when it ran).
WATERMARK_MARGIN = timedelta(minutes=5)
TOP_N = 10


# ---------------------------------------------------------------------------
# portable date expressions
# ---------------------------------------------------------------------------


def day_of(column: Any) -> Any:
    """The UTC calendar day of a timestamp column."""
    if dialect_name() == "postgresql":
        return type_coerce(func.date(func.timezone("UTC", column)), Date)
    return type_coerce(func.date(column), Date)


def bucket(day: Any, granularity: str) -> Any:
    """The first day of the day/week (Monday)/month bucket of a date expression."""
    if granularity == "day":
        return day
    if dialect_name() == "postgresql":
        return cast(func.date_trunc(granularity, cast(day, TIMESTAMP)), Date)
    if granularity == "week":
        return type_coerce(func.date(day, "weekday 0", "-6 days"), Date)
    return type_coerce(func.date(day, "start of month"), Date)


def as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# ---------------------------------------------------------------------------
# the live SELECT (also what the rollup job inserts)
# ---------------------------------------------------------------------------


def order_figures(start_at: datetime, end_at: datetime, by: str | None = None) -> Select[Any]:
    """Order figures per (day, currency[, category_id | provider_id]) of orders placed in range."""
    o = Order
    completed = o.state == "completed"
    fees = (
        select(func.coalesce(func.sum(OrderLine.amount), 0))
        .where(OrderLine.order_id == o.id, OrderLine.kind == "fee")
        .scalar_subquery()
    )
    refunded = (
        select(func.coalesce(func.sum(Posting.amount), 0))
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(JournalEntry.order_id == o.id, JournalEntry.kind == "refund", Posting.amount > 0)
        .scalar_subquery()
    )
    any_refund = exists(
        select(JournalEntry.id).where(JournalEntry.order_id == o.id, JournalEntry.kind == "refund")
    )
    disputed = exists(select(Dispute.id).where(Dispute.order_id == o.id))
    day = day_of(o.created_at).label("day")
    keys: list[Any] = [day, o.currency.label("currency")]
    stmt_from: Any = o
    if by == "category_id":
        keys.append(Listing.category_id.label("category_id"))
        stmt_from = o.__table__.outerjoin(Listing.__table__, Listing.id == o.listing_id)
    elif by == "provider_id":
        keys.append(o.provider_id.label("provider_id"))
    one = literal(1)
    zero = literal(0)
    columns = [
        func.count().label("orders_placed"),
        func.sum(case((completed, one), else_=zero)).label("orders_completed"),
        func.sum(case((any_refund, one), else_=zero)).label("orders_refunded"),
        func.sum(case((disputed, one), else_=zero)).label("orders_disputed"),
        func.sum(case((completed, o.customer_total_amount), else_=zero)).label("gmv_amount"),
        func.sum(case((completed, fees), else_=zero)).label("fees_amount"),
        func.sum(case((any_refund, refunded), else_=zero)).label("refunded_amount"),
    ]
    return (
        select(*keys, *columns)
        .select_from(stmt_from)
        .where(
            o.created_at >= start_at,
            o.created_at < end_at,
            o.customer_total_amount.is_not(None),
        )
        .group_by(*keys)
    )


def site_figures(start_at: datetime, end_at: datetime) -> Select[Any]:
    """New users and listing views per day in range."""
    users_day = day_of(User.created_at)
    users = (
        select(
            users_day.label("day"),
            func.count().label("new_users"),
            literal(0).label("listing_views"),
        )
        .where(User.created_at >= start_at, User.created_at < end_at)
        .group_by(users_day)
    )
    views = (
        select(
            ListingViewDay.day.label("day"),
            literal(0).label("new_users"),
            func.sum(ListingViewDay.views).label("listing_views"),
        )
        .where(ListingViewDay.day >= start_at.date(), ListingViewDay.day < end_at.date())
        .group_by(ListingViewDay.day)
    )
    both = union_all(users, views).subquery()
    return select(
        both.c.day,
        func.sum(both.c.new_users).label("new_users"),
        func.sum(both.c.listing_views).label("listing_views"),
    ).group_by(both.c.day)


def party_days(start_at: datetime, end_at: datetime) -> Select[Any]:
    """Distinct ``(user_id, day)``: users who placed or received a priced order that day."""
    where = (
        Order.created_at >= start_at,
        Order.created_at < end_at,
        Order.customer_total_amount.is_not(None),
    )
    return union(
        select(Order.customer_id.label("user_id"), day_of(Order.created_at).label("day")).where(
            *where
        ),
        select(Order.provider_id.label("user_id"), day_of(Order.created_at).label("day")).where(
            *where
        ),
    )


def user_days(start_at: datetime, end_at: datetime, *, rolled_before: date | None) -> Select[Any]:
    """``(user_id, day, prev_day)`` of the active users in range, computed from the orders.

    ``prev_day`` is the user's previous active day in range, else (with
    ``rolled_before``) their last day in ``stats_user_days`` before that day,
    else ``None``.
    """
    pairs = party_days(start_at, end_at).subquery()
    prev: Any = func.lag(pairs.c.day).over(partition_by=pairs.c.user_id, order_by=pairs.c.day)
    if rolled_before is not None:
        rolled = aliased(StatsUserDay)
        earlier = (
            select(func.max(rolled.day))
            .where(rolled.user_id == pairs.c.user_id, rolled.day < rolled_before)
            .scalar_subquery()
        )
        prev = func.coalesce(prev, earlier)
    return select(
        pairs.c.user_id,
        type_coerce(pairs.c.day, Date).label("day"),
        type_coerce(prev, Date).label("prev_day"),
    )


# ---------------------------------------------------------------------------
# rollups
# ---------------------------------------------------------------------------

_ORDER_ROLLUPS = (
    (StatsDaily, None),
    (StatsDailyCategory, "category_id"),
    (StatsDailyProvider, "provider_id"),
)


def _state(for_update: bool = False) -> StatsRollupState | None:
    stmt = select(StatsRollupState).where(StatsRollupState.id == 1)
    if for_update:
        stmt = locked(stmt)
    return db.session.scalars(stmt).first()


def rolled_through() -> date | None:
    """The last day in the rollup tables (``None``: the job has not run yet)."""
    return db.session.scalar(
        select(StatsRollupState.rolled_through).where(StatsRollupState.id == 1)
    )


def _runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Sorted days as runs of consecutive days ``(first, last)``."""
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def recompute(first: date, last: date) -> None:
    """Rewrite the rollup rows of ``first`` .. ``last`` from the live SELECTs."""
    start_at, end_at = midnight(first), midnight(last + timedelta(days=1))
    for model, by in _ORDER_ROLLUPS:
        db.session.execute(delete(model).where(model.day >= first, model.day <= last))
        select_ = order_figures(start_at, end_at, by)
        names = ["day", "currency", *([by] if by else []), *FIGURES]
        db.session.execute(insert(model).from_select(names, select_))
    _recompute_user_days(first, last)
    db.session.execute(
        delete(StatsDailySite).where(StatsDailySite.day >= first, StatsDailySite.day <= last)
    )
    db.session.execute(
        insert(StatsDailySite).from_select(
            ["day", "new_users", "listing_views"], site_figures(start_at, end_at)
        )
    )


def _recompute_user_days(first: date, last: date) -> None:
    """Rewrite the ``stats_user_days`` rows of ``first`` .. ``last`` and the links into them."""
    u = StatsUserDay
    start_at, end_at = midnight(first), midnight(last + timedelta(days=1))
    db.session.execute(delete(u).where(u.day >= first, u.day <= last))
    # Nothing rolled before the range (the first run): no previous days to look up.
    earlier_rows = db.session.scalar(select(exists().where(u.day < first)))
    db.session.execute(
        insert(u).from_select(
            ["user_id", "day", "prev_day"],
            user_days(start_at, end_at, rolled_before=first if earlier_rows else None),
        )
    )
    # Each user's first day after the range points at their last day before it:
    # redo it for the users who were or are now active in the range.
    earlier = aliased(StatsUserDay)
    in_range = select(u.user_id).where(u.day >= first, u.day <= last).scalar_subquery()
    db.session.execute(
        update(u)
        .where(
            u.day > last,
            or_(u.prev_day.is_(None), u.prev_day <= last),
            or_(u.prev_day >= first, u.user_id.in_(in_range)),
        )
        .values(
            prev_day=select(func.max(earlier.day))
            .where(earlier.user_id == u.user_id, earlier.day < u.day)
            .scalar_subquery()
        )
        .execution_options(synchronize_session=False)
    )


def refresh_rollups(now: datetime | None = None) -> int:
    """Bring the rollups up to yesterday and redo the closed days whose orders changed.

    The first run fills every day since the first order, user or view. Later
    runs add the days that closed since, and recompute each rolled day that
    has an order updated since the previous run began (a state change, a
    refund, a dispute). Returns the number of days written. Runs one at a
    time (the state row is locked).
    """
    flush_views()
    now = now or utcnow()
    today = now.date()
    yesterday = today - timedelta(days=1)
    state = _state(for_update=True)
    if state is None:
        try:
            with db.session.begin_nested():
                db.session.add(StatsRollupState(id=1))
        except IntegrityError:
            pass
        state = _state(for_update=True)
    assert state is not None
    days: set[date] = set()
    if state.rolled_through is None:
        firsts = [
            db.session.scalar(select(func.min(Order.created_at))),
            db.session.scalar(select(func.min(User.created_at))),
            db.session.scalar(select(func.min(ListingViewDay.day))),
        ]
        known = [as_date(f) for f in firsts if f is not None]
        if known and min(known) <= yesterday:
            first = min(known)
            days.update(first + timedelta(days=n) for n in range((yesterday - first).days + 1))
    else:
        day = state.rolled_through + timedelta(days=1)
        while day <= yesterday:
            days.add(day)
            day += timedelta(days=1)
        if state.watermark is not None:
            changed_day = day_of(Order.created_at)
            changed = db.session.scalars(
                select(changed_day)
                .where(
                    Order.updated_at >= state.watermark,
                    Order.created_at < midnight(state.rolled_through + timedelta(days=1)),
                )
                .group_by(changed_day)
            )
            days.update(as_date(d) for d in changed)
    for first, last in _runs(days):
        recompute(first, last)
    if state.rolled_through is None or state.rolled_through < yesterday:
        state.rolled_through = yesterday
    state.watermark = now - WATERMARK_MARGIN
    state.finished_at = utcnow()
    db.session.commit()
    return len(days)


# ---------------------------------------------------------------------------
# reading: the dashboard
# ---------------------------------------------------------------------------


@dataclass
class Figures:
    """Additive order figures of one currency (a bucket, a total, a category, a provider)."""

    currency: str
    orders_placed: int = 0
    orders_completed: int = 0
    orders_refunded: int = 0
    orders_disputed: int = 0
    gmv_amount: int = 0
    fees_amount: int = 0
    refunded_amount: int = 0

    @staticmethod
    def ratio(a: int, b: int) -> float | None:
        return a / b if b else None

    @property
    def completion_rate(self) -> float | None:
        return self.ratio(self.orders_completed, self.orders_placed)

    @property
    def take_rate(self) -> float | None:
        return self.ratio(self.fees_amount, self.gmv_amount)

    @property
    def refund_rate(self) -> float | None:
        return self.ratio(self.orders_refunded, self.orders_placed)

    @property
    def dispute_rate(self) -> float | None:
        return self.ratio(self.orders_disputed, self.orders_placed)

    @property
    def average_order_amount(self) -> int | None:
        """GMV / completed orders, rounded half up to a minor unit."""
        if not self.orders_completed:
            return None
        return (2 * self.gmv_amount + self.orders_completed) // (2 * self.orders_completed)


@dataclass
class SiteFigures:
    new_users: int = 0
    listing_views: int = 0
    active_users: int = 0
    orders_placed: int = 0

    @property
    def conversion(self) -> float | None:
        return self.orders_placed / self.listing_views if self.listing_views else None


@dataclass
class TopRow:
    key: int | None
    name: str
    figures: Figures


@dataclass
class Dashboard:
    period: Period
    source: str
    currencies: list[str]
    totals: dict[str, Figures]
    series: dict[str, list[tuple[date, Figures]]]
    site: SiteFigures
    site_series: list[tuple[date, SiteFigures]]
    top_categories: dict[str, list[TopRow]]
    top_providers: dict[str, list[TopRow]]
    rolled_through: date | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _sum_cols(sq: Any) -> list[Any]:
    return [func.coalesce(func.sum(sq.c[name]), 0).label(name) for name in FIGURES]


def _split(period: Period, source: str) -> tuple[date | None, date]:
    """The last day read from the rollups (or ``None``) and the first day computed live."""
    through = rolled_through() if source != "live" else None
    if through is None or through < period.start:
        return None, period.start
    last = min(through, period.end)
    return last, last + timedelta(days=1)


def _order_source(period: Period, source: str, by: str | None = None) -> Any:
    model = {
        None: StatsDaily,
        "category_id": StatsDailyCategory,
        "provider_id": StatsDailyProvider,
    }[by]
    rolled_last, live_from = _split(period, source)
    parts: list[Select[Any]] = []
    if rolled_last is not None:
        cols = [model.day.label("day"), model.currency.label("currency")]
        if by:
            cols.append(getattr(model, by).label(by))
        parts.append(
            select(*cols, *(getattr(model, f).label(f) for f in FIGURES)).where(
                model.day >= period.start, model.day <= rolled_last
            )
        )
    if live_from <= period.end:
        parts.append(order_figures(midnight(live_from), period.end_at, by))
    return (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()


def _site_source(period: Period, source: str) -> Any:
    rolled_last, live_from = _split(period, source)
    parts: list[Select[Any]] = []
    if rolled_last is not None:
        m = StatsDailySite
        parts.append(
            select(m.day.label("day"), m.new_users, m.listing_views).where(
                m.day >= period.start, m.day <= rolled_last
            )
        )
    if live_from <= period.end:
        parts.append(site_figures(midnight(live_from), period.end_at))
    return (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()


def _figures(currency: str, row: Any) -> Figures:
    return Figures(currency, **{f: int(getattr(row, f) or 0) for f in FIGURES})


def _top(period: Period, source: str, by: str, limit: int) -> dict[str, list[tuple[Any, Figures]]]:
    sq = _order_source(period, source, by)
    grouped = (
        select(sq.c.currency, sq.c[by].label("key"), *_sum_cols(sq))
        .group_by(sq.c.currency, sq.c[by])
        .subquery()
    )
    rank = (
        func.row_number()
        .over(
            partition_by=grouped.c.currency,
            order_by=(grouped.c.gmv_amount.desc(), grouped.c.orders_placed.desc(), grouped.c.key),
        )
        .label("rank")
    )
    ranked = select(grouped, rank).subquery()
    rows = db.session.execute(
        select(ranked).where(ranked.c.rank <= limit).order_by(ranked.c.currency, ranked.c.rank)
    )
    out: dict[str, list[tuple[Any, Figures]]] = {}
    for row in rows:
        out.setdefault(row.currency, []).append((row.key, _figures(row.currency, row)))
    return out


def _category_name(category: Category | None, locale: str | None) -> str:
    if category is None:
        return ""
    names = category.names or {}
    return names.get(locale or "") or names.get("en") or category.slug


def active_users(period: Period, source: str = "auto") -> tuple[int, dict[date, int]]:
    """Distinct users who placed or received an order: in the whole period and per bucket.

    Rolled days come from ``stats_user_days``, the rest from the orders with
    the same ``prev_day`` (looked up in ``stats_user_days`` for a user's first
    live day). A row counts for the period if its ``prev_day`` is before the
    period, and for its bucket if it is before the bucket or the period.
    """
    rolled_last, live_from = _split(period, source)
    parts: list[Select[Any]] = []
    if rolled_last is not None:
        u = StatsUserDay
        parts.append(
            select(u.day.label("day"), u.prev_day.label("prev_day")).where(
                u.day >= period.start, u.day <= rolled_last
            )
        )
    if live_from <= period.end:
        live = user_days(
            midnight(live_from),
            period.end_at,
            rolled_before=live_from if rolled_last is not None else None,
        ).subquery()
        parts.append(select(live.c.day, live.c.prev_day))
    rows = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    b = bucket(rows.c.day, period.granularity).label("bucket")
    first_in_period = or_(rows.c.prev_day.is_(None), rows.c.prev_day < period.start)
    first_in_bucket = or_(first_in_period, rows.c.prev_day < b)
    one, zero = literal(1), literal(0)
    total = 0
    per: dict[date, int] = {}
    for row in db.session.execute(
        select(
            b,
            func.sum(case((first_in_period, one), else_=zero)).label("period_firsts"),
            func.sum(case((first_in_bucket, one), else_=zero)).label("bucket_firsts"),
        ).group_by(b)
    ):
        total += int(row.period_firsts or 0)
        per[as_date(row.bucket)] = int(row.bucket_firsts or 0)
    return total, per


def dashboard(
    period: Period, *, source: str = "auto", top: int = TOP_N, locale: str | None = None
) -> Dashboard:
    """Every figure of the dashboard for ``period``.

    ``source="auto"`` reads rolled days from the rollups and the rest live;
    ``"live"`` computes everything from the orders (same numbers, slower).
    """
    flush_views()
    sq = _order_source(period, source)
    b = bucket(sq.c.day, period.granularity).label("bucket")
    series: dict[str, list[tuple[date, Figures]]] = {}
    for row in db.session.execute(
        select(b, sq.c.currency, *_sum_cols(sq))
        .group_by(b, sq.c.currency)
        .order_by(sq.c.currency, b)
    ):
        series.setdefault(row.currency, []).append(
            (as_date(row.bucket), _figures(row.currency, row))
        )
    totals = {
        row.currency: _figures(row.currency, row)
        for row in db.session.execute(
            select(sq.c.currency, *_sum_cols(sq)).group_by(sq.c.currency).order_by(sq.c.currency)
        )
    }
    currencies = sorted(totals)
    # fill empty buckets so charts and tables show every bucket of the period
    for currency in currencies:
        have = dict(series.get(currency, []))
        series[currency] = [(d, have.get(d) or Figures(currency)) for d in period.buckets()]

    site_sq = _site_source(period, source)
    sb = bucket(site_sq.c.day, period.granularity).label("bucket")
    site_rows = {
        as_date(row.bucket): row
        for row in db.session.execute(
            select(
                sb,
                func.coalesce(func.sum(site_sq.c.new_users), 0).label("new_users"),
                func.coalesce(func.sum(site_sq.c.listing_views), 0).label("listing_views"),
            ).group_by(sb)
        )
    }
    active_total, active_per = active_users(period, source)
    placed_per: dict[date, int] = {}
    for currency in currencies:
        for d, f in series[currency]:
            placed_per[d] = placed_per.get(d, 0) + f.orders_placed
    site_series = []
    for d in period.buckets():
        row = site_rows.get(d)
        site_series.append(
            (
                d,
                SiteFigures(
                    new_users=int(row.new_users) if row else 0,
                    listing_views=int(row.listing_views) if row else 0,
                    active_users=active_per.get(d, 0),
                    orders_placed=placed_per.get(d, 0),
                ),
            )
        )
    site = SiteFigures(
        new_users=sum(s.new_users for _, s in site_series),
        listing_views=sum(s.listing_views for _, s in site_series),
        active_users=active_total,
        orders_placed=sum(f.orders_placed for f in totals.values()),
    )

    top_categories: dict[str, list[TopRow]] = {}
    raw = _top(period, source, "category_id", top)
    ids = {k for rows in raw.values() for k, _ in rows if k is not None}
    cats = (
        {c.id: c for c in db.session.scalars(select(Category).where(Category.id.in_(ids)))}
        if ids
        else {}
    )
    for currency, rows in raw.items():
        top_categories[currency] = [
            TopRow(k, _category_name(cats.get(k), locale) if k is not None else "", f)
            for k, f in rows
        ]
    top_providers: dict[str, list[TopRow]] = {}
    raw = _top(period, source, "provider_id", top)
    ids = {k for rows in raw.values() for k, _ in rows}
    names: dict[int, str] = {}
    if ids:
        for row in db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))):
            names[row.id] = row.display_name
    for currency, rows in raw.items():
        top_providers[currency] = [TopRow(k, names.get(k, ""), f) for k, f in rows]
    rolled_last, _ = _split(period, source)
    return Dashboard(
        period=period,
        source=source,
        currencies=currencies,
        totals=totals,
        series=series,
        site=site,
        site_series=site_series,
        top_categories=top_categories,
        top_providers=top_providers,
        rolled_through=rolled_last,
    )


# ---------------------------------------------------------------------------
# the listing view counter
# ---------------------------------------------------------------------------


#: Views are counted in the serving process and written at most this often (or when
#: this many listing-days are waiting), so a page view costs no write transaction.
VIEW_FLUSH_SECONDS = 30
VIEW_FLUSH_ROWS = 500


class _ViewBuffer:
    """Per-app, per-process counts of listing views not yet written to ``listing_view_days``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: Counter[tuple[int, date]] = Counter()
        self.since = time.monotonic()


def _view_buffer() -> _ViewBuffer:
    return current_app.extensions.setdefault("mk_listing_views", _ViewBuffer())


def record_view(listing_id: int, now: datetime | None = None) -> None:
    """Count one view of a listing's page (written with the next flush).

    Kept in memory and written by :func:`flush_views` with the first view
    counted ``VIEW_FLUSH_SECONDS`` after the last write (or once
    ``VIEW_FLUSH_ROWS`` listing-days wait), and before this process reads or
    rolls up the statistics. A process that dies loses its unwritten views;
    none is ever counted twice.
    """
    buffer = _view_buffer()
    with buffer.lock:
        buffer.counts[(listing_id, (now or utcnow()).date())] += 1
        due = (
            len(buffer.counts) >= VIEW_FLUSH_ROWS
            or time.monotonic() - buffer.since >= VIEW_FLUSH_SECONDS
        )
    if due:
        flush_views()


def flush_views() -> int:
    """Write this process's counted views (one upsert per listing and day); returns the rows.

    Runs in its own short transaction on its own connection, so the caller's
    session (and the objects it has loaded) is left alone.
    """
    buffer = _view_buffer()
    with buffer.lock:
        counts, buffer.counts = buffer.counts, Counter()
        buffer.since = time.monotonic()
    if not counts:
        return 0
    if dialect_name() == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    stmt = upsert(ListingViewDay)
    stmt = stmt.on_conflict_do_update(
        index_elements=[ListingViewDay.listing_id, ListingViewDay.day],
        set_={"views": ListingViewDay.views + stmt.excluded.views},
    )
    rows = [{"listing_id": lid, "day": day, "views": n} for (lid, day), n in counts.items()]
    with db.engine.begin() as conn:
        conn.execute(stmt, rows)
    return len(rows)
