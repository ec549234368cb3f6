"""Operator pages for users: user list and roles, verification queue, audit log."""

from __future__ import annotations

from flask import (
    Blueprint,
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
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from ...core.access import can, require
from ...core.storage import storage
from ...core.users import accounts
from ...core.users import verification as vsvc
from ...core.users.models import OPERATOR_ROLES, SecurityEvent, User
from ...core.users.service import MAX_ID, get_row
from ...errors import Conflict, ValidationError
from ...events import commit
from ...extensions import db

bp = Blueprint("operator", __name__, url_prefix="/operator")


class _CsrfForm(FlaskForm):
    pass


def _me() -> User:
    return current_user._get_current_object()


def _check_csrf() -> None:
    if not _CsrfForm().validate_on_submit():
        abort(400)


@bp.get("/")
@login_required
def index():
    require(_me(), "operator.console")
    return render_template("operator/index.html", can=can, me=_me())


@bp.get("/users")
@login_required
def users():
    require(_me(), "operator.view_users")
    q = request.args.get("q", "").strip()
    query = select(User).order_by(User.id.desc()).limit(200)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(
            func.lower(User.email).like(like) | func.lower(User.display_name).like(like)
        )
    return render_template(
        "operator/users.html", users=list(db.session.scalars(query)), q=q, me=_me(), can=can
    )


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def user_detail(user_id: int):
    me = _me()
    require(me, "operator.view_users")
    user = get_row(User, user_id) or abort(404)
    errors: list[str] = []
    if request.method == "POST":
        _check_csrf()
        try:
            if "active" in request.form:
                accounts.set_active(
                    me,
                    user,
                    request.form["active"] == "1",
                    reason=request.form.get("reason", ""),
                    ip=request.remote_addr,
                )
            else:
                accounts.set_roles(me, user, request.form.getlist("roles"), ip=request.remote_addr)
            commit()
        except ValidationError as exc:
            db.session.rollback()
            errors = [str(m) for msgs in exc.errors.values() for m in msgs]
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("operator.user_detail", user_id=user.id)), 303
    return render_template(
        "operator/user.html",
        user=user,
        roles=OPERATOR_ROLES,
        errors=errors,
        can_manage=can(me, "operator.manage_roles", user),
        can_suspend=can(me, "operator.suspend_users", user) and user.id != me.id,
        events=accounts.security_events(user, limit=50),
        requests=vsvc.requests_of(user),
        can_review=can(me, "operator.review_verification"),
        level_label=vsvc.level_label,
    )


@bp.get("/verification")
@login_required
def verification_queue():
    require(_me(), "operator.review_verification")
    status = request.args.get("status", "pending")
    if status not in ("pending", "approved", "rejected", "all"):
        abort(404)
    return render_template(
        "operator/verification_queue.html", requests=vsvc.queue(status), status=status
    )


@bp.route("/verification/<int:request_id>", methods=["GET", "POST"])
@login_required
def verification_detail(request_id: int):
    me = _me()
    require(me, "operator.review_verification")
    req = vsvc.get_request(request_id)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        _check_csrf()
        decision = request.form.get("decision")
        if decision not in ("approve", "reject"):
            abort(400)
        try:
            vsvc.decide(
                me,
                req,
                approve=decision == "approve",
                reason=request.form.get("reason", ""),
                ip=request.remote_addr,
            )
            commit()
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
        except Conflict as exc:
            db.session.rollback()
            errors = {"_": [exc.detail]}
        else:
            flash(_("Decision saved."), "success")
            return redirect(url_for("operator.verification_queue")), 303
    return render_template(
        "operator/verification.html",
        req=req,
        fields=vsvc.fields_for(req.kind),
        errors=errors,
        level_label=vsvc.level_label,
    )


@bp.get("/verification/<int:request_id>/documents/<name>")
@login_required
def verification_document(request_id: int, name: str):
    req = vsvc.get_request(request_id)
    me = _me()
    if req.user_id != me.id:
        require(me, "operator.view_verification_documents", req)
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


@bp.get("/audit")
@login_required
def audit_log():
    require(_me(), "operator.view_audit")
    kind = request.args.get("kind", "").strip()
    query = select(SecurityEvent).order_by(SecurityEvent.id.desc()).limit(500)
    if kind:
        query = query.where(SecurityEvent.kind == kind)
    user_id = request.args.get("user", "")
    if user_id.isdigit() and 1 <= int(user_id) <= MAX_ID:
        query = query.where(SecurityEvent.user_id == int(user_id))
    return render_template("operator/audit.html", events=list(db.session.scalars(query)), kind=kind)


@bp.route("/invitations", methods=["GET", "POST"])
@login_required
def invitations():
    from flask_babel import get_locale

    from ...app import state
    from ...core import mail
    from ...core.users import invitations as isvc

    me = _me()
    require(me, "operator.invite")
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        _check_csrf()
        try:
            invitation, secret = isvc.create_invitation(
                me, request.form.get("email", ""), ip=request.remote_addr
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
                inviter=me,
                link=url_for("account.register", invite=secret, _external=True),
                days=state(current_app).settings.users["invitation_days"],
            )
            flash(_("Invitation sent to %(email)s.", email=invitation.email), "success")
            return redirect(url_for("operator.invitations")), 303
    return render_template("operator/invitations.html", invitations=isvc.recent(), errors=errors)
