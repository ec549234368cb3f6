"""Review pages and API: the order page form, profiles, explanation, search, console, API."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from marketplace_kit.core.db import utcnow
from marketplace_kit.core.orders import engine
from marketplace_kit.core.trust import service
from marketplace_kit.core.trust.models import Review
from marketplace_kit.events import commit
from marketplace_kit.extensions import db


def reviews() -> int:
    return db.session.scalar(select(func.count(Review.id)))


@pytest.fixture
def trade(user_factory, listing_factory, fund_wallet, order_factory):
    t = SimpleNamespace()
    t.customer = user_factory(display_name="Chen Wei")
    t.provider = user_factory(display_name="Bright Clean Ltd")
    t.stranger = user_factory(display_name="Nosy Parker")
    t.listing = listing_factory(author=t.provider, title="Oolong tea", price_amount=1000)
    fund_wallet(t.customer, 100_000)

    def complete(listing=None):
        order = order_factory(customer=t.customer, listing=listing or t.listing)
        engine.transition(order, "pay_from_wallet", t.customer)
        engine.transition(order, "mark_delivered", order.provider)
        engine.transition(order, "accept", t.customer)
        commit()
        return order

    t.complete = complete
    t.order = complete()
    return t


def test_order_page_shows_the_form_and_blind_state(client, trade):
    client.login(trade.customer)
    html = client.get(f"/orders/{trade.order.id}").get_data(as_text=True)
    assert "Review the other party" in html
    assert 'name="criterion_as_described"' in html and 'name="rating"' in html
    resp = client.submit(
        f"/orders/{trade.order.id}/review",
        {"rating": "5", "text": "Lovely tea", "criterion_as_described": "5"},
    )
    assert resp.status_code == 302
    review = db.session.scalar(select(Review))
    assert (review.rating, review.criteria, review.published_at) == (5, {"as_described": 5}, None)
    html = client.get(f"/orders/{trade.order.id}").get_data(as_text=True)
    assert "Change your review" in html and "Lovely tea" in html  # editable until published
    # the provider sees that a review exists, not what it says
    client.login(trade.provider)
    html = client.get(f"/orders/{trade.order.id}").get_data(as_text=True)
    assert "The other party reviewed you" in html and "Lovely tea" not in html
    assert client.submit(f"/orders/{trade.order.id}/review", {"rating": "4"}).status_code == 302
    html = client.get(f"/orders/{trade.order.id}").get_data(as_text=True)
    assert "Lovely tea" in html and "Your reply" in html  # published: shown, can reply


def test_review_form_errors_next_to_fields(client, trade):
    client.login(trade.customer)
    resp = client.submit(f"/orders/{trade.order.id}/review", {"rating": "", "text": "x"})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'id="rating-errors"' in html
    resp = client.submit(f"/orders/{trade.order.id}/review", {"rating": "9"})
    assert resp.status_code == 422  # not one of the choices
    resp = client.submit(f"/orders/{trade.order.id}/review", {"rating": "5", "text": "y" * 3000})
    assert resp.status_code == 422 and 'id="text-errors"' in resp.get_data(as_text=True)
    assert reviews() == 0
    # a stranger cannot review (the order is not theirs: 404)
    client.login(trade.stranger)
    assert client.submit(f"/orders/{trade.order.id}/review", {"rating": "5"}).status_code == 404
    assert reviews() == 0


def test_profile_reply_and_explanation(client, trade):
    mine = service.submit_review(trade.order, trade.customer, 2, "Late delivery")
    service.submit_review(trade.order, trade.provider, 5, "Paid fast")
    commit()
    page = client.get(f"/users/{trade.provider.id}").get_data(as_text=True)
    assert "Late delivery" in page and "As provider" in page and "★ 3.25" in page
    assert "Report this review" not in page  # anonymous visitors are asked to sign in elsewhere
    client.login(trade.stranger)
    assert client.submit(f"/reviews/{mine.id}/reply", {"text": "Me!"}).status_code == 403
    client.login(trade.provider)
    resp = client.submit(
        f"/reviews/{mine.id}/reply", {"text": "The courier was late.", "next": "/"}
    )
    assert resp.status_code == 302
    assert client.submit(f"/reviews/{mine.id}/reply", {"text": "Again"}).status_code == 409
    page = client.get(f"/users/{trade.provider.id}").get_data(as_text=True)
    assert "The courier was late." in page and "Again" not in page
    exp = client.get(f"/users/{trade.provider.id}/reputation")
    html = exp.get_data(as_text=True)
    assert exp.status_code == 200
    for words in ("Rating", "Completed orders", "On-time completion", "Weight", "Top rated"):
        assert words in html
    assert client.get("/users/999999/reputation").status_code == 404


def test_listing_card_detail_and_search_show_and_filter_rating(client, trade, listing_factory):
    other = listing_factory(title="Other tea")
    for _ in range(3):
        order = trade.complete()
        service.submit_review(order, trade.customer, 5, "")
        service.submit_review(order, trade.provider, 5, "")
        commit()
    detail = client.get(f"/listings/{trade.listing.id}").get_data(as_text=True)
    assert "★ 4.06" in detail and "How is this calculated?" in detail
    page = client.get("/listings/?min_rating=4").get_data(as_text=True)
    assert "Oolong tea" in page and "Other tea" not in page and "★ 4.06" in page
    page = client.get("/listings/?sort=rating").get_data(as_text=True)
    assert page.index("Oolong tea") < page.index("Other tea")
    bad = client.get("/listings/?min_rating=9")
    assert bad.status_code == 200 and "Between 1 and 5 stars." in bad.get_data(as_text=True)
    assert other.id
    # saved searches keep min_rating
    client.login(trade.customer)
    resp = client.submit("/listings/searches?min_rating=4&q=tea", {"name": "Good tea"})
    assert resp.status_code == 302
    from marketplace_kit.core.listings.models import SavedSearch

    saved = db.session.scalar(select(SavedSearch))
    assert saved.params["min_rating"] == 4.0
    assert "min_rating=4.0" in client.get("/listings/searches").get_data(as_text=True)


def test_console_user_page_lists_reviews(client, trade, user_factory):
    admin = user_factory(roles=["admin"])
    service.submit_review(trade.order, trade.customer, 4, "Nice packaging")
    commit()
    client.login(admin)
    html = client.get(f"/console/users/{trade.customer.id}").get_data(as_text=True)
    assert "Reviews written by this user" in html and "Nice packaging" in html
    assert "Not yet published (blind)" in html


def test_review_window_closed_page(client, trade):
    order = trade.order
    service.submit_review(order, trade.provider, 4, "")
    commit()
    from marketplace_kit.core.orders.models import OrderEvent

    db.session.execute(  # the order completed 15 days ago: the 14-day window is closed
        OrderEvent.__table__.update()
        .where(OrderEvent.order_id == order.id)
        .values(created_at=utcnow() - timedelta(days=15))
    )
    commit()
    client.login(trade.customer)
    resp = client.submit(f"/orders/{order.id}/review", {"rating": "5"})
    assert resp.status_code == 409
    assert "The review period of this order has ended." in resp.get_data(as_text=True)
    assert reviews() == 1


# -- API -------------------------------------------------------------------------------


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_api_create_blind_list_reply_reputation(client, trade, api_token_factory):
    cust, prov = api_token_factory(trade.customer), api_token_factory(trade.provider)
    url = f"/api/v1/orders/{trade.order.id}/reviews"
    resp = client.post(
        url, json={"rating": 3, "text": "OK", "criteria": {"communication": 4}}, headers=auth(cust)
    )
    assert resp.status_code == 201, resp.json
    rid = resp.json["id"]
    assert resp.json["published"] is False
    state = client.get(url, headers=auth(prov)).json
    assert state["theirs"] is None and state["theirs_submitted"] is True and state["can_write"]
    assert client.get(f"/api/v1/reviews/{rid}", headers=auth(prov)).status_code == 404
    patched = client.patch(f"/api/v1/reviews/{rid}", json={"rating": 4}, headers=auth(cust))
    assert patched.status_code == 200 and patched.json["rating"] == 4
    assert client.post(url, json={"rating": 5}, headers=auth(prov)).status_code == 201
    state = client.get(url, headers=auth(prov)).json
    assert state["theirs"]["rating"] == 4 and state["theirs"]["published"] is True
    listed = client.get(f"/api/v1/users/{trade.provider.id}/reviews?role=provider").json
    assert [r["id"] for r in listed["items"]] == [rid]
    reply = client.post(f"/api/v1/reviews/{rid}/reply", json={"text": "Thanks"}, headers=auth(prov))
    assert reply.status_code == 200 and reply.json["reply"] == "Thanks"
    again = client.post(f"/api/v1/reviews/{rid}/reply", json={"text": "x"}, headers=auth(prov))
    assert again.status_code == 409 and again.mimetype == "application/problem+json"
    wrong = client.post(f"/api/v1/reviews/{rid}/reply", json={"text": "x"}, headers=auth(cust))
    assert wrong.status_code == 403
    late = client.patch(f"/api/v1/reviews/{rid}", json={"rating": 1}, headers=auth(cust))
    assert late.status_code == 409
    rep = client.get(f"/api/v1/users/{trade.provider.id}/reputation").json
    assert rep["provider"]["review_count"] == 1
    assert {f["key"] for f in rep["provider"]["factors"]} >= {"rating", "on_time", "disputes"}
    assert rep["customer"]["rating"] is None  # nobody reviewed the provider as a customer
    rep = client.get(f"/api/v1/users/{trade.customer.id}/reputation").json
    assert rep["customer"]["rating"] == pytest.approx(3.75) and rep["customer"]["review_count"] == 1
    listing = client.get("/api/v1/listings/?min_rating=3&sort=rating").json
    assert [x["id"] for x in listing["items"]] == [trade.listing.id]
    assert listing["items"][0]["provider_review_count"] == 1
    assert client.get("/api/v1/listings/?min_rating=7").status_code == 422


def test_api_bad_input_is_problem_json_and_saves_nothing(client, trade, api_token_factory):
    cust = api_token_factory(trade.customer)
    stranger = api_token_factory(trade.stranger)
    url = f"/api/v1/orders/{trade.order.id}/reviews"
    for body, status, field in (
        ({"rating": 0}, 422, "rating"),
        ({"rating": 6}, 422, "rating"),
        ({"rating": "five"}, 422, "rating"),
        ({"rating": 5, "criteria": {"speed": 5}}, 422, "criteria"),
        ({"text": "no rating"}, 422, "rating"),
    ):
        resp = client.post(url, json=body, headers=auth(cust))
        assert resp.status_code == status, (body, resp.json)
        assert resp.mimetype == "application/problem+json"
        assert field in str(resp.json)
    assert client.post(url, json={"rating": 5}, headers=auth(stranger)).status_code == 404
    assert client.post(url, json={"rating": 5}).status_code == 401
    assert (
        client.post("/api/v1/orders/99999/reviews", json={"rating": 5}, headers=auth(cust))
    ).status_code == 404
    assert reviews() == 0
    assert client.post(url, json={"rating": 5}, headers=auth(cust)).status_code == 201
    twice = client.post(url, json={"rating": 4}, headers=auth(cust))
    assert twice.status_code == 409 and twice.mimetype == "application/problem+json"
    assert reviews() == 1


def test_api_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").json
    for path in (
        "/api/v1/orders/{order_id}/reviews",
        "/api/v1/reviews/{review_id}",
        "/api/v1/reviews/{review_id}/reply",
        "/api/v1/users/{user_id}/reviews",
        "/api/v1/users/{user_id}/reputation",
    ):
        assert path in spec["paths"], path
