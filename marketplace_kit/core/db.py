"""Database helpers shared by core and plugin models."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, DateTime, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

#: How far :func:`clock_at` has moved the clock in the current context (normally zero).
_clock_offset: ContextVar[timedelta] = ContextVar("mk_clock_offset", default=timedelta(0))


def plain_rows(statement: Any, params: dict[str, Any] | None = None) -> Any:
    """Execute a Core ``statement`` through the session's connection and return its plain
    rows, after the flush the session's autoflush would do: the same rows as
    ``db.session.execute``, without the ORM's per-statement work (for small statements
    run on every page, such as the category table's version and facet counts)."""
    from ..extensions import db

    db.session.flush()
    return db.session.connection().execute(statement, params)


def utcnow() -> datetime:
    """The current UTC time: the one clock of the core (column defaults, order timeline,
    ledger, timers); :func:`clock_at` can move it for a block."""
    return datetime.now(UTC) + _clock_offset.get()


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """Run the block as if it were ``moment`` (the clock keeps running from there).

    Everything that asks :func:`utcnow` -- created/updated times, order events,
    ledger entries, timers, notifications -- sees the moved clock, so data made
    inside the block (commit it inside, too) is consistently dated. The demo uses
    it to place its past orders; it is not for request handling.
    """
    if moment.tzinfo is None:
        raise ValueError("naive datetime given; use timezone-aware UTC datetimes")
    token = _clock_offset.set(moment - datetime.now(UTC))
    try:
        yield
    finally:
        _clock_offset.reset(token)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


#: JSON that is JSONB on PostgreSQL.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )
