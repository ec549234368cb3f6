"""Bearer-token authentication for the JSON API.

The API never authenticates with the session cookie (so it needs no CSRF
token): clients send ``Authorization: Bearer mk_...``. Views call
:func:`api_user` with the scope they need, and document it with
``@bp.doc(security=BEARER)``.
"""

from __future__ import annotations

from typing import Any

from flask import request

from ...errors import MarketplaceError, PermissionDenied

BEARER = [{"bearerAuth": []}]


class Unauthorized(MarketplaceError):
    status = 401
    title = "Unauthorized"
    type_slug = "unauthorized"


def _token_from_header() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def api_user(scope: str = "read", *, required: bool = True) -> Any:
    """The user of the request's bearer token, checked for ``scope``.

    Raises 401 (problem+json, with ``WWW-Authenticate``) without a usable
    token when ``required``, and 403 when the token lacks the scope.
    """
    from ...core.users.tokens import authenticate
    from ...events import commit

    # Cached per request (in the WSGI environ, not ``g``: tests share one app
    # context, and so ``g``, across requests).
    if "mk.api_token" not in request.environ:
        secret = _token_from_header()
        token = authenticate(secret) if secret else None
        if token is not None:
            commit()  # records last_used_at
        request.environ["mk.api_token"] = token
    token = request.environ["mk.api_token"]
    if token is None:
        if required:
            raise Unauthorized(
                "Send a valid personal access token as 'Authorization: Bearer <token>'.",
            )
        return None
    if scope not in token.scopes:
        raise PermissionDenied(f"This token lacks the {scope!r} scope.")
    return token.user
