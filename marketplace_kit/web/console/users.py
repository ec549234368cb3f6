"""Console pages for users: search, profile (orders, security log, verification history),
status and roles, fee override, the verification queue, the security audit log, invitations."""

from __future__ import annotations

import json

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from ...core.access import can, require
from ...core.console import service as console
from ...core.orders.models import Order
from ...core.storage import storage
from ...core.users import accounts
from ...core.users import verification as vsvc
from ...core.users.models import OPERATOR_ROLES, SecurityEvent, User, VerificationRequest
from ...core.users.service import MAX_ID, get_row
from ...errors import Conflict, MarketplaceError, ValidationError
from ...events import commit
from ...extensions import db
from . import bp, sections_for
from .common import assignee_email, check_csrf, csv_export, errors_of, ip, me

USER_STATUSES = ("active", "suspended", "banned", "deleted")


@bp.get("/")
@login_required
def index():
    require(me(), "operator.console")
    groups: dict[str, list] = {}
    for section in sections_for(me()):
        groups.setdefault(str(section.group), []).append(section)
    return render_template("console/index.html", groups=groups, me=me(), can=can)


def _users_context() -> dict:
    q = request.args.get("q", "").strip()[:200]
    role = request.args.get("role", "")
    role = role if role in (*OPERATOR_ROLES, "none") else ""
    status = request.args.get("status", "")
    status = status if status in USER_STATUSES else ""
    return {
        "users": console.search_users(q, role, status),
        "q": q,
        "role": role,
        "status": status,
        "roles": OPERATOR_ROLES,
        "statuses": USER_STATUSES,
        "user_status": console.user_status,
    }


@bp.get("/users")
@login_required
def users():
    require(me(), "operator.view_users")
    return render_template("console/users.html", **_users_context())


@bp.get("/users.csv")
@login_required
def users_csv():
    require(me(), "operator.view_users")
    ctx = _users_context()
    header = "id,display_name,email,account_type,roles,verification_level,status,created_at"
    rows = [
        [
            u.id,
            u.display_name,
            u.email,
            u.account_type,
            " ".join(u.roles or []),
            u.verification_level,
            console.user_status(u),
            u.created_at,
        ]
        for u in ctx["users"]
    ]
    return csv_export("users.csv", header, rows)


def _user_context(user: User, errors: dict[str, list[str]] | None = None) -> dict:
    operator = me()
    orders = list(
        db.session.scalars(
            select(Order)
            .where((Order.customer_id == user.id) | (Order.provider_id == user.id))
            .order_by(Order.id.desc())
            .limit(50)
        )
    )
    override = console.fee_override(user)
    from ...core.trust import reputation as trust_reputation
    from ...core.trust import service as trust

    return {
        "reviews_received": trust.reviews_about(user, limit=50, include_hidden=True),
        "reviews_written": trust.reviews_by(user, limit=50),
        "reputations": trust_reputation.reputations_of(user),
        "role_labels": trust_reputation.ROLE_LABELS,
        "badge_label": trust_reputation.badge_label,
        "user": user,
        "roles": OPERATOR_ROLES,
        "errors": errors or {},
        "status": console.user_status(user),
        "can_manage": can(operator, "operator.manage_roles", user),
        "can_suspend": can(operator, "operator.suspend_users", user) and user.id != operator.id,
        "can_fees": can(operator, "fees.override", user),
        "can_orders": can(operator, "order.operate"),
        "events": accounts.security_events(user, limit=50),
        "requests": vsvc.requests_of(user),
        "can_review": can(operator, "operator.review_verification"),
        "level_label": vsvc.level_label,
        "orders": orders,
        "override": override,
        "override_json": json.dumps(override.rules, indent=2) if override else "",
        "actions": list(db.session.scalars(console.audit_query(subject_id=user.id).limit(50))),
    }


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def user_detail(user_id: int):
    operator = me()
    require(operator, "operator.view_users")
    user = get_row(User, user_id) or abort(404)
    if request.method == "POST":
        check_csrf()
        try:
            if "active" in request.form or "status" in request.form:
                status = request.form.get("status") or (
                    "active" if request.form.get("active") == "1" else "suspended"
                )
                console.set_user_status(
                    operator, user, status, reason=request.form.get("reason", ""), ip=ip()
                )
            else:
                console.set_user_roles(operator, user, request.form.getlist("roles"), ip=ip())
            commit()
        except ValidationError as exc:
            db.session.rollback()
            return render_template("console/user.html", **_user_context(user, errors_of(exc))), 422
        flash(_("Saved."), "success")
        return redirect(url_for("console.user_detail", user_id=user.id)), 303
    return render_template("console/user.html", **_user_context(user))


@bp.post("/users/<int:user_id>/fees")
@login_required
def user_fees(user_id: int):
    """Set (``rules`` JSON list) or clear (``clear``) the provider's fee override."""
    operator = me()
    require(operator, "fees.override")
    user = get_row(User, user_id) or abort(404)
    check_csrf()
    try:
        if request.form.get("clear"):
            rules = None
        else:
            try:
                rules = json.loads(request.form.get("rules") or "")
            except ValueError:
                raise ValidationError(
                    errors={"rules": [_("Write the rules as a JSON list.")]}
                ) from None
            if not isinstance(rules, list):
                raise ValidationError(errors={"rules": [_("Write the rules as a JSON list.")]})
        console.set_fee_override(
            operator, user, rules, reason=request.form.get("reason", ""), ip=ip()
        )
        commit()
    except ValidationError as exc:
        db.session.rollback()
        return render_template("console/user.html", **_user_context(user, errors_of(exc))), 422
    flash(_("Fee override saved."), "success")
    return redirect(url_for("console.user_detail", user_id=user.id)), 303


# ---------------------------------------------------------------------------
# verification queue
# ---------------------------------------------------------------------------


def _verification_context() -> dict:
    operator = me()
    status = request.args.get("status", "pending")
    if status not in ("pending", "approved", "rejected", "all"):
        abort(404)
    kind = request.args.get("kind", "")
    assignee = request.args.get("assignee", "")
    stmt = select(VerificationRequest).order_by(VerificationRequest.id).limit(500)
    if status != "all":
        stmt = stmt.where(VerificationRequest.status == status)
    if kind in ("identity", "business"):
        stmt = stmt.where(VerificationRequest.kind == kind)
    stmt = console.filter_assigned(stmt, "verification", VerificationRequest.id, assignee, operator)
    rows = list(db.session.scalars(stmt))
    return {
        "requests": rows,
        "status": status,
        "kind": kind,
        "assignee": assignee,
        "assigned": console.assignments("verification", [r.id for r in rows]),
        "operators": console.eligible_assignees("verification"),
    }


@bp.get("/verification")
@login_required
def verification_queue():
    require(me(), "operator.review_verification")
    return render_template("console/verification_queue.html", **_verification_context())


@bp.get("/verification.csv")
@login_required
def verification_queue_csv():
    require(me(), "operator.review_verification")
    ctx = _verification_context()
    header = "id,user_id,user_email,user_name,kind,status,submitted_at,assigned_to"
    rows = [
        [
            r.id,
            r.user_id,
            r.user.email,
            r.user.display_name,
            r.kind,
            r.status,
            r.created_at,
            assignee_email(ctx["assigned"], r.id),
        ]
        for r in ctx["requests"]
    ]
    return csv_export("verification.csv", header, rows)


@bp.route("/verification/<int:request_id>", methods=["GET", "POST"])
@login_required
def verification_detail(request_id: int):
    operator = me()
    require(operator, "operator.review_verification")
    req = vsvc.get_request(request_id)
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        check_csrf()
        decision = request.form.get("decision")
        if decision not in ("approve", "reject"):
            abort(400)
        try:
            console.decide_verification(
                operator,
                req,
                approve=decision == "approve",
                reason=request.form.get("reason", ""),
                ip=ip(),
            )
            commit()
        except (ValidationError, Conflict) as exc:
            db.session.rollback()
            errors, status = errors_of(exc), exc.status
        else:
            flash(_("Decision saved."), "success")
            return redirect(url_for("console.verification_queue")), 303
    return render_template(
        "console/verification.html",
        req=req,
        fields=vsvc.fields_for(req.kind),
        errors=errors,
        level_label=vsvc.level_label,
        assigned=console.assignments("verification", [req.id]).get(req.id),
        operators=console.eligible_assignees("verification"),
    ), status


@bp.get("/verification/<int:request_id>/documents/<name>")
@login_required
def verification_document(request_id: int, name: str):
    req = vsvc.get_request(request_id)
    operator = me()
    if req.user_id != operator.id:
        require(operator, "operator.view_verification_documents", req)
    doc = (req.documents or {}).get(name) or abort(404)
    data = storage().read(doc["key"])
    if data is None:
        abort(404)
    resp = Response(data, mimetype=doc["type"])
    resp.headers["Content-Disposition"] = (
        f'attachment; filename="{name}.{doc["key"].rsplit(".", 1)[-1]}"'
    )
    resp.headers["Cache-Control"] = "private, no-store"
    resp.headers["Content-Security-Policy"] = "default-src 'none'"
    return resp


# ---------------------------------------------------------------------------
# security audit log and invitations
# ---------------------------------------------------------------------------


@bp.get("/audit")
@login_required
def audit_log():
    require(me(), "operator.view_audit")
    kind = request.args.get("kind", "").strip()
    query = select(SecurityEvent).order_by(SecurityEvent.id.desc()).limit(500)
    if kind:
        query = query.where(SecurityEvent.kind == kind)
    user_id = request.args.get("user", "")
    if user_id.isdigit() and 1 <= int(user_id) <= MAX_ID:
        query = query.where(SecurityEvent.user_id == int(user_id))
    return render_template("console/audit.html", events=list(db.session.scalars(query)), kind=kind)


@bp.route("/invitations", methods=["GET", "POST"])
@login_required
def invitations():
    from flask_babel import get_locale

    from ...app import state
    from ...core import mail
    from ...core.users import invitations as isvc

    operator = me()
    require(operator, "operator.invite")
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        check_csrf()
        try:
            invitation, secret = isvc.create_invitation(
                operator, request.form.get("email", ""), ip=ip()
            )
            console.record(
                operator,
                "invitation.create",
                "invitation",
                invitation.id,
                after={"email": invitation.email},
                ip=ip(),
            )
            commit()
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            mail.send(
                invitation.email,
                "invitation",
                locale=str(get_locale()),
                site=state(current_app).settings.site,
                inviter=operator,
                link=url_for("account.register", invite=secret, _external=True),
                days=state(current_app).settings.users["invitation_days"],
            )
            flash(_("Invitation sent to %(email)s.", email=invitation.email), "success")
            return redirect(url_for("console.invitations")), 303
    return render_template("console/invitations.html", invitations=isvc.recent(), errors=errors)


__all__ = ["MarketplaceError"]
