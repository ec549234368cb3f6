"""Reports through the pages, the console and the API: full cycles, permissions, bad input."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace_kit.core.messaging import service as messaging
from marketplace_kit.core.moderation import service
from marketplace_kit.core.moderation.models import ModerationDecision, Report
from marketplace_kit.core.notifications import service as notifications
from marketplace_kit.core.users.models import User
from marketplace_kit.events import commit
from marketplace_kit.extensions import db


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def auth(api_token_factory, user):
    return {"Authorization": f"Bearer {api_token_factory(user)}"}


@pytest.fixture
def people(user_factory):
    return {
        "alice": user_factory(display_name="Alice"),
        "bob": user_factory(display_name="Bob"),
        "carol": user_factory(display_name="Carol"),
        "moderator": user_factory(display_name="Mo", roles=["moderator"]),
        "support": user_factory(display_name="Sue", roles=["support"]),
        "finance": user_factory(display_name="Fi", roles=["finance"]),
        "admin": user_factory(display_name="Ad", roles=["admin"]),
    }


def report_via_page(client, user, kind, target_id, reason="spam", details=""):
    client.login(user)
    form = client.get(f"/report/{kind}/{target_id}")
    assert form.status_code == 200
    return client.submit(f"/report/{kind}/{target_id}", {"reason": reason, "details": details})


def decide_via_console(client, operator, kind, target_id, action, reason, **extra):
    client.login(operator)
    page = client.get(f"/console/reports/{kind}/{target_id}")
    assert page.status_code == 200
    return client.submit(
        f"/console/reports/{kind}/{target_id}",
        {"op": "decide", "action": action, "reason": reason, **extra},
    )


def test_listing_cycle_report_queue_hide_and_notice(client, people, listing_factory):
    listing = listing_factory(author=people["bob"], title="Rolex for 20 euro")
    client.login(people["alice"])
    page = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert f"/report/listing/{listing.id}" in page
    sent = report_via_page(client, people["alice"], "listing", listing.id, "counterfeit", "Fake")
    assert sent.status_code == 303
    report_via_page(client, people["carol"], "listing", listing.id, "fraud")
    # the queue groups both reports of the listing in one row
    client.login(people["moderator"])
    queue = client.get("/console/reports").get_data(as_text=True)
    assert queue.count(f"/console/reports/listing/{listing.id}") == 1 and "Rolex" in queue
    assert client.get("/console/reports?kind=listing&reason=fraud").status_code == 200
    assigned = client.submit(
        f"/console/reports/listing/{listing.id}", {"op": "assign", "assigned_to": "me"}
    )
    assert assigned.status_code == 303
    mine = client.get("/console/reports?assigned=me").get_data(as_text=True)
    assert "Rolex" in mine
    assert "Rolex" not in client.get("/console/reports?assigned=none").get_data(as_text=True)
    done = decide_via_console(
        client, people["moderator"], "listing", listing.id, "hide", "Counterfeit watches"
    )
    assert done.status_code == 303
    # hidden: gone for everyone else, shown as hidden to its owner and to operators
    client.login(people["alice"])
    assert client.get(f"/listings/{listing.id}").status_code == 404
    assert "20 euro" not in client.get("/listings/?q=Rolex").get_data(as_text=True)
    client.logout()
    assert client.get(f"/listings/{listing.id}").status_code == 404
    client.login(people["bob"])
    own = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert "Hidden by moderators: Counterfeit watches" in own
    notices = client.get("/account/moderation").get_data(as_text=True)
    assert "Counterfeit watches" in notices
    (note,) = notifications.notifications_of(people["bob"])
    assert note.event == "moderation_decision" and note.context["reason"] == "Counterfeit watches"
    client.login(people["support"])
    assert client.get(f"/listings/{listing.id}").status_code == 200
    log = client.get("/console/moderation-log").get_data(as_text=True)
    assert "Counterfeit watches" in log and "Mo" in log
    assert {r.status for r in db.session.scalars(select(Report))} == {"actioned"}
    client.login(people["alice"])
    assert "Moderators took action" in client.get("/account/reports").get_data(as_text=True)


def test_message_cycle_hide_for_everyone_but_sender_and_operators(
    client, people, listing_factory, api_token_factory
):
    listing = listing_factory(author=people["bob"])
    conv, msg = messaging.start_conversation(
        people["alice"],
        listing=listing,
        body="Pay me outside: evil@example.com",
        files=[("iban.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)],
    )
    messaging.send_message(conv, people["bob"], "No thanks")
    commit()
    client.login(people["bob"])
    attachment = f"/messages/{conv.id}/attachments/{msg.id}/0"
    assert client.get(attachment).status_code == 200
    view = client.get(f"/messages/{conv.id}").get_data(as_text=True)
    assert f"/report/message/{msg.id}" in view  # on the other person's message
    assert view.count("/report/message/") == 1  # not on one's own
    client.login(people["moderator"])
    assert client.get(f"/messages/{conv.id}").status_code == 404  # private until reported
    assert report_via_page(client, people["bob"], "message", msg.id, "fraud").status_code == 303
    # while the report is open, operators who handle reports may read (not write) the thread
    for role in ("moderator", "support"):
        client.login(people[role])
        thread = client.get(f"/messages/{conv.id}").get_data(as_text=True)
        assert "evil@example.com" in thread and "No thanks" in thread
        assert client.submit(f"/messages/{conv.id}", {"body": "hi"}).status_code in (403, 404)
    client.login(people["finance"])
    assert client.get(f"/messages/{conv.id}").status_code == 404
    done = decide_via_console(
        client, people["support"], "message", msg.id, "hide", "Off-platform payment"
    )
    assert done.status_code == 303
    client.login(people["bob"])
    view = client.get(f"/messages/{conv.id}").get_data(as_text=True)
    assert "evil@example.com" not in view and "No thanks" in view
    assert "iban.png" not in view and client.get(attachment).status_code == 404
    client.login(people["alice"])
    view = client.get(f"/messages/{conv.id}").get_data(as_text=True)
    assert "evil@example.com" not in view and "hidden by moderators" in view
    api = client.get(
        f"/api/v1/conversations/{conv.id}", headers=auth(api_token_factory, people["bob"])
    )
    bodies = [m["body"] for m in api.get_json()["messages"]]
    assert bodies == ["No thanks"]
    api = client.get(
        f"/api/v1/conversations/{conv.id}", headers=auth(api_token_factory, people["alice"])
    )
    first = api.get_json()["messages"][0]
    assert first["hidden_by_moderators"] and first["body"] == ""
    (note,) = [
        n
        for n in notifications.notifications_of(people["alice"])
        if n.event == "moderation_decision"
    ]
    assert note.context["reason"] == "Off-platform payment"
    # operators read the reported message in the console
    client.login(people["moderator"])
    target = client.get(f"/console/reports/message/{msg.id}").get_data(as_text=True)
    assert "evil@example.com" in target and "Hidden by moderators" in target
    assert client.get(f"/messages/{conv.id}").status_code == 404  # the report is closed


def test_user_cycle_suspend_and_ban(client, people, listing_factory):
    bob = people["bob"]
    bike = listing_factory(author=bob, title="Red bike")
    assert f"/listings/{bike.id}" in client.get("/listings/?q=bike").get_data(as_text=True)
    client.login(people["alice"])
    profile = client.get(f"/users/{bob.id}").get_data(as_text=True)
    assert f"/report/user/{bob.id}" in profile
    assert (
        report_via_page(
            client, people["alice"], "user", bob.id, "harassment", "Threats"
        ).status_code
        == 303
    )
    # support may not suspend: the console does not offer it and refuses it
    client.login(people["support"])
    page = client.get(f"/console/reports/user/{bob.id}").get_data(as_text=True)
    assert 'value="suspend"' not in page and 'value="warn"' in page
    refused = client.submit(
        f"/console/reports/user/{bob.id}", {"op": "decide", "action": "suspend", "reason": "x" * 5}
    )
    assert refused.status_code == 403
    assert db.session.get(User, bob.id).is_active_account
    done = decide_via_console(
        client, people["moderator"], "user", bob.id, "suspend", "Threatening buyers", days="14"
    )
    assert done.status_code == 303
    db.session.expire_all()
    assert not db.session.get(User, bob.id).is_active_account
    decision = db.session.scalars(select(ModerationDecision)).one()
    assert decision.action == "suspend" and decision.operator_id == people["moderator"].id
    assert decision.before == {"active": True} and decision.after["active"] is False
    (note,) = notifications.notifications_of(bob)
    title, body = notifications.render(note)
    assert "suspended" in title and "Threatening buyers" in body
    # the suspended user is signed out everywhere
    client.login(bob)
    assert client.get("/account").status_code in (302, 401, 403)
    ban = decide_via_console(client, people["admin"], "user", bob.id, "ban", "Repeated threats")
    assert ban.status_code == 303
    assert f"/listings/{bike.id}" not in client.get("/listings/?q=bike").get_data(as_text=True)


@pytest.mark.parametrize(
    "role, queue, hide, suspend",
    [
        (None, 403, 403, 403),
        ("finance", 403, 403, 403),
        ("support", 200, 303, 403),
        ("moderator", 200, 303, 303),
        ("admin", 200, 303, 303),
    ],
)
def test_console_permissions_per_role(
    client, user_factory, listing_factory, role, queue, hide, suspend
):
    owner, reporter = user_factory(), user_factory()
    operator = user_factory(roles=[role] if role else [])
    listing = listing_factory(author=owner)
    service.create_report(reporter, "listing", listing.id, "spam")
    service.create_report(reporter, "user", owner.id, "spam")
    commit()
    client.login(operator)
    assert client.get("/console/reports").status_code == queue
    assert client.get("/console/moderation-log").status_code == queue
    index = client.get("/console/")
    if index.status_code == 200:
        assert ("/console/reports" in index.get_data(as_text=True)) == (queue == 200)
    base = f"/console/reports/listing/{listing.id}"
    assert (
        client.submit(base, {"op": "decide", "action": "hide", "reason": "Spam"}).status_code
        == hide
    )
    resp = client.submit(
        f"/console/reports/user/{owner.id}", {"op": "decide", "action": "suspend", "reason": "Spam"}
    )
    assert resp.status_code == suspend


def test_console_bad_input_is_a_form_error(client, people, listing_factory):
    listing = listing_factory(author=people["bob"])
    service.create_report(people["alice"], "listing", listing.id, "spam")
    commit()
    client.login(people["moderator"])
    url = f"/console/reports/listing/{listing.id}"
    no_reason = client.submit(url, {"op": "decide", "action": "hide", "reason": ""})
    assert no_reason.status_code == 422 and "Give a reason" in no_reason.get_data(as_text=True)
    bad = client.submit(url, {"op": "decide", "action": "explode", "reason": "Because"})
    assert bad.status_code == 422
    unchosen = client.submit(url, {"op": "decide", "reason": "Because"})  # no default decision
    assert unchosen.status_code == 422 and "Must be one of" in unchosen.get_data(as_text=True)
    who = client.submit(url, {"op": "assign", "assigned_to": str(people["alice"].id)})
    assert who.status_code == 422 and "Choose an operator" in who.get_data(as_text=True)
    assert client.submit(url, {"op": "assign", "assigned_to": "abc"}).status_code == 422
    assert client.get("/console/reports/listing/999999").status_code == 404
    assert client.get("/console/reports/nonsense/1").status_code == 404
    assert client.get("/console/reports?status=bogus").status_code == 404
    assert count(ModerationDecision) == 0


def test_bulk_dismiss_in_the_console(client, people, listing_factory):
    a, b = listing_factory(author=people["bob"]), listing_factory(author=people["carol"])
    ra = service.create_report(people["alice"], "listing", a.id, "spam")
    rb = service.create_report(people["alice"], "listing", b.id, "spam")
    commit()
    client.login(people["support"])
    missing = client.submit("/console/reports/dismiss", {"report_ids": [ra.id], "reason": ""})
    assert missing.status_code == 303 and count(ModerationDecision) == 0
    ok = client.submit("/console/reports/dismiss", {"report_ids": [ra.id, rb.id], "reason": "Fine"})
    assert ok.status_code == 303
    assert count(ModerationDecision) == 2
    assert "No reports here." in client.get("/console/reports").get_data(as_text=True)


def test_report_page_bad_input(client, people, listing_factory):
    listing = listing_factory(author=people["bob"])
    client.login(people["alice"])
    assert client.get("/report/listing/999999").status_code == 404
    assert client.get("/report/review/1").status_code == 404
    empty = client.submit(f"/report/listing/{listing.id}", {"reason": "", "details": ""})
    assert empty.status_code == 422
    other = client.submit(f"/report/listing/{listing.id}", {"reason": "other", "details": ""})
    assert other.status_code == 422 and "Tell us what is wrong." in other.get_data(as_text=True)
    assert report_via_page(client, people["alice"], "listing", listing.id).status_code == 303
    again = client.submit(f"/report/listing/{listing.id}", {"reason": "spam"})
    assert again.status_code == 409 and "already reported" in again.get_data(as_text=True)
    client.login(people["bob"])
    own = client.submit(f"/report/listing/{listing.id}", {"reason": "spam"})
    assert own.status_code == 422 and "your own" in own.get_data(as_text=True)
    client.logout()
    assert client.get(f"/report/listing/{listing.id}").status_code == 302  # sign in first
    assert count(Report) == 1


def test_reports_api(client, people, listing_factory, api_token_factory):
    listing = listing_factory(author=people["bob"])
    alice = auth(api_token_factory, people["alice"])
    bad = [
        ({"kind": "listing", "target_id": 999999, "reason": "spam"}, 404),
        ({"kind": "listing", "target_id": "x", "reason": "spam"}, 422),
        ({"kind": "nope", "target_id": listing.id, "reason": "spam"}, 422),
        ({"kind": "listing", "target_id": listing.id, "reason": "meh"}, 422),
        ({"kind": "user", "target_id": people["alice"].id, "reason": "spam"}, 422),
        ({"kind": "listing", "target_id": 2**63, "reason": "spam"}, 404),
    ]
    for body, status in bad:
        resp = client.post("/api/v1/reports", json=body, headers=alice)
        assert resp.status_code == status, body
        assert resp.content_type == "application/problem+json"
    created = client.post(
        "/api/v1/reports",
        json={"kind": "listing", "target_id": listing.id, "reason": "fraud", "details": "Scam"},
        headers=alice,
    )
    assert created.status_code == 201 and created.get_json()["status"] == "open"
    dup = {"kind": "listing", "target_id": listing.id, "reason": "spam"}
    assert client.post("/api/v1/reports", json=dup, headers=alice).status_code == 409
    assert [r["id"] for r in client.get("/api/v1/reports/mine", headers=alice).get_json()] == [
        created.get_json()["id"]
    ]
    assert client.post("/api/v1/reports", json=dup).status_code == 401
    # operators
    assert client.get("/api/v1/operator/reports", headers=alice).status_code == 403
    finance = auth(api_token_factory, people["finance"])
    assert client.get("/api/v1/operator/reports", headers=finance).status_code == 403
    mod = auth(api_token_factory, people["moderator"])
    (group,) = client.get("/api/v1/operator/reports?kind=listing", headers=mod).get_json()
    assert (group["target_id"], group["count"], group["target_user_id"]) == (
        listing.id,
        1,
        people["bob"].id,
    )
    url = f"/api/v1/operator/reports/listing/{listing.id}"
    assert client.post(f"{url}/decision", json={"action": "hide"}, headers=mod).status_code == 422
    assert (
        client.post(
            f"{url}/decision", json={"action": "hide", "reason": "Scam"}, headers=alice
        ).status_code
        == 403
    )
    assigned = client.post(
        f"{url}/assign", json={"assigned_to": people["moderator"].id}, headers=mod
    )
    assert (
        assigned.status_code == 200
        and assigned.get_json()[0]["assigned_to_id"] == people["moderator"].id
    )
    decided = client.post(
        f"{url}/decision", json={"action": "hide", "reason": "Scam listing"}, headers=mod
    )
    assert decided.status_code == 201
    assert decided.get_json()["after"] == {"status": "hidden"}
    assert client.get("/api/v1/operator/reports", headers=mod).get_json() == []
    closed = client.get("/api/v1/operator/reports?status=actioned", headers=mod).get_json()
    assert closed[0]["reports"][0]["decision_id"] == decided.get_json()["id"]
    bob = auth(api_token_factory, people["bob"])
    (notice,) = client.get("/api/v1/moderation/notices", headers=bob).get_json()
    assert notice["reason"] == "Scam listing" and notice["action"] == "hide"
    assert client.get(f"/api/v1/listings/{listing.id}", headers=alice).status_code == 404
    nothing = {"action": "dismiss", "reason": "Nothing"}
    assert client.post(f"{url}/decision", json=nothing, headers=mod).status_code == 409
    gone = "/api/v1/operator/reports/listing/999999/decision"
    assert client.post(gone, json=nothing, headers=mod).status_code == 404
    assert (
        client.post(gone.replace("listing", "nope"), json=nothing, headers=mod).status_code == 422
    )
