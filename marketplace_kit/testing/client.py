"""A Flask test client that can log in and send CSRF tokens like a browser."""

from __future__ import annotations

import contextvars
from typing import Any

from flask import current_app, has_app_context, session
from flask.testing import FlaskClient
from flask_wtf.csrf import generate_csrf

from ..extensions import db


class MarketplaceClient(FlaskClient):
    """Each request runs in a fresh context, as in production.

    The ``app`` fixture keeps an app context pushed for the test body; Flask
    would reuse it for requests, sharing ``g``, the database session and
    cached locale between requests. Running every request in an empty
    ``contextvars.Context`` gives it its own app context instead.
    """

    def open(self, *args: Any, **kwargs: Any):  # type: ignore[override]
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context() and current_app._get_current_object() is self.application:
            # what the request committed is what the test should see next
            session = db.session()
            if not (session.dirty or session.new or session.deleted):
                session.expire_all()
        return response

    def login(self, user: Any) -> None:
        """Start a session for ``user`` without going through the login form."""
        with self.session_transaction() as sess:
            sess["_user_id"] = user.get_id()
            sess["_fresh"] = True

    def logout(self) -> None:
        with self.session_transaction() as sess:
            sess.clear()

    def csrf_token(self) -> str:
        """A valid CSRF token for this client's session."""
        with self.session_transaction() as sess:
            raw = sess.get("csrf_token")
        # a fresh app context: a ``g`` shared with the test would keep an old token
        with self.application.app_context(), self.application.test_request_context():
            if raw:
                session["csrf_token"] = raw
            token = generate_csrf()
            raw = session["csrf_token"]
        with self.session_transaction() as sess:
            sess["csrf_token"] = raw
        return token

    def submit(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any):
        """POST a form the way a browser would, with the CSRF token included."""
        form = dict(data or {})
        form.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=form, **kwargs)
