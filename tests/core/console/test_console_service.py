"""The console's core services without the web layer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from marketplace_kit.core.console import service as console
from marketplace_kit.core.console.models import OperatorAction, QueueAssignment
from marketplace_kit.errors import NotFound, PermissionDenied, ValidationError
from marketplace_kit.events import commit
from marketplace_kit.extensions import db


def test_record_keeps_who_what_when_and_jsonable_before_after(user_factory):
    op = user_factory(roles=["moderator", "support"])
    when = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    console.record(
        op,
        "thing.do",
        "thing",
        7,
        subject=op,
        reason="why",
        before={"at": when},
        after={"n": {1, 2}},
    )
    commit()
    row = db.session.scalar(select(OperatorAction))
    assert (row.actor_id, row.actor_roles, row.action) == (
        op.id,
        ["moderator", "support"],
        "thing.do",
    )
    assert (row.target_type, row.target_id, row.subject_user_id) == ("thing", "7", op.id)
    assert row.before == {"at": "2026-01-02T03:04:00+00:00"} and sorted(row.after["n"]) == [1, 2]
    assert row.created_at is not None


def test_assign_checks_queue_item_and_assignee(user_factory, listing_factory):
    mod = user_factory(roles=["moderator"])
    other_mod = user_factory(roles=["moderator"])
    finance = user_factory(roles=["finance"])
    member = user_factory()
    listing = listing_factory(status="pending")
    with pytest.raises(NotFound):
        console.assign(mod, "nonsense", listing.id, mod)
    with pytest.raises(NotFound):
        console.assign(mod, "listings", 10**6, mod)
    with pytest.raises(PermissionDenied):
        console.assign(finance, "listings", listing.id, finance)
    for wrong in (finance, member):
        with pytest.raises(ValidationError):
            console.assign(mod, "listings", listing.id, wrong)
    console.assign(mod, "listings", listing.id, other_mod)
    console.assign(mod, "listings", listing.id, mod)  # re-assign: still one row
    commit()
    assert [(a.assignee_id) for a in db.session.scalars(select(QueueAssignment))] == [mod.id]
    assert console.assignments("listings", [listing.id])[listing.id].id == mod.id
    console.assign(mod, "listings", listing.id, None)
    commit()
    assert db.session.scalar(select(QueueAssignment)) is None
    trail = [a.after["assignee_id"] for a in db.session.scalars(select(OperatorAction))]
    assert trail == [other_mod.id, mod.id, None]
    assert {u.id for u in console.eligible_assignees("listings")} >= {mod.id, other_mod.id}
    assert finance.id not in {u.id for u in console.eligible_assignees("listings")}


def test_clean_reason():
    assert console.clean_reason("  ok  ") == "ok"
    assert console.clean_reason("", required=False) == ""
    with pytest.raises(ValidationError):
        console.clean_reason("   ")
    with pytest.raises(ValidationError):
        console.clean_reason("x" * (console.MAX_REASON + 1))
