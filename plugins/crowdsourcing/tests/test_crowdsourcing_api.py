"""The JSON API: tasks, sealed bids, award, milestones, problem+json errors."""

from __future__ import annotations

from marketplace_kit.core.ledger import service as ledger
from marketplace_kit.core.ledger.models import JournalEntry
from marketplace_kit.extensions import db
from marketplace_kit.money import Money

BASE = "/api/v1/crowdsourcing"


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_a_tender_end_to_end_with_sealed_bids_and_errors(
    client, people, api_token_factory, verify_ledger
):
    tok = {name: api_token_factory(people[name]) for name in ("client", "alice", "bob")}
    created = client.post(
        f"{BASE}/tasks",
        json={
            "kind": "tender",
            "title": "Write an API",
            "deadline": "2099-01-01T00:00:00+00:00",
            "budget_max": 50_000,
            "sealed": True,
            "skills": ["python", "flask"],
        },
        headers=auth(tok["client"]),
    )
    assert created.status_code == 201, created.json
    task_id = created.json["id"]
    assert created.json["skills"] == ["python", "flask"]
    bad = client.post(f"{BASE}/tasks", json={"kind": "tender"}, headers=auth(tok["client"]))
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"

    for name, amount in (("alice", 30_000), ("bob", 35_000)):
        resp = client.put(
            f"{BASE}/tasks/{task_id}/bid",
            json={"amount": amount, "days": 5, "proposal": f"{name} plan"},
            headers=auth(tok[name]),
        )
        assert resp.status_code == 200, resp.json
    seen_by_bob = client.get(f"{BASE}/tasks/{task_id}", headers=auth(tok["bob"])).json["bids"]
    assert [b["proposal"] for b in seen_by_bob] == ["bob plan"]
    assert client.get(f"{BASE}/tasks/{task_id}").json["bids"] == []
    assert client.get(f"{BASE}/tasks/{task_id}").json["bid_count"] == 2
    seen_by_client = client.get(f"{BASE}/tasks/{task_id}", headers=auth(tok["client"])).json
    alice_bid = next(b for b in seen_by_client["bids"] if b["proposal"] == "alice plan")

    refused = client.post(
        f"{BASE}/tasks/{task_id}/award", json={"bid_id": alice_bid["id"]}, headers=auth(tok["bob"])
    )
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    award = client.post(
        f"{BASE}/tasks/{task_id}/award",
        json={"bid_id": alice_bid["id"]},
        headers=auth(tok["client"]),
    )
    assert award.status_code == 201
    late_bid = client.put(
        f"{BASE}/tasks/{task_id}/bid",
        json={"amount": 1, "days": 1, "proposal": "x"},
        headers=auth(tok["bob"]),
    )
    assert late_bid.status_code == 409
    me = client.get(f"{BASE}/me", headers=auth(tok["bob"])).json
    assert me["bids"][0]["status"] == "declined" and me["left"] == 19

    award_id = award.json["id"]
    big = client.post(
        f"{BASE}/awards/{award_id}/milestones",
        json={"title": "Everything", "amount": 5_000_000},
        headers=auth(tok["client"]),
    ).json
    entries = db.session.query(JournalEntry).count()
    short = client.post(f"{BASE}/milestones/{big['id']}/fund", headers=auth(tok["client"]))
    assert short.status_code == 409 and short.json["type"].endswith("insufficient-funds")
    assert db.session.query(JournalEntry).count() == entries
    m = client.post(
        f"{BASE}/awards/{award_id}/milestones",
        json={"title": "Part one", "amount": 10_000},
        headers=auth(tok["client"]),
    ).json
    unfunded = client.post(
        f"{BASE}/milestones/{m['id']}/transitions",
        json={"name": "submit"},
        headers=auth(tok["alice"]),
    )
    assert unfunded.status_code == 409
    funded = client.post(f"{BASE}/milestones/{m['id']}/fund", headers=auth(tok["client"]))
    assert funded.json["state"] == "funded"
    done = client.post(
        f"{BASE}/milestones/{m['id']}/transitions",
        json={"name": "submit"},
        headers=auth(tok["alice"]),
    )
    assert done.json["state"] == "submitted"
    too_much = client.post(
        f"{BASE}/milestones/{m['id']}/transitions",
        json={"name": "release_part", "params": {"amount": 10_001, "remainder": "refund"}},
        headers=auth(tok["client"]),
    )
    assert too_much.status_code == 422 and "amount" in too_much.json["errors"]
    released = client.post(
        f"{BASE}/milestones/{m['id']}/transitions",
        json={"name": "release"},
        headers=auth(tok["client"]),
    )
    assert released.json["state"] == "released"
    assert ledger.balance_of("wallet", people["alice"], "USD") == Money(9_000, "USD")
    assert client.get(f"{BASE}/awards/{award_id}", headers=auth(tok["bob"])).status_code == 404


def test_contest_through_the_api(client, people, api_token_factory, verify_ledger):
    tok = {name: api_token_factory(people[name]) for name in ("client", "alice")}
    task = client.post(
        f"{BASE}/tasks",
        json={
            "kind": "contest",
            "title": "Name my cafe",
            "deadline": "2099-01-01T00:00:00+00:00",
            "selection_deadline": "2099-02-01T00:00:00+00:00",
            "prize_amount": 10_000,
        },
        headers=auth(tok["client"]),
    ).json
    entry = client.post(
        f"{BASE}/tasks/{task['id']}/entries",
        json={"note": "Bean There"},
        headers=auth(tok["alice"]),
    )
    assert entry.status_code == 201
    listed = client.get(f"{BASE}/tasks?kind=contest").json
    assert [t["id"] for t in listed] == [task["id"]]
    shortlisted = client.post(
        f"{BASE}/tasks/{task['id']}/shortlist",
        json={"entry_id": entry.json["id"]},
        headers=auth(tok["client"]),
    ).json
    assert shortlisted["guaranteed_at"] is not None
    assert (
        client.post(f"{BASE}/tasks/{task['id']}/cancel", headers=auth(tok["client"])).status_code
        == 409
    )
    won = client.post(
        f"{BASE}/tasks/{task['id']}/winners",
        json={"entry_ids": [entry.json["id"]]},
        headers=auth(tok["client"]),
    ).json
    assert won["state"] == "awarded"
    assert ledger.balance_of("wallet", people["alice"], "USD") == Money(9_000, "USD")


def test_openapi_documents_the_plugin(client):
    spec = client.get("/api/v1/openapi.json").json
    assert f"{BASE}/tasks" in spec["paths"]
    assert f"{BASE}/milestones/{{milestone_id}}/transitions" in spec["paths"]
