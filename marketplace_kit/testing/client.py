"""A Flask test client that can log in and send CSRF tokens like a browser."""

from __future__ import annotations

from typing import Any

from flask import session
from flask.testing import FlaskClient
from flask_wtf.csrf import generate_csrf


class MarketplaceClient(FlaskClient):
    """Each request runs in its own app context, like in production.

    The ``app`` fixture keeps an app context pushed for the whole test; without
    a fresh one per request, ``flask.g`` (the signed-in user, the API token,
    the CSRF token) and the database session would leak from one request
    into the next. After each request the test's own session is expired, so
    objects the test holds re-read what the request changed.
    """

    def open(self, *args: Any, **kwargs: Any):
        from flask import current_app

        from ..extensions import db

        outer = current_app._get_current_object() if current_app else None  # type: ignore[attr-defined]
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if outer is self.application:
            db.session.expire_all()  # the test's objects re-read what the request changed
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
