"""Personal access tokens: created once (the secret is shown once), stored hashed.

A token reads ``mk_<prefix>_<secret>``; the prefix identifies it in lists,
the database keeps only the SHA-256 of the whole string (tokens are random
and long, so a slow hash adds nothing). Scopes: ``read`` and ``write``.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from ...errors import ValidationError
from ...extensions import db
from ..db import utcnow
from .models import ApiToken, User
from .service import get_row

SCOPES = ("read", "write")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    user: User, name: str, scopes: list[str], *, expires_in: timedelta | None = None
) -> tuple[ApiToken, str]:
    """Add a token to the session; return it and the secret string (show it once)."""
    bad = sorted(set(scopes) - set(SCOPES))
    if bad or not scopes:
        raise ValidationError(errors={"scopes": [f"Choose from {', '.join(SCOPES)}."]})
    if not name.strip():
        raise ValidationError(errors={"name": ["Give the token a name."]})
    prefix = secrets.token_hex(4)
    secret = f"mk_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken(
        user_id=user.id,
        name=name.strip()[:100],
        prefix=prefix,
        token_hash=_digest(secret),
        scopes=sorted(set(scopes)),
        expires_at=utcnow() + expires_in if expires_in else None,
    )
    db.session.add(token)
    db.session.flush()
    return token, secret


def authenticate(secret: str, now: datetime | None = None) -> ApiToken | None:
    """The usable token for ``secret`` (and its user), or ``None``."""
    if not secret.startswith("mk_"):
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(secret)))
    now = now or utcnow()
    if token is None or not token.is_usable(now) or not token.user.is_active:
        return None
    token.last_used_at = now
    return token


def tokens_of(user: User) -> list[ApiToken]:
    """``user``'s tokens, newest first (revoked ones included)."""
    return list(
        db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
        )
    )


def revoke(user: User, token_id: int, *, ip: str | None = None) -> ApiToken:
    """Revoke ``user``'s token ``token_id``; another user's token is "not found"."""
    from ...errors import NotFound
    from .accounts import audit

    token = get_row(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound("No such token.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit("token_revoked", user=user, actor=user, ip=ip, token=token.prefix)
    return token
