"""Operator webhooks: HMAC-signed POSTs to a real local HTTP server, retried and logged."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from marketplace_kit.core.db import utcnow
from marketplace_kit.core.notifications import service, webhooks
from marketplace_kit.core.notifications.models import WebhookDelivery
from marketplace_kit.errors import PermissionDenied, ValidationError
from marketplace_kit.events import commit
from marketplace_kit.extensions import db


class Receiver:
    """An HTTP server on 127.0.0.1 that answers with the queued status codes (then 200)."""

    def __init__(self, statuses=()):
        self.statuses = list(statuses)
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made: list[Receiver] = []

    def make(statuses=()):
        r = Receiver(statuses)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


@pytest.mark.mk_config({"notifications": {"backoff_seconds": 0}})
def test_deliveries_are_signed_and_verifiable(app, user_factory, receiver):
    server = receiver()
    admin = user_factory(roles=["admin"])
    endpoint = webhooks.create_endpoint(admin, server.url, ["verification_decided"])
    commit()
    user = user_factory()
    service.notify(user, "verification_decided", {"status": "approved", "level": 2})
    service.notify(
        user, "payout_paid", {"payout_id": 1, "status": "paid", "amount": 5, "currency": "EUR"}
    )
    commit()
    ((headers, body),) = server.requests  # only the subscribed event type
    signature = headers[webhooks.SIGNATURE_HEADER]
    assert webhooks.verify_signature(endpoint.secret, signature, body)
    assert not webhooks.verify_signature(endpoint.secret, signature, body + b" ")
    assert not webhooks.verify_signature("another secret", signature, body)
    assert not webhooks.verify_signature(endpoint.secret, "t=1,v1=00", body)
    stale = webhooks.sign(endpoint.secret, body, timestamp=int(utcnow().timestamp()) - 3600)
    assert not webhooks.verify_signature(endpoint.secret, stale, body)
    data = json.loads(body)
    assert data["event"] == "verification_decided"
    assert data["data"]["user_id"] == user.id and data["data"]["level"] == 2
    (delivery,) = webhooks.deliveries(admin)
    assert (delivery.status, delivery.response_status, delivery.attempts) == ("delivered", 200, 1)


@pytest.mark.mk_config({"notifications": {"backoff_seconds": 60}})
def test_failed_deliveries_are_retried_with_backoff_and_logged(app, user_factory, receiver):
    server = receiver(statuses=[500, 503])
    admin = user_factory(roles=["admin"])
    webhooks.create_endpoint(admin, server.url, ["*"])
    commit()
    service.notify(user_factory(), "verification_decided", {"status": "approved", "level": 1})
    commit()
    (delivery,) = webhooks.deliveries(admin)
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("pending", 1, 500)
    assert delivery.last_error == "HTTP 500"
    assert delivery.next_attempt_at > utcnow() + timedelta(seconds=50)
    assert webhooks.deliver_due() == 0  # backing off
    assert len(server.requests) == 1

    _make_due(delivery.id)
    assert webhooks.deliver_due() == 0
    _make_due(delivery.id)
    assert webhooks.deliver_due() == 1
    db.session.expire_all()
    delivery = db.session.get(WebhookDelivery, delivery.id)
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("delivered", 3, 200)
    # All three attempts carried the same body, each freshly signed.
    bodies = {body for _h, body in server.requests}
    assert len(server.requests) == 3 and len(bodies) == 1
    _make_due(delivery.id)
    assert webhooks.deliver_due() == 0
    assert len(server.requests) == 3


@pytest.mark.mk_config({"notifications": {"backoff_seconds": 0}})
def test_an_unreachable_receiver_is_logged(app, user_factory, receiver):
    server = receiver()
    url = server.url
    server.close()
    admin = user_factory(roles=["admin"])
    webhooks.create_endpoint(admin, url, ["*"])
    commit()
    service.notify(user_factory(), "verification_decided", {"status": "approved", "level": 1})
    commit()
    (delivery,) = webhooks.deliveries(admin)
    assert delivery.status == "pending" and delivery.response_status is None
    assert delivery.last_error


def test_only_admins_manage_webhooks_and_bad_input_is_rejected(app, user_factory):
    with pytest.raises(PermissionDenied):
        webhooks.create_endpoint(user_factory(roles=["finance"]), "http://127.0.0.1/x", ["*"])
    admin = user_factory(roles=["admin"])
    with pytest.raises(ValidationError) as info:
        webhooks.create_endpoint(admin, "ftp://example.com/x", ["nope"])
    assert set(info.value.errors) == {"url", "events"}
    with pytest.raises(ValidationError):
        webhooks.create_endpoint(admin, "http://127.0.0.1/x", [])


def _make_due(delivery_id: int) -> None:
    db.session.execute(
        WebhookDelivery.__table__.update()
        .where(WebhookDelivery.id == delivery_id)
        .values(next_attempt_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
