"""Report pages (a user reports a user, listing or message) and the user's moderation notices."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import InputRequired, Length

from ...core.moderation import service
from ...core.moderation.kinds import get_kind
from ...errors import MarketplaceError, NotFound
from ...events import commit
from ...extensions import db
from ..ratelimit import limit

bp = Blueprint("reports", __name__)


class ReportForm(FlaskForm):
    reason = SelectField(_l("What is wrong?"), validators=[InputRequired()])
    details = TextAreaField(
        _l("Details (what moderators should look at)"),
        validators=[Length(max=service.MAX_DETAILS)],
    )


def _user() -> Any:
    return current_user._get_current_object()


def _form() -> ReportForm:
    form = ReportForm()
    form.reason.choices = [("", _("Choose a reason"))] + [
        (key, str(label)) for key, label in service.REASONS.items()
    ]
    return form


def _back(kind: Any, target: Any) -> str:
    """Where the reporter came from (the page showing the reported thing)."""
    kind_name = kind.name
    if kind_name == "listing":
        return url_for("listings.detail", listing_id=target.id)
    if kind_name == "user":
        return url_for("account.public_profile", user_id=target.id)
    if kind_name == "message":
        return url_for("messaging.conversation", conversation_id=target.conversation_id)
    url = kind.url(target)
    return url if url and not url.startswith("/console") else url_for("main.index")


@bp.route("/report/<kind_name>/<int:target_id>", methods=["GET", "POST"])
@login_required
@limit("30 per hour", methods=["POST"])
def report(kind_name: str, target_id: int):
    user = _user()
    kind = get_kind(kind_name) or abort(404)
    target = service.load_target(kind, target_id)
    if target is None or not kind.visible_to(target, user):
        raise NotFound(f"No such {kind.name}.")
    form = _form()
    back = _back(kind, target)
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            try:
                service.create_report(
                    user, kind.name, target_id, form.reason.data, form.details.data
                )
                commit()
            except MarketplaceError as exc:
                db.session.rollback()
                status = exc.status
                placed = False
                for name, messages in (exc.errors or {}).items():
                    field = getattr(form, name, None)
                    if field is not None and hasattr(field, "errors"):
                        field.errors = list(field.errors or []) + [str(m) for m in messages]
                        placed = True
                if not placed:
                    form.form_errors.append(exc.detail)
            else:
                flash(_("Thank you. Moderators will look at your report."), "success")
                return redirect(back), 303
    return (
        render_template(
            "reports/report.html",
            form=form,
            kind=kind,
            label=kind.describe(target),
            back=back,
            own=kind.owner_id(target) == user.id,
            already=service.open_report_of(user, kind.name, target_id),
        ),
        status,
    )


@bp.get("/account/reports")
@login_required
def mine():
    return render_template(
        "reports/mine.html",
        reports=service.reports_by(_user()),
        reason_label=service.reason_label,
    )


@bp.get("/account/moderation")
@login_required
def notices():
    return render_template(
        "reports/notices.html",
        notices=service.notices_of(_user()),
        action_label=service.action_label,
    )
