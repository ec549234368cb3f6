"""Pages (without JavaScript) and the API, with localised notifications."""

from __future__ import annotations

import re
from datetime import timedelta

from flask_babel import force_locale
from marketplace_kit_group_buying import service
from marketplace_kit_group_buying.models import Group, Member
from sqlalchemy import select

from marketplace_kit.core.db import utcnow
from marketplace_kit.core.ledger import service as ledger
from marketplace_kit.core.notifications.models import Notification
from marketplace_kit.core.notifications.service import render
from marketplace_kit.events import commit
from marketplace_kit.extensions import db


def test_start_a_group_pay_on_the_order_page_share_and_join_by_link(
    app, client, deal_factory, buyers
):
    deal = deal_factory(
        tiers=[{"min_size": 2, "unit_price": 900}, {"min_size": 3, "unit_price": 800}]
    )
    leader, friend = buyers(2)
    page = client.get(f"/group-buying/deals/{deal.id}").get_data(as_text=True)
    assert "Start a group" in page and "No open groups right now" in page
    client.login(leader)
    response = client.submit(f"/group-buying/deals/{deal.id}/start", {"quantity": "1"})
    assert response.status_code == 302
    order_url = response.headers["Location"]
    assert re.fullmatch(r"/orders/\d+", order_url)
    member = db.session.scalars(select(Member)).one()
    # no share link before the payment: the group is not reachable or listed
    assert db.session.get(Group, member.group_id).share_token is None
    assert "No open groups right now" in client.get(f"/group-buying/deals/{deal.id}").get_data(
        as_text=True
    )
    # pay from the wallet on the core's order page
    order_id = member.order_id
    response = client.submit(f"/orders/{order_id}/transitions/pay_from_wallet", {})
    assert response.status_code in (200, 302)
    db.session.expire_all()
    group = db.session.get(Group, member.group_id)
    assert group.status == "open"
    link = f"/group-buying/g/{group.share_token}"
    html = client.get(link).get_data(as_text=True)
    assert "1 of 3 members paid" in html
    assert "Time left: 0 h 59 min" in html or "Time left: 1 h 0 min" in html
    assert '<meta http-equiv="refresh" content="60">' in html  # counts down without JS
    assert "<script" not in html.split("<main", 1)[-1]
    assert "1 more to reach" in html
    mine = client.get("/group-buying/mine").get_data(as_text=True)
    assert "Leader" in mine and link in mine
    client.logout()
    client.login(friend)
    response = client.submit(f"{link}/join", {"quantity": "1"})
    assert response.status_code == 302
    joined = db.session.scalars(select(Member).where(Member.user_id == friend.id)).one()
    assert response.headers["Location"] == f"/orders/{joined.order_id}"
    html = client.get(link).get_data(as_text=True)
    assert "1 of 3 members paid" in html and "1 place reserved, not paid yet" in html
    # joining twice: the error is shown on the page, nothing changes
    response = client.submit(f"{link}/join", {"quantity": "1"})
    assert response.status_code == 409
    assert "You are already in this group." in response.get_data(as_text=True)
    assert ledger.verify() == []


def test_the_group_page_for_an_unknown_link_is_404(client, app):
    assert client.get("/group-buying/g/nope").status_code == 404
    assert client.get("/group-buying/deals/99999999999999999999").status_code == 404


def test_the_listing_page_shows_its_deals_and_the_author_a_way_to_make_one(
    app, client, deal_factory, listing_factory
):
    listing = listing_factory(price_amount=1000, quantity=10)
    client.login(listing.author)
    html = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert f"/group-buying/listings/{listing.id}/deals/new" in html
    deal = deal_factory(group_price=800, group_size=2, listing=listing)
    client.logout()
    html = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert f"/group-buying/deals/{deal.id}" in html
    assert "/deals/new" not in html
    assert "Group deals" in client.get("/group-buying/").get_data(as_text=True)


def test_the_api_covers_deals_groups_joining_and_my_groups(
    app, client, listing_factory, buyers, api_token_factory
):
    listing = listing_factory(price_amount=1000, quantity=10)
    seller = {"Authorization": f"Bearer {api_token_factory(listing.author)}"}
    ends = (utcnow() + timedelta(days=1)).isoformat()
    response = client.post(
        "/api/v1/group-buying/deals",
        json={
            "listing_id": listing.id,
            "tiers": [{"min_size": 2, "unit_price": 900}, {"min_size": 3, "unit_price": 850}],
            "fill_window_minutes": 120,
            "ends_at": ends,
            "leader_discount": 25,
        },
        headers=seller,
    )
    assert response.status_code == 201, response.get_json()
    deal = response.get_json()
    assert deal["group_size"] == 3 and deal["can_start_group"] is True
    assert deal["base_price"] == {"amount": 1000, "currency": "USD"}
    leader, friend = buyers(2)
    auth = {"Authorization": f"Bearer {api_token_factory(leader)}"}
    start = client.post(
        f"/api/v1/group-buying/deals/{deal['id']}/groups",
        json={"quantity": 1},
        headers={**auth, "Idempotency-Key": "start-1"},
    )
    assert start.status_code == 201, start.get_json()
    place = start.get_json()
    assert place["role"] == "leader" and place["status"] == "reserved"
    assert place["unit_price"] == 975 and place["group"]["share_token"] is None
    again = client.post(
        f"/api/v1/group-buying/deals/{deal['id']}/groups",
        json={"quantity": 1},
        headers={**auth, "Idempotency-Key": "start-1"},
    )
    assert again.get_json()["order_id"] == place["order_id"]  # replayed, no second place
    pay = client.post(
        f"/api/v1/orders/{place['order_id']}/transitions/pay_from_wallet", json={}, headers=auth
    )
    assert pay.status_code == 200, pay.get_json()
    mine = client.get("/api/v1/group-buying/me/groups", headers=auth).get_json()
    token = mine[0]["group"]["share_token"]
    assert mine[0]["status"] == "paid" and token
    group = client.get(f"/api/v1/group-buying/groups/{token}").get_json()
    assert group["progress"]["paid"] == 1 and group["progress"]["size"] == 3
    assert 0 < group["progress"]["seconds_left"] <= 7200
    assert group["share_url"].endswith(f"/group-buying/g/{token}")
    listed = client.get(f"/api/v1/group-buying/deals/{deal['id']}").get_json()
    assert [g["share_token"] for g in listed["open_groups"]] == [token]
    friend_auth = {"Authorization": f"Bearer {api_token_factory(friend)}"}
    joined = client.post(
        f"/api/v1/group-buying/groups/{token}/join", json={"quantity": 1}, headers=friend_auth
    )
    assert joined.status_code == 201 and joined.get_json()["role"] == "member"
    twice = client.post(
        f"/api/v1/group-buying/groups/{token}/join", json={"quantity": 1}, headers=friend_auth
    )
    assert twice.status_code == 409
    assert twice.get_json()["type"].endswith("/already-in-group")
    over = client.post(
        f"/api/v1/group-buying/groups/{token}/join", json={"quantity": 0}, headers=friend_auth
    )
    assert over.status_code == 422
    assert client.get("/api/v1/group-buying/groups/missing").status_code == 404
    assert [d["id"] for d in client.get("/api/v1/group-buying/deals").get_json()] == [deal["id"]]
    assert ledger.verify() == []


def test_notifications_are_localised(app, deal_factory, buyers):
    deal = deal_factory(group_price=800, group_size=2)
    leader, friend = buyers(2)
    member = service.start_group(leader, deal)
    commit()
    service.pay_from_wallet(member, leader)
    commit()
    group = db.session.get(Group, member.group_id)
    other = service.join_group(friend, group)
    commit()
    service.pay_from_wallet(other, friend)
    commit()
    events = {n.event: n for n in db.session.scalars(select(Notification))}
    assert {
        "group_buying_group_opened",
        "group_buying_member_joined",
        "group_buying_group_filled",
    } <= set(events)
    opened = events["group_buying_group_opened"]
    title_en, body_en = render(opened, "en")
    assert title_en == f"Your group for {deal.listing.title} is open"
    assert group.share_token in body_en
    with app.test_request_context("/"), force_locale("zh_Hans"):
        title_zh, body_zh = render(opened, "zh_Hans")
    with app.test_request_context("/"), force_locale("ru"):
        title_ru, _body = render(opened, "ru")
    assert title_zh != title_en and deal.listing.title in title_zh
    assert title_ru != title_en and deal.listing.title in title_ru
    assert group.share_token in body_zh
