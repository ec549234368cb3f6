"""Two-way blind reviews: timing, the publishing job, bad input, replies, moderation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace_kit import hookimpl
from marketplace_kit.builtin.trust import PUBLISH_JOB
from marketplace_kit.core.db import utcnow
from marketplace_kit.core.moderation import service as moderation
from marketplace_kit.core.notifications.models import Notification
from marketplace_kit.core.orders import engine
from marketplace_kit.core.orders.process import build_process
from marketplace_kit.core.trust import service
from marketplace_kit.core.trust.models import Review
from marketplace_kit.core.trust.reputation import reputation_of
from marketplace_kit.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    PluginError,
    ValidationError,
)
from marketplace_kit.events import commit
from marketplace_kit.extensions import db
from marketplace_kit.jobs import run_periodic_now


def reviews() -> int:
    return db.session.scalar(select(func.count(Review.id)))


class Recorder:
    def __init__(self):
        self.published: list[int] = []

    @hookimpl
    def mk_review_published(self, review):
        self.published.append(review.id)


def test_both_sides_in_publishes_both_and_notifies(trade, register_plugin):
    rec = register_plugin(Recorder())
    order = trade.complete()
    mine = service.submit_review(order, trade.customer, 5, "Lovely tea", {"as_described": 5})
    commit()
    assert mine.published_at is None
    # Blind: the provider cannot see it, nobody else either; its author can.
    with pytest.raises(NotFound):
        service.get_review(mine.id, trade.provider)
    with pytest.raises(NotFound):
        service.get_review(mine.id, None)
    assert service.get_review(mine.id, trade.customer) is mine
    assert service.review_state(order, trade.provider).theirs_visible is False
    assert rec.published == []

    theirs = service.submit_review(order, trade.provider, 4, "Paid at once")
    commit()
    db.session.expire_all()
    assert mine.published_at is not None and theirs.published_at is not None
    assert sorted(rec.published) == sorted([mine.id, theirs.id])
    assert service.get_review(mine.id, None) == mine
    assert [r.id for r in service.reviews_about(trade.provider, "provider")] == [mine.id]
    assert [r.id for r in service.reviews_about(trade.customer, "customer")] == [theirs.id]
    # review_received went to both reviewed people
    events = db.session.scalars(
        select(Notification.user_id).where(Notification.event == "review_received")
    ).all()
    assert sorted(events) == sorted([trade.customer.id, trade.provider.id])
    # reputations were recomputed and the provider's rating copied onto the listing
    rep = reputation_of(trade.provider, "provider")
    assert rep is not None and rep.review_count == 1
    assert rep.rating == pytest.approx((5 * 3.5 + 5) / 6, abs=0.01)
    db.session.refresh(trade.listing)
    assert trade.listing.provider_rating == rep.rating
    assert trade.listing.provider_review_count == 1


def test_window_closing_publishes_through_the_job_once(trade, register_plugin):
    rec = register_plugin(Recorder())
    order = trade.complete()
    review = service.submit_review(order, trade.customer, 2, "Slow")
    commit()
    assert run_periodic_now(PUBLISH_JOB) == 0  # window still open
    later = utcnow() + timedelta(days=15)
    assert service.publish_due(now=later) == 1
    assert service.publish_due(now=later) == 0
    assert service.publish_due(now=later + timedelta(days=1)) == 0
    db.session.expire_all()
    review = db.session.get(Review, review.id)
    assert review.published_at is not None
    assert rec.published == [review.id]
    # the other side can no longer review once the window closed
    with pytest.raises(Conflict):
        service.submit_review(order, trade.provider, 5, "Fine", now=later)
    assert reviews() == 1
    rep = reputation_of(trade.provider, "provider")
    assert rep.review_count == 1


def test_publish_job_runs_periodically(trade, app):
    order = trade.complete()
    review = service.submit_review(order, trade.customer, 4, "OK")
    commit()
    review.window_closes_at = utcnow() - timedelta(minutes=1)
    commit()
    assert run_periodic_now(PUBLISH_JOB) == 1
    assert run_periodic_now(PUBLISH_JOB) == 0


def test_bad_input_saves_nothing(trade, user_factory, order_factory):
    stranger = user_factory()
    order = trade.complete()
    with pytest.raises(NotFound):
        service.submit_review(order, stranger, 5, "I was not there")
    with pytest.raises(NotFound):
        service.submit_review(10**9, trade.customer, 5, "")
    paid = trade.paid()
    with pytest.raises(Conflict, match="once it is completed"):
        service.submit_review(paid, trade.customer, 5, "Too early")
    for rating in (0, 6, "x", None, True, 4.5):
        with pytest.raises(ValidationError) as exc:
            service.submit_review(order, trade.customer, rating, "")
        assert "rating" in exc.value.errors
    with pytest.raises(ValidationError) as exc:
        service.submit_review(order, trade.customer, 5, "", {"punctuality": 5})
    assert "criteria" in exc.value.errors  # a product has as_described/communication
    with pytest.raises(ValidationError):
        service.submit_review(order, trade.customer, 5, "", {"as_described": 9})
    with pytest.raises(ValidationError):
        service.submit_review(order, trade.customer, 5, "x" * 5000)
    db.session.rollback()
    assert reviews() == 0
    service.submit_review(order, trade.customer, 5, "Good")
    commit()
    with pytest.raises(Conflict, match="already reviewed"):
        service.submit_review(order, trade.customer, 4, "Again")
    db.session.rollback()
    assert reviews() == 1


def test_edit_only_before_publication(trade):
    order = trade.complete()
    review = service.submit_review(order, trade.customer, 3, "Hmm")
    commit()
    service.update_review(review, trade.customer, 4, "Better after all", {"communication": 5})
    commit()
    assert (review.rating, review.criteria) == (4, {"communication": 5})
    with pytest.raises(NotFound):
        service.update_review(review, trade.provider, 1, "not mine")
    db.session.rollback()
    service.submit_review(order, trade.provider, 5, "Great customer")
    commit()
    with pytest.raises(Conflict, match="published"):
        service.update_review(review, trade.customer, 1, "Changed my mind")
    db.session.rollback()
    db.session.refresh(review)
    assert review.rating == 4


def test_reply_once_by_the_reviewed_person(trade, user_factory):
    order = trade.complete()
    review = service.submit_review(order, trade.customer, 2, "Late")
    commit()
    with pytest.raises(Conflict, match="published"):
        service.reply_to(review, trade.provider, "Sorry")
    db.session.rollback()
    service.submit_review(order, trade.provider, 5, "")
    commit()
    with pytest.raises(PermissionDenied):
        service.reply_to(review, user_factory(), "Not my business")
    with pytest.raises(PermissionDenied):
        service.reply_to(review, trade.customer, "I wrote it")
    with pytest.raises(ValidationError):
        service.reply_to(review, trade.provider, "   ")
    service.reply_to(review, trade.provider, "The courier was delayed; sorry.")
    commit()
    with pytest.raises(Conflict, match="already replied"):
        service.reply_to(review, trade.provider, "Second reply")
    db.session.rollback()
    db.session.refresh(review)
    assert review.reply == "The courier was delayed; sorry."


def test_reported_review_hidden_by_moderators_drops_out_of_the_score(trade, user_factory):
    mod = user_factory(roles=["moderator"])
    order = trade.complete()
    bad = service.submit_review(order, trade.customer, 1, "Scam!!! call 555")
    service.submit_review(order, trade.provider, 5, "")
    commit()
    assert reputation_of(trade.provider, "provider").review_count == 1
    report = moderation.create_report(trade.provider, "review", bad.id, "offensive", "Insulting")
    commit()
    assert report.kind == "review" and report.target_user_id == trade.customer.id
    moderation.decide(mod, "review", bad.id, "hide", "Abusive review")
    commit()
    db.session.expire_all()
    assert service.reviews_about(trade.provider, "provider") == []
    with pytest.raises(NotFound):
        service.get_review(bad.id, None)
    rep = reputation_of(trade.provider, "provider")
    assert rep.review_count == 0 and rep.rating is None
    db.session.refresh(trade.listing)
    assert trade.listing.provider_rating is None
    moderation.decide(mod, "review", bad.id, "restore", "On second thought")
    commit()
    assert reputation_of(trade.provider, "provider").review_count == 1


def test_unpublished_reviews_cannot_be_reported(trade):
    order = trade.complete()
    review = service.submit_review(order, trade.customer, 1, "Blind")
    commit()
    with pytest.raises(NotFound):
        moderation.create_report(trade.provider, "review", review.id, "offensive", "")


def test_process_outcome_states_are_validated():
    raw = {
        "name": "tiny",
        "version": 1,
        "states": ["open", "done"],
        "success_states": ["finished"],
        "transitions": [
            {"name": "start", "from": [], "to": "open", "actors": ["customer"]},
            {"name": "finish", "from": ["open"], "to": "done", "actors": ["provider"]},
        ],
    }
    with pytest.raises(PluginError, match="unknown success states: finished"):
        build_process(raw, {})
    raw["success_states"] = ["done"]
    raw["cancelled_states"] = ["done"]
    with pytest.raises(PluginError, match="both successful and cancelled"):
        build_process(raw, {})
    raw["cancelled_states"] = []
    assert build_process(raw, {}).success_states == ("done",)


def test_completion_comes_from_the_process_definition(trade, app):
    """An order of a process without success states can never be reviewed."""
    from marketplace_kit.core.orders.registry import get_process

    assert get_process("purchase").success_states == ("completed",)
    assert get_process("inquiry").success_states == ()
    order = engine.place_order("inquiry", customer=trade.customer, listing=trade.listing)
    engine.transition(order, "close", trade.customer)
    commit()
    with pytest.raises(Conflict):
        service.submit_review(order, trade.customer, 5, "")
