"""Two-way blind reviews: write, edit before publication, reply once, publish.

After an order enters one of its process's ``success_states``, each party
may review the other once: 1-5 stars, text, and the per-criterion ratings
the listing type declares (``ListingType.review_criteria``). A review stays
blind (only its author sees it) until both sides reviewed -- then both are
published in the transaction of the second one -- or until the review window
(``[trust] review_window_days`` after completion) closes, when the
``core.trust_publish_reviews`` job publishes it. Publication happens at most
once per review (a conditional ``UPDATE``) and queues ``mk_review_published``
after commit. Every refusal raises a :class:`~marketplace_kit.errors.MarketplaceError`
before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from ...errors import Conflict, NotFound, PermissionDenied, ValidationError
from ...events import emit
from ...extensions import db
from ..db import utcnow
from ..locking import locked
from ..orders.models import Order, OrderEvent
from ..users.service import get_row
from .models import ROLES, Review

MAX_REPLY = 2000


def settings() -> dict[str, Any]:
    from ...app import state

    return state(current_app).settings.trust


def other_role(role: str) -> str:
    return "customer" if role == "provider" else "provider"


def side_of(order: Order, user: Any) -> str | None:
    """The role ``user`` had on ``order`` (``customer`` / ``provider``), or ``None``."""
    uid = getattr(user, "id", None)
    if uid is None:
        return None
    if uid == order.customer_id:
        return "customer"
    if uid == order.provider_id:
        return "provider"
    return None


def _process(order: Order) -> Any:
    from ..orders.engine import process_of

    return process_of(order)


def completed_at(order: Order) -> datetime | None:
    """When ``order`` entered a success state of its process; ``None`` if it is not in one."""
    process = _process(order)
    if order.state not in process.success_states:
        return None
    return db.session.scalar(
        select(OrderEvent.created_at)
        .where(
            OrderEvent.order_id == order.id,
            OrderEvent.to_state.in_(process.success_states),
        )
        .order_by(OrderEvent.id)
        .limit(1)
    )


def window_closes_at(order: Order) -> datetime | None:
    done = completed_at(order)
    if done is None:
        return None
    return done + timedelta(days=settings()["review_window_days"])


def criteria_of(order: Order) -> tuple[Any, ...]:
    """The :class:`ReviewCriterion` items the order's listing type declares."""
    from ..listings.types import listing_types

    listing = order.listing
    lt = listing_types().get(listing.listing_type) if listing is not None else None
    return tuple(lt.review_criteria) if lt is not None else ()


def review_of(order: Order, role: str) -> Review | None:
    return db.session.scalar(
        select(Review).where(Review.order_id == order.id, Review.author_role == role)
    )


def reviews_of_order(order: Order) -> list[Review]:
    return list(
        db.session.scalars(select(Review).where(Review.order_id == order.id).order_by(Review.id))
    )


@dataclass
class ReviewState:
    """What ``user`` may do about reviews on ``order`` (for the order page and the API)."""

    role: str | None
    completed: bool
    window_closes_at: datetime | None
    mine: Review | None
    theirs: Review | None
    criteria: tuple[Any, ...]

    @property
    def window_open(self) -> bool:
        return self.window_closes_at is not None and utcnow() < self.window_closes_at

    @property
    def can_write(self) -> bool:
        return self.role is not None and self.mine is None and self.window_open

    @property
    def can_edit(self) -> bool:
        return self.mine is not None and self.mine.published_at is None

    @property
    def theirs_visible(self) -> bool:
        return self.theirs is not None and self.theirs.is_visible

    @property
    def can_reply(self) -> bool:
        return self.theirs_visible and self.theirs is not None and self.theirs.reply is None


def review_state(order: Order, user: Any) -> ReviewState:
    role = side_of(order, user)
    closes = window_closes_at(order)
    return ReviewState(
        role=role,
        completed=closes is not None,
        window_closes_at=closes,
        mine=review_of(order, role) if role else None,
        theirs=review_of(order, other_role(role)) if role else None,
        criteria=criteria_of(order),
    )


# ---------------------------------------------------------------------------
# input
# ---------------------------------------------------------------------------


def _clean(order: Order, rating: Any, text: Any, criteria: Any) -> tuple[int, str, dict[str, int]]:
    errors: dict[str, list[str]] = {}
    if isinstance(rating, str) and rating.strip().isdigit():
        rating = int(rating.strip())
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        errors["rating"] = ["Give 1 to 5 stars."]
    text = "" if text is None else text
    limit = settings()["max_review_length"]
    if not isinstance(text, str):
        errors["text"] = ["Text expected."]
    elif len(text) > limit:
        errors["text"] = [f"At most {limit} characters."]
    allowed = {c.name for c in criteria_of(order)}
    cleaned: dict[str, int] = {}
    if criteria is None:
        criteria = {}
    if not isinstance(criteria, dict):
        errors["criteria"] = ["A mapping of criterion to 1-5 stars expected."]
    else:
        for key, value in criteria.items():
            if key not in allowed:
                errors.setdefault("criteria", []).append(
                    f"{key!r} is not a criterion of this listing type"
                    + (f" (known: {', '.join(sorted(allowed))})." if allowed else ".")
                )
                continue
            if value in (None, ""):
                continue
            if isinstance(value, str) and value.strip().isdigit():
                value = int(value.strip())
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
                errors.setdefault("criteria", []).append(f"{key}: give 1 to 5 stars.")
                continue
            cleaned[key] = value
    if errors:
        raise ValidationError("The review is not valid.", errors=errors)
    return rating, text.strip() if isinstance(text, str) else "", cleaned


def _locked_order(order_id: int) -> Order:
    return db.session.scalars(locked(select(Order).where(Order.id == order_id))).one()


# ---------------------------------------------------------------------------
# write, edit, reply
# ---------------------------------------------------------------------------


def submit_review(
    order: Order | int,
    author: Any,
    rating: Any,
    text: Any = "",
    criteria: Any = None,
    *,
    now: datetime | None = None,
) -> Review:
    """Write ``author``'s review of the other party of ``order``.

    404 when the order does not exist or ``author`` was not part of it, 409
    before completion, after the window closed, or when this side already
    reviewed; 422 for a rating outside 1-5, unknown criteria or too long text.
    When the other side already reviewed, both reviews are published now.
    """
    now = now or utcnow()
    order_id = order if isinstance(order, int) else order.id
    found = get_row(Order, order_id)
    if found is None or side_of(found, author) is None:
        raise NotFound("No such order.")
    rating, text, criteria = _clean(found, rating, text, criteria)
    locked_order = _locked_order(found.id)  # serialises the two sides of one order
    role = side_of(locked_order, author)
    assert role is not None
    closes = window_closes_at(locked_order)
    if closes is None:
        raise Conflict("You can review an order once it is completed.")
    if now >= closes:
        raise Conflict("The review window of this order has closed.")
    if review_of(locked_order, role) is not None:
        raise Conflict("You already reviewed this order; edit your review until it is published.")
    review = Review(
        order_id=locked_order.id,
        author_id=author.id,
        author_role=role,
        subject_id=locked_order.provider_id if role == "customer" else locked_order.customer_id,
        subject_role=other_role(role),
        rating=rating,
        text=text,
        criteria=criteria,
        window_closes_at=closes,
        created_at=now,
        updated_at=now,
    )
    db.session.add(review)
    db.session.flush()
    other = review_of(locked_order, other_role(role))
    if other is not None:
        publish([review, other], now=now)
    return review


def get_review(review_id: Any, viewer: Any = None) -> Review:
    """A review ``viewer`` may see: published and not hidden, or their own, or operators'."""
    from ..access import can

    review = get_row(Review, review_id) if isinstance(review_id, int) else None
    if review is None:
        raise NotFound("No such review.")
    if review.is_visible:
        return review
    uid = getattr(viewer, "id", None)
    if uid is not None and (review.author_id == uid or can(viewer, "reports.handle")):
        return review
    raise NotFound("No such review.")


def update_review(
    review: Review, author: Any, rating: Any, text: Any = "", criteria: Any = None
) -> Review:
    """Change a review before it is published (409 afterwards; 404 for anyone but its author)."""
    if review.author_id != getattr(author, "id", None):
        raise NotFound("No such review.")
    rating, text, criteria = _clean(review.order, rating, text, criteria)
    _locked_order(review.order_id)
    db.session.refresh(review)
    if review.published_at is not None:
        raise Conflict("A published review cannot be changed.")
    review.rating, review.text, review.criteria = rating, text, criteria
    db.session.flush()
    return review


def reply_to(review: Review, user: Any, text: Any, *, now: datetime | None = None) -> Review:
    """The reviewed party answers a published review, once."""
    if review.subject_id != getattr(user, "id", None):
        if review.is_visible:
            raise PermissionDenied("Only the reviewed person may reply to a review.")
        raise NotFound("No such review.")
    if not review.is_visible:
        raise Conflict("You can reply once the review is published.")
    if not isinstance(text, str) or not text.strip():
        raise ValidationError(errors={"text": ["Write a reply."]})
    if len(text) > MAX_REPLY:
        raise ValidationError(errors={"text": [f"At most {MAX_REPLY} characters."]})
    now = now or utcnow()
    done = db.session.execute(
        update(Review)
        .where(Review.id == review.id, Review.reply.is_(None))
        .values(reply=text.strip(), replied_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise Conflict("You already replied to this review.")
    db.session.refresh(review)
    return review


# ---------------------------------------------------------------------------
# publication
# ---------------------------------------------------------------------------


def publish(reviews: list[Review], *, now: datetime | None = None) -> list[Review]:
    """Publish ``reviews`` not yet published (at most once each); return those it published."""
    now = now or utcnow()
    published = []
    for review in reviews:
        done = db.session.execute(
            update(Review)
            .where(Review.id == review.id, Review.published_at.is_(None))
            .values(published_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.refresh(review)
        if done == 1:
            published.append(review)
            emit("mk_review_published", review=review)
    return published


def publish_due(now: datetime | None = None, limit: int = 500) -> int:
    """Publish reviews whose window closed, each order in its own transaction.

    Idempotent: a review is published once however often (or concurrently)
    this runs. Returns how many reviews it published.
    """
    from ...events import commit

    now = now or utcnow()
    order_ids = list(
        db.session.scalars(
            select(Review.order_id)
            .where(Review.published_at.is_(None), Review.window_closes_at <= now)
            .group_by(Review.order_id)
            .order_by(Review.order_id)
            .limit(limit)
        )
    )
    db.session.rollback()
    count = 0
    for order_id in order_ids:
        _locked_order(order_id)
        due = list(
            db.session.scalars(
                select(Review).where(
                    Review.order_id == order_id,
                    Review.published_at.is_(None),
                    Review.window_closes_at <= now,
                )
            )
        )
        count += len(publish(due, now=now))
        commit()
    return count


# ---------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------


def reviews_about(
    user: Any, role: str | None = None, *, limit: int = 50, include_hidden: bool = False
) -> list[Review]:
    """Published reviews of ``user`` (in ``role``, or both), newest first."""
    stmt = select(Review).where(Review.subject_id == user.id, Review.published_at.is_not(None))
    if role is not None:
        if role not in ROLES:
            raise ValidationError(errors={"role": [f"One of: {', '.join(ROLES)}."]})
        stmt = stmt.where(Review.subject_role == role)
    if not include_hidden:
        stmt = stmt.where(Review.hidden_at.is_(None))
    return list(
        db.session.scalars(stmt.order_by(Review.published_at.desc(), Review.id.desc()).limit(limit))
    )


def reviews_by(user: Any, *, limit: int = 50) -> list[Review]:
    """Reviews ``user`` wrote (published or not), newest first -- for them and operators."""
    return list(
        db.session.scalars(
            select(Review)
            .where(Review.author_id == user.id)
            .order_by(Review.created_at.desc(), Review.id.desc())
            .limit(limit)
        )
    )
