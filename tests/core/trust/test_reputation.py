"""Reputation per role: recomputed after events, plugin factors, search by rating."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace_kit import hookimpl
from marketplace_kit.core.db import utcnow
from marketplace_kit.core.listings.search import SearchQuery, search_listings
from marketplace_kit.core.orders import engine
from marketplace_kit.core.trust import service
from marketplace_kit.core.trust.reputation import (
    ReputationFactor,
    bayesian,
    compute,
    recompute,
    reputation_of,
)
from marketplace_kit.core.users import verification as vsvc
from marketplace_kit.errors import ValidationError
from marketplace_kit.events import commit
from marketplace_kit.extensions import db


def factor(rep, key):
    return next(f for f in rep.factors if f["key"] == key)


def review_both(trade, order, customer_stars, provider_stars=5):
    service.submit_review(order, order.customer, customer_stars, "")
    service.submit_review(order, order.provider, provider_stars, "")
    commit()


def test_bayesian_average():
    assert bayesian(0, 0, 3.5, 5) == 3.5
    assert bayesian(1, 5, 3.5, 5) == pytest.approx(3.75)
    assert bayesian(100, 500, 3.5, 5) == pytest.approx((17.5 + 500) / 105)
    assert bayesian(2, 8, 3.0, 0) == 4.0


def test_completion_and_cancellation_recompute_both_roles(trade):
    order = trade.complete()  # the after-commit hook queued the recompute job (immediate in tests)
    rep = reputation_of(trade.provider, "provider")
    assert rep is not None and rep.completed_orders == 1
    assert factor(rep, "on_time")["value"] == 1.0
    assert factor(rep, "cancellations")["value"] == 1.0
    assert reputation_of(trade.customer, "customer").completed_orders == 1
    # the customer cancels an unpaid order: counts against the customer, not the provider
    pending = engine.place_order(None, customer=trade.customer, listing=trade.listing)
    commit()
    engine.transition(pending, "cancel", trade.customer)
    commit()
    cust = reputation_of(trade.customer, "customer")
    assert factor(cust, "cancellations")["detail"] == "1/2"
    assert factor(cust, "cancellations")["value"] == 0.5
    prov = reputation_of(trade.provider, "provider")
    assert factor(prov, "cancellations")["detail"] == "0/2"
    assert order.state == "completed"


def test_lost_dispute_counts_against_the_provider(trade, user_factory):
    operator = user_factory(roles=["admin"])
    order = trade.paid()
    engine.transition(order, "open_dispute", trade.customer, {"reason": "Never arrived"})
    commit()
    rep = reputation_of(trade.provider, "provider")
    assert factor(rep, "disputes")["detail"].startswith("1/")
    engine.transition(order, "resolve_refund", operator, {"message": "Refunded"})
    commit()
    rep = reputation_of(trade.provider, "provider")
    assert order.state == "refunded"
    assert factor(rep, "disputes")["detail"] == "1/1"
    assert factor(rep, "disputes")["value"] == 0.0
    # the customer, who won, is not marked down
    assert factor(reputation_of(trade.customer, "customer"), "disputes")["value"] == 1.0


def test_verification_decision_recomputes(trade, user_factory):
    admin = user_factory(roles=["admin"])
    req = vsvc.submit(
        trade.provider,
        "identity",
        {"full_name": "B C", "date_of_birth": "1990-01-02"},
        {"id_document": b"\x89PNG\r\n\x1a\n" + b"\x00" * 64},
    )
    commit()
    vsvc.decide(admin, req, approve=True)
    commit()
    rep = reputation_of(trade.provider, "provider")
    assert rep is not None
    assert factor(rep, "verification")["value"] > 0
    assert "verified" in [b["key"] for b in rep.badges]


class CoopMembers:
    """A test-local plugin: co-op members get a strong extra factor and a badge."""

    def __init__(self, members):
        self.members = set(members)
        self.calls = []

    @hookimpl
    def mk_reputation_factors(self, user, role):
        self.calls.append((user.id, role))
        if role != "provider":
            return []
        member = user.id in self.members
        return [
            ReputationFactor(
                key="coop_member",
                label="Co-op member",
                value=1.0 if member else 0.0,
                weight=100,
                detail="member" if member else "",
                badge="Co-op member",
            )
        ]


def test_plugin_factor_changes_the_score(trade, register_plugin):
    trade.complete()
    before = reputation_of(trade.provider, "provider").score
    plugin = register_plugin(CoopMembers({trade.provider.id}))
    recompute(trade.provider)
    commit()
    rep = reputation_of(trade.provider, "provider")
    assert (trade.provider.id, "provider") in plugin.calls
    coop = factor(rep, "coop_member")
    assert coop["label"] == "Co-op member" and coop["weight"] == 100
    assert rep.score > before
    assert {"key": "coop_member", "label": "Co-op member"} in rep.badges
    # the score is the documented weighted average
    counted = [f for f in rep.factors if f["value"] is not None and f["weight"] > 0]
    expected = (
        100 * sum(f["weight"] * f["value"] for f in counted) / sum(f["weight"] for f in counted)
    )
    assert rep.score == pytest.approx(expected, abs=0.01)
    # a non-member gets the factor at 0, which pulls the score down, and no badge
    plugin.members.clear()
    recompute(trade.provider)
    commit()
    rep = reputation_of(trade.provider, "provider")
    assert rep.score < before
    assert "coop_member" not in [b["key"] for b in rep.badges]


def test_plugin_factor_out_of_range_is_an_error(trade, register_plugin):
    class Bad:
        @hookimpl
        def mk_reputation_factors(self, user, role):
            return [ReputationFactor("bad", "Bad", 2.0, 1)]

    register_plugin(Bad())
    with pytest.raises(ValueError, match="value must be 0-1"):
        compute(trade.provider, "provider")


def test_weights_from_config(app_factory, user_factory):
    app = app_factory(
        {
            "trust": {
                "weights": {
                    "rating": 0,
                    "completed_orders": 0,
                    "on_time": 0,
                    "cancellations": 0,
                    "disputes": 0,
                    "verification": 100,
                    "account_age": 0,
                }
            }
        }
    )
    with app.app_context():
        from marketplace_kit.core.users.models import User
        from marketplace_kit.core.users.service import create_user

        user = create_user("v@example.com", "V", password_hash="x")
        user.verification_level = 2
        commit()
        data = compute(db.session.get(User, user.id), "provider")
        assert data["score"] == 100.0
        user.verification_level = 1
        assert compute(user, "provider")["score"] == 50.0


def test_on_time_uses_the_booking_end(trade):
    order = trade.complete()
    order.booking_end = utcnow() - timedelta(days=3)  # completed 3 days after the booking ended
    commit()
    recompute(trade.provider)
    commit()
    assert factor(reputation_of(trade.provider, "provider"), "on_time")["value"] == 0.0


def test_search_filters_and_sorts_by_provider_rating(trade, user_factory, listing_factory):
    good = user_factory(display_name="Good")
    fair = user_factory(display_name="Fair")
    good_listing = listing_factory(author=good, title="Good tea")
    fair_listing = listing_factory(author=fair, title="Fair tea")
    unrated = listing_factory(title="Unrated tea")
    for listing, stars in ((good_listing, 5), (fair_listing, 2)):
        for _ in range(4):
            order = trade.complete(listing=listing)
            review_both(trade, order, stars)
    db.session.expire_all()
    good_rating = db.session.get(type(good_listing), good_listing.id).provider_rating
    fair_rating = db.session.get(type(fair_listing), fair_listing.id).provider_rating
    assert good_rating == pytest.approx((17.5 + 20) / 9, abs=0.01)
    assert fair_rating == pytest.approx((17.5 + 8) / 9, abs=0.01)

    found = search_listings(SearchQuery(min_rating=4.0))
    assert [x.id for x in found.listings] == [good_listing.id]
    found = search_listings(SearchQuery(min_rating=2.5, q="tea"))
    assert {x.id for x in found.listings} == {good_listing.id, fair_listing.id}
    ranked = search_listings(SearchQuery(sort="rating", q=None))
    ids = [x.id for x in ranked.listings]
    assert ids.index(good_listing.id) < ids.index(fair_listing.id) < ids.index(unrated.id)
    # keyset pagination through the rating sort returns every listing once
    seen, cursor = [], None
    while True:
        page = search_listings(SearchQuery(sort="rating", limit=1, cursor=cursor))
        seen.extend(x.id for x in page.listings)
        cursor = page.next_cursor
        if not cursor:
            break
    assert seen == ids
    for bad in (0, 6, "4", True):
        with pytest.raises(ValidationError):
            search_listings(SearchQuery(min_rating=bad))


def test_new_listing_gets_the_authors_rating(trade):
    from marketplace_kit.core.listings import service as listings

    order = trade.complete()
    review_both(trade, order, 5)
    listing = listings.create_listing(
        trade.provider, listing_type="product", title="Green tea", price_amount=500
    )
    commit()
    db.session.refresh(listing)
    assert listing.provider_rating == reputation_of(trade.provider, "provider").rating
    assert listing.provider_review_count == 1
