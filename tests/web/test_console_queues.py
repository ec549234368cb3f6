"""The console's queues end to end: filters, assignment, decisions (single and bulk), the
reason sent to the user, and the operator audit log with before/after."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from marketplace_kit.core.console.models import OperatorAction, QueueAssignment
from marketplace_kit.core.disputes.models import Dispute
from marketplace_kit.core.ledger import service as ledger
from marketplace_kit.core.listings.models import Listing
from marketplace_kit.core.notifications.models import Notification
from marketplace_kit.core.orders.models import Order
from marketplace_kit.core.payments.models import PayoutRequest
from marketplace_kit.core.users.models import User, VerificationRequest
from marketplace_kit.extensions import db
from marketplace_kit.money import Money


def actions(name: str) -> list[OperatorAction]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OperatorAction).where(OperatorAction.action == name).order_by(OperatorAction.id)
        )
    )


def notes(user, event: str = "operator_decision") -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification).where(Notification.user_id == user.id, Notification.event == event)
        )
    )


def test_listing_queue_cycle(client, console_world, listing_factory):
    w = console_world
    other = listing_factory(author=w.provider, title="Pending kettle", status="pending")
    third = listing_factory(author=w.provider, title="Pending mug", status="pending")
    client.login(w.moderator)
    page = client.get("/console/listings")
    assert page.status_code == 200
    assert "Pending teapot" in page.text and "Pending kettle" in page.text
    assert "Pending mug" in client.get("/console/listings?q=mug").text
    assert "Pending teapot" not in client.get("/console/listings?q=mug").text

    # assignment: to me, then the filter shows only mine
    resp = client.submit(
        f"/console/assign/listings/{w.pending_listing.id}",
        {"assignee": "me", "next": "/console/listings?assignee=me"},
    )
    assert resp.status_code == 303 and resp.headers["Location"].endswith("assignee=me")
    mine = client.get("/console/listings?assignee=me").text
    assert "Pending teapot" in mine and "Pending kettle" not in mine
    assert "Pending teapot" not in client.get("/console/listings?assignee=unassigned").text
    row = db.session.scalar(select(QueueAssignment))
    assert (row.queue, row.item_id, row.assignee_id) == (
        "listings",
        w.pending_listing.id,
        w.moderator.id,
    )
    # a finance operator may not be assigned to listings
    resp = client.submit(f"/console/assign/listings/{other.id}", {"assignee": str(w.finance.id)})
    assert resp.status_code == 303
    assert (
        db.session.scalar(select(QueueAssignment).where(QueueAssignment.item_id == other.id))
        is None
    )
    [assigned] = actions("listings.assign")
    assert assigned.before == {"assignee_id": None} and assigned.after == {
        "assignee_id": w.moderator.id
    }

    # reject needs a reason; then the author is told why
    resp = client.submit(f"/console/listings/{w.pending_listing.id}/reject", {"reason": ""})
    assert resp.status_code == 422 and "Give a reason" in resp.text
    resp = client.submit(
        f"/console/listings/{w.pending_listing.id}/reject", {"reason": "Add real photos please"}
    )
    assert resp.status_code == 303
    listing = db.session.get(Listing, w.pending_listing.id)
    assert listing.status == "draft" and listing.moderation_note == "Add real photos please"
    [rejected] = actions("listing.reject")
    assert rejected.actor_id == w.moderator.id and rejected.subject_user_id == w.provider.id
    assert rejected.before == {"status": "pending", "moderation_note": None}
    assert rejected.after == {"status": "draft", "moderation_note": "Add real photos please"}
    assert rejected.actor_roles == ["moderator"] and rejected.reason == "Add real photos please"
    [note] = notes(w.provider)
    assert note.context["kind"] == "listing_rejected"
    assert note.context["reason"] == "Add real photos please"
    client.login(w.provider)
    assert "Add real photos please" in client.get("/notifications").text

    # bulk: reject without a reason is refused as a whole, approve publishes both
    client.login(w.moderator)
    resp = client.submit(
        "/console/listings/bulk", {"ids": [other.id, third.id], "decision": "reject"}
    )
    assert resp.status_code == 422
    assert db.session.get(Listing, other.id).status == "pending"
    resp = client.submit("/console/listings/bulk", {"decision": "approve"})
    assert resp.status_code == 422 and "Tick at least one" in resp.text
    resp = client.submit(
        "/console/listings/bulk", {"ids": [other.id, third.id], "decision": "approve"}
    )
    assert resp.status_code == 303
    db.session.expire_all()
    assert {db.session.get(Listing, i).status for i in (other.id, third.id)} == {"published"}
    assert len(actions("listing.approve")) == 2
    assert "Nothing is waiting for approval." in client.get("/console/listings").text


def test_verification_queue_cycle(client, console_world):
    w = console_world
    client.login(w.moderator)
    assert "Chen Wei" in client.get("/console/verification?kind=identity").text
    assert "Chen Wei" not in client.get("/console/verification?kind=business").text
    resp = client.submit(
        f"/console/assign/verification/{w.verification.id}",
        {"assignee": str(w.admin.id), "next": f"/console/verification/{w.verification.id}"},
    )
    assert resp.status_code == 303
    assert "Chen Wei" in client.get(f"/console/verification?assignee={w.admin.id}").text
    assert "Chen Wei" not in client.get("/console/verification?assignee=me").text
    resp = client.submit(f"/console/verification/{w.verification.id}", {"decision": "approve"})
    assert resp.status_code == 303
    req = db.session.get(VerificationRequest, w.verification.id)
    assert req.status == "approved" and req.user.verification_level >= 1
    [row] = actions("verification.approve")
    assert row.before == {"status": "pending", "level": 0}
    assert row.after["status"] == "approved" and row.after["level"] >= 1
    assert notes(w.customer, "verification_decided")
    # deciding twice is a conflict shown on the page
    resp = client.submit(
        f"/console/verification/{w.verification.id}", {"decision": "reject", "reason": "x"}
    )
    assert resp.status_code == 409


def test_dispute_queue_split_ruling(client, console_world):
    w = console_world
    client.login(w.support)
    page = client.get("/console/disputes")
    assert page.status_code == 200 and "It arrived broken." in page.text
    detail = client.get(f"/console/disputes/{w.dispute.id}")
    assert detail.status_code == 200 and "$20.00" in detail.text  # in escrow
    url = f"/console/disputes/{w.dispute.id}"
    resp = client.submit(url, {"ruling": "split", "reason": "Half of the set was broken"})
    assert resp.status_code == 422 and 'id="amount-errors"' in resp.text
    resp = client.submit(url, {"ruling": "split", "amount": "500"})
    assert resp.status_code == 422 and 'id="reason-errors"' in resp.text
    resp = client.submit(url, {"ruling": "sideways", "reason": "x"})
    assert resp.status_code == 422
    resp = client.submit(url, {"ruling": "split", "amount": "abc", "reason": "x"})
    assert resp.status_code == 422
    assert db.session.get(Dispute, w.dispute.id).status == "open"

    resp = client.submit(
        url, {"ruling": "split", "amount": "500", "reason": "Half of the set was broken"}
    )
    assert resp.status_code == 303
    db.session.expire_all()
    dispute = db.session.get(Dispute, w.dispute.id)
    assert (dispute.status, dispute.resolution, dispute.refunded_amount) == (
        "resolved",
        "split",
        500,
    )
    order = db.session.get(Order, w.disputed_order.id)
    assert order.state == "completed"
    assert ledger.balance_of("escrow", order, "USD") == Money(0, "USD")
    assert ledger.verify() == []
    [ruling] = actions("dispute.split")
    assert ruling.before == {"status": "open"} and ruling.after["refunded_amount"] == 500
    [move] = actions("order.resolve_split")
    assert move.before["state"] == "disputed" and move.after["state"] == "completed"
    assert (
        move.before["escrow"] == 2000 and move.after["escrow"] == 0 and move.after["amount"] == 500
    )
    for party in (w.customer, w.provider):
        [note] = notes(party)
        assert note.context["reason"] == "Half of the set was broken"
    # the reason is on the order's timeline, visible to the parties
    client.login(w.customer)
    assert "Half of the set was broken" in client.get(f"/orders/{order.id}").text
    client.login(w.support)
    assert "It arrived broken." not in client.get("/console/disputes").text
    assert "It arrived broken." in client.get("/console/disputes?status=resolved").text
    assert client.submit(url, {"ruling": "refund", "reason": "again"}).status_code == 409


def test_payout_queue_cycle(client, console_world, user_factory, fund_wallet):
    from marketplace_kit.core.payments import payouts
    from marketplace_kit.events import commit

    w = console_world
    second = user_factory(display_name="Second Provider")
    fund_wallet(second, 9000)
    p2 = payouts.request_payout(second, 3000, "USD")
    p3 = payouts.request_payout(second, 1000, "USD")
    commit()
    client.login(w.finance)
    page = client.get("/console/payouts")
    assert "$25.00" in page.text and "$30.00" in page.text
    assert "Second Provider" in client.get("/console/payouts?q=second").text
    assert "Bright Clean" not in client.get("/console/payouts?q=second").text

    resp = client.submit(f"/console/payouts/{p3.id}/reject", {"reason": ""})
    assert resp.status_code == 422 and "Give a reason" in resp.text
    resp = client.submit(f"/console/payouts/{p3.id}/reject", {"reason": "IBAN does not match"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(PayoutRequest, p3.id).status == "rejected"
    [note] = notes(second, "payout_rejected")
    assert note.context["note"] == "IBAN does not match"

    assert client.submit("/console/payouts/bulk", {}).status_code == 422
    resp = client.submit("/console/payouts/bulk", {"ids": [w.payout.id, p2.id]})
    assert resp.status_code == 303
    db.session.expire_all()
    assert {db.session.get(PayoutRequest, i).status for i in (w.payout.id, p2.id)} == {"paid"}
    approved = actions("payout.approve")
    assert [a.before for a in approved] == [{"status": "requested"}] * 2
    assert {a.after["status"] for a in approved} == {"paid"}
    assert ledger.verify() == []
    # approving again is a conflict, never a second payment
    resp = client.submit(f"/console/payouts/{p2.id}/approve")
    assert resp.status_code == 409
    assert "No payout requests." in client.get("/console/payouts").text


def test_bad_input_and_unknown_ids(client, console_world):
    w = console_world
    client.login(w.admin)
    big = 2**40
    for url in (
        "/console/disputes/999999",
        f"/console/disputes/{big}",
        "/console/orders/999999",
        "/console/users/999999",
        "/console/ledger/accounts/999999",
        "/console/verification/999999",
        "/console/listings?status=nonsense",
        "/console/payouts?status=nonsense",
        "/console/disputes?status=nonsense",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        "/console/listings/999999/approve",
        f"/console/listings/{w.pending_listing.id}/maybe",
        "/console/payouts/999999/approve",
        f"/console/payouts/{w.payout.id}/maybe",
        "/console/payments/999999/confirm",
        "/console/assign/nonsense/1",
        "/console/assign/listings/999999",
        f"/console/orders/{w.disputed_order.id}/transitions/no_such_step",
        f"/console/orders/{w.order.id}/transitions/pay_from_wallet",  # customer-only
    ):
        resp = client.submit(url, {"reason": "because", "assignee": "me"})
        assert resp.status_code == 404, url
    # no CSRF token: refused
    assert client.post(f"/console/listings/{w.pending_listing.id}/approve").status_code == 400
    assert db.session.get(Listing, w.pending_listing.id).status == "pending"
    # junk in filters is ignored, not a 500
    for url in (
        "/console/orders?id=abc&since=yesterday&until=2026-13-40&user=%25",
        "/console/actions?actor=x&user=-1&since=nope",
        "/console/users?role=king&status=zombie&q=%25",
    ):
        assert client.get(url).status_code == 200, url


def test_users_search_status_roles_and_fee_override(client, console_world, api_token_factory):
    from marketplace_kit.core.orders.models import FeeOverride
    from marketplace_kit.core.users.models import ApiToken

    w = console_world
    token = api_token_factory(w.provider)
    client.login(w.admin)
    assert "bright@example.com" in client.get("/console/users?q=BRIGHT").text
    by_role = client.get("/console/users?role=finance").text
    assert "Fin Finance" in by_role and "Bright Clean" not in by_role
    page = client.get(f"/console/users/{w.customer.id}")
    assert page.status_code == 200
    assert f"/console/orders/{w.disputed_order.id}" in page.text  # the user's orders
    assert "identity" in page.text  # verification history

    url = f"/console/users/{w.provider.id}"
    resp = client.submit(url, {"status": "banned", "reason": ""})
    assert resp.status_code == 422
    resp = client.submit(url, {"status": "banned", "reason": "Fraudulent listings"})
    assert resp.status_code == 303
    db.session.expire_all()
    provider = db.session.get(User, w.provider.id)
    assert provider.banned_at is not None and not provider.is_active_account
    assert db.session.scalar(select(ApiToken).where(ApiToken.user_id == provider.id)).revoked_at
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert "Bright Clean" in client.get("/console/users?status=banned").text
    assert "Bright Clean" not in client.get("/console/users?status=active").text
    [ban] = actions("user.ban")
    assert ban.before == {"status": "active"} and ban.after == {"status": "banned"}
    assert notes(provider)[0].context == {"kind": "account_banned", "reason": "Fraudulent listings"}
    resp = client.submit(url, {"status": "active", "reason": "Appeal accepted"})
    assert resp.status_code == 303
    db.session.expire_all()
    assert db.session.get(User, w.provider.id).banned_at is None
    [back] = actions("user.reinstate")
    assert back.before == {"status": "banned"} and back.after == {"status": "active"}

    resp = client.submit(url, {"roles": ["support"]})
    assert resp.status_code == 303
    [roles] = actions("user.roles")
    assert roles.before == {"roles": []} and roles.after == {"roles": ["support"]}

    fees_url = f"/console/users/{w.provider.id}/fees"
    assert client.submit(fees_url, {"rules": "not json", "reason": "x"}).status_code == 422
    bad = client.submit(fees_url, {"rules": '[{"name": "x", "percent": "500"}]', "reason": "x"})
    assert bad.status_code == 422
    resp = client.submit(
        fees_url,
        {"rules": '[{"name": "partner", "percent": "2", "charged_to": "provider"}]', "reason": ""},
    )
    assert resp.status_code == 422  # a reason is required
    resp = client.submit(
        fees_url,
        {
            "rules": '[{"name": "partner", "percent": "2", "charged_to": "provider"}]',
            "reason": "Partner deal",
        },
    )
    assert resp.status_code == 303
    row = db.session.scalar(select(FeeOverride).where(FeeOverride.user_id == w.provider.id))
    assert row.rules[0]["name"] == "partner" and row.rules[0]["percent"] in ("2", "2.0000")
    [override] = actions("fees.override")
    assert override.before == {"rules": None} and override.after["rules"][0]["name"] == "partner"
    assert "partner" in client.get("/console/config/fees").text
    assert client.submit(fees_url, {"clear": "1", "reason": "Deal ended"}).status_code == 303
    assert db.session.scalar(select(FeeOverride)) is None
    [cleared] = actions("fees.clear")
    assert cleared.after == {"rules": None} and cleared.before["rules"][0]["name"] == "partner"


def test_orders_search_view_and_operator_transition(client, console_world, order_factory):
    w = console_world
    client.login(w.support)
    found = client.get("/console/orders?user=chen@example.com&state=pending_payment").text
    assert f'/console/orders/{w.order.id}"' in found
    assert f'/console/orders/{w.disputed_order.id}"' not in found
    assert f'/console/orders/{w.order.id}"' in client.get(f"/console/orders?id={w.order.id}").text
    assert (
        "No orders match." in client.get("/console/orders?since=2000-01-01&until=2000-01-02").text
    )
    assert "No orders match." in client.get("/console/orders?process=booking").text

    page = client.get(f"/console/orders/{w.disputed_order.id}")
    assert page.status_code == 200
    assert "Open a dispute" in page.text and "Paid into escrow" in page.text  # timeline, ledger
    assert "Resolve: refund the customer" in page.text  # an operator transition

    url = f"/console/orders/{w.order.id}/transitions/cancel"
    resp = client.submit(url, {"reason": ""})
    assert resp.status_code == 422 and "Give a reason" in resp.text
    resp = client.submit(url, {"reason": "Customer asked by phone", "expected_version": "999"})
    assert resp.status_code == 409
    resp = client.submit(url, {"reason": "Customer asked by phone"})
    assert resp.status_code == 303
    assert db.session.get(Order, w.order.id).state == "cancelled"
    [row] = actions("order.cancel")
    assert row.before["state"] == "pending_payment" and row.after["state"] == "cancelled"
    assert row.reason == "Customer asked by phone"
    assert any(n.context.get("order_id") == w.order.id for n in notes(w.customer))
    # the moderator has no business here
    client.login(w.moderator)
    assert client.submit(url, {"reason": "x"}).status_code == 403


def test_manual_payment_confirmation_and_ledger_pages(client, console_world):
    w = console_world
    client.login(w.finance)
    page = client.get("/console/payments")
    assert f"/console/payments/{w.payment.id}/confirm" in page.text
    resp = client.submit(f"/console/payments/{w.payment.id}/confirm")
    assert resp.status_code == 303
    db.session.expire_all()
    assert db.session.get(Order, w.order.id).state == "paid"
    [row] = actions("payment.confirm")
    assert row.before == {"status": "pending"} and row.after["status"] == "succeeded"
    assert "No bank transfer is waiting." in client.get("/console/payments").text
    resp = client.submit(f"/console/payments/{w.payment.id}/confirm")
    assert resp.status_code == 303  # already confirmed: a message, no second settlement
    assert len(actions("payment.confirm")) == 1

    check = client.get("/console/ledger/verify")
    assert check.status_code == 200 and "The ledger is sound." in check.text
    accounts = client.get("/console/ledger?kind=wallet").text
    assert f"/console/ledger/accounts/{w.account.id}" in accounts
    assert "No accounts match." in client.get("/console/ledger?kind=wallet&owner=nobody").text
    history = client.get(f"/console/ledger/accounts/{w.account.id}").text
    assert "deposit" in history


def test_ledger_check_shows_problems(client, console_world):
    w = console_world
    w.account.balance_amount += 1  # a cached balance that disagrees with its postings
    db.session.commit()
    client.login(w.finance)
    page = client.get("/console/ledger/verify")
    assert page.status_code == 200 and "1 problem found." in page.text
    assert "cached balance" in page.text


def test_audit_log_filters_and_csv(client, console_world):
    w = console_world
    client.login(w.moderator)
    client.submit(f"/console/listings/{w.pending_listing.id}/reject", {"reason": "=HYPERLINK(x)"})
    client.submit(f"/console/assign/verification/{w.verification.id}", {"assignee": "me"})
    client.login(w.support)
    page = client.get("/console/actions")
    assert "listing.reject" in page.text and "verification.assign" in page.text
    only = client.get("/console/actions?action=listing.").text
    assert "listing.reject" in only and "verification.assign</td>" not in only
    assert "listing.reject</td>" not in client.get(f"/console/actions?actor={w.admin.id}").text
    assert "listing.reject</td>" in client.get(f"/console/actions?user={w.provider.id}").text
    assert "No operator actions match." in client.get("/console/actions?since=2999-01-01").text

    resp = client.get("/console/actions.csv?action=listing.")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert len(rows) == 1
    assert rows[0]["action"] == "listing.reject"
    assert rows[0]["actor_email"] == w.moderator.email
    assert rows[0]["reason"] == "'=HYPERLINK(x)"  # never a live formula in a spreadsheet
    assert '"status": "pending"' in rows[0]["before"] and '"status": "draft"' in rows[0]["after"]


@pytest.mark.mk_config({"orders": {"sandbox_webhook_secret": "whsec-very-secret-value"}})
def test_configuration_views(client, user_factory):
    client.login(user_factory(roles=["admin"]))
    page = client.get("/console/config/plugins")
    assert page.status_code == 200
    assert "whsec-very-secret-value" not in page.text and "••••••" in page.text
    assert "[orders]" in page.text and "sandbox_webhook_secret" in page.text
    fees = client.get("/console/config/fees")
    assert fees.status_code == 200
    templates = client.get("/console/config/notifications")
    assert templates.status_code == 200
    assert "Your verification was approved" in templates.text
    assert 'lang="ru"' in templates.text and 'lang="zh-Hans"' in templates.text
    assert "operator_decision" in templates.text and "listing_rejected" in templates.text


def test_mask_hides_secrets():
    from marketplace_kit.web.console.config import MASK, mask

    masked = mask(
        {
            "url": "postgresql://app:hunter2@db/prod",
            "api_key": "k",
            "nested": {"client_secret": "s", "name": "ok"},
            "tokens": ["a", "b"],
            "empty_password": "",
        }
    )
    assert masked["url"] == f"postgresql://app:{MASK}@db/prod"
    assert masked["api_key"] == MASK and masked["nested"] == {"client_secret": MASK, "name": "ok"}
    assert masked["tokens"] == MASK and masked["empty_password"] == ""


def test_categories_and_webhooks_are_audited(client, console_world):
    w = console_world
    client.login(w.moderator)
    resp = client.submit("/console/categories", {"slug": "tools", "name_en": "Tools"})
    assert resp.status_code == 302
    [created] = actions("category.create")
    assert created.after["slug"] == "tools" and created.before == {}
    resp = client.submit(
        f"/console/categories/{w.category.id}", {"slug": "garden", "name_en": "Gardening"}
    )
    assert resp.status_code == 302
    [updated] = actions("category.update")
    assert updated.before["names"] == {"en": "Garden"}
    assert updated.after["names"] == {"en": "Gardening"}
    client.login(w.admin)
    resp = client.submit(f"/console/webhooks/{w.webhook.id}/delete")
    assert resp.status_code == 302
    [deleted] = actions("webhook.delete")
    assert deleted.before == {"url": "http://127.0.0.1:9/hook", "events": ["order_update"]}


def test_user_search_by_role_none(client, console_world):
    client.login(console_world.support)
    html = client.get("/console/users?role=none").text
    assert "Chen Wei" in html and "Ada Admin" not in html
    html = client.get("/console/users?role=admin").text
    assert "Ada Admin" in html and "Chen Wei" not in html
