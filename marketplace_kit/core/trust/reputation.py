"""Reputation per role: factors, weights, badges, and the stored result.

A user has one reputation as provider and one as customer. Each factor is a
value between 0 and 1 with a weight (``[trust] weights`` for the core's,
the plugin's own for ``mk_reputation_factors``); the score is

    score = 100 * sum(weight * value) / sum(weight)

over the factors that apply (a factor without data, e.g. on-time completion
before any completed order, is left out rather than counted as 0). The core's
factors, in order (see docs/trust.md for the exact rules):

* ``rating`` -- Bayesian average of published, visible reviews in the role:
  ``(prior_weight * prior_mean + sum of stars) / (prior_weight + reviews)``,
  mapped from 1-5 to 0-1;
* ``completed_orders`` -- orders in a success state, up to
  ``completed_orders_target``;
* ``on_time`` -- provider only: completed orders completed on time;
* ``cancellations`` -- 1 minus the share of finished orders this user cancelled;
* ``disputes`` -- 1 minus the share of finished orders with a dispute the other
  party opened and this user did not win;
* ``verification`` -- verification level over ``verification_full_level``;
* ``account_age`` -- account age over ``account_age_full_days``.

Recomputed by :func:`recompute` after the events that change it (the
``core.trust_recompute`` job, queued after commit; plugins queue it with
:func:`queue_recompute`), never on page view. The
provider rating is copied onto the user's listings for search.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ..db import utcnow
from ..disputes.models import Dispute
from ..listings.models import Listing
from ..orders.models import Order, OrderEvent
from ..users.models import User
from .models import ROLES, Reputation, Review

FACTOR_LABELS: dict[str, Any] = {
    "rating": _l("Rating"),
    "completed_orders": _l("Completed orders"),
    "on_time": _l("On-time completion"),
    "cancellations": _l("Cancellations"),
    "disputes": _l("Disputes"),
    "verification": _l("Verification"),
    "account_age": _l("Account age"),
}
FACTOR_HELP: dict[str, Any] = {
    "rating": _l(
        "Average stars of published reviews, pulled towards a neutral start until there are enough reviews."
    ),
    "completed_orders": _l("How many orders were completed successfully."),
    "on_time": _l("Share of completed orders finished on time."),
    "cancellations": _l("Share of finished orders this person cancelled (fewer is better)."),
    "disputes": _l(
        "Share of orders with a dispute the other party opened and this person did not win (fewer is better)."
    ),
    "verification": _l("How far the identity or business was verified by the operators."),
    "account_age": _l("How long the account exists."),
}
BADGE_LABELS: dict[str, Any] = {
    "top_rated": _l("Top rated"),
    "verified": _l("Verified"),
    "experienced": _l("Experienced"),
    "reliable": _l("Reliable"),
    "new_member": _l("New member"),
}
ROLE_LABELS: dict[str, Any] = {"provider": _l("As provider"), "customer": _l("As customer")}
#: Dispute resolutions that go in favour of a role.
FAVOURABLE = {"provider": {"release"}, "customer": {"refund", "refund_unanswered"}}


@dataclass(frozen=True)
class ReputationFactor:
    """A factor a plugin contributes through ``mk_reputation_factors(user, role)``.

    ``value`` is between 0 and 1 (1 is best), ``weight`` how much it counts
    relative to the core's ``[trust] weights`` (0 shows it without counting).
    ``label`` is shown on the explanation page, ``detail`` next to it (e.g.
    "3 contest wins"). With ``badge`` (a label) the user also gets that badge
    while ``value`` is at least 0.5.
    """

    key: str
    label: Any
    value: float
    weight: float
    detail: str = ""
    badge: Any = None


def settings() -> dict[str, Any]:
    from ...app import state

    return state(current_app).settings.trust


def bayesian(count: int, total: float, prior_mean: float, prior_weight: float) -> float:
    """The Bayesian average of ``count`` ratings summing to ``total``."""
    if prior_weight + count == 0:
        return prior_mean
    return (prior_weight * prior_mean + total) / (prior_weight + count)


def _processes() -> dict[tuple[str, int], Any]:
    from ..orders.registry import get_process

    cache: dict[tuple[str, int], Any] = {}

    def get(name: str, version: int) -> Any:
        key = (name, version)
        if key not in cache:
            try:
                cache[key] = get_process(name, version)
            except Exception:  # an order of a process no longer registered
                cache[key] = None
        return cache[key]

    return get  # type: ignore[return-value]


@dataclass
class OrderStats:
    completed: int = 0
    cancelled_by_user: int = 0
    finished: int = 0
    on_time: int = 0
    timed: int = 0
    disputes_lost: int = 0


def order_stats(user: User, role: str, now: datetime) -> OrderStats:
    """Counts of ``user``'s orders in ``role``, classified by their process's declared states."""
    cfg = settings()
    column = Order.provider_id if role == "provider" else Order.customer_id
    process = _processes()
    rows = db.session.execute(
        select(
            Order.id,
            Order.process_name,
            Order.process_version,
            Order.state,
            Order.created_at,
            Order.booking_end,
        ).where(column == user.id)
    ).all()
    stats = OrderStats()
    completed: dict[int, Any] = {}
    cancelled: list[int] = []
    success_states: set[str] = set()
    for oid, name, version, state, created_at, booking_end in rows:
        p = process(name, version)
        if p is None:
            continue
        if state in p.success_states:
            completed[oid] = (created_at, booking_end, p.success_states)
            success_states.update(p.success_states)
        elif state in p.cancelled_states:
            cancelled.append(oid)
    stats.completed = len(completed)
    stats.finished = len(completed) + len(cancelled)
    if cancelled:
        last = (
            select(OrderEvent.order_id, func.max(OrderEvent.id).label("last_id"))
            .where(OrderEvent.order_id.in_(cancelled))
            .group_by(OrderEvent.order_id)
            .subquery()
        )
        stats.cancelled_by_user = (
            db.session.scalar(
                select(func.count())
                .select_from(OrderEvent)
                .join(last, last.c.last_id == OrderEvent.id)
                .where(OrderEvent.actor_id == user.id)
            )
            or 0
        )
    if completed and role == "provider":
        done_at: dict[int, datetime] = {}
        for oid, to_state, at in db.session.execute(
            select(OrderEvent.order_id, OrderEvent.to_state, OrderEvent.created_at)
            .where(
                OrderEvent.order_id.in_(list(completed)),
                OrderEvent.to_state.in_(sorted(success_states)),
            )
            .order_by(OrderEvent.id)
        ):
            if to_state in completed[oid][2] and oid not in done_at:
                done_at[oid] = at
        grace = timedelta(hours=cfg["on_time_grace_hours"])
        days = timedelta(days=cfg["on_time_days"])
        for oid, (created_at, booking_end, _states) in completed.items():
            at = done_at.get(oid)
            if at is None:
                continue
            stats.timed += 1
            due = booking_end + grace if booking_end is not None else created_at + days
            if at <= due:
                stats.on_time += 1
    if rows:
        favourable = FAVOURABLE[role]
        for opened_by, status, resolution in db.session.execute(
            select(Dispute.opened_by_id, Dispute.status, Dispute.resolution)
            .join(Order, Order.id == Dispute.order_id)
            .where(column == user.id)
        ):
            if opened_by == user.id:
                continue
            if status == "resolved" and resolution in favourable:
                continue
            stats.disputes_lost += 1
    return stats


def review_stats(user: User, role: str) -> tuple[int, int]:
    """``(count, sum of stars)`` of published, visible reviews of ``user`` in ``role``."""
    count, total = db.session.execute(
        select(func.count(Review.id), func.coalesce(func.sum(Review.rating), 0)).where(
            Review.subject_id == user.id,
            Review.subject_role == role,
            Review.published_at.is_not(None),
            Review.hidden_at.is_(None),
        )
    ).one()
    return int(count or 0), int(total or 0)


def _plugin_factors(user: User, role: str) -> list[ReputationFactor]:
    from ...app import state

    found: list[ReputationFactor] = []
    for group in state(current_app).pm.hook.mk_reputation_factors(user=user, role=role):
        for factor in group or []:
            if not isinstance(factor, ReputationFactor):
                raise TypeError(
                    f"mk_reputation_factors must return ReputationFactor items, got {factor!r}"
                )
            if not 0 <= float(factor.value) <= 1 or float(factor.weight) < 0:
                raise ValueError(
                    f"reputation factor {factor.key!r}: value must be 0-1 and weight >= 0 "
                    f"(got value={factor.value!r}, weight={factor.weight!r})"
                )
            if factor.key in FACTOR_LABELS or factor.key in {f.key for f in found}:
                raise ValueError(f"reputation factor {factor.key!r} is contributed twice")
            found.append(factor)
    return found


def compute(user: User, role: str, now: datetime | None = None) -> dict[str, Any]:
    """The reputation of ``user`` in ``role`` as a dict (what :class:`Reputation` stores)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    now = now or utcnow()
    cfg = settings()
    weights = cfg["weights"]
    count, total = review_stats(user, role)
    rating = bayesian(count, total, cfg["prior_mean"], cfg["prior_weight"])
    stats = order_stats(user, role, now)
    age_days = max(0, (now - user.created_at).days) if user.created_at else 0
    level = user.verification_level or 0

    factors: list[dict[str, Any]] = []

    def add(key: str, value: float | None, detail: str, weight: float | None = None) -> None:
        factors.append(
            {
                "key": key,
                "label": None,
                "value": None if value is None else round(max(0.0, min(1.0, value)), 4),
                "weight": float(weights.get(key, 0) if weight is None else weight),
                "detail": detail,
            }
        )

    add("rating", (rating - 1) / 4, f"{rating:.2f}/5 ({count})")
    add(
        "completed_orders",
        stats.completed / cfg["completed_orders_target"],
        f"{stats.completed}",
    )
    if role == "provider":
        add(
            "on_time",
            stats.on_time / stats.timed if stats.timed else None,
            f"{stats.on_time}/{stats.timed}",
        )
    add(
        "cancellations",
        1 - stats.cancelled_by_user / stats.finished if stats.finished else None,
        f"{stats.cancelled_by_user}/{stats.finished}",
    )
    add(
        "disputes",
        1 - min(1.0, stats.disputes_lost / stats.finished) if stats.finished else None,
        f"{stats.disputes_lost}/{stats.finished}",
    )
    add("verification", level / cfg["verification_full_level"], f"{level}")
    add("account_age", age_days / cfg["account_age_full_days"], f"{age_days}")
    plugin_badges: list[dict[str, Any]] = []
    for factor in _plugin_factors(user, role):
        add(factor.key, float(factor.value), str(factor.detail or ""), float(factor.weight))
        factors[-1]["label"] = str(factor.label)
        if factor.badge is not None and factor.value >= 0.5:
            plugin_badges.append({"key": factor.key, "label": str(factor.badge)})

    counted = [f for f in factors if f["value"] is not None and f["weight"] > 0]
    weight_sum = sum(f["weight"] for f in counted)
    score = 100 * sum(f["weight"] * f["value"] for f in counted) / weight_sum if weight_sum else 0.0
    for f in factors:
        f["points"] = (
            round(100 * f["weight"] * f["value"] / weight_sum, 2)
            if weight_sum and f["value"] is not None and f["weight"] > 0
            else 0.0
        )

    badges: list[dict[str, Any]] = []
    if count >= cfg["top_rated_min_reviews"] and rating >= cfg["top_rated_rating"]:
        badges.append({"key": "top_rated", "label": None})
    if level >= 1:
        badges.append({"key": "verified", "label": None})
    if stats.completed >= cfg["completed_orders_target"]:
        badges.append({"key": "experienced", "label": None})
    if role == "provider" and stats.timed >= 5 and stats.on_time / stats.timed >= 0.95:
        badges.append({"key": "reliable", "label": None})
    if age_days < 30:
        badges.append({"key": "new_member", "label": None})
    badges.extend(plugin_badges)
    return {
        "score": round(score, 2),
        "rating": round(rating, 2) if count else None,
        "review_count": count,
        "completed_orders": stats.completed,
        "factors": factors,
        "badges": badges,
    }


def _row(user_id: int, role: str) -> Reputation:
    stmt = select(Reputation).where(Reputation.user_id == user_id, Reputation.role == role)
    rep = db.session.scalar(stmt)
    if rep is not None:
        return rep
    try:
        with db.session.begin_nested():
            rep = Reputation(user_id=user_id, role=role, factors=[], badges=[])
            db.session.add(rep)
    except IntegrityError:  # another worker created it meanwhile
        rep = db.session.scalar(stmt)
        assert rep is not None
    return rep


def recompute(user: User | int, now: datetime | None = None) -> list[Reputation]:
    """Recompute and store ``user``'s reputation in both roles; update their listings.

    Runs inside the caller's transaction (the caller commits).
    """
    now = now or utcnow()
    if isinstance(user, int):
        found = db.session.get(User, user)
        if found is None:
            return []
        user = found
    out = []
    for role in ROLES:
        data = compute(user, role, now)
        rep = _row(user.id, role)
        for key, value in data.items():
            setattr(rep, key, value)
        rep.computed_at = now
        out.append(rep)
        if role == "provider":
            db.session.execute(
                update(Listing)
                .where(Listing.author_id == user.id)
                .where(
                    (Listing.provider_rating.is_distinct_from(data["rating"]))
                    | (Listing.provider_review_count != data["review_count"])
                )
                .values(
                    provider_rating=data["rating"],
                    provider_review_count=data["review_count"],
                    updated_at=Listing.updated_at,  # a rating change is not an edit
                )
                .execution_options(synchronize_session=False)
            )
    db.session.flush()
    return out


def queue_recompute(*users: User | int | None) -> None:
    """Queue the ``core.trust_recompute`` job once for each of ``users`` (users or ids; ``None`` skipped).

    The core queues it after its own events (see docs/trust.md). A plugin whose
    ``mk_reputation_factors`` read the plugin's own data calls this when that
    data changed, *after* the change is committed -- e.g. from an event hook
    such as ``mk_order_transitioned`` -- so the worker sees it. The job
    recomputes both roles and commits on its own.
    """
    from ...builtin.trust import RECOMPUTE_JOB
    from ...jobs import enqueue

    ids = (u if isinstance(u, int) or u is None else u.id for u in users)
    for user_id in dict.fromkeys(i for i in ids if i is not None):
        enqueue(RECOMPUTE_JOB, user_id)


def reputation_of(user: User, role: str) -> Reputation | None:
    """The stored reputation (``None`` until first computed)."""
    return db.session.scalar(
        select(Reputation).where(Reputation.user_id == user.id, Reputation.role == role)
    )


def reputations_of(user: User) -> dict[str, Reputation]:
    rows = db.session.scalars(select(Reputation).where(Reputation.user_id == user.id))
    return {r.role: r for r in rows}


def factor_label(factor: dict[str, Any]) -> Any:
    return factor.get("label") or FACTOR_LABELS.get(factor["key"], factor["key"])


def badge_label(badge: dict[str, Any]) -> Any:
    return badge.get("label") or BADGE_LABELS.get(badge["key"], badge["key"])


def sync_listing(listing: Listing) -> None:
    """Copy the author's provider rating onto ``listing`` (a new listing)."""
    rep = reputation_of(listing.author, "provider") if listing.author else None
    rating = rep.rating if rep is not None else None
    count = rep.review_count if rep is not None else 0
    if listing.provider_rating != rating or listing.provider_review_count != count:
        listing.provider_rating = rating
        listing.provider_review_count = count
