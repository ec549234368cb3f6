"""Account flows: registration, confirmation, login with lockout, reset, changes, audit.

Services only: no Flask ``request`` in here (callers pass the client IP). Callers
end the unit of work with :func:`marketplace_kit.events.commit` and send the
emails these functions ask for (links need the request's URL building).

Signed tokens (email confirmation, password reset, email change) are
``itsdangerous`` timed signatures over the user id plus a fingerprint of the
state they change, so each works once: resetting the password changes the
hash the reset token was bound to, confirming sets ``email_confirmed_at``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from ...errors import ValidationError
from ...extensions import db
from ..db import utcnow
from .models import SecurityEvent, User
from .passwords import hash_password, needs_rehash, verify_password
from .policy import password_problems, valid_email
from .service import create_user, get_by_email, normalize_email

BUSINESS_FIELDS = (
    "company_name",
    "registration_number",
    "industry",
    "contact_phone",
    "address",
    "service_area",
)
PROFILE_FIELDS = ("display_name", "bio", "locale", *BUSINESS_FIELDS)


def _settings() -> dict[str, Any]:
    from ...app import state

    return state(current_app).settings.users


# ---------------------------------------------------------------------------
# audit
# ---------------------------------------------------------------------------


def audit(
    kind: str,
    *,
    user: User | None = None,
    actor: User | None = None,
    ip: str | None = None,
    **detail: Any,
) -> SecurityEvent:
    """Record a security event in the current unit of work."""
    event = SecurityEvent(
        kind=kind,
        user_id=user.id if user is not None else None,
        actor_id=actor.id if actor is not None else None,
        ip=(ip or None) and ip[:45],
        detail={k: v for k, v in detail.items() if v is not None},
    )
    db.session.add(event)
    return event


# ---------------------------------------------------------------------------
# signed tokens
# ---------------------------------------------------------------------------


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"mk-users-{purpose}")


def _fingerprint(*parts: Any) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:20]


def _load(purpose: str, token: str, max_age_hours: int) -> dict[str, Any]:
    try:
        data = _serializer(purpose).loads(token, max_age=max_age_hours * 3600)
    except SignatureExpired:
        raise ValidationError(
            str(_l("This link has expired. Ask for a new one.")),
            errors={"token": [str(_l("Expired."))]},
        ) from None
    except BadSignature:
        raise ValidationError(
            str(_l("This link is not valid.")), errors={"token": [str(_l("Invalid."))]}
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise ValidationError(str(_l("This link is not valid.")))
    return data


def _used() -> ValidationError:
    return ValidationError(
        str(_l("This link was already used or is no longer valid.")),
        errors={"token": [str(_l("Already used."))]},
    )


def confirmation_token(user: User) -> str:
    return _serializer("confirm").dumps({"u": user.id, "f": _fingerprint(user.email)})


def reset_token(user: User) -> str:
    return _serializer("reset").dumps(
        {"u": user.id, "f": _fingerprint(user.password_hash, user.email)}
    )


def email_change_token(user: User, new_email: str) -> str:
    return _serializer("email").dumps(
        {"u": user.id, "f": _fingerprint(user.email), "e": normalize_email(new_email)}
    )


# ---------------------------------------------------------------------------
# registration and confirmation
# ---------------------------------------------------------------------------


def check_password(password: str, email: str = "") -> None:
    problems = password_problems(
        password, email=email, min_length=_settings()["min_password_length"]
    )
    if problems:
        raise ValidationError(str(_l("Choose a stronger password.")), errors={"password": problems})


def check_email(email: str) -> str:
    if not valid_email(email or ""):
        raise ValidationError(
            str(_l("Invalid email address.")),
            errors={"email": [str(_l("Enter a valid email address."))]},
        )
    return normalize_email(email)


@dataclass
class Registration:
    """The outcome of :func:`register`: a new ``user``, or the ``existing`` account.

    Both look the same to the person registering (no account enumeration):
    the new user gets a confirmation email, the existing owner a notice.
    """

    user: User | None = None
    existing: User | None = None


def register(
    email: str,
    password: str,
    display_name: str,
    *,
    account_type: str = "individual",
    locale: str | None = None,
    ip: str | None = None,
    invitation: str | None = None,
    **business: Any,
) -> Registration:
    errors: dict[str, list[str]] = {}
    try:
        email = check_email(email)
    except ValidationError as exc:
        errors.update(exc.errors)
    try:
        check_password(password, email)
    except ValidationError as exc:
        errors.update(exc.errors)
    display_name = (display_name or "").strip()
    if not display_name:
        errors["display_name"] = [str(_l("Enter a name."))]
    elif len(display_name) > 120:
        errors["display_name"] = [str(_l("At most %(n)s characters.", n=120))]
    if account_type not in ("individual", "business"):
        errors["account_type"] = [str(_l("Choose individual or business."))]
    extra = {k: (business.get(k) or "").strip() or None for k in BUSINESS_FIELDS}
    if account_type == "business" and not extra["company_name"]:
        errors["company_name"] = [str(_l("Enter the company name."))]
    unknown = set(business) - set(BUSINESS_FIELDS)
    if unknown:
        raise TypeError(f"unknown registration fields: {sorted(unknown)}")
    from . import invitations

    invite = None
    if "email" not in errors:
        if invitation:
            try:
                invite = invitations.check(invitation, email)
            except ValidationError as exc:
                errors.update(exc.errors)
        elif _settings()["invite_only"]:
            errors["invitation"] = [str(_l("Registration is by invitation only."))]
        elif not invitations.domain_allowed(email):
            errors["email"] = [str(_l("Registration is open to members' email domains only."))]
    if errors:
        raise ValidationError(str(_l("Please correct the marked fields.")), errors=errors)
    # hash first, even for a taken address, so both answers take the same time
    password_hash = hash_password(password)
    existing = get_by_email(email)
    if existing is not None:
        audit("register_existing", user=existing, ip=ip)
        return Registration(existing=existing)
    user = create_user(
        email,
        display_name,
        password_hash=password_hash,
        account_type=account_type,
        locale=locale,
    )
    if account_type == "business":
        for key, value in extra.items():
            setattr(user, key, value)
    user.password_changed_at = utcnow()
    if invite is not None:
        invitations.accept(invite, user)
    audit("register", user=user, actor=user, ip=ip, invited=invite is not None or None)
    return Registration(user=user)


def confirm_email(token: str) -> User:
    data = _load("confirm", token, _settings()["confirm_token_hours"])
    user = db.session.get(User, data["u"])
    if user is None or user.deleted_at is not None or data.get("f") != _fingerprint(user.email):
        raise _used()
    if user.email_confirmed_at is not None:
        raise _used()
    user.email_confirmed_at = utcnow()
    audit("email_confirmed", user=user, actor=user)
    return user


# ---------------------------------------------------------------------------
# login with lockout
# ---------------------------------------------------------------------------


@cache
def _dummy_hash() -> str:
    return hash_password("not the password of anyone")


@dataclass
class LoginResult:
    user: User | None = None
    #: set when this attempt locked the account (send its owner a notice)
    locked: User | None = None
    #: ``"unconfirmed"`` when confirmation is required and missing
    reason: str | None = None


def authenticate(email: str, password: str, *, ip: str | None = None) -> LoginResult:
    """Check a login; count failures and lock the account after too many.

    Unknown emails, wrong passwords and locked accounts give the same result
    (and take about the same time), so the response reveals nothing.
    """
    settings = _settings()
    now = utcnow()
    user = get_by_email(email) if valid_email(email or "") else None
    if user is None or user.deleted_at is not None or not user.password_hash:
        verify_password(_dummy_hash(), password)
        audit("login_failed", ip=ip, email=(email or "")[:320], reason="unknown")
        return LoginResult()
    if user.locked_until is not None and user.locked_until > now:
        verify_password(_dummy_hash(), password)
        audit("login_failed", user=user, ip=ip, reason="locked")
        return LoginResult()
    if not verify_password(user.password_hash, password) or not user.is_active:
        user.failed_logins = (user.failed_logins or 0) + 1
        locked = None
        if user.failed_logins >= settings["lockout_threshold"]:
            user.locked_until = now + timedelta(minutes=settings["lockout_minutes"])
            user.failed_logins = 0
            audit("account_locked", user=user, ip=ip, minutes=settings["lockout_minutes"])
            locked = user
        audit("login_failed", user=user, ip=ip, reason="password")
        return LoginResult(locked=locked)
    if settings["require_confirmed_email"] and user.email_confirmed_at is None:
        return LoginResult(reason="unconfirmed")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    audit("login", user=user, actor=user, ip=ip)
    return LoginResult(user=user)


# ---------------------------------------------------------------------------
# password reset and changes
# ---------------------------------------------------------------------------


def reset_password(token: str, new_password: str, *, ip: str | None = None) -> User:
    data = _load("reset", token, _settings()["reset_token_hours"])
    user = db.session.get(User, data["u"])
    if (
        user is None
        or user.deleted_at is not None
        or data.get("f") != _fingerprint(user.password_hash, user.email)
    ):
        raise _used()
    check_password(new_password, user.email)
    _set_password(user, new_password)
    user.locked_until = None
    user.failed_logins = 0
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()  # they received mail at this address
    audit("password_reset", user=user, actor=user, ip=ip)
    return user


def _set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()


def _require_current_password(user: User, current: str, field: str = "current_password") -> None:
    if not verify_password(user.password_hash, current or ""):
        raise ValidationError(
            str(_l("Your current password is not correct.")),
            errors={field: [str(_l("Not correct."))]},
        )


def change_password(user: User, current: str, new: str, *, ip: str | None = None) -> None:
    _require_current_password(user, current)
    check_password(new, user.email)
    _set_password(user, new)
    audit("password_changed", user=user, actor=user, ip=ip)


@dataclass
class EmailChange:
    """Send ``token`` to ``new_email`` (when set), else a notice that it is taken."""

    new_email: str
    token: str | None


def request_email_change(
    user: User, new_email: str, password: str, *, ip: str | None = None
) -> EmailChange:
    _require_current_password(user, password, "password")
    new_email = check_email(new_email)
    if new_email.lower() == user.email.lower():
        raise ValidationError(
            str(_l("This is already your email address.")),
            errors={"email": [str(_l("Same as the current address."))]},
        )
    audit("email_change_requested", user=user, actor=user, ip=ip)
    if get_by_email(new_email) is not None:
        return EmailChange(new_email, None)
    return EmailChange(new_email, email_change_token(user, new_email))


def confirm_email_change(token: str, *, ip: str | None = None) -> User:
    data = _load("email", token, _settings()["confirm_token_hours"])
    user = db.session.get(User, data["u"])
    if user is None or user.deleted_at is not None or data.get("f") != _fingerprint(user.email):
        raise _used()
    new_email = data.get("e") or ""
    if get_by_email(new_email) is not None:
        raise ValidationError(
            str(_l("This email address is already in use.")),
            errors={"email": [str(_l("Already in use."))]},
        )
    old = user.email
    user.email = new_email
    user.email_confirmed_at = utcnow()
    audit("email_changed", user=user, actor=user, ip=ip, old=old)
    return user


# ---------------------------------------------------------------------------
# profile
# ---------------------------------------------------------------------------


def update_profile(user: User, **changes: Any) -> User:
    """Change profile fields (``PROFILE_FIELDS``); empty strings clear optional ones."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationError(errors={k: [str(_l("Unknown field."))] for k in sorted(unknown)})
    errors: dict[str, list[str]] = {}
    if "display_name" in changes:
        name = (changes["display_name"] or "").strip()
        if not name or len(name) > 120:
            errors["display_name"] = [str(_l("Enter a name of at most %(n)s characters.", n=120))]
        changes["display_name"] = name
    if "bio" in changes and len(changes["bio"] or "") > 5000:
        errors["bio"] = [str(_l("At most %(n)s characters.", n=5000))]
    limits = {
        "company_name": 200,
        "registration_number": 64,
        "industry": 120,
        "contact_phone": 40,
        "service_area": 200,
        "address": 2000,
        "locale": 16,
    }
    for key, n in limits.items():
        if key in changes and len(changes[key] or "") > n:
            errors[key] = [str(_l("At most %(n)s characters.", n=n))]
    if changes.get("locale"):
        from ...app import state

        if changes["locale"] not in state(current_app).settings.site["locales"]:
            errors["locale"] = [str(_l("Choose one of the site's languages."))]
    if (
        user.is_business
        and "company_name" in changes
        and not (changes["company_name"] or "").strip()
    ):
        errors["company_name"] = [str(_l("Enter the company name."))]
    if errors:
        raise ValidationError(str(_l("Please correct the marked fields.")), errors=errors)
    for key, value in changes.items():
        if key == "bio":
            user.bio = (value or "").strip()
        elif key == "display_name":
            user.display_name = value
        else:
            setattr(user, key, (value or "").strip() or None)
    return user


def security_events(user: User | None = None, limit: int = 200) -> list[SecurityEvent]:
    query = select(SecurityEvent).order_by(SecurityEvent.id.desc()).limit(limit)
    if user is not None:
        query = query.where(SecurityEvent.user_id == user.id)
    return list(db.session.scalars(query))


def set_roles(operator: User, user: User, roles: list[str], *, ip: str | None = None) -> User:
    """Give ``user`` exactly ``roles`` (operator roles); admins only; audited."""
    from ..access import require
    from .models import OPERATOR_ROLES

    require(operator, "operator.manage_roles", user)
    roles = sorted(set(roles))
    bad = [r for r in roles if r not in OPERATOR_ROLES]
    if bad:
        raise ValidationError(errors={"roles": [str(_l("Unknown role: %(r)s", r=", ".join(bad)))]})
    if operator.id == user.id and "admin" not in roles:
        raise ValidationError(errors={"roles": [str(_l("You cannot remove your own admin role."))]})
    old = sorted(user.roles or [])
    if old != roles:
        user.roles = roles
        audit("role_changed", user=user, actor=operator, ip=ip, old=old, new=roles)
    return user


def set_active(
    operator: User, user: User, active: bool, *, reason: str = "", ip: str | None = None
) -> User:
    """Suspend (``active=False``) or reactivate an account; audited with the reason.

    A suspended user cannot sign in, their sessions end and their tokens stop working.
    """
    from ..access import require

    require(operator, "operator.suspend_users", user)
    reason = (reason or "").strip()
    if operator.id == user.id:
        raise ValidationError(errors={"active": [str(_l("You cannot suspend yourself."))]})
    if user.deleted_at is not None:
        raise ValidationError(errors={"active": [str(_l("This account was deleted."))]})
    if not active and not reason:
        raise ValidationError(errors={"reason": [str(_l("Give a reason for the suspension."))]})
    if user.is_active_account != active:
        user.is_active_account = active
        audit(
            "account_reactivated" if active else "account_suspended",
            user=user,
            actor=operator,
            ip=ip,
            reason=reason or None,
        )
    return user
