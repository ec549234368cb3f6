"""The dispute queue's text search and the CSV export of every console queue: the rows are
those of the page (same filters), formula-like cells are defused, and only the roles that
may open the queue may download it."""

from __future__ import annotations

import csv
import io
import re

import pytest

from marketplace_kit.core.console import service as console
from marketplace_kit.core.disputes.service import add_message, dispute_of
from marketplace_kit.core.moderation import service as moderation
from marketplace_kit.core.orders import engine
from marketplace_kit.events import commit
from marketplace_kit.extensions import db


def rows(resp) -> list[dict[str, str]]:
    assert resp.status_code == 200, resp.text[:500]
    assert resp.mimetype == "text/csv"
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    return list(csv.DictReader(io.StringIO(resp.text)))


def linked_ids(html: str, path: str) -> list[int]:
    return [int(x) for x in re.findall(rf'href="/console/{path}/(\d+)"', html)]


@pytest.fixture
def disputes(console_world, user_factory, listing_factory, fund_wallet, order_factory):
    """``console_world`` plus two more disputes, one with a message of the provider."""
    w = console_world
    buyer = user_factory(display_name="Zoë Quill", email="zoe.quill@example.org")
    seller = user_factory(display_name="Kettle & Co", email="sales@kettle.example")
    listing = listing_factory(author=seller, title="Copper kettle", price_amount=3000, quantity=9)
    fund_wallet(buyer, 20000)
    found = []
    for reason in ("The lid is DENTED.", "Wrong colour: 100%_green"):
        order = order_factory(customer=buyer, listing=listing)
        engine.transition(order, "pay_from_wallet", buyer)
        engine.transition(order, "open_dispute", buyer, {"reason": reason})
        commit()
        found.append(order)
    add_message(found[0], seller, "We shipped it with bubble wrap, see the Photo.")
    commit()
    w.buyer, w.seller = buyer, seller
    w.dented, w.colour = (dispute_of(o) for o in found)
    return w


def test_dispute_search_matches_reason_messages_order_and_parties(client, disputes):
    w = disputes
    client.login(w.support)

    def found(q: str, **extra) -> set[int]:
        resp = client.get("/console/disputes", query_string={"q": q, **extra})
        assert resp.status_code == 200, (q, resp.status_code)
        return set(linked_ids(resp.text, "disputes"))

    everything = {w.dispute.id, w.dented.id, w.colour.id}
    assert found("") == everything
    assert found("dented") == {w.dented.id}  # the reason, case-insensitively
    assert found("BUBBLE WRAP") == {w.dented.id}  # a message of the dispute
    assert found(str(w.colour.order_id)) == {w.colour.id}  # the order id
    assert found(f"#{w.dispute.order_id}") == {w.dispute.id}
    assert found("zoe.quill@") == {w.dented.id, w.colour.id}  # the customer's email
    assert found("kettle & co") == {w.dented.id, w.colour.id}  # the provider's name
    assert found("chen wei") == {w.dispute.id}
    assert found("broken") == {w.dispute.id}
    assert found("nothing like this") == set()
    # LIKE wildcards are literal; quotes are just text
    assert found("100%_green") == {w.colour.id}
    assert found("%") == {w.colour.id}
    assert found("_") == {w.colour.id}
    assert found("' OR 1=1 --") == set()
    # combined with the other filters
    console.assign(w.support, "disputes", w.colour.id, w.support)
    commit()
    assert found("zoe", assignee="me") == {w.colour.id}
    assert found("zoe", assignee="unassigned") == {w.dented.id}
    assert found("broken", status="resolved") == set()
    # the field keeps what was searched
    assert 'value="dented"' in client.get("/console/disputes?q=dented").text


@pytest.mark.parametrize("q", ["x" * 201, "tab\there", "bell\x07"])
def test_a_bad_dispute_search_is_a_form_error(client, disputes, q):
    client.login(disputes.support)
    for url in ("/console/disputes", "/console/disputes.csv"):
        resp = client.get(url, query_string={"q": q})
        assert resp.status_code == 400, url
        assert 'id="q-errors"' in resp.text and 'aria-invalid="true"' in resp.text


def test_a_nul_byte_in_the_search_is_refused_before_the_query(client, disputes):
    client.login(disputes.support)
    # the app refuses NUL bytes in any request (PostgreSQL could not even compare them)
    assert client.get("/console/disputes", query_string={"q": "a\x00b"}).status_code == 422


def test_dispute_csv_matches_the_filtered_queue(client, disputes):
    w = disputes
    client.login(w.support)
    page = client.get("/console/disputes?q=zoe").text
    assert 'href="/console/disputes.csv?q=zoe"' in page and "Download as CSV" in page
    got = rows(client.get("/console/disputes.csv?q=zoe"))
    assert [int(r["id"]) for r in got] == linked_ids(page, "disputes") == [w.dented.id, w.colour.id]
    first = got[0]
    assert first["order_id"] == str(w.dented.order_id)
    assert (first["order_total"], first["currency"]) == ("3000", "USD")
    assert first["customer_email"] == "zoe.quill@example.org"
    assert first["provider_email"] == "sales@kettle.example"
    assert first["reason"] == "The lid is DENTED."
    assert first["status"] == "open"
    everything = rows(client.get("/console/disputes.csv?status=all"))
    assert {int(r["id"]) for r in everything} == {w.dispute.id, w.dented.id, w.colour.id}


def test_queue_csvs_match_their_pages(client, console_world, listing_factory, user_factory):
    w = console_world
    listing_factory(author=w.provider, title="Pending mug", status="pending")
    reported = listing_factory(author=w.provider, title="Suspicious soap")
    reporter = user_factory(display_name="Rita Reporter")
    moderation.create_report(reporter, "listing", reported.id, "spam")
    moderation.create_report(reporter, "user", w.provider.id, "spam")
    commit()
    client.login(w.admin)

    # verification
    got = rows(client.get("/console/verification.csv"))
    assert [(int(r["id"]), r["user_email"], r["kind"], r["status"]) for r in got] == [
        (w.verification.id, "chen@example.com", "identity", "pending")
    ]
    assert rows(client.get("/console/verification.csv?kind=business")) == []
    assert rows(client.get("/console/verification.csv?status=approved")) == []

    # listings: the search filter is honoured
    got = rows(client.get("/console/listings.csv"))
    assert [r["title"] for r in got] == ["Pending teapot", "Pending mug"]
    assert got[0]["author_email"] == "bright@example.com" and got[0]["status"] == "pending"
    assert [r["title"] for r in rows(client.get("/console/listings.csv?q=mug"))] == ["Pending mug"]
    published = rows(client.get("/console/listings.csv?status=published"))
    assert [r["title"] for r in published] == ["Oolong tea", "Suspicious soap"]

    # payouts
    got = rows(client.get("/console/payouts.csv"))
    assert [(int(r["id"]), r["amount"], r["currency"], r["user_email"]) for r in got] == [
        (w.payout.id, "2500", "USD", "bright@example.com")
    ]
    assert rows(client.get("/console/payouts.csv?q=nobody-like-this")) == []
    assert rows(client.get("/console/payouts.csv?status=paid")) == []

    # reports: one row per reported target
    got = rows(client.get("/console/reports.csv"))
    assert sorted((r["kind"], int(r["target_id"]), r["reports"]) for r in got) == sorted(
        [("listing", reported.id, "1"), ("user", w.provider.id, "1")]
    )
    assert [r["kind"] for r in rows(client.get("/console/reports.csv?kind=user"))] == ["user"]
    assert rows(client.get("/console/reports.csv?status=dismissed")) == []

    # orders search
    page = client.get("/console/orders?user=chen").text
    got = rows(client.get("/console/orders.csv?user=chen"))
    assert [int(r["id"]) for r in got] == linked_ids(page, "orders")
    assert {int(r["id"]) for r in got} == {w.order.id, w.disputed_order.id}
    assert {r["customer_email"] for r in got} == {"chen@example.com"}
    got = rows(client.get(f"/console/orders.csv?id={w.order.id}"))
    assert [(int(r["id"]), r["state"]) for r in got] == [(w.order.id, w.order.state)]
    assert rows(client.get("/console/orders.csv?id=abc")) == []

    # users search
    got = rows(client.get("/console/users.csv?q=bright"))
    assert [(r["email"], r["display_name"]) for r in got] == [
        ("bright@example.com", "Bright Clean Ltd")
    ]
    finance = rows(client.get("/console/users.csv?role=finance"))
    assert [r["email"] for r in finance] == [w.finance.email]
    assert finance[0]["roles"] == "finance" and finance[0]["status"] == "active"


@pytest.mark.parametrize(
    "page,csv_url",
    [
        ("/console/verification", "/console/verification.csv?status=pending&kind=identity"),
        ("/console/listings", "/console/listings.csv?status=pending&q=tea"),
        ("/console/payouts", "/console/payouts.csv?q=bright"),
        ("/console/reports", "/console/reports.csv?status=open"),
        ("/console/orders", "/console/orders.csv?user=chen"),
        ("/console/users", "/console/users.csv?q=chen"),
    ],
)
def test_every_queue_links_its_csv_with_the_current_filters(client, console_world, page, csv_url):
    client.login(console_world.admin)
    query = csv_url.split("?", 1)[1]
    html = client.get(f"{page}?{query}").text
    assert f'href="{csv_url.replace("&", "&amp;")}"' in html, html[:3000]
    assert "Download as CSV" in html


def test_formula_cells_are_defused(client, console_world, listing_factory):
    w = console_world
    listing_factory(author=w.provider, title="=HYPERLINK(1)", status="pending")
    w.provider.display_name = "@SUM(A1)"
    db.session.commit()
    client.login(w.admin)
    assert "'=HYPERLINK(1)" in [r["title"] for r in rows(client.get("/console/listings.csv"))]
    assert [r["display_name"] for r in rows(client.get("/console/users.csv?q=bright"))] == [
        "'@SUM(A1)"
    ]
    assert [r["user_name"] for r in rows(client.get("/console/payouts.csv"))] == ["'@SUM(A1)"]
