"""Daily rollups of the order figures, and the per-listing daily view counter.

Every figure about orders is keyed by the UTC day the order was placed (its
cohort) and its currency; amounts are integer minor units of that currency.
The rollup job recomputes closed days whose orders changed since its last run
(see :func:`marketplace_kit.core.stats.service.refresh_rollups`), so a rolled
day and the same day computed live give the same numbers.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ...extensions import db
from ..db import UTCDateTime
from ..orders.models import Order
from ..users.models import User

# The statistics read orders and users by the day they were created, and the
# rollup job finds the days to recompute by ``orders.updated_at``. The orders
# index also holds the parties and the total, so counting active users over
# the days not rolled up yet (and the ``live`` source) is an index-only scan.
Index(
    "ix_orders_created_at",
    Order.created_at,
    Order.customer_id,
    Order.provider_id,
    Order.customer_total_amount,
)
Index("ix_orders_updated_at", Order.updated_at)
Index("ix_users_created_at", User.created_at)


class _OrderFigures:
    """The additive order figures of one day and currency (and one category/provider)."""

    #: Priced orders placed that day.
    orders_placed: Mapped[int] = mapped_column(Integer, default=0)
    #: ... of which are now in state ``completed``.
    orders_completed: Mapped[int] = mapped_column(Integer, default=0)
    #: ... of which got any refund (full or partial).
    orders_refunded: Mapped[int] = mapped_column(Integer, default=0)
    #: ... of which had a dispute opened.
    orders_disputed: Mapped[int] = mapped_column(Integer, default=0)
    #: What customers pay for the completed orders (customer totals).
    gmv_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Fee lines (both sides) of the completed orders: the platform's take.
    fees_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Money refunded to customers on the orders placed that day.
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0)


class StatsDaily(_OrderFigures, db.Model):
    """Order figures per day of placement and currency."""

    __tablename__ = "stats_daily"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)


class StatsDailyCategory(_OrderFigures, db.Model):
    """Order figures per day, currency and the category of the order's listing."""

    __tablename__ = "stats_daily_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    currency: Mapped[str] = mapped_column(String(3))
    #: ``None``: orders without a listing or of a listing without a category.
    category_id: Mapped[int | None] = mapped_column(Integer)


class StatsDailyProvider(_OrderFigures, db.Model):
    """Order figures per day, currency and provider."""

    __tablename__ = "stats_daily_providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    currency: Mapped[str] = mapped_column(String(3))
    provider_id: Mapped[int] = mapped_column(Integer)


class StatsDailySite(db.Model):
    """Figures that have no currency: sign-ups and listing views per day."""

    __tablename__ = "stats_daily_site"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    new_users: Mapped[int] = mapped_column(Integer, default=0)
    listing_views: Mapped[int] = mapped_column(BigInteger, default=0)


class StatsUserDay(db.Model):
    """A user who placed or received a priced order on a (rolled) UTC day.

    ``prev_day`` is the user's previous such day (``None``: the first one), so
    the distinct users active in ``a`` .. ``b`` are the rows of those days
    whose ``prev_day`` is before ``a``: a plain count over the
    ``(day, prev_day)`` index, no DISTINCT (see
    :func:`marketplace_kit.core.stats.service.active_users`).
    """

    __tablename__ = "stats_user_days"
    __table_args__ = (Index("ix_stats_user_days_day_prev_day", "day", "prev_day"),)

    user_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    prev_day: Mapped[date | None] = mapped_column(Date)


class StatsRollupState(db.Model):
    """One row: how far the rollups reach and since when order changes were looked at."""

    __tablename__ = "stats_rollup_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Every day up to and including this one is in the rollup tables.
    rolled_through: Mapped[date | None] = mapped_column(Date)
    #: Orders updated at or after this moment may have changed a rolled day.
    watermark: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ListingViewDay(db.Model):
    """How often a listing's page was viewed on one UTC day (by anyone but its author)."""

    __tablename__ = "listing_view_days"

    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    views: Mapped[int] = mapped_column(Integer, default=0)
