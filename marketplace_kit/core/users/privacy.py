"""Personal data: export as JSON and account deletion by anonymisation.

Deleting an account keeps its ``users`` row (orders, ledger entries, reviews
and audit events keep pointing at it) but erases what identifies the person:
email, names, business details, bio, avatar, plugin profile data, locale,
password and tokens; verification requests lose their data and documents.
``mk_user_deleted`` then lets plugins erase what they keep.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import delete, select

from ...events import emit
from ...extensions import db
from ..db import utcnow
from ..storage import storage
from .accounts import BUSINESS_FIELDS, _require_current_password, audit
from .models import ApiToken, SecurityEvent, User, VerificationRequest
from .profiles import remove_avatar


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def export_data(user: User) -> dict[str, Any]:
    """Everything the core keeps about ``user``, plus what plugins add, as JSON-ready data."""
    from ...app import state

    account = {
        k: _iso(getattr(user, k))
        for k in (
            "id",
            "email",
            "display_name",
            "account_type",
            "roles",
            "locale",
            "bio",
            "verification_level",
            "email_confirmed_at",
            "created_at",
            "last_login_at",
            "password_changed_at",
            *BUSINESS_FIELDS,
        )
    }
    account["extended_data"] = user.extended_data or {}
    account["has_avatar"] = bool(user.avatar_key)
    tokens = db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id))
    requests = db.session.scalars(
        select(VerificationRequest).where(VerificationRequest.user_id == user.id)
    )
    events = db.session.scalars(
        select(SecurityEvent).where(SecurityEvent.user_id == user.id).order_by(SecurityEvent.id)
    )
    data: dict[str, Any] = {
        "format": "marketplace-kit user export 1",
        "exported_at": utcnow().isoformat(),
        "site": state(current_app).settings.site["name"],
        "account": account,
        "api_tokens": [
            {
                "name": t.name,
                "prefix": t.prefix,
                "scopes": t.scopes,
                "created_at": _iso(t.created_at),
                "expires_at": _iso(t.expires_at),
                "revoked_at": _iso(t.revoked_at),
            }
            for t in tokens
        ],
        "verification_requests": [
            {
                "kind": r.kind,
                "status": r.status,
                "data": r.data,
                "documents": sorted((r.documents or {}).keys()),
                "reason": r.reason,
                "created_at": _iso(r.created_at),
                "decided_at": _iso(r.decided_at),
            }
            for r in requests
        ],
        "security_events": [
            {"time": _iso(e.created_at), "event": e.kind, "ip": e.ip, "detail": e.detail}
            for e in events
        ],
    }
    extra: dict[str, Any] = {}
    for part in state(current_app).pm.hook.mk_user_data_export(user=user):
        if part:
            extra.update(part)
    if extra:
        data["plugins"] = extra
    return data


def delete_account(user: User, password: str, *, ip: str | None = None) -> User:
    """Anonymise ``user`` after checking ``password``; the row stays for integrity."""
    _require_current_password(user, password, "password")
    audit("account_deleted", user=user, actor=user, ip=ip)
    anonymise(user)
    emit("mk_user_deleted", user=user)
    return user


def anonymise(user: User) -> None:
    remove_avatar(user)
    user.email = f"deleted-{user.id}@deleted.invalid"
    user.display_name = "Deleted user"
    user.password_hash = None
    user.bio = ""
    user.locale = None
    user.roles = []
    user.extended_data = {}
    for key in BUSINESS_FIELDS:
        setattr(user, key, None)
    user.is_active_account = False
    user.deleted_at = utcnow()
    user.email_confirmed_at = None
    db.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    for req in db.session.scalars(
        select(VerificationRequest).where(VerificationRequest.user_id == user.id)
    ):
        for doc in (req.documents or {}).values():
            storage().delete(doc["key"])
        req.data = {}
        req.documents = {}
    # security events keep their rows for the audit trail but lose the IPs
    for event in db.session.scalars(select(SecurityEvent).where(SecurityEvent.user_id == user.id)):
        event.ip = None
        if "email" in (event.detail or {}):
            event.detail = {k: v for k, v in event.detail.items() if k != "email"}
