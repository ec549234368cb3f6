"""``/api/v1/me``, ``/api/v1/users/<id>`` and ``/api/v1/tokens``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app, request, url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ...app import state
from ...core.users import accounts, profiles
from ...core.users import tokens as token_service
from ...core.users.models import ApiToken, User
from ...core.users.service import get_row
from ...errors import NotFound, ValidationError
from ...events import commit
from ...extensions import db
from .auth import BEARER, api_user

bp = Blueprint("api_users", __name__, url_prefix="", description="Accounts and tokens")


def avatar_url(user: User) -> str | None:
    if not user.avatar_key:
        return None
    return url_for("account.avatar", name=user.avatar_key.split("/")[-1], _external=True)


def public_sections(user: User) -> dict[str, Any]:
    return {s.key: v for s, v in profiles.public_sections(user)}


class PublicUserSchema(Schema):
    id = fields.Integer(required=True)
    display_name = fields.String(required=True)
    account_type = fields.String(required=True)
    bio = fields.String()
    company_name = fields.String(allow_none=True)
    industry = fields.String(allow_none=True)
    service_area = fields.String(allow_none=True)
    verification_level = fields.Integer(required=True)
    avatar_url = fields.Function(avatar_url, allow_none=True)
    sections = fields.Function(public_sections)
    created_at = fields.DateTime(required=True)


class MeSchema(PublicUserSchema):
    email = fields.String(required=True)
    email_confirmed = fields.Boolean(required=True)
    locale = fields.String(allow_none=True)
    registration_number = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    roles = fields.List(fields.String())
    sections = fields.Function(
        lambda u: {s.key: profiles.section_values(u, s) for s in profiles.profile_sections()}
    )


class MeUpdateSchema(Schema):
    display_name = fields.String()
    bio = fields.String()
    locale = fields.String(allow_none=True)
    company_name = fields.String(allow_none=True)
    registration_number = fields.String(allow_none=True)
    industry = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    service_area = fields.String(allow_none=True)
    sections = fields.Dict(keys=fields.String(), values=fields.Dict())


class PasswordChangeSchema(Schema):
    current_password = fields.String(required=True, load_only=True)
    password = fields.String(required=True, load_only=True)


class TokenSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    prefix = fields.String(required=True)
    scopes = fields.List(fields.String(), required=True)
    created_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class TokenCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 100))
    scopes = fields.List(
        fields.String(validate=validate.OneOf(token_service.SCOPES)),
        required=True,
        validate=validate.Length(min=1),
    )
    expires_in_days = fields.Integer(
        load_default=90, allow_none=True, validate=validate.Range(min=1)
    )


class TokenCreatedSchema(TokenSchema):
    token = fields.String(required=True, metadata={"description": "The secret; shown only once."})


@bp.route("/me")
@bp.doc(security=BEARER)
@bp.response(200, MeSchema)
def get_me():
    """The token's user, with private fields."""
    return api_user("read")


@bp.route("/me", methods=["PATCH"])
@bp.doc(security=BEARER)
@bp.arguments(MeUpdateSchema)
@bp.response(200, MeSchema)
def patch_me(data: dict[str, Any]):
    """Change profile fields; ``sections`` holds plugin profile fields by section key."""
    user = api_user("write")
    sections = data.pop("sections", None)
    business = set(data) & set(accounts.BUSINESS_FIELDS)
    if business and not user.is_business:
        raise ValidationError(
            errors={k: ["Only business accounts have this field."] for k in sorted(business)}
        )
    try:
        accounts.update_profile(user, **{k: v or "" for k, v in data.items()})
        if sections:
            profiles.update_sections(user, sections)
        commit()
    except ValidationError:
        db.session.rollback()
        raise
    return user


@bp.route("/me/avatar", methods=["PUT"])
@bp.doc(security=BEARER)
@bp.response(200, MeSchema)
def put_avatar():
    """Upload an avatar as multipart field ``avatar`` (PNG, JPEG, GIF or WebP)."""
    user = api_user("write")
    upload = request.files.get("avatar")
    try:
        profiles.set_avatar(user, upload.read() if upload else b"")
        commit()
    except ValidationError:
        db.session.rollback()
        raise
    return user


@bp.route("/me/avatar", methods=["DELETE"])
@bp.doc(security=BEARER)
@bp.response(204)
def delete_avatar():
    """Remove the avatar."""
    user = api_user("write")
    profiles.remove_avatar(user)
    commit()


@bp.route("/me/password", methods=["POST"])
@bp.doc(security=BEARER)
@bp.arguments(PasswordChangeSchema)
@bp.response(204)
def change_password(data: dict[str, Any]):
    """Change the password (the current one is required)."""
    user = api_user("write")
    try:
        accounts.change_password(
            user, data["current_password"], data["password"], ip=request.remote_addr
        )
        commit()
    except ValidationError:
        db.session.rollback()
        raise


@bp.route("/users/<int:user_id>")
@bp.response(200, PublicUserSchema)
def get_user(user_id: int):
    """A user's public profile."""
    user = get_row(User, user_id)
    if user is None or user.deleted_at is not None or not user.is_active:
        raise NotFound("No such user.")
    return user


@bp.route("/tokens")
@bp.doc(security=BEARER)
@bp.response(200, TokenSchema(many=True))
def list_tokens():
    """The user's personal access tokens (never their secrets)."""
    user = api_user("read")
    return token_service.tokens_of(user)


@bp.route("/tokens", methods=["POST"])
@bp.doc(security=BEARER)
@bp.arguments(TokenCreateSchema)
@bp.response(201, TokenCreatedSchema)
def create_token(data: dict[str, Any]):
    """Create a token; the response is the only time its secret is shown."""
    user = api_user("write")
    token, secret = _create(user, data, request.remote_addr)
    return {**{name: getattr(token, name) for name in TokenSchema().fields}, "token": secret}


def _create(user: User, data: dict[str, Any], ip: str | None) -> tuple[ApiToken, str]:
    max_days = state(current_app).settings.users["max_token_days"]
    days = data.get("expires_in_days")
    if days is None or days > max_days:
        raise ValidationError(
            errors={"expires_in_days": [f"Choose between 1 and {max_days} days."]}
        )
    try:
        token, secret = token_service.create_token(
            user, data["name"], list(data["scopes"]), expires_in=timedelta(days=days)
        )
        accounts.audit("token_created", user=user, actor=user, ip=ip, token=token.prefix)
        commit()
    except ValidationError:
        db.session.rollback()
        raise
    return token, secret


@bp.route("/tokens/<int:token_id>", methods=["DELETE"])
@bp.doc(security=BEARER)
@bp.response(204)
def revoke_token(token_id: int):
    """Revoke one of the user's tokens."""
    user = api_user("write")
    token_service.revoke(user, token_id, ip=request.remote_addr)
    commit()


class DeleteMeSchema(Schema):
    password = fields.String(required=True, load_only=True)


@bp.route("/me/export")
@bp.doc(security=BEARER)
@bp.response(200)
def export_me():
    """Everything kept about the user, as JSON (the same as the page's download)."""
    from ...core.users.privacy import export_data

    return export_data(api_user("read"))


@bp.route("/me", methods=["DELETE"])
@bp.doc(security=BEARER)
@bp.arguments(DeleteMeSchema)
@bp.response(204)
def delete_me(data: dict[str, Any]):
    """Delete the account: personal data is erased; needs the password."""
    from ...core.users.privacy import delete_account

    user = api_user("write")
    try:
        delete_account(user, data["password"], ip=request.remote_addr)
        commit()
    except ValidationError:
        db.session.rollback()
        raise
