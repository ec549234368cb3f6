"""User services. Registration flows (issue: users) build on ``create_user``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from ...errors import Conflict, ValidationError
from ...events import emit
from ...extensions import db
from .models import OPERATOR_ROLES, User

#: largest value of an Integer primary key (PostgreSQL ``integer``); larger ids exist nowhere
MAX_ID = 2**31 - 1


def get_row(model: Any, ident: int) -> Any:
    """``db.session.get(model, ident)``, or ``None`` for ids no row can have.

    URL and query ids come from clients; PostgreSQL rejects values outside
    its ``integer`` range with an error instead of finding nothing.
    """
    if not isinstance(ident, int) or not 1 <= ident <= MAX_ID:
        return None
    return db.session.get(model, ident)


def normalize_email(email: str) -> str:
    local, _, domain = email.strip().rpartition("@")
    return f"{local}@{domain.lower()}"


def get_by_email(email: str) -> User | None:
    email = normalize_email(email)
    return db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))


def create_user(
    email: str,
    display_name: str,
    *,
    password_hash: str | None = None,
    account_type: str = "individual",
    roles: list[str] | None = None,
    locale: str | None = None,
) -> User:
    """Add a user to the session; ``mk_user_registered`` fires after commit."""
    if "@" not in email:
        raise ValidationError("Invalid email address.", errors={"email": ["Not a valid email."]})
    if account_type not in ("individual", "business"):
        raise ValidationError(errors={"account_type": ["Must be individual or business."]})
    bad_roles = sorted(set(roles or []) - set(OPERATOR_ROLES))
    if bad_roles:
        raise ValidationError(errors={"roles": [f"Unknown role(s): {', '.join(bad_roles)}"]})
    if get_by_email(email) is not None:
        raise Conflict(
            "An account with this email already exists.", errors={"email": ["Already registered."]}
        )
    user = User(
        email=normalize_email(email),
        display_name=display_name,
        password_hash=password_hash,
        account_type=account_type,
        roles=list(roles or []),
        locale=locale,
    )
    db.session.add(user)
    db.session.flush()
    emit("mk_user_registered", user=user)
    return user
