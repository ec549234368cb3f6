"""Account flows for API clients (apps): register, confirm, reset, sign in for a token.

These need no token. Responses never tell whether an account exists:
registration and reset requests always answer 202, a failed sign-in 401.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request, url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ...app import state
from ...core.users import accounts
from ...core.users import tokens as token_service
from ...core.users.service import get_by_email
from ...errors import ValidationError
from ...events import commit
from ...extensions import db
from ..ratelimit import limit
from .auth import Unauthorized
from .users import TokenCreatedSchema, TokenSchema, _create

bp = Blueprint("api_accounts", __name__, url_prefix="/auth", description="Sign-up and sign-in")


class RegisterSchema(Schema):
    email = fields.String(required=True)
    password = fields.String(required=True, load_only=True)
    display_name = fields.String(required=True)
    account_type = fields.String(
        load_default="individual", validate=validate.OneOf(["individual", "business"])
    )
    locale = fields.String(load_default=None, allow_none=True)
    invitation = fields.String(load_default=None, allow_none=True)
    company_name = fields.String(load_default=None, allow_none=True)
    registration_number = fields.String(load_default=None, allow_none=True)
    industry = fields.String(load_default=None, allow_none=True)
    contact_phone = fields.String(load_default=None, allow_none=True)
    address = fields.String(load_default=None, allow_none=True)
    service_area = fields.String(load_default=None, allow_none=True)


class AcceptedSchema(Schema):
    detail = fields.String(required=True)


class TokenOnlySchema(Schema):
    token = fields.String(required=True)


class EmailSchema(Schema):
    email = fields.String(required=True)


class ResetSchema(Schema):
    token = fields.String(required=True)
    password = fields.String(required=True, load_only=True)


class SignInSchema(Schema):
    email = fields.String(required=True)
    password = fields.String(required=True, load_only=True)
    name = fields.String(load_default="API sign-in", validate=validate.Length(1, 100))
    scopes = fields.List(
        fields.String(validate=validate.OneOf(token_service.SCOPES)),
        load_default=lambda: ["read", "write"],
        validate=validate.Length(min=1),
    )
    expires_in_days = fields.Integer(load_default=30, validate=validate.Range(min=1))


class ConfirmedSchema(Schema):
    email = fields.String(required=True)
    email_confirmed = fields.Boolean(required=True)


def _mail(user: Any, template: str, **context: Any) -> None:
    from ..pages.account import send_mail

    send_mail(user, template, **context)


@bp.route("/register", methods=["POST"])
@limit("20 per hour")
@bp.arguments(RegisterSchema)
@bp.response(202, AcceptedSchema)
def register(data: dict[str, Any]):
    """Create an account; a confirmation link is emailed (same answer for a taken address)."""
    if not state(current_app).settings.users["allow_registration"]:
        raise ValidationError("Registration is closed.")
    business = {k: data.pop(k) for k in accounts.BUSINESS_FIELDS}
    try:
        result = accounts.register(
            data["email"],
            data["password"],
            data["display_name"],
            account_type=data["account_type"],
            locale=data["locale"],
            invitation=data["invitation"],
            ip=request.remote_addr,
            **business,
        )
        commit()
    except ValidationError:
        db.session.rollback()
        raise
    if result.user is not None and result.user.email_confirmed_at is None:
        token = accounts.confirmation_token(result.user)
        _mail(
            result.user,
            "confirm_email",
            link=url_for("account.confirm", token=token, _external=True),
        )
    elif result.existing is not None:
        _mail(
            result.existing,
            "already_registered",
            login_link=url_for("account.login", _external=True),
            reset_link=url_for("account.reset_request", _external=True),
        )
    return {"detail": "Check your inbox to confirm the address."}


@bp.route("/confirm-email", methods=["POST"])
@bp.arguments(TokenOnlySchema)
@bp.response(200, ConfirmedSchema)
def confirm_email(data: dict[str, Any]):
    """Confirm an email address with the token from the emailed link."""
    try:
        user = accounts.confirm_email(data["token"])
        commit()
    except ValidationError:
        db.session.rollback()
        raise
    return {"email": user.email, "email_confirmed": True}


@bp.route("/password-reset", methods=["POST"])
@limit("5 per minute")
@bp.arguments(EmailSchema)
@bp.response(202, AcceptedSchema)
def password_reset(data: dict[str, Any]):
    """Email a reset link if an account uses this address (the answer is the same either way)."""
    email = data["email"].strip()
    user = get_by_email(email) if accounts.valid_email(email) else None
    if user is not None and user.deleted_at is None and user.is_active:
        accounts.audit("password_reset_requested", user=user, ip=request.remote_addr)
        commit()
        _mail(
            user,
            "reset_password",
            link=url_for("account.reset", token=accounts.reset_token(user), _external=True),
            hours=state(current_app).settings.users["reset_token_hours"],
        )
    return {"detail": "If an account uses this address, a reset link was sent to it."}


@bp.route("/password-reset/confirm", methods=["POST"])
@limit("10 per minute")
@bp.arguments(ResetSchema)
@bp.response(204)
def password_reset_confirm(data: dict[str, Any]):
    """Set a new password with the token from the emailed link (works once)."""
    try:
        user = accounts.reset_password(data["token"], data["password"], ip=request.remote_addr)
        commit()
    except ValidationError:
        db.session.rollback()
        raise
    _mail(user, "password_changed")


@bp.route("/tokens", methods=["POST"])
@limit("10 per minute")
@bp.arguments(SignInSchema)
@bp.response(201, TokenCreatedSchema)
def sign_in(data: dict[str, Any]):
    """Sign in with email and password; get a new personal access token (shown once)."""
    result = accounts.authenticate(data["email"], data["password"], ip=request.remote_addr)
    commit()
    if result.locked is not None:
        _mail(
            result.locked,
            "account_locked",
            minutes=state(current_app).settings.users["lockout_minutes"],
            reset_link=url_for("account.reset_request", _external=True),
        )
    if result.user is None:
        raise Unauthorized(
            "Email or password is not correct, or the account is temporarily locked."
            if result.reason != "unconfirmed"
            else "Confirm your email address first."
        )
    token, secret = _create(result.user, data, request.remote_addr)
    return {**{name: getattr(token, name) for name in TokenSchema().fields}, "token": secret}
