"""The core's reviews and reputation: jobs, recompute triggers, report kind, pages and API."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from ..hookspecs import hookimpl
from ..jobs import Job

PUBLISH_JOB = "core.trust_publish_reviews"
RECOMPUTE_JOB = "core.trust_recompute"


def _publish() -> int:
    from ..core.trust.service import publish_due

    return publish_due()


def recompute_user(user_id: int) -> int:
    """The ``core.trust_recompute`` job: recompute one user's reputation (both roles)."""
    from ..core.trust.reputation import recompute
    from ..events import commit

    done = len(recompute(user_id))
    commit()
    return done


@hookimpl
def mk_register_jobs(app: Flask):
    return [
        Job(PUBLISH_JOB, _publish, schedule={"minute": "*/10"}),
        Job(RECOMPUTE_JOB, recompute_user, retries=3, retry_delay=30),
    ]


def _enqueue_recompute(*user_ids: int | None) -> None:
    from ..core.trust.reputation import queue_recompute

    queue_recompute(*user_ids)


# -- events that change a reputation ------------------------------------------


@hookimpl
def mk_order_transitioned(
    order: Any, transition: str, from_state: Any, to_state: str, actor: Any
) -> None:
    """Completed, cancelled, disputed or dispute resolved: recompute both parties."""
    from ..core.orders.registry import get_process

    process = get_process(order.process_name, order.process_version)
    t = process.transition(transition)
    dispute_step = t is not None and any(
        a.name in ("open_dispute", "close_dispute") for a in t.actions
    )
    if to_state in process.success_states or to_state in process.cancelled_states or dispute_step:
        _enqueue_recompute(order.customer_id, order.provider_id)


@hookimpl
def mk_verification_decided(request: Any, user: Any) -> None:
    _enqueue_recompute(user.id)


@hookimpl
def mk_review_published(review: Any) -> None:
    """Tell the reviewed person, and recompute their reputation."""
    from ..core.notifications import service
    from ..core.notifications.events import REVIEW_RECEIVED
    from ..core.trust.models import Review
    from ..events import commit
    from ..extensions import db

    _enqueue_recompute(review.subject_id)
    fresh = db.session.get(Review, review.id)
    if fresh is None or fresh.subject.deleted_at is not None:
        return
    service.notify(
        fresh.subject,
        REVIEW_RECEIVED,
        {
            "review_id": fresh.id,
            "order_id": fresh.order_id,
            "rating": fresh.rating,
            "author_name": fresh.author.display_name,
            "role": fresh.subject_role,
        },
        url=f"/users/{fresh.subject_id}#review-{fresh.id}",
        dedupe_key=f"review:{fresh.id}",
    )
    commit()


@hookimpl
def mk_listing_changed(listing: Any, change: str) -> None:
    """A new listing shows its author's provider rating at once."""
    if change != "created":
        return
    from ..core.listings.models import Listing
    from ..core.trust.reputation import sync_listing
    from ..events import commit
    from ..extensions import db

    fresh = db.session.get(Listing, listing.id)
    if fresh is not None:
        sync_listing(fresh)
        commit()


# -- reports ----------------------------------------------------------------------


def _load_review(review_id: int) -> Any:
    from ..core.trust.models import Review
    from ..core.users.service import get_row

    review = get_row(Review, review_id)
    return review if review is not None and review.published_at is not None else None


def _hide_review(review: Any, reason: str) -> tuple[dict[str, Any], dict[str, Any]]:
    from ..core.db import utcnow
    from ..core.trust.reputation import recompute
    from ..errors import Conflict

    if review.hidden_at is not None:
        raise Conflict("This review is already hidden.")
    review.hidden_at = utcnow()
    recompute(review.subject_id)  # the hidden review no longer counts
    return {"hidden": False}, {"hidden": True}


def _restore_review(review: Any, before: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    from ..core.trust.reputation import recompute

    review.hidden_at = None
    recompute(review.subject_id)
    return {"hidden": True}, {"hidden": False}


def _describe_review(review: Any) -> str:
    from flask_babel import gettext

    text = " ".join((review.text or "").split())
    excerpt = text[:60] + ("…" if len(text) > 60 else "")
    return gettext(
        "Review (%(stars)s/5) by %(name)s: %(text)s",
        stars=review.rating,
        name=review.author.display_name,
        text=excerpt,
    )


def _preview_review(review: Any) -> str:
    return review.text + (f"\n\n[reply] {review.reply}" if review.reply else "")


def _review_kind():
    from ..core.moderation.kinds import ReportKind

    return ReportKind(
        name="review",
        label=_l("Review"),
        load=_load_review,
        owner_id=lambda review: review.author_id,
        describe=_describe_review,
        url=lambda review: f"/users/{review.subject_id}#review-{review.id}",
        preview=_preview_review,
        visible_to=lambda review, user: review.hidden_at is None,
        hide=_hide_review,
        restore=_restore_review,
        is_hidden=lambda review: review.hidden_at is not None,
    )


@hookimpl
def mk_register_report_kinds(app: Flask):
    return [_review_kind()]


# -- pages ----------------------------------------------------------------------------


@hookimpl
def mk_register_blueprints(app: Flask):
    from ..web.pages.trust import bp

    return [bp]


@hookimpl
def mk_register_api_blueprints(app: Flask):
    from ..web.api.trust import bp

    return [bp]


@hookimpl
def mk_page_sections(place: str, subject: Any, user: Any):
    from ..web.pages.trust import order_section, profile_section

    if place == "order":
        return order_section(subject, user)
    if place == "profile":
        return profile_section(subject, user)
    return []


@hookimpl
def mk_user_data_export(user: Any) -> dict[str, Any]:
    from ..core.trust.reputation import reputations_of
    from ..core.trust.service import reviews_about, reviews_by

    def iso(value: Any) -> Any:
        return value.isoformat() if value is not None else None

    def row(r: Any) -> dict[str, Any]:
        return {
            "order_id": r.order_id,
            "rating": r.rating,
            "text": r.text,
            "criteria": r.criteria,
            "reply": r.reply,
            "published_at": iso(r.published_at),
            "hidden_by_moderators": r.hidden_at is not None,
        }

    return {
        "reviews_written": [row(r) for r in reviews_by(user, limit=100_000)],
        "reviews_received": [
            row(r) for r in reviews_about(user, limit=100_000, include_hidden=True)
        ],
        "reputation": {
            role: {"score": rep.score, "rating": rep.rating, "review_count": rep.review_count}
            for role, rep in reputations_of(user).items()
        },
    }
