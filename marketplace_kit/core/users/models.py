"""The core user model (accounts of customers, providers and operators)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from ..db import JSONType, TimestampMixin, UTCDateTime, utcnow

OPERATOR_ROLES = ("admin", "moderator", "finance", "support")


class User(TimestampMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True, index=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    account_type: Mapped[str] = mapped_column(String(16), default="individual")
    roles: Mapped[list[str]] = mapped_column(JSONType, default=list)
    locale: Mapped[str | None] = mapped_column(String(16))
    is_active_account: Mapped[bool] = mapped_column(Boolean, default=True)

    # accounts (issue: users) ---------------------------------------------------
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: set when an operator bans the account (a suspension only reinstatement lifts)
    banned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: ``0`` unverified; higher levels are granted by operators (see core.users.verification).
    verification_level: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # profile -------------------------------------------------------------------
    bio: Mapped[str] = mapped_column(Text, default="", server_default="")
    avatar_key: Mapped[str | None] = mapped_column(String(255))
    # business accounts -----------------------------------------------------------
    company_name: Mapped[str | None] = mapped_column(String(200))
    registration_number: Mapped[str | None] = mapped_column(String(64))
    industry: Mapped[str | None] = mapped_column(String(120))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(Text)
    service_area: Mapped[str | None] = mapped_column(String(200))
    #: Plugin data validated by plugin schemas: ``{"public": {...}, "private": {...}}``.
    extended_data: Mapped[dict] = mapped_column(JSONType, default=dict, server_default="{}")

    # Flask-Login protocol ---------------------------------------------------
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.is_active_account

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """``<id>.<fingerprint>``: changing the password ends every other session."""
        return f"{self.id}.{self.session_fingerprint}"

    @property
    def session_fingerprint(self) -> str:
        import hashlib

        return hashlib.sha256(f"session|{self.password_hash}".encode()).hexdigest()[:16]

    # roles -------------------------------------------------------------------
    @property
    def is_business(self) -> bool:
        return self.account_type == "business"

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    def has_role(self, role: str) -> bool:
        return role in (self.roles or [])

    @property
    def is_operator(self) -> bool:
        return any(r in OPERATOR_ROLES for r in self.roles or [])

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class ApiToken(TimestampMixin, db.Model):
    """A personal access token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class SecurityEvent(db.Model):
    """One audited security event (login, failed login, password change, ...).

    ``user_id`` is whose account it concerns, ``actor_id`` who did it (an operator
    for role changes and verification decisions; ``None`` when anonymous).
    Rows are never updated; deleting an account keeps them (``user_id`` stays).
    """

    __tablename__ = "security_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    ip: Mapped[str | None] = mapped_column(String(45))
    detail: Mapped[dict] = mapped_column(JSONType, default=dict)


class VerificationRequest(TimestampMixin, db.Model):
    """A user's request for identity or business verification, reviewed by an operator.

    ``data`` holds the submitted fields, ``documents`` maps a field name to
    ``{"key": storage key, "type": mime type, "size": bytes}``. ``level`` is the
    verification level an approval grants.
    """

    __tablename__ = "verification_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    level: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    data: Mapped[dict] = mapped_column(JSONType, default=dict)
    documents: Mapped[dict] = mapped_column(JSONType, default=dict)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class Invitation(TimestampMixin, db.Model):
    """An invitation to register (invite-only marketplaces); only the secret's SHA-256 is kept."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    inviter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
