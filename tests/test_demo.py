"""`marketplace-kit demo` builds a migrated, seeded database and prints logins."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import func, select

from marketplace_kit.cli import main
from marketplace_kit.demo import demo_plugins


def test_demo_excludes_plugins_that_opt_out():
    assert "sample" not in demo_plugins()


def test_demo_builds_and_seeds_without_serving(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("MARKETPLACE_CONFIG", raising=False)
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    result = CliRunner().invoke(main, ["demo", "--no-serve", "--database", url, "--port", "5099"])
    assert result.exit_code == 0, result.output
    assert "demo marketplace ready: http://127.0.0.1:5099/" in result.output
    assert "admin@demo.example  password: demo-password-1" in result.output

    import sqlalchemy as sa

    from marketplace_kit.core.users.models import User

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(User.__table__)) >= 3
        assert conn.scalar(sa.text("select count(*) from alembic_version")) >= 1
    engine.dispose()


def test_demo_seeds_notifications(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("MARKETPLACE_CONFIG", raising=False)
    from marketplace_kit.demo import build_demo

    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    app, _logins = build_demo(None, database_url=url, seed=1, port=5098, host="127.0.0.1")
    from marketplace_kit.core.notifications import service
    from marketplace_kit.core.users.models import User
    from marketplace_kit.extensions import db

    with app.app_context():
        provider = db.session.scalars(
            select(User).where(User.email == "provider@demo.example")
        ).one()
        events = {n.event for n in service.notifications_of(provider)}
        assert {"verification_decided", "payout_paid"} <= events
        assert service.unread_count(provider) >= 2


def test_demo_fills_the_console_queues(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("MARKETPLACE_CONFIG", raising=False)
    from marketplace_kit.demo import build_demo

    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    app, _logins = build_demo(None, database_url=url, seed=1, port=5097, host="127.0.0.1")
    from marketplace_kit.core.console.models import OperatorAction
    from marketplace_kit.core.disputes.models import Dispute
    from marketplace_kit.core.listings.models import Listing
    from marketplace_kit.core.payments.models import Payment, PayoutRequest
    from marketplace_kit.core.users.models import User
    from marketplace_kit.extensions import db

    with app.app_context():
        assert db.session.scalars(select(Listing).where(Listing.status == "pending")).first()
        assert db.session.scalars(select(Dispute).where(Dispute.status == "open")).first()
        assert db.session.scalars(
            select(PayoutRequest).where(PayoutRequest.status == "requested")
        ).first()
        assert db.session.scalars(
            select(Payment).where(Payment.provider == "manual", Payment.status == "pending")
        ).first()
        assert db.session.scalars(select(OperatorAction)).first()
        from marketplace_kit.core.moderation import service as moderation

        moderator = db.session.scalars(
            select(User).where(User.email == "moderator@demo.example")
        ).one()
        groups = moderation.queue(moderator)
        assert len(groups) >= 2 and max(g.count for g in groups) == 2
        decided = moderation.queue(moderator, status="actioned")
        assert decided and decided[0].reports[0].decision.action == "hide"


def test_demo_shows_reviews_and_reputation(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("MARKETPLACE_CONFIG", raising=False)
    from marketplace_kit.core.listings.models import Listing
    from marketplace_kit.core.trust.models import Reputation, Review
    from marketplace_kit.demo import build_demo
    from marketplace_kit.extensions import db

    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    app, _logins = build_demo(None, database_url=url, seed=1, port=5097, host="127.0.0.1")
    with app.app_context():
        published = db.session.scalar(
            select(func.count(Review.id)).where(Review.published_at.is_not(None))
        )
        blind = db.session.scalar(
            select(func.count(Review.id)).where(Review.published_at.is_(None))
        )
        assert published >= 6 and blind >= 1
        assert db.session.scalar(select(func.count(Reputation.id))) >= 6
        rated = db.session.scalar(
            select(func.count(Listing.id)).where(Listing.provider_rating.is_not(None))
        )
        assert rated >= 3
        listing = db.session.scalars(
            select(Listing).where(Listing.provider_rating.is_not(None))
        ).first()
        page = app.test_client().get(f"/listings/{listing.id}").get_data(as_text=True)
        assert "★" in page


def test_demo_orders_spread_over_two_months_consistently(tmp_path, monkeypatch):
    """The stats dashboard has history: past orders whose timeline, ledger entries and
    created_at agree, and the ledger still verifies."""
    from datetime import timedelta

    from marketplace_kit.core.db import utcnow
    from marketplace_kit.core.disputes.models import Dispute
    from marketplace_kit.core.ledger import service as ledger
    from marketplace_kit.core.ledger.models import JournalEntry
    from marketplace_kit.core.orders.models import Order, OrderEvent
    from marketplace_kit.demo import build_demo
    from marketplace_kit.extensions import db

    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("MARKETPLACE_CONFIG", raising=False)
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    app, _logins = build_demo(None, database_url=url, seed=1, port=5096, host="127.0.0.1")
    with app.app_context():
        assert ledger.verify() == []
        now = utcnow()
        # the core's own orders (plugins seed their demos their own way)
        core = ("purchase", "booking", "inquiry", "negotiation")
        orders = list(db.session.scalars(select(Order).where(Order.process_name.in_(core))))
        days = {o.created_at.date() for o in orders}
        assert len(days) >= 40
        assert min(o.created_at for o in orders) < now - timedelta(days=55)
        assert max(o.created_at for o in orders) <= now
        states = {o.state for o in orders if o.created_at < now - timedelta(days=1)}
        assert {"completed", "refunded", "cancelled"} <= states
        for order in orders:
            events = list(
                db.session.scalars(
                    select(OrderEvent)
                    .where(OrderEvent.order_id == order.id)
                    .order_by(OrderEvent.id)
                )
            )
            times = [e.created_at for e in events]
            assert times == sorted(times), order.id
            assert abs(times[0] - order.created_at) < timedelta(seconds=5), order.id
            assert times[-1] <= now and order.updated_at >= times[-1] - timedelta(seconds=5)
            for entry in db.session.scalars(
                select(JournalEntry).where(JournalEntry.order_id == order.id)
            ):
                assert (
                    times[0] - timedelta(seconds=5)
                    <= entry.created_at
                    <= times[-1] + timedelta(seconds=5)
                ), order.id
        ruled = db.session.scalars(select(Dispute).where(Dispute.status == "resolved")).all()
        assert ruled and all(d.resolved_at < now - timedelta(hours=1) for d in ruled)
