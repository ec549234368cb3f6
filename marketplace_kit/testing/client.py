"""A Flask test client that can log in and send CSRF tokens like a browser."""

from __future__ import annotations

import contextvars
from typing import Any

from flask import current_app, has_app_context, session
from flask.testing import FlaskClient
from flask_wtf.csrf import generate_csrf

from ..extensions import db


class MarketplaceClient(FlaskClient):
    """Each request runs in its own app context, like in production.

    The ``app`` fixture keeps an app context pushed for the whole test; Flask
    would reuse it for requests, so ``flask.g`` (the signed-in user, the API
    token, the CSRF token), the database session and the cached locale would
    leak from one request into the next. Every request runs in an empty
    ``contextvars.Context`` instead. Afterwards the test's own session is
    expired (unless it holds unflushed changes), so objects the test holds
    re-read what the request changed.
    """

    def open(self, *args: Any, **kwargs: Any):  # type: ignore[override]
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context() and current_app._get_current_object() is self.application:
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
        # a fresh app context: Flask-WTF caches the token on g
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
