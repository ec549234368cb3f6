"""After-commit events: ``emit`` queues a hook call; it runs once the transaction commits.

Services call :func:`emit` while they change data and :func:`commit` to end
the unit of work. Queued calls are moved to "ready" by the session's
``after_commit`` event and dispatched right after ``commit()`` returns (SQL
cannot run inside ``after_commit`` itself). A rollback drops them. Anything a
direct ``db.session.commit()`` left ready is dispatched at the end of the
request or job.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_sqlalchemy.session import Session
from sqlalchemy import event

from .extensions import db

_PENDING = "mk_pending_events"
_READY = "mk_ready_events"


def emit(hook_name: str, **kwargs: Any) -> None:
    """Queue ``hook_name(**kwargs)`` to run after the current transaction commits."""
    if not hook_name.startswith("mk_"):
        raise ValueError(f"event hooks start with 'mk_': {hook_name!r}")
    db.session.info.setdefault(_PENDING, []).append((hook_name, kwargs))


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    pending = session.info.pop(_PENDING, [])
    if pending:
        session.info.setdefault(_READY, []).extend(pending)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:  # the outermost transaction
        session.info.pop(_PENDING, None)


def dispatch_ready() -> int:
    """Run hook calls whose transaction committed; return how many ran."""
    from .app import state

    session = db.session()
    ran = 0
    pm = state(current_app).pm
    while session.info.get(_READY):
        hook_name, kwargs = session.info[_READY].pop(0)
        getattr(pm.hook, hook_name)(**kwargs)
        ran += 1
    return ran


def commit() -> None:
    """Commit the session and run the events it queued."""
    db.session.commit()
    dispatch_ready()
