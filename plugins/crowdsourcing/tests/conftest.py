"""Every test runs with the crowdsourcing plugin enabled and a fixed fee table."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace_kit.core.db import utcnow

FEES = {
    "fees": {
        "rules": [
            {
                "name": "Contest posting fee",
                "listing_type": "crowdsourcing_contest",
                "percent": 5,
                "charged_to": "customer",
            },
            {"name": "Provider commission", "percent": 10, "charged_to": "provider"},
        ]
    }
}


@pytest.fixture
def mk_plugins():
    return ["crowdsourcing"]


@pytest.fixture
def mk_config():
    return FEES


@pytest.fixture
def people(user_factory, fund_wallet):
    client = user_factory(display_name="Client")
    fund_wallet(client, 1_000_000)
    return {
        "client": client,
        "alice": user_factory(display_name="Alice"),
        "bob": user_factory(display_name="Bob"),
        "carol": user_factory(display_name="Carol"),
    }


@pytest.fixture(autouse=True)
def verify_ledger(app):
    """Every scenario ends with a sound ledger."""
    yield
    from marketplace_kit.core.ledger import service as ledger

    assert ledger.verify() == []


@pytest.fixture
def post(people, verify_ledger):
    from marketplace_kit_crowdsourcing import service

    from marketplace_kit.events import commit

    def make(kind="tender", client=None, **kw):
        now = utcnow()
        args = {
            "title": kw.pop("title", "A task to do"),
            "description": "Details",
            "deadline": now + timedelta(days=7),
        }
        if kind == "tender":
            args.update(budget_min=10_000, budget_max=50_000)
        else:
            args.update(prize_amount=10_000, selection_deadline=now + timedelta(days=14))
        args.update(kw)
        task = service.post_task(client or people["client"], kind=kind, **args)
        commit()
        return task

    return make


@pytest.fixture
def award(post, people):
    """A tender awarded to alice (30,000, 10 days)."""
    from marketplace_kit_crowdsourcing import service

    from marketplace_kit.events import commit

    task = post()
    bid = service.place_bid(task, people["alice"], amount=30_000, days=10, proposal="Plan")
    commit()
    result = service.award_bid(task, people["client"], bid)
    commit()
    return result
