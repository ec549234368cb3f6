"""Every console URL, tried as every operator role, a normal user and anonymous.

The table below says which roles may open each console endpoint; the test
fails when an endpoint of the ``console`` blueprint is missing from it, so a
new console page cannot ship without being classified here.
"""

from __future__ import annotations

import pytest

ALL = frozenset({"admin", "moderator", "finance", "support"})
A = frozenset({"admin"})


def roles(*names: str) -> frozenset[str]:
    return A | set(names)


#: endpoint -> operator roles that may use it (everyone else: 403; anonymous: login)
ACCESS: dict[str, frozenset[str]] = {
    "console.index": ALL,
    "console.users": ALL,
    "console.user_detail": ALL,
    "console.user_fees": roles("finance"),
    "console.verification_queue": roles("moderator"),
    "console.verification_detail": roles("moderator"),
    "console.verification_document": roles("moderator"),
    "console.audit_log": roles("support"),
    "console.operator_actions": roles("support"),
    "console.operator_actions_csv": roles("support"),
    "console.invitations": roles("support"),
    "console.assign": roles("moderator"),  # tried on the listings queue
    "console.listing_queue": roles("moderator"),
    "console.listing_decision": roles("moderator"),
    "console.listing_bulk": roles("moderator"),
    "console.categories": roles("moderator"),
    "console.edit_category": roles("moderator"),
    "console.delete_category": roles("moderator"),
    "console.dispute_queue": roles("support"),
    "console.dispute_detail": roles("support"),
    "console.payout_queue": roles("finance"),
    "console.payout_decision": roles("finance"),
    "console.payout_bulk": roles("finance"),
    "console.orders": roles("support", "finance"),
    "console.order_detail": roles("support", "finance"),
    "console.order_transition": roles("support", "finance"),
    "console.payments": roles("finance"),
    "console.payment_confirm": roles("finance"),
    "console.ledger_accounts": roles("finance"),
    "console.ledger_account": roles("finance"),
    "console.ledger_verify": roles("finance"),
    "console.config_plugins": A,
    "console.config_fees": roles("finance"),
    "console.notification_templates": roles("support"),
    "console.webhook_list": A,
    "console.webhook_delete": A,
    "console.webhook_deliveries": A,
    "console.reports": roles("moderator", "support"),
    "console.reports_bulk_dismiss": roles("moderator", "support"),
    "console.report_target": roles("moderator", "support"),
    "console.moderation_log": roles("moderator", "support"),
    "console.stats": roles("finance"),
}

WHO = ("admin", "moderator", "finance", "support", "member", "anonymous")


def _ids(w) -> dict:
    return {
        "user_id": w.member.id,
        "request_id": w.verification.id,
        "name": "id_document",
        "queue": "listings",
        "item_id": w.pending_listing.id,
        "listing_id": w.pending_listing.id,
        "decision": "approve",
        "category_id": w.category.id,
        "dispute_id": w.dispute.id,
        "payout_id": w.payout.id,
        "order_id": w.disputed_order.id,
        "payment_id": w.payment.id,
        "account_id": w.account.id,
        "endpoint_id": w.webhook.id,
        "kind_name": "listing",
        "target_id": w.pending_listing.id,
    }


def _url(app, rule, ids) -> str:
    values = dict(ids)
    if rule.endpoint == "console.order_transition":
        values["name"] = "resolve_refund"
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **{k: values[k] for k in rule.arguments})


def _rules(app):
    return sorted(
        (r for r in app.url_map.iter_rules() if r.endpoint.startswith("console.")),
        key=lambda r: ("POST" in r.methods and "GET" not in r.methods, r.rule),
    )


def test_every_console_endpoint_is_in_the_table(app):
    endpoints = {r.endpoint for r in _rules(app)}
    assert endpoints - set(ACCESS) == set(), "classify the new console endpoints in ACCESS"
    assert set(ACCESS) - endpoints == set(), "ACCESS names endpoints that no longer exist"


def test_every_console_url_as_every_role(app, client, console_world):
    w = console_world
    users = {
        "admin": w.admin,
        "moderator": w.moderator,
        "finance": w.finance,
        "support": w.support,
        "member": w.member,
    }
    # GETs first (they change nothing), then POSTs with an empty form
    rules = _rules(app)
    ids = _ids(w)
    seen = 0
    for rule in rules:
        url = _url(app, rule, ids)
        allowed = ACCESS[rule.endpoint]
        post_only = "GET" not in rule.methods
        for who in WHO:
            if who == "anonymous":
                client.logout()
            else:
                client.login(users[who])
            resp = client.submit(url) if post_only else client.get(url)
            where = (rule.endpoint, url, who, resp.status_code)
            if who == "anonymous":
                assert resp.status_code in (302, 303), where
                assert resp.headers["Location"].startswith("/login?next="), where
            elif who in allowed:
                if post_only:
                    # the action ran or refused the empty form; never a 403 or a 500
                    assert resp.status_code in (200, 302, 303, 400, 404, 409, 422), where
                else:
                    assert resp.status_code == 200, where
            else:
                assert resp.status_code == 403, where
            seen += 1
    assert seen == len(rules) * len(WHO)


@pytest.mark.parametrize(
    "who,visible,hidden",
    [
        (
            "moderator",
            ["Listings pending approval", "Verification requests", "Categories"],
            ["Payout requests", "Open disputes", "Ledger", "Webhooks", "Plugins"],
        ),
        (
            "finance",
            ["Payout requests", "Ledger accounts", "Fee rules", "Bank transfers"],
            ["Listings pending approval", "Open disputes", "Webhooks", "Operator audit log"],
        ),
        (
            "support",
            ["Open disputes", "Orders", "Operator audit log", "Notification templates"],
            ["Payout requests", "Listings pending approval", "Ledger", "Fee rules"],
        ),
        (
            "admin",
            ["Payout requests", "Listings pending approval", "Webhooks", "Plugins and settings"],
            [],
        ),
    ],
)
def test_the_console_lists_only_permitted_sections(client, user_factory, who, visible, hidden):
    client.login(user_factory(roles=[who]))
    html = client.get("/console/").text
    for label in visible:
        assert label in html, label
    for label in hidden:
        assert label not in html, label


def test_a_member_gets_no_console_link(client, user_factory):
    client.login(user_factory())
    assert "/console/" not in client.get("/").text
    assert client.get("/console/").status_code == 403
