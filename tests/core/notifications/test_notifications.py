"""The notification service: order events, preferences, channels, retries, at-most-once."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest

from marketplace_kit import hookimpl
from marketplace_kit.app import state
from marketplace_kit.builtin.notifications import RETRY_JOB
from marketplace_kit.core import mail
from marketplace_kit.core.db import utcnow
from marketplace_kit.core.notifications import service
from marketplace_kit.core.notifications.models import NotificationDelivery
from marketplace_kit.core.notifications.registry import Channel, EventType
from marketplace_kit.errors import PluginError, ValidationError
from marketplace_kit.events import commit
from marketplace_kit.extensions import db
from marketplace_kit.jobs import run_periodic_now


class FlakyChannel:
    """A plugin channel that fails ``failures`` times, then records what it sent."""

    def __init__(self, failures: int = 1, name: str = "flaky"):
        self.failures = failures
        self.calls = 0
        self.sent: list[tuple[int, str]] = []
        self.name = name

    def send(self, notification, user, title, body):
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError("gateway down")
        self.sent.append((notification.id, title))

    @hookimpl
    def mk_register_notification_channels(self, app):
        return [Channel(self.name, "Flaky", self.send)]

    @hookimpl
    def mk_register_notification_events(self, app):
        return [
            EventType(
                "ping",
                "Ping",
                title="Ping %(n)s",
                body="Body %(n)s",
                default_channels=("in_app", self.name),
            )
        ]


def test_order_transition_notifies_the_provider_in_app_and_by_email(app, order_factory):
    order = order_factory()
    provider = order.provider
    notes = service.notifications_of(provider)
    assert [n.event for n in notes] == ["order_update"]
    assert notes[0].context["template"] == "order_placed"
    title, _body = service.render(notes[0])
    assert title == f"New order #{order.id}"
    assert service.unread_count(provider) == 1
    assert service.notifications_of(order.customer) == []  # "order_placed" goes to the provider
    emails = [m for m in mail.outbox() if m.template == "notification"]
    assert [(m.to, m.subject) for m in emails] == [(provider.email, f"New order #{order.id}")]
    (delivery,) = service.deliveries_of(notes[0])
    assert (delivery.channel, delivery.status, delivery.attempts) == ("email", "sent", 1)


def test_order_notification_redelivered_by_the_outbox_is_not_duplicated(app, order_factory):
    from marketplace_kit.builtin.notifications import mk_outbox_message

    order = order_factory()
    payload = {
        "order_id": order.id,
        "role": "provider",
        "recipient_id": order.provider_id,
        "template": "order_placed",
        "transition": "place",
    }
    before = len(mail.outbox())
    mk_outbox_message(topic="notification", payload=payload)
    mk_outbox_message(topic="notification", payload=payload)
    assert len(service.notifications_of(order.provider)) == 1
    assert len(mail.outbox()) == before


def test_a_failing_channel_is_retried_with_backoff_and_delivered_once(app_factory, user_factory):
    flaky = FlakyChannel(failures=2)
    app = app_factory({"notifications": {"backoff_seconds": 30}}, extra_plugins=[flaky])
    with app.app_context():
        user = user_factory()
        note = service.notify(user, "ping", {"n": 7})
        commit()  # the outbox job runs now (immediate jobs in tests) and the channel fails
        (delivery,) = service.deliveries_of(note)
        assert (delivery.status, delivery.attempts) == ("pending", 1)
        assert "gateway down" in delivery.last_error
        assert delivery.next_attempt_at > utcnow() + timedelta(seconds=20)
        assert service.deliver_due() == 0  # not due yet: backoff
        assert flaky.calls == 1

        _make_due(delivery.id)
        assert service.deliver_due() == 0  # second failure; the wait doubles
        delivery = _reload(delivery.id)
        assert (delivery.status, delivery.attempts) == ("pending", 2)
        assert delivery.next_attempt_at > utcnow() + timedelta(seconds=50)

        _make_due(delivery.id)
        assert service.deliver_due() == 1
        assert flaky.sent == [(note.id, "Ping 7")]
        assert _reload(delivery.id).status == "sent"
        # A second run, and a redelivered outbox message, deliver nothing twice.
        _make_due(delivery.id)
        assert service.deliver_due() == 0
        assert service.deliver_due(note.id) == 0
        assert flaky.calls == 3 and len(flaky.sent) == 1


def test_a_claimed_delivery_is_never_sent_again(app_factory, user_factory):
    flaky = FlakyChannel(failures=0)
    app = app_factory(extra_plugins=[flaky])
    with app.app_context():
        user = user_factory()
        note = service.notify(user, "ping", {"n": 1}, via_outbox=False)
        commit()
        (delivery,) = service.deliveries_of(note)
        delivery.status = "sending"  # another worker claimed it and is sending now
        delivery.next_attempt_at = utcnow() + timedelta(minutes=10)  # its lease
        db.session.commit()
        assert service.deliver_due() == 0
        assert flaky.calls == 0


@pytest.mark.parametrize("attempts, outcome", [(1, "sent"), (8, "failed")])
def test_a_delivery_stuck_in_sending_is_retried_after_the_timeout(
    app_factory, user_factory, attempts, outcome
):
    flaky = FlakyChannel(failures=0)
    app = app_factory(
        {"notifications": {"sending_timeout_seconds": 60, "max_attempts": 8}},
        extra_plugins=[flaky],
    )
    with app.app_context():
        note = service.notify(user_factory(), "ping", {"n": 1}, via_outbox=False)
        commit()
        (delivery,) = service.deliveries_of(note)
        # A worker claimed it (the lease runs 60 s) and died before finishing.
        delivery.status, delivery.attempts = "sending", attempts
        delivery.next_attempt_at = utcnow() + timedelta(seconds=60)
        db.session.commit()
        assert run_periodic_now(RETRY_JOB) == 0  # the lease is still running
        row = _reload(delivery.id)
        row.next_attempt_at = utcnow() - timedelta(seconds=1)  # ... and now it ran out
        db.session.commit()
        run_periodic_now(RETRY_JOB)
        row = _reload(delivery.id)
        assert row.status == outcome
        assert flaky.calls == (1 if outcome == "sent" else 0)
        assert run_periodic_now(RETRY_JOB) == 0 and flaky.calls <= 1


def test_deliveries_give_up_after_max_attempts(app_factory, user_factory):
    flaky = FlakyChannel(failures=99)
    app = app_factory(
        {"notifications": {"max_attempts": 2, "backoff_seconds": 0}}, extra_plugins=[flaky]
    )
    with app.app_context():
        note = service.notify(user_factory(), "ping", {"n": 1})
        commit()
        service.deliver_due()
        service.deliver_due()
        (delivery,) = service.deliveries_of(note)
        assert (delivery.status, delivery.attempts) == ("failed", 2)
        assert flaky.calls == 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_smtp_down_loses_nothing_and_the_email_goes_out_when_mail_works(app_factory, user_factory):
    app = app_factory(
        {
            "mail": {
                "backend": "smtp",
                "smtp_host": "127.0.0.1",
                "smtp_port": _free_port(),
                "smtp_security": "none",
                "smtp_timeout": 2,
            },
            "notifications": {"backoff_seconds": 0},
        }
    )
    with app.app_context():
        user = user_factory()
        note = service.notify(user, "verification_decided", {"status": "approved", "level": 1})
        commit()
        (delivery,) = service.deliveries_of(note)
        assert delivery.channel == "email"
        assert delivery.status == "pending" and delivery.attempts == 1
        assert "Connection" in delivery.last_error or "refused" in delivery.last_error.lower()
        # The mail server comes back (here: the operator switches to the file backend).
        state(app).settings.mail["backend"] = "file"
        assert service.deliver_due() == 1
        (message,) = mail.outbox()
        assert message.to == user.email
        assert message.subject == "Your verification was approved"
        assert service.deliver_due() == 0
        assert len(mail.outbox()) == 1


def test_preferences_are_respected_per_event_and_channel(
    app, user_factory, order_factory, listing_factory
):
    provider = user_factory()
    prefs = service.preferences(provider)
    assert prefs["order_update"] == {"in_app": True, "email": True}
    service.set_preferences(provider, {"order_update": {"email": False}})
    commit()
    order = order_factory(listing=listing_factory(author=provider))
    (note,) = service.notifications_of(provider)
    assert service.deliveries_of(note) == []
    assert [m for m in mail.outbox() if m.to == provider.email] == []

    service.set_preferences(provider, {"order_update": {"in_app": False, "email": True}})
    commit()
    order_factory(listing=order.listing)
    assert len(service.notifications_of(provider)) == 1  # the hidden one is not listed
    assert service.unread_count(provider) == 1
    assert [m.to for m in mail.outbox() if m.template == "notification"] == [provider.email]


def test_unknown_preferences_are_rejected(app, user_factory):
    user = user_factory()
    with pytest.raises(ValidationError):
        service.set_preferences(user, {"nope": {"email": True}})
    with pytest.raises(ValidationError):
        service.set_preferences(user, {"order_update": {"pigeon": True}})


def test_unknown_event_is_rejected(app, user_factory):
    with pytest.raises(ValidationError):
        service.notify(user_factory(), "no_such_event", {})


def test_mark_read_and_mark_all_read(app, user_factory):
    user = user_factory()
    first = service.notify(user, "verification_decided", {"status": "rejected", "reason": "blurry"})
    service.notify(user, "verification_decided", {"status": "approved", "level": 1})
    commit()
    assert service.unread_count(user) == 2
    service.mark_read(user, first.id)
    commit()
    assert service.unread_count(user) == 1
    assert service.mark_all_read(user) == 1
    commit()
    assert service.unread_count(user) == 0


def test_verification_decision_notifies_the_user(app, user_factory):
    from marketplace_kit.core.users import verification
    from marketplace_kit.core.users.models import VerificationRequest

    user = user_factory()
    moderator = user_factory(roles=["moderator"])
    req = VerificationRequest(user_id=user.id, kind="identity", level=1, data={}, status="pending")
    db.session.add(req)
    commit()
    verification.decide(moderator, req, approve=False, reason="The photo is blurry.")
    commit()
    (note,) = service.notifications_of(user)
    assert note.event == "verification_decided"
    title, body = service.render(note)
    assert title == "Your verification was not approved"
    assert "The photo is blurry." in body


def test_duplicate_channel_names_stop_startup_naming_both_plugins(app_factory):
    with pytest.raises(PluginError) as info:
        app_factory(extra_plugins=[FlakyChannel(name="email")])
    assert "email" in str(info.value)
    assert "core.notifications" in str(info.value) and "extra0" in str(info.value)


def _make_due(delivery_id: int) -> None:
    db.session.execute(
        NotificationDelivery.__table__.update()
        .where(NotificationDelivery.id == delivery_id)
        .values(next_attempt_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()


def _reload(delivery_id: int) -> NotificationDelivery:
    db.session.expire_all()
    return db.session.get(NotificationDelivery, delivery_id)
