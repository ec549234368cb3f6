"""Pages: browse and filters, posting, the task page (sealed/blind), bids, award, milestone board."""

from __future__ import annotations

import io
import re

from marketplace_kit_crowdsourcing import service
from marketplace_kit_crowdsourcing.models import Bid, Task

from marketplace_kit.core.ledger import service as ledger
from marketplace_kit.events import commit
from marketplace_kit.extensions import db
from marketplace_kit.money import Money


def html(resp):
    return resp.get_data(as_text=True)


def test_browse_filters_by_kind_skill_budget_and_keywords(client, post, people):
    post(title="Logo for a bakery", skills="logo, branding", budget_max=40_000)
    post(title="Build a shop", skills="python", budget_min=100_000, budget_max=200_000)
    post("contest", title="Poster contest", prize_amount=20_000, skills="poster")
    page = html(client.get("/tasks"))
    assert all(t in page for t in ("Logo for a bakery", "Build a shop", "Poster contest"))

    def titles(query):
        found = html(client.get(f"/tasks?{query}"))
        return {t for t in ("Logo for a bakery", "Build a shop", "Poster contest") if t in found}

    assert titles("kind=contest") == {"Poster contest"}
    assert titles("skill=python") == {"Build a shop"}
    assert titles("budget_min=500") == {"Build a shop"}
    assert titles("budget_max=300") == {"Logo for a bakery", "Poster contest"}
    assert titles("q=bakery") == {"Logo for a bakery"}
    assert client.get("/tasks?budget_min=abc&deadline_before=nope").status_code == 200


def test_posting_a_task_through_the_form_with_errors_next_to_fields(client, people):
    client.login(people["client"])
    bad = client.submit(
        "/tasks/new",
        {"kind": "tender", "title": "Tiny", "deadline": "2000-01-01T10:00", "budget_max": "10"},
    )
    assert bad.status_code == 422
    assert re.search(r'id="deadline-errors"', html(bad))
    assert db.session.query(Task).count() == 0
    ok = client.submit(
        "/tasks/new",
        {
            "kind": "tender",
            "title": "Paint a fence",
            "description": "Twenty metres",
            "deadline": "2099-01-01T10:00",
            "budget_min": "50",
            "budget_max": "120",
            "skills": "painting",
            "sealed": "y",
        },
    )
    assert ok.status_code == 302
    task = db.session.query(Task).one()
    assert (task.budget_min, task.budget_max, task.sealed) == (5_000, 12_000, True)
    assert task.listing.status == "published"


def test_sealed_bids_never_show_on_other_providers_pages(client, post, people):
    task = post(sealed=True)
    service.place_bid(task, people["alice"], amount=12_345, days=3, proposal="Alice's secret plan")
    commit()
    for viewer in (None, people["bob"]):
        if viewer:
            client.login(viewer)
        page = html(client.get(f"/tasks/{task.id}"))
        assert "Alice's secret plan" not in page and "123.45" not in page
        assert "1 bid" in page
    client.login(people["client"])
    assert "Alice&#39;s secret plan" in html(client.get(f"/tasks/{task.id}"))


def test_bid_award_and_milestone_board_through_pages(client, post, people):
    task = post()
    client.login(people["alice"])
    bad = client.submit(f"/tasks/{task.id}/bid", {"amount": "-3", "days": "2", "proposal": "x"})
    assert bad.status_code == 422 and 'id="amount-errors"' in html(bad)
    ok = client.submit(f"/tasks/{task.id}/bid", {"amount": "150", "days": "2", "proposal": "Me"})
    assert ok.status_code == 302
    bid = db.session.query(Bid).one()
    client.login(people["bob"])
    assert client.submit(f"/tasks/{task.id}/award", {"bid_id": bid.id}).status_code == 403
    client.login(people["client"])
    assert client.submit(f"/tasks/{task.id}/award", {"bid_id": bid.id}).status_code == 302
    award = service.awards_of(task)[0]
    board = f"/awards/{award.id}"
    assert (
        client.submit(f"{board}/milestones", {"title": "All", "amount": "100"}).status_code == 302
    )
    m = award.milestones[0]
    assert client.submit(f"/milestones/{m.id}/fund").status_code == 302
    client.login(people["alice"])
    upload = (io.BytesIO(b"the work"), "work.txt")
    resp = client.submit(f"/milestones/{m.id}/act", {"transition": "submit", "files": upload})
    assert resp.status_code == 302
    client.login(people["client"])
    page = html(client.get(board))
    assert "work.txt (visible on release)" in page
    too_much = client.submit(
        f"/milestones/{m.id}/act",
        {"transition": "release_part", "amount": "500", "remainder": "refund"},
    )
    assert too_much.status_code == 422 and 'id="amount-errors"' in html(too_much)
    assert client.submit(f"/milestones/{m.id}/act", {"transition": "release"}).status_code == 302
    db.session.expire_all()
    assert ledger.balance_of("wallet", people["alice"], "USD") == Money(9_000, "USD")
    link = re.search(r'href="(/deliverables/\d+)"', html(client.get(board))).group(1)
    assert client.get(link).data == b"the work"
    client.login(people["bob"])
    assert client.get(link).status_code == 404
    assert client.get(board).status_code == 404
    client.login(people["alice"])
    mine = html(client.get("/tasks/mine"))
    assert "A task to do" in mine and "Awarded" in mine


def test_contest_pages_blind_entries_and_winners(client, post, people):
    task = post("contest", sealed=True)
    client.login(people["alice"])
    resp = client.submit(
        f"/tasks/{task.id}/entries",
        {"note": "Alice's design", "files": (io.BytesIO(b"png"), "design.png")},
    )
    assert resp.status_code == 302
    client.login(people["bob"])
    assert "Alice&#39;s design" not in html(client.get(f"/tasks/{task.id}"))
    client.login(people["client"])
    page = html(client.get(f"/tasks/{task.id}"))
    assert "Alice&#39;s design" in page
    entry_id = int(re.search(r'name="entry_id" value="(\d+)"', page).group(1))
    assert client.submit(f"/tasks/{task.id}/winners", {"entry_id": entry_id}).status_code == 302
    db.session.expire_all()
    assert task.state == "awarded"


def test_listing_page_links_to_the_task(client, post):
    task = post()
    assert f"/tasks/{task.id}" in html(client.get(f"/listings/{task.listing_id}"))


def test_open_tasks_are_in_the_sitemap(client, post):
    open_task, cancelled = post(), post()
    service.cancel_task(cancelled, cancelled.client)
    commit()
    xml = html(client.get("/sitemap.xml"))
    assert f"/tasks/{open_task.id}</loc>" in xml and f"/tasks/{cancelled.id}</loc>" not in xml


def test_pages_do_not_query_once_per_bid_or_task(app, client, post, people, user_factory):
    from marketplace_kit.testing import count_queries

    task = post()

    def counts():
        with count_queries(app) as task_log:
            assert client.get(f"/tasks/{task.id}").status_code == 200
        with count_queries(app) as browse_log:
            assert client.get("/tasks").status_code == 200
        return len(task_log), len(browse_log)

    for name in ("alice", "bob"):
        service.place_bid(task, people[name], amount=1000, days=1, proposal="p")
    post()
    commit()
    few = counts()
    for _ in range(6):
        service.place_bid(task, user_factory(), amount=1000, days=1, proposal="p")
        post()
    commit()
    assert counts() == few
