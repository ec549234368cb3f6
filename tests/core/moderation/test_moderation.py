"""Reports and moderation decisions through the service layer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace_kit import hookimpl
from marketplace_kit.builtin.moderation import LIFT_JOB
from marketplace_kit.core.db import utcnow
from marketplace_kit.core.listings import service as listings
from marketplace_kit.core.messaging import service as messaging
from marketplace_kit.core.moderation import service
from marketplace_kit.core.moderation.kinds import ReportKind
from marketplace_kit.core.moderation.models import ModerationDecision, Report
from marketplace_kit.core.notifications import service as notifications
from marketplace_kit.core.users.models import User
from marketplace_kit.errors import (
    Conflict,
    MarketplaceError,
    NotFound,
    PermissionDenied,
    PluginError,
    ValidationError,
)
from marketplace_kit.events import commit
from marketplace_kit.extensions import db
from marketplace_kit.jobs import run_periodic_now


def reports() -> int:
    return db.session.scalar(select(func.count(Report.id)))


@pytest.fixture
def people(user_factory):
    return {
        "alice": user_factory(display_name="Alice"),
        "bob": user_factory(display_name="Bob"),
        "carol": user_factory(display_name="Carol"),
        "mod": user_factory(display_name="Mod", roles=["moderator"]),
        "support": user_factory(display_name="Sam Support", roles=["support"]),
        "finance": user_factory(display_name="Fin", roles=["finance"]),
    }


@pytest.fixture
def message(people, listing_factory):
    listing = listing_factory(author=people["bob"], title="Bike")
    _conv, msg = messaging.start_conversation(people["alice"], listing=listing, body="Call me!")
    commit()
    return msg


def test_report_each_core_kind(people, listing_factory, message):
    listing = listing_factory(author=people["bob"], title="Fake watch")
    r1 = service.create_report(people["alice"], "listing", listing.id, "counterfeit", "Not real")
    r2 = service.create_report(people["alice"], "user", people["bob"].id, "fraud", "")
    r3 = service.create_report(people["bob"], "message", message.id, "spam", "")
    commit()
    assert (r1.target_user_id, r1.target_label, r1.status) == (
        people["bob"].id,
        "Fake watch",
        "open",
    )
    assert r2.target_user_id == people["bob"].id and r2.target_label == "Bob"
    assert r3.target_user_id == people["alice"].id and "Call me!" in r3.target_label
    assert [r.id for r in service.reports_by(people["alice"])] == [r2.id, r1.id]


def test_bad_reports_are_refused_and_save_nothing(people, listing_factory, message):
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    listing = listing_factory(author=bob)
    draft = listing_factory(author=bob, status="draft")
    cases = [
        (NotFound, (alice, "listing", 999_999, "spam")),
        (NotFound, (alice, "listing", 2**40, "spam")),
        (NotFound, (alice, "listing", draft.id, "spam")),  # others cannot see a draft
        (NotFound, (carol, "message", message.id, "spam")),  # not in that conversation
        (NotFound, (alice, "user", 0, "spam")),
        (ValidationError, (alice, "payout", 1, "spam")),  # unknown kind
        (ValidationError, (alice, "listing", listing.id, "because")),  # unknown reason
        (ValidationError, (alice, "listing", listing.id, "other")),  # "other" needs details
        (ValidationError, (bob, "listing", listing.id, "spam")),  # own listing
        (ValidationError, (bob, "user", bob.id, "spam")),  # oneself
        (ValidationError, (alice, "message", message.id, "spam")),  # own message
    ]
    for error, args in cases:
        with pytest.raises(error):
            service.create_report(*args)
        db.session.rollback()
    with pytest.raises(ValidationError):
        service.create_report(alice, "listing", listing.id, "spam", "x" * 2001)
    assert reports() == 0
    service.create_report(alice, "listing", listing.id, "spam")
    commit()
    with pytest.raises(Conflict):  # the same target twice while open
        service.create_report(alice, "listing", listing.id, "fraud", "again")
    db.session.rollback()
    assert reports() == 1


@pytest.mark.mk_config({"moderation": {"max_reports_per_hour": 2}})
def test_reporting_is_rate_limited(people, listing_factory):
    targets = [listing_factory(author=people["bob"]) for _ in range(3)]
    for listing in targets[:2]:
        service.create_report(people["alice"], "listing", listing.id, "spam")
    commit()
    with pytest.raises(MarketplaceError) as caught:
        service.create_report(people["alice"], "listing", targets[2].id, "spam")
    assert caught.value.status == 429
    db.session.rollback()
    assert reports() == 2
    # an hour later the allowance is back
    for row in db.session.scalars(select(Report)):
        row.created_at = utcnow() - timedelta(hours=1, minutes=1)
    commit()
    service.create_report(people["alice"], "listing", targets[2].id, "spam")


def test_queue_groups_reports_of_one_target_and_filters(people, listing_factory):
    listing = listing_factory(author=people["bob"])
    other = listing_factory(author=people["carol"])
    service.create_report(people["alice"], "listing", listing.id, "spam")
    service.create_report(people["carol"], "listing", listing.id, "fraud", "scam")
    service.create_report(people["alice"], "user", people["carol"].id, "harassment")
    service.create_report(people["bob"], "listing", other.id, "spam")
    commit()
    groups = service.queue(people["mod"])
    assert [(g.kind, g.target_id, g.count) for g in groups] == [
        ("listing", listing.id, 2),
        ("user", people["carol"].id, 1),
        ("listing", other.id, 1),
    ]
    assert groups[0].reasons == ["fraud", "spam"]
    assert [g.kind for g in service.queue(people["mod"], kind="user")] == ["user"]
    assert [g.target_id for g in service.queue(people["mod"], reason="fraud")] == [listing.id]
    service.assign(people["mod"], "listing", listing.id, people["support"].id)
    commit()
    mine = service.queue(people["support"], assigned_to=people["support"].id)
    assert [(g.target_id, g.count, g.assigned_to.id) for g in mine] == [
        (listing.id, 2, people["support"].id)
    ]
    assert len(service.queue(people["mod"], unassigned=True)) == 2
    with pytest.raises(ValidationError):  # finance does not handle reports
        service.assign(people["mod"], "listing", listing.id, people["finance"].id)
    for who in ("alice", "finance"):
        with pytest.raises(PermissionDenied):
            service.queue(people[who])


def test_hide_listing_decision_is_logged_closes_reports_and_tells_the_owner(
    people, listing_factory
):
    listing = listing_factory(author=people["bob"], title="Replica bag")
    service.create_report(people["alice"], "listing", listing.id, "counterfeit")
    service.create_report(people["carol"], "listing", listing.id, "counterfeit")
    commit()
    with pytest.raises(ValidationError) as caught:  # a reason is required
        service.decide(people["support"], "listing", listing.id, "hide", " ")
    assert "reason" in caught.value.errors
    db.session.rollback()
    decision = service.decide(
        people["support"], "listing", listing.id, "hide", "Counterfeit brand goods"
    )
    commit()
    assert listing.status == "hidden" and listing.moderation_note == "Counterfeit brand goods"
    assert (decision.operator_id, decision.before["status"], decision.after) == (
        people["support"].id,
        "published",
        {"status": "hidden"},
    )
    assert {r.status for r in service.reports_of_target("listing", listing.id)} == {"actioned"}
    with pytest.raises(NotFound):
        listings.get_listing(listing.id, people["alice"])
    assert listings.get_listing(listing.id, people["bob"]) is listing  # the owner
    assert listings.get_listing(listing.id, people["support"]) is listing  # operators
    (note,) = notifications.notifications_of(people["bob"])
    title, body = notifications.render(note)
    assert "Replica bag" in title and "Counterfeit brand goods" in body
    assert [d.id for d in service.notices_of(people["bob"])] == [decision.id]
    # hidden content cannot be reported again, and restoring brings it back
    with pytest.raises(NotFound):
        service.create_report(people["alice"], "listing", listing.id, "spam")
    db.session.rollback()
    service.decide(people["mod"], "listing", listing.id, "restore", "Brand confirmed it")
    commit()
    assert listing.status == "published"
    assert [d.action for d in service.decisions_for("listing", listing.id)] == ["restore", "hide"]


def test_suspension_ends_by_itself_and_support_cannot_suspend(people, listing_factory):
    bob = people["bob"]
    service.create_report(people["alice"], "user", bob.id, "harassment", "insults")
    commit()
    with pytest.raises(PermissionDenied):
        service.decide(people["support"], "user", bob.id, "suspend", "Harassment")
    db.session.rollback()
    with pytest.raises(ValidationError):
        service.decide(people["mod"], "user", bob.id, "hide", "Users cannot be hidden")
    db.session.rollback()
    with pytest.raises(ValidationError):
        service.decide(people["mod"], "user", bob.id, "suspend", "Harassment", days=0)
    db.session.rollback()
    decision = service.decide(people["mod"], "user", bob.id, "suspend", "Harassment", days=3)
    commit()
    assert not bob.is_active_account
    assert decision.until > utcnow() + timedelta(days=2, hours=23)
    (note,) = notifications.notifications_of(bob)
    assert "Harassment" in notifications.render(note)[1]
    assert run_periodic_now(LIFT_JOB) == 0
    decision.until = utcnow() - timedelta(seconds=1)
    commit()
    assert run_periodic_now(LIFT_JOB) == 1
    db.session.expire_all()
    assert db.session.get(User, bob.id).is_active_account
    assert db.session.get(ModerationDecision, decision.id).lifted_at is not None


def test_the_job_does_not_undo_a_later_manual_suspension(people):
    from marketplace_kit.core.users import accounts

    bob = people["bob"]
    decision = service.decide(people["mod"], "user", bob.id, "suspend", "Spam", days=1)
    commit()
    accounts.set_active(people["mod"], bob, True, reason="Appeal accepted")
    commit()
    accounts.set_active(people["mod"], bob, False, reason="Spam again, indefinitely")
    commit()
    decision.until = utcnow() - timedelta(seconds=1)
    commit()
    assert run_periodic_now(LIFT_JOB) == 0
    db.session.expire_all()
    assert not db.session.get(User, bob.id).is_active_account


def test_ban_is_permanent_and_hides_the_users_listings(people, listing_factory):
    bob = people["bob"]
    shown = listing_factory(author=bob)
    paused = listing_factory(author=bob, status="paused")
    closed = listing_factory(author=bob, status="closed")
    service.decide(people["mod"], "user", bob.id, "suspend", "First strike", days=1)
    commit()
    ban = service.decide(people["mod"], "user", bob.id, "ban", "Fraud ring")
    commit()
    assert (shown.status, paused.status, closed.status) == ("hidden", "hidden", "closed")
    assert ban.before["listings"] == {str(shown.id): "published", str(paused.id): "paused"}
    for d in db.session.scalars(select(ModerationDecision)):
        d.until = utcnow() - timedelta(days=1) if d.until else None
    commit()
    run_periodic_now(LIFT_JOB)
    db.session.expire_all()
    assert not db.session.get(User, bob.id).is_active_account  # the ban stays


def test_dismiss_and_bulk_dismiss(people, listing_factory):
    a = listing_factory(author=people["bob"])
    b = listing_factory(author=people["carol"])
    ra = service.create_report(people["alice"], "listing", a.id, "spam")
    service.create_report(people["carol"], "listing", a.id, "spam")
    rb = service.create_report(people["alice"], "listing", b.id, "spam")
    commit()
    with pytest.raises(ValidationError):
        service.bulk_dismiss(people["support"], [], "nothing wrong")
    db.session.rollback()
    decisions = service.bulk_dismiss(people["support"], [ra.id, rb.id, "x"], "Nothing wrong")
    commit()
    assert [d.action for d in decisions] == ["dismiss", "dismiss"]
    assert service.queue(people["mod"]) == []
    assert {r.status for r in db.session.scalars(select(Report))} == {"dismissed"}
    # a dismissal is not a notice and tells nobody
    assert service.notices_of(people["bob"]) == []
    assert notifications.notifications_of(people["bob"]) == []


class Widgets:
    """A plugin with its own reportable content (kept in memory for the test)."""

    def __init__(self):
        self.items = {1: {"owner": None, "text": "Buy followers", "hidden": False}}

    def _hide(self, item, reason):
        item["hidden"] = True
        return {"hidden": False}, {"hidden": True}

    @hookimpl
    def mk_register_report_kinds(self, app):
        return [
            ReportKind(
                name="widget",
                label="Widget",
                load=self.items.get,
                owner_id=lambda item: item["owner"],
                describe=lambda item: item["text"],
                hide=self._hide,
                restore=lambda item, before: ({}, {}),
                is_hidden=lambda item: item["hidden"],
            )
        ]


def test_a_plugin_registers_a_report_kind(app_factory, user_factory):
    widgets = Widgets()
    app = app_factory(extra_plugins=[widgets])
    with app.app_context():
        owner, reporter = user_factory(), user_factory()
        mod = user_factory(roles=["moderator"])
        widgets.items[1]["owner"] = owner.id
        report = service.create_report(reporter, "widget", 1, "spam")
        commit()
        assert report.target_label == "Buy followers"
        service.decide(mod, "widget", 1, "hide", "Selling fake followers")
        commit()
        assert widgets.items[1]["hidden"]
        (notice,) = service.notices_of(owner)
        assert notice.kind == "widget" and notice.reason == "Selling fake followers"


def test_a_duplicate_report_kind_stops_startup(app_factory):
    class Clash:
        @hookimpl
        def mk_register_report_kinds(self, app):
            return [ReportKind("user", "User", load=lambda i: None, owner_id=id, describe=str)]

    with pytest.raises(PluginError, match="duplicate report kind 'user'"):
        app_factory(extra_plugins=[Clash()])


def _parallel(app, fn, args_list):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    barrier = threading.Barrier(len(args_list))

    def worker(args):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                return fn(*args)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=len(args_list)) as pool:
        return list(pool.map(worker, args_list))


def _hide(operator_id: int, listing_id: int) -> str:
    try:
        service.decide(db.session.get(User, operator_id), "listing", listing_id, "hide", "Spam")
        commit()
    except (Conflict, ValidationError):
        db.session.rollback()
        return "refused"
    return "ok"


def _report(reporter_id: int, listing_id: int) -> str:
    try:
        service.create_report(db.session.get(User, reporter_id), "listing", listing_id, "spam")
        commit()
    except Conflict:
        db.session.rollback()
        return "refused"
    return "ok"


@pytest.mark.postgres_only("needs concurrent writers")
@pytest.mark.mk_config({"database": {"pool_size": 20}})
def test_concurrent_decisions_and_double_reports_act_once(app, people, listing_factory):
    listing = listing_factory(author=people["bob"])
    results = _parallel(app, _report, [(people["alice"].id, listing.id)] * 8)
    assert sorted(results) == ["ok"] + ["refused"] * 7
    operators = [people["mod"].id, people["support"].id] * 4
    results = _parallel(app, _hide, [(op, listing.id) for op in operators])
    assert sorted(results) == ["ok"] + ["refused"] * 7
    assert db.session.scalar(select(func.count(ModerationDecision.id))) == 1
    assert len(notifications.notifications_of(people["bob"])) == 1
