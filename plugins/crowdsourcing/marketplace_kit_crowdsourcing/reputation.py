"""The plugin's reputation factors (``mk_reputation_factors``), for the provider role only.

* ``crowdsourcing_milestones_on_time`` -- released milestones with a due date
  that were delivered on time / all released milestones with a due date.
  Delivered = the first submission of the milestone's order (a later
  resubmission after the client asked for changes does not make it late), or
  its release when it was released without a submission. On time = on or
  before the due date (a UTC day). Left out while there is none.
* ``crowdsourcing_contests_won`` -- 1.0 once the provider has won a contest
  (an entry the client chose; a share from the timed split is not a win),
  with the badge "Contest winner". Losing a contest is not held against
  anyone -- most entries in a contest lose -- so the factor is left out
  until the first win.

Both count with ``[plugins.crowdsourcing] reputation_weight``. The core
recomputes after the events it knows; the plugin queues the recompute itself
when a milestone is released or a prize paid (see ``mk_order_transitioned``
in ``__init__``).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from marketplace_kit.core.orders.models import Order, OrderEvent
from marketplace_kit.core.trust.reputation import ReputationFactor
from marketplace_kit.extensions import db

from .models import Award, Entry, Milestone

MILESTONE_PROCESS = "crowdsourcing_milestone"
PRIZE_PROCESS = "crowdsourcing_prize"
ON_TIME_KEY = "crowdsourcing_milestones_on_time"
CONTESTS_KEY = "crowdsourcing_contests_won"


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def milestones_on_time(provider_id: int) -> tuple[int, int]:
    """``(on time, released with a due date)`` for the provider's milestones."""
    rows = db.session.execute(
        select(
            Milestone.due_date,
            func.min(case((OrderEvent.to_state == "submitted", OrderEvent.created_at))),
            func.min(case((OrderEvent.to_state == "released", OrderEvent.created_at))),
        )
        .join(Award, Award.id == Milestone.award_id)
        .join(Order, Order.id == Milestone.order_id)
        .join(OrderEvent, OrderEvent.order_id == Order.id)
        .where(
            Award.provider_id == provider_id,
            Milestone.due_date.is_not(None),
            Order.process_name == MILESTONE_PROCESS,
            Order.state == "released",
        )
        .group_by(Milestone.id, Milestone.due_date)
    ).all()
    on_time = 0
    for due_date, submitted_at, released_at in rows:
        delivered = submitted_at or released_at
        deadline = datetime.combine(due_date + timedelta(days=1), time(), tzinfo=UTC)
        if delivered is not None and _aware(delivered) < deadline:
            on_time += 1
    return on_time, len(rows)


def contests_won(provider_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count(Entry.id)).where(
                Entry.provider_id == provider_id, Entry.status == "won"
            )
        )
        or 0
    )


def factors(user: Any, role: str, weight: float) -> list[ReputationFactor]:
    if role != "provider":
        return []
    out: list[ReputationFactor] = []
    on_time, timed = milestones_on_time(user.id)
    if timed:
        out.append(
            ReputationFactor(
                key=ON_TIME_KEY,
                label=_l("Milestones delivered on time"),
                value=on_time / timed,
                weight=weight,
                detail=f"{on_time}/{timed}",
            )
        )
    wins = contests_won(user.id)
    if wins:
        out.append(
            ReputationFactor(
                key=CONTESTS_KEY,
                label=_l("Contests won"),
                value=1.0,
                weight=weight,
                detail=f"{wins}",
                badge=_l("Contest winner"),
            )
        )
    return out
