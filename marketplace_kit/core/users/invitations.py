"""Invitations for invite-only marketplaces (``[users] invite_only``).

An operator (admin or support) invites an email address; the invitee
registers through the emailed link with that address, once, before it
expires. Only the SHA-256 of the secret is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...errors import ValidationError
from ...extensions import db
from ..access import require
from ..db import utcnow
from .accounts import audit, check_email
from .models import Invitation, User


def _settings() -> dict[str, Any]:
    from ...app import state

    return state(current_app).settings.users


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_invitation(
    inviter: User, email: str, *, ip: str | None = None
) -> tuple[Invitation, str]:
    require(inviter, "operator.invite")
    email = check_email(email)
    secret = secrets.token_urlsafe(24)
    invitation = Invitation(
        email=email,
        token_hash=_digest(secret),
        inviter_id=inviter.id,
        expires_at=utcnow() + timedelta(days=_settings()["invitation_days"]),
    )
    db.session.add(invitation)
    db.session.flush()
    audit("invitation_created", user=None, actor=inviter, ip=ip, invitation=invitation.id)
    return invitation, secret


def _invalid() -> ValidationError:
    message = str(_l("This invitation is not valid, was already used or has expired."))
    return ValidationError(message, errors={"invitation": [message]})


def find(secret: str | None) -> Invitation | None:
    if not secret:
        return None
    return db.session.scalar(select(Invitation).where(Invitation.token_hash == _digest(secret)))


def check(secret: str | None, email: str) -> Invitation:
    """The usable invitation for ``secret`` and ``email``, else a ValidationError."""
    invitation = find(secret)
    if (
        invitation is None
        or invitation.accepted_at is not None
        or invitation.expires_at <= utcnow()
    ):
        raise _invalid()
    if invitation.email.lower() != (email or "").strip().lower():
        raise ValidationError(
            str(_l("Register with the address the invitation was sent to.")),
            errors={
                "email": [str(_l("Use the invited address: %(email)s", email=invitation.email))]
            },
        )
    return invitation


def accept(invitation: Invitation, user: User) -> None:
    invitation.accepted_at = utcnow()
    invitation.accepted_user_id = user.id
    user.email_confirmed_at = utcnow()  # the link reached this address


def domain_allowed(email: str) -> bool:
    domains = _settings()["allowed_email_domains"]
    if not domains:
        return True
    domain = email.strip().rpartition("@")[2].lower()
    return any(domain == d or domain.endswith("." + d) for d in domains)


def recent(limit: int = 100) -> list[Invitation]:
    return list(db.session.scalars(select(Invitation).order_by(Invitation.id.desc()).limit(limit)))
