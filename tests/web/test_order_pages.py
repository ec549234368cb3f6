"""Checkout, order page, my orders, receipt, wallet and payout pages (server-rendered)."""

from __future__ import annotations

import re

import pytest

from marketplace_kit.core.ledger import service as ledger
from marketplace_kit.core.orders.models import Order
from marketplace_kit.extensions import db
from marketplace_kit.money import Money

pytestmark = pytest.mark.mk_config(
    {
        "fees": {
            "rules": [
                {"name": "Service fee", "charged_to": "customer", "percent": "5"},
                {"name": "Commission", "charged_to": "provider", "percent": "10"},
            ]
        },
        "orders": {"payout_holding_days": 0},
    }
)


@pytest.fixture
def shop(user_factory, listing_factory, fund_wallet):
    customer = user_factory(display_name="Chen Wei")
    provider = user_factory(display_name="Bright Clean Ltd")
    listing = listing_factory(author=provider, title="Oolong tea", price_amount=2000, quantity=5)
    fund_wallet(customer, 10000)
    return customer, provider, listing


def buttons(html: str) -> list[str]:
    return re.findall(r'name="transition" value="(\w+)"', html)


def test_checkout_shows_the_breakdown_and_places_the_order(client, shop):
    customer, _provider, listing = shop
    client.login(customer)
    page = client.get(f"/listings/{listing.id}/checkout")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Service fee" in html and "$21.00" in html  # 20.00 + 5 %
    assert "Commission" in html  # provider-side line, shown for transparency
    assert db.session.query(Order).count() == 0  # GET changes nothing
    resp = client.submit(f"/listings/{listing.id}/checkout", {"quantity": "2"})
    assert resp.status_code == 302
    order = db.session.query(Order).one()
    assert resp.headers["Location"].endswith(f"/orders/{order.id}")
    assert order.customer_total == Money(4200, "USD")


def test_checkout_errors_show_next_to_fields(client, shop):
    customer, _provider, listing = shop
    client.login(customer)
    resp = client.submit(f"/listings/{listing.id}/checkout", {"quantity": "0"})
    assert resp.status_code == 422
    assert 'id="quantity-errors"' in resp.get_data(as_text=True)
    resp = client.submit(f"/listings/{listing.id}/checkout", {"quantity": "9"})
    assert resp.status_code == 409
    assert "Only 5 left." in resp.get_data(as_text=True)


def test_order_page_shows_only_what_the_viewer_may_do_and_runs_it(client, shop):
    customer, provider, listing = shop
    client.login(customer)
    client.submit(f"/listings/{listing.id}/checkout", {"quantity": "1"})
    order = db.session.query(Order).one()
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert buttons(html) == ["pay_from_wallet", "cancel"]
    assert "Timeline" in html and "Pay now" in html
    resp = client.submit(
        f"/orders/{order.id}/transitions/pay_from_wallet", {"expected_version": "1"}
    )
    assert resp.status_code == 302
    stale = client.submit(f"/orders/{order.id}/transitions/cancel", {"expected_version": "1"})
    assert stale.status_code == 409
    client.logout()
    client.login(provider)
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert buttons(html) == ["mark_delivered", "cancel_paid"]
    assert "Pay now" not in html
    client.submit(f"/orders/{order.id}/transitions/mark_delivered", {"expected_version": "2"})
    db.session.expire_all()
    assert db.session.get(Order, order.id).state == "delivered"
    page = client.get("/orders?as=provider").get_data(as_text=True)
    assert f"/orders/{order.id}" in page and "<td>Delivered</td>" in page
    receipt = client.get(f"/orders/{order.id}/receipt")
    assert receipt.status_code == 200 and "$21.00" in receipt.get_data(as_text=True)


def test_strangers_do_not_see_orders(client, shop, user_factory):
    customer, _provider, listing = shop
    client.login(customer)
    client.submit(f"/listings/{listing.id}/checkout", {"quantity": "1"})
    order = db.session.query(Order).one()
    client.logout()
    anonymous = client.get(f"/orders/{order.id}")
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login?next=")
    client.login(user_factory())
    assert client.get(f"/orders/{order.id}").status_code == 404


def test_paying_by_card_on_the_order_page(client, shop):
    customer, _provider, listing = shop
    client.login(customer)
    client.submit(f"/listings/{listing.id}/checkout", {"quantity": "1"})
    order = db.session.query(Order).one()
    bad = client.submit(f"/orders/{order.id}/pay", {"provider": "sandbox", "card": "12"})
    assert bad.status_code == 422 and 'id="card-errors"' in bad.get_data(as_text=True)
    ok = client.submit(
        f"/orders/{order.id}/pay", {"provider": "sandbox", "card": "4242424242424242"}
    )
    assert ok.status_code == 302
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "•••• 4242" in html and "Succeeded" in html


def test_wallet_and_payout_requests(client, shop, user_factory):
    customer, _provider, _listing = shop
    client.login(customer)
    html = client.get("/wallet").get_data(as_text=True)
    assert "$100.00" in html and "<td>Deposit" in html
    too_much = client.submit("/wallet/payouts", {"amount": "200.00"})
    assert too_much.status_code == 422 and 'id="amount-errors"' in too_much.get_data(as_text=True)
    for bad in ("abc", "-5", "0", "1.234", "1e30"):
        page = client.submit("/wallet/payouts", {"amount": bad})
        assert page.status_code == 422 and 'id="amount-errors"' in page.text, bad
    assert client.submit("/wallet/payouts", {"amount": "40"}).status_code == 302
    assert ledger.balance_of("wallet", customer, "USD") == Money(6000, "USD")
    assert client.get("/console/payouts").status_code == 403
    client.logout()
    client.login(user_factory(roles=["finance"]))
    html = client.get("/console/payouts").get_data(as_text=True)
    assert "$40.00" in html
    payout_id = re.search(r"/console/payouts/(\d+)/approve", html).group(1)
    assert client.submit(f"/console/payouts/{payout_id}/approve").status_code == 302
    assert ledger.balance_of("payout_hold", customer, "USD") == Money(0, "USD")
    assert ledger.verify() == []


def test_dispute_on_the_order_page_and_api(client, shop, api_token_factory):
    customer, provider, listing = shop
    client.login(customer)
    client.submit(f"/listings/{listing.id}/checkout", {"quantity": "1"})
    order = db.session.query(Order).one()
    client.submit(f"/orders/{order.id}/transitions/pay_from_wallet", {"expected_version": "1"})
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "open_dispute" in buttons(html)
    resp = client.submit(
        f"/orders/{order.id}/transitions/open_dispute",
        {"expected_version": "2", "reason": "It has not arrived."},
    )
    assert resp.status_code == 302, re.findall(
        r'class="errors"[^<]*<li>([^<]*)', resp.get_data(as_text=True)
    )
    assert client.submit(f"/orders/{order.id}/dispute/messages", {"body": ""}).status_code == 422
    client.submit(f"/orders/{order.id}/dispute/messages", {"body": "Tracking says lost."})
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "It has not arrived." in html and "Tracking says lost." in html
    headers = {"Authorization": f"Bearer {api_token_factory(provider)}"}
    api = client.get(f"/api/v1/orders/{order.id}/dispute", headers=headers)
    assert api.status_code == 200 and api.json["status"] == "open"
    posted = client.post(
        f"/api/v1/orders/{order.id}/dispute/messages",
        json={"body": "Resent today.", "evidence": [{"label": "receipt"}]},
        headers=headers,
    )
    assert posted.status_code == 201 and posted.json["role"] == "provider"


def test_states_and_transitions_are_shown_translated(client, shop, order_factory):
    customer, _provider, listing = shop
    order = order_factory(customer=customer, listing=listing)
    client.login(customer)
    page = client.get(f"/orders/{order.id}", headers={"Accept-Language": "ru"}).text
    assert '<span class="order-state">Ожидает оплаты</span>' in page
    assert "Заказ оформлен" in page  # the initial transition in the timeline
    assert "pending payment" not in page and "pending_payment" not in page
    mine = client.get("/orders", headers={"Accept-Language": "zh-CN"}).text
    assert "<td>待付款</td>" in mine


@pytest.mark.mk_config({"orders": {"processes": {"product": "negotiation"}}})
def test_offers_are_typed_in_major_units(client, shop):
    customer, _provider, listing = shop
    client.login(customer)
    bad = client.submit(f"/listings/{listing.id}/checkout", {"quantity": "1", "amount": "12.505"})
    assert bad.status_code == 422 and 'id="amount-errors"' in bad.text
    assert db.session.query(Order).count() == 0
    ok = client.submit(f"/listings/{listing.id}/checkout", {"quantity": "1", "amount": "12.50"})
    assert ok.status_code == 302
    order = db.session.query(Order).one()
    assert (order.state, order.unit_price_amount) == ("offered", 1250)
