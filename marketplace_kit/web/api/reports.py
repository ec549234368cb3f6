"""Reports (any signed-in user) and the operators' report queue and decisions."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ...core.moderation import service
from ...events import commit
from ..ratelimit import limit
from .auth import BEARER, api_user

bp = Blueprint("api_reports", __name__, url_prefix="", description="Reports and moderation")


class ReportCreateSchema(Schema):
    kind = fields.String(
        required=True, metadata={"description": "user, listing, message or a plugin's kind"}
    )
    target_id = fields.Integer(required=True, strict=True)
    reason = fields.String(
        required=True, metadata={"description": "One of: " + ", ".join(service.REASONS)}
    )
    details = fields.String(load_default="", validate=validate.Length(max=service.MAX_DETAILS))


class ReportSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    target_id = fields.Integer()
    reason = fields.String()
    details = fields.String()
    status = fields.String(metadata={"description": "open, actioned or dismissed"})
    created_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)


class OperatorReportSchema(ReportSchema):
    reporter_id = fields.Integer(allow_none=True)
    target_user_id = fields.Integer(allow_none=True)
    target_label = fields.String()
    assigned_to_id = fields.Integer(allow_none=True)
    decision_id = fields.Integer(allow_none=True)


class ReportGroupSchema(Schema):
    kind = fields.String()
    target_id = fields.Integer()
    label = fields.String()
    target_user_id = fields.Function(lambda g: g.target_user.id if g.target_user else None)
    count = fields.Integer()
    reasons = fields.List(fields.String())
    assigned_to_id = fields.Function(lambda g: g.assigned_to.id if g.assigned_to else None)
    reports = fields.List(fields.Nested(OperatorReportSchema))


class ReportQueueArgs(Schema):
    status = fields.String(
        load_default="open", validate=validate.OneOf(["open", "actioned", "dismissed", "all"])
    )
    kind = fields.String(load_default=None)
    reason = fields.String(load_default=None)
    assigned_to = fields.Integer(
        load_default=None, validate=validate.Range(1, 2**31 - 1), allow_none=True
    )
    unassigned = fields.Boolean(load_default=False)


class ModerationDecisionCreateSchema(Schema):
    action = fields.String(required=True, validate=validate.OneOf(list(service.ACTIONS)))
    reason = fields.String(required=True)
    days = fields.Integer(
        load_default=None, allow_none=True, metadata={"description": "suspension length"}
    )


class ModerationDecisionSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    target_id = fields.Integer()
    target_user_id = fields.Integer(allow_none=True)
    action = fields.String()
    reason = fields.String()
    operator_id = fields.Integer(allow_none=True)
    before = fields.Dict()
    after = fields.Dict()
    until = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class ModerationNoticeSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    target_id = fields.Integer()
    action = fields.String()
    reason = fields.String()
    until = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class ReportAssignSchema(Schema):
    assigned_to = fields.Integer(
        required=True, allow_none=True, metadata={"description": "operator id, or null"}
    )


class ReportBulkDismissSchema(Schema):
    report_ids = fields.List(fields.Integer(), required=True, validate=validate.Length(1, 500))
    reason = fields.String(required=True)


@bp.route("/reports", methods=["POST"])
@bp.doc(security=BEARER)
@limit("30 per hour")
@bp.arguments(ReportCreateSchema)
@bp.response(201, ReportSchema)
def create_report(data: dict[str, Any]):
    """Report a user, listing, message (or a plugin's content) to the moderators.

    404 for content that does not exist or you cannot see, 422 for your own
    content or a bad reason, 409 when you already have an open report of it,
    429 over ``[moderation] max_reports_per_hour``.
    """
    report = service.create_report(
        api_user("write"), data["kind"], data["target_id"], data["reason"], data["details"]
    )
    commit()
    return report


@bp.route("/reports/mine", methods=["GET"])
@bp.doc(security=BEARER)
@bp.response(200, ReportSchema(many=True))
def my_reports():
    """The reports I filed, newest first, with their status."""
    return service.reports_by(api_user("read"))


@bp.route("/moderation/notices", methods=["GET"])
@bp.doc(security=BEARER)
@bp.response(200, ModerationNoticeSchema(many=True))
def my_notices():
    """Moderation decisions about me or my content, with the reasons."""
    return service.notices_of(api_user("read"))


@bp.route("/operator/reports", methods=["GET"])
@bp.doc(security=BEARER)
@bp.arguments(ReportQueueArgs, location="query")
@bp.response(200, ReportGroupSchema(many=True))
def operator_reports(args: dict[str, Any]):
    """The report queue grouped by target (operators with ``reports.handle``)."""
    return service.queue(api_user("read"), **args)


@bp.route("/operator/reports/<kind>/<int:target_id>/decision", methods=["POST"])
@bp.doc(security=BEARER)
@bp.arguments(ModerationDecisionCreateSchema)
@bp.response(201, ModerationDecisionSchema)
def decide(data: dict[str, Any], kind: str, target_id: int):
    """Decide on a reported target: dismiss, hide, restore, warn, suspend or ban, with a reason.

    Closes the target's open reports and notifies the reported user (except
    for a dismissal). Suspending and banning need ``operator.suspend_users``.
    """
    decision = service.decide(
        api_user("write"),
        kind,
        target_id,
        data["action"],
        data["reason"],
        days=data["days"],
        ip=request.remote_addr,
    )
    commit()
    return decision


@bp.route("/operator/reports/<kind>/<int:target_id>/assign", methods=["POST"])
@bp.doc(security=BEARER)
@bp.arguments(ReportAssignSchema)
@bp.response(200, OperatorReportSchema(many=True))
def assign(data: dict[str, Any], kind: str, target_id: int):
    """Assign the target's open reports to an operator (``null``: nobody)."""
    operator = api_user("write")
    rows = service.assign(operator, kind, target_id, data["assigned_to"])
    commit()
    return rows


@bp.route("/operator/reports/dismiss", methods=["POST"])
@bp.doc(security=BEARER)
@bp.arguments(ReportBulkDismissSchema)
@bp.response(200, ModerationDecisionSchema(many=True))
def bulk_dismiss(data: dict[str, Any]):
    """Dismiss the targets of several open reports at once (one decision per target)."""
    decisions = service.bulk_dismiss(api_user("write"), data["report_ids"], data["reason"])
    commit()
    return decisions
