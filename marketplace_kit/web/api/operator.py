"""Verification (user and operator side), roles and the audit log in the API."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from ...core.access import require
from ...core.console import service as console
from ...core.users import verification as vsvc
from ...core.users.models import SecurityEvent, User
from ...core.users.service import MAX_ID, get_row
from ...errors import NotFound, ValidationError
from ...events import commit
from ...extensions import db
from .auth import BEARER, api_user

bp = Blueprint("api_verification", __name__, url_prefix="", description="Verification and roles")


class VerificationSchema(Schema):
    id = fields.Integer(required=True)
    user_id = fields.Integer(required=True)
    kind = fields.String(required=True)
    level = fields.Integer(required=True)
    status = fields.String(required=True)
    data = fields.Dict(required=True)
    documents = fields.Function(lambda r: sorted((r.documents or {}).keys()))
    reason = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
    decided_at = fields.DateTime(allow_none=True)


class VerificationDecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "reject"]))
    reason = fields.String(load_default="")


class QueueArgs(Schema):
    status = fields.String(
        load_default="pending", validate=validate.OneOf(["pending", "approved", "rejected", "all"])
    )


class RolesSchema(Schema):
    roles = fields.List(fields.String(), required=True)


class RolesOutSchema(Schema):
    id = fields.Integer()
    roles = fields.List(fields.String())


class SecurityEventSchema(Schema):
    id = fields.Integer()
    created_at = fields.DateTime()
    kind = fields.String()
    user_id = fields.Integer(allow_none=True)
    actor_id = fields.Integer(allow_none=True)
    ip = fields.String(allow_none=True)
    detail = fields.Dict()


class AuditArgs(Schema):
    kind = fields.String(load_default=None)
    user = fields.Integer(load_default=None, validate=validate.Range(1, MAX_ID))
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))


@bp.route("/me/verification")
@bp.doc(security=BEARER)
@bp.response(200, VerificationSchema(many=True))
def my_requests():
    """The user's verification requests."""
    return vsvc.requests_of(api_user("read"))


@bp.route("/me/verification", methods=["POST"])
@bp.doc(security=BEARER)
@bp.response(201, VerificationSchema)
def submit_request():
    """Submit a request as multipart form: ``kind``, the kind's fields, document files."""
    user = api_user("write")
    files = {name: f.read() for name, f in request.files.items()}
    form = request.form.to_dict()
    try:
        req = vsvc.submit(user, form.pop("kind", ""), form, files, ip=request.remote_addr)
        commit()
    except Exception:
        db.session.rollback()
        raise
    return req


@bp.route("/operator/verification")
@bp.doc(security=BEARER)
@bp.arguments(QueueArgs, location="query")
@bp.response(200, VerificationSchema(many=True))
def queue(args: dict[str, Any]):
    """Verification requests to review (operators: admin, moderator)."""
    require(api_user("read"), "operator.review_verification")
    return vsvc.queue(args["status"])


@bp.route("/operator/verification/<int:request_id>/decision", methods=["POST"])
@bp.doc(security=BEARER)
@bp.arguments(VerificationDecisionSchema)
@bp.response(200, VerificationSchema)
def decide(data: dict[str, Any], request_id: int):
    """Approve or reject (a rejection needs a reason)."""
    operator = api_user("write")
    require(operator, "operator.review_verification")
    req = vsvc.get_request(request_id)
    try:
        console.decide_verification(
            operator,
            req,
            approve=data["decision"] == "approve",
            reason=data["reason"],
            ip=request.remote_addr,
        )
        commit()
    except ValidationError:
        db.session.rollback()
        raise
    return req


@bp.route("/operator/users/<int:user_id>/roles", methods=["PUT"])
@bp.doc(security=BEARER)
@bp.arguments(RolesSchema)
@bp.response(200, RolesOutSchema)
def put_roles(data: dict[str, Any], user_id: int):
    """Set a user's operator roles (admins only)."""
    operator = api_user("write")
    require(operator, "operator.manage_roles")
    user = get_row(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    try:
        console.set_user_roles(operator, user, data["roles"], ip=request.remote_addr)
        commit()
    except ValidationError:
        db.session.rollback()
        raise
    return user


@bp.route("/operator/audit")
@bp.doc(security=BEARER)
@bp.arguments(AuditArgs, location="query")
@bp.response(200, SecurityEventSchema(many=True))
def audit_log(args: dict[str, Any]):
    """Security events, newest first (operators: admin, support)."""
    require(api_user("read"), "operator.view_audit")
    query = select(SecurityEvent).order_by(SecurityEvent.id.desc()).limit(args["limit"])
    if args["kind"]:
        query = query.where(SecurityEvent.kind == args["kind"])
    if args["user"]:
        query = query.where(SecurityEvent.user_id == args["user"])
    return list(db.session.scalars(query))
