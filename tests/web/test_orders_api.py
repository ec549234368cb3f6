"""The orders, payments, wallet and payouts API, with Idempotency-Key and problem+json errors."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace_kit.core.ledger import service as ledger
from marketplace_kit.core.orders.models import Order
from marketplace_kit.extensions import db
from marketplace_kit.money import Money

pytestmark = pytest.mark.mk_config(
    {
        "fees": {"rules": [{"name": "commission", "charged_to": "provider", "percent": "10"}]},
        "orders": {"payout_holding_days": 0, "payout_minimum": 500},
    }
)


@pytest.fixture
def setup(user_factory, listing_factory, api_token_factory, fund_wallet):
    customer = user_factory(display_name="Chen")
    provider = user_factory(display_name="Shop")
    finance = user_factory(display_name="Fin", roles=["finance"])
    listing = listing_factory(author=provider, price_amount=3000, quantity=4)
    fund_wallet(customer, 10000)

    def auth(user):
        return {"Authorization": f"Bearer {api_token_factory(user)}"}

    return {
        "listing": listing,
        "customer": customer,
        "provider": provider,
        "c": auth(customer),
        "p": auth(provider),
        "f": auth(finance),
        "stranger": auth(user_factory()),
    }


def test_create_order_is_idempotent_and_shows_what_the_viewer_may_do(client, setup):
    body = {"listing_id": setup["listing"].id, "quantity": 2}
    headers = {**setup["c"], "Idempotency-Key": "order-abc"}
    first = client.post("/api/v1/orders", json=body, headers=headers)
    again = client.post("/api/v1/orders", json=body, headers=headers)
    assert first.status_code == 201, first.json
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 1
    order = first.json
    assert order["state"] == "pending_payment"
    assert order["customer_total"] == {"amount": 6000, "currency": "USD"}
    assert [t["name"] for t in order["allowed_transitions"]] == ["pay_from_wallet", "cancel"]
    assert [e["transition"] for e in order["timeline"]] == ["place"]

    other = client.post("/api/v1/orders", json={**body, "quantity": 1}, headers=headers)
    assert other.status_code == 422
    assert other.headers["Content-Type"].startswith("application/problem+json")

    seen_by_provider = client.get(f"/api/v1/orders/{order['id']}", headers=setup["p"]).json
    assert [t["name"] for t in seen_by_provider["allowed_transitions"]] == ["cancel"]
    assert client.get(f"/api/v1/orders/{order['id']}", headers=setup["stranger"]).status_code == 404
    listed = client.get("/api/v1/orders?role=provider", headers=setup["p"]).json
    assert [o["id"] for o in listed] == [order["id"]]


def test_transitions_through_the_api_and_their_refusals(client, setup):
    order = client.post(
        "/api/v1/orders", json={"listing_id": setup["listing"].id}, headers=setup["c"]
    ).json
    url = f"/api/v1/orders/{order['id']}/transitions"
    resp = client.post(f"{url}/accept", json={}, headers=setup["c"])
    assert resp.status_code == 409
    assert resp.json["type"].endswith("/transition-not-allowed")
    resp = client.post(f"{url}/mark_delivered", json={}, headers=setup["c"])
    assert resp.status_code == 403
    resp = client.post(f"{url}/pay_from_wallet", json={"expected_version": 5}, headers=setup["c"])
    assert resp.status_code == 409 and resp.json["current_version"] == 1
    pay_headers = {**setup["c"], "Idempotency-Key": "pay-1"}
    resp = client.post(f"{url}/pay_from_wallet", json={"expected_version": 1}, headers=pay_headers)
    assert resp.status_code == 200 and resp.json["state"] == "paid"
    again = client.post(f"{url}/pay_from_wallet", json={"expected_version": 1}, headers=pay_headers)
    assert again.status_code == 200 and again.json["state"] == "paid"
    assert ledger.balance_of("wallet", setup["customer"], "USD") == Money(7000, "USD")
    resp = client.post(f"{url}/mark_delivered", json={"params": {"bogus": 1}}, headers=setup["p"])
    assert resp.status_code == 422 and "bogus" in resp.json["errors"]


def test_pay_by_card_then_wallet_and_payout(client, setup):
    order = client.post(
        "/api/v1/orders", json={"listing_id": setup["listing"].id}, headers=setup["c"]
    ).json
    headers = {**setup["c"], "Idempotency-Key": "card-1"}
    body = {"provider": "sandbox", "card": "4242424242424242"}
    resp = client.post(f"/api/v1/orders/{order['id']}/payments", json=body, headers=headers)
    assert resp.status_code == 201, resp.json
    assert resp.json["status"] == "succeeded"
    again = client.post(f"/api/v1/orders/{order['id']}/payments", json=body, headers=headers)
    assert again.json["id"] == resp.json["id"]
    url = f"/api/v1/orders/{order['id']}/transitions"
    assert client.post(f"{url}/mark_delivered", json={}, headers=setup["p"]).status_code == 200
    assert client.post(f"{url}/accept", json={}, headers=setup["c"]).status_code == 200

    wallet = client.get("/api/v1/wallet", headers=setup["p"]).json
    assert wallet["balances"] == [
        {
            "currency": "USD",
            "balance": {"amount": 2700, "currency": "USD"},
            "available": {"amount": 2700, "currency": "USD"},
        }
    ]
    assert wallet["history"][0]["kind"] == "escrow_release"

    too_much = client.post(
        "/api/v1/payouts", json={"amount": 2701, "currency": "USD"}, headers=setup["p"]
    )
    assert too_much.status_code == 422
    key = {**setup["p"], "Idempotency-Key": "payout-1"}
    payout = client.post("/api/v1/payouts", json={"amount": 2000, "currency": "USD"}, headers=key)
    repeat = client.post("/api/v1/payouts", json={"amount": 2000, "currency": "USD"}, headers=key)
    assert payout.status_code == 201 and repeat.json["id"] == payout.json["id"]
    assert ledger.balance_of("wallet", setup["provider"], "USD") == Money(700, "USD")
    pid = payout.json["id"]
    assert (
        client.post(f"/api/v1/payouts/{pid}/approve", json={}, headers=setup["p"]).status_code
        == 403
    )
    done = client.post(f"/api/v1/payouts/{pid}/approve", json={}, headers=setup["f"])
    assert done.status_code == 200 and done.json["status"] == "paid"
    assert (
        client.post(f"/api/v1/payouts/{pid}/approve", json={}, headers=setup["f"]).status_code
        == 409
    )
    assert ledger.verify() == []


def test_paying_a_cancelled_order_is_a_conflict(client, setup):
    order = client.post(
        "/api/v1/orders", json={"listing_id": setup["listing"].id}, headers=setup["c"]
    ).json
    client.post(f"/api/v1/orders/{order['id']}/transitions/cancel", json={}, headers=setup["c"])
    resp = client.post(
        f"/api/v1/orders/{order['id']}/payments",
        json={"provider": "sandbox", "card": "4242424242424242"},
        headers=setup["c"],
    )
    assert resp.status_code == 409
    assert client.get("/api/v1/orders", headers={}).status_code == 401


def test_finance_overrides_a_providers_fees_and_confirms_transfers(client, setup, user_factory):
    provider_id = setup["provider"].id
    url = f"/api/v1/providers/{provider_id}/fees"
    rules = [{"name": "partner rate", "charged_to": "provider", "percent": "2.5"}]
    assert client.put(url, json={"rules": rules}, headers=setup["p"]).status_code == 403
    bad = client.put(url, json={"rules": [{"name": "x", "percent": "150"}]}, headers=setup["f"])
    assert bad.status_code == 422 and "rules" in bad.json["errors"]
    assert (
        client.put(url, json={"rules": rules, "note": "Partner"}, headers=setup["f"]).status_code
        == 200
    )
    order = client.post(
        "/api/v1/orders", json={"listing_id": setup["listing"].id}, headers=setup["c"]
    ).json
    assert [(ln["code"], ln["amount"]) for ln in order["lines"]] == [
        ("item", 3000),
        ("partner rate", 75),
    ]
    # Bank transfer, confirmed by finance.
    payment = client.post(
        f"/api/v1/orders/{order['id']}/payments", json={"provider": "manual"}, headers=setup["c"]
    ).json
    assert payment["status"] == "pending"
    confirm = f"/api/v1/payments/{payment['id']}/confirm"
    assert client.post(confirm, headers=setup["c"]).status_code == 403
    done = client.post(confirm, headers=setup["f"])
    assert done.status_code == 200 and done.json["status"] == "succeeded"
    assert client.get(f"/api/v1/orders/{order['id']}", headers=setup["c"]).json["state"] == "paid"
    assert client.delete(url, headers=setup["f"]).status_code == 204
    again = client.post(
        "/api/v1/orders", json={"listing_id": setup["listing"].id}, headers=setup["c"]
    ).json
    assert [ln["code"] for ln in again["lines"]] == ["item", "commission"]


def test_receipt_for_the_two_parties_only(client, setup):
    order = client.post(
        "/api/v1/orders", json={"listing_id": setup["listing"].id}, headers=setup["c"]
    ).json
    body = {"provider": "sandbox", "card": "4242424242424242"}
    client.post(f"/api/v1/orders/{order['id']}/payments", json=body, headers=setup["c"])
    url = f"/api/v1/orders/{order['id']}/receipt"
    receipt = client.get(url, headers=setup["c"])
    assert receipt.status_code == 200, receipt.json
    r = receipt.json
    assert (r["order_id"], r["state"], r["quantity"]) == (order["id"], "paid", 1)
    assert r["customer"] == {"id": setup["customer"].id, "display_name": "Chen"}
    assert r["provider"]["display_name"] == "Shop"
    assert r["customer_total"] == {"amount": 3000, "currency": "USD"}
    assert {(line["code"], line["payer"], line["amount"]) for line in r["lines"]} >= {
        ("commission", "provider", 300)
    }
    assert [(p["provider"], p["status"], p["amount"]) for p in r["payments"]] == [
        ("sandbox", "succeeded", 3000)
    ]
    assert client.get(url, headers=setup["p"]).json == r
    stranger = client.get(url, headers=setup["stranger"])
    assert stranger.status_code == 404
    assert stranger.headers["Content-Type"].startswith("application/problem+json")
