"""Console pages for the report queue: filters, assignment, grouped targets, decisions, log."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ...core.access import can, require
from ...core.moderation import service
from ...core.moderation.kinds import get_kind, report_kinds
from ...core.moderation.models import ModerationDecision
from ...core.users.models import User
from ...errors import MarketplaceError, ValidationError
from ...events import commit
from ...extensions import db
from . import bp
from .common import check_csrf as _check_csrf
from .common import csv_export, form_id, id_arg
from .common import me as _me

STATUSES = ("open", "actioned", "dismissed", "all")


def _reports_context(me) -> dict:
    status = request.args.get("status", "open")
    if status not in STATUSES:
        abort(404)
    kind = request.args.get("kind") or None
    reason = request.args.get("reason") or None
    if kind is not None and kind not in report_kinds():
        kind = None
    if reason is not None and reason not in service.REASONS:
        reason = None
    assigned = request.args.get("assigned", "")
    groups = service.queue(
        me,
        status=status,
        kind=kind,
        reason=reason,
        assigned_to=me.id if assigned == "me" else id_arg("assigned"),
        unassigned=assigned == "none",
    )
    return {
        "groups": groups,
        "status": status,
        "statuses": STATUSES,
        "kind": kind,
        "reason": reason,
        "assigned": assigned,
        "kinds": report_kinds(),
        "reasons": service.REASONS,
        "reason_label": service.reason_label,
        "status_label": service.status_label,
    }


@bp.get("/reports")
@login_required
def reports():
    me = _me()
    require(me, "reports.handle")
    return render_template("console/reports.html", **_reports_context(me), errors={})


@bp.get("/reports.csv")
@login_required
def reports_csv():
    """One row per reported target, as on the page."""
    me = _me()
    require(me, "reports.handle")
    ctx = _reports_context(me)
    header = (
        "kind,target_id,label,owner_email,reports,reasons,first_report_id,"
        "first_reported_at,assigned_to"
    )
    rows = [
        [
            g.kind,
            g.target_id,
            g.label,
            g.target_user.email if g.target_user else None,
            g.count,
            " ".join(g.reasons),
            g.first.id,
            g.first.created_at,
            g.assigned_to.email if g.assigned_to else None,
        ]
        for g in ctx["groups"]
    ]
    return csv_export("reports.csv", header, rows)


@bp.post("/reports/dismiss")
@login_required
def reports_bulk_dismiss():
    me = _me()
    require(me, "reports.handle")
    _check_csrf()
    try:
        decisions = service.bulk_dismiss(
            me, request.form.getlist("report_ids"), request.form.get("reason", "")
        )
        commit()
    except MarketplaceError as exc:
        db.session.rollback()
        flash(
            "; ".join(str(m) for msgs in exc.errors.values() for m in msgs) or exc.detail, "error"
        )
        return redirect(url_for("console.reports")), 303
    flash(_("Dismissed %(n)s reported items.", n=len(decisions)), "success")
    return redirect(url_for("console.reports")), 303


@bp.route("/reports/<kind_name>/<int:target_id>", methods=["GET", "POST"])
@login_required
def report_target(kind_name: str, target_id: int):
    me = _me()
    require(me, "reports.handle")
    kind = get_kind(kind_name) or abort(404)
    rows = service.reports_of_target(kind.name, target_id)
    target = service.load_target(kind, target_id)
    if target is None and not rows:
        abort(404)
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        _check_csrf()
        op = request.form.get("op")
        try:
            if op == "assign":
                choice = request.form.get("assigned_to", "")
                assignee = me.id if choice == "me" else form_id("assigned_to")
                if choice not in ("", "me") and assignee is None:
                    raise ValidationError(
                        errors={"assigned_to": [_("Choose an operator who handles reports.")]}
                    )
                service.assign(me, kind.name, target_id, assignee)
                message = _("Assignment saved.")
            elif op == "decide":
                service.decide(
                    me,
                    kind.name,
                    target_id,
                    request.form.get("action"),
                    request.form.get("reason", ""),
                    days=request.form.get("days") or None,
                    ip=request.remote_addr,
                )
                message = _("Decision saved; the user was notified.")
            else:
                abort(400)
            commit()
        except MarketplaceError as exc:
            db.session.rollback()
            status = exc.status
            errors = {k: [str(m) for m in v] for k, v in (exc.errors or {}).items()} or {
                "_": [exc.detail]
            }
            target = service.load_target(kind, target_id)
            rows = service.reports_of_target(kind.name, target_id)
        else:
            flash(message, "success")
            return redirect(
                url_for("console.report_target", kind_name=kind.name, target_id=target_id)
            ), 303
    owner_id = kind.owner_id(target) if target is not None else None
    return (
        render_template(
            "console/report_target.html",
            kind=kind,
            target=target,
            target_id=target_id,
            label=kind.describe(target)
            if target is not None
            else (rows[-1].target_label if rows else ""),
            preview=kind.preview(target) if target is not None else "",
            url=kind.url(target) if target is not None else None,
            hidden=target is not None and kind.is_hidden(target),
            owner=db.session.get(User, owner_id) if owner_id else None,
            reports=rows,
            open_reports=[r for r in rows if r.status == "open"],
            decisions=service.decisions_for(kind.name, target_id),
            actions=service.allowed_actions(me, kind, target),
            action_label=service.action_label,
            reason_label=service.reason_label,
            status_label=service.status_label,
            handlers=service.handlers(),
            default_days=service.settings()["suspension_days"],
            errors=errors,
            form=request.form if errors else {},
            can=can,
            me=me,
        ),
        status,
    )


@bp.get("/moderation-log")
@login_required
def moderation_log():
    require(_me(), "reports.handle")
    from sqlalchemy import select

    action = request.args.get("action") or None
    stmt = select(ModerationDecision).order_by(ModerationDecision.id.desc()).limit(500)
    if action in service.ACTIONS:
        stmt = stmt.where(ModerationDecision.action == action)
    return render_template(
        "console/moderation_log.html",
        decisions=list(db.session.scalars(stmt)),
        action=action,
        actions=service.ACTIONS,
        action_label=service.action_label,
    )
