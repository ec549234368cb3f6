"""A Flask test client that can log in and send CSRF tokens like a browser."""

from __future__ import annotations

from typing import Any

from flask import g, has_app_context, session
from flask.testing import FlaskClient
from flask_wtf.csrf import generate_csrf


class MarketplaceClient(FlaskClient):
    def open(self, *args: Any, **kwargs: Any):
        # The `app` fixture keeps one app context (and so one ``g``) for the whole
        # test, which requests reuse; forget the user Flask-Login cached in ``g`` so
        # each request loads it from its own session, as in production.
        # Flask-WTF caches the CSRF token in ``g`` the same way.
        if has_app_context():
            g.pop("_login_user", None)
            g.pop("csrf_token", None)
        return super().open(*args, **kwargs)

    def login(self, user: Any) -> None:
        """Start a session for ``user`` without going through the login form."""
        with self.session_transaction() as sess:
            sess["_user_id"] = str(user.id)
            sess["_fresh"] = True

    def logout(self) -> None:
        with self.session_transaction() as sess:
            sess.clear()

    def csrf_token(self) -> str:
        """A valid CSRF token for this client's session."""
        with self.session_transaction() as sess:
            raw = sess.get("csrf_token")
        with self.application.test_request_context():
            g.pop("csrf_token", None)
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
