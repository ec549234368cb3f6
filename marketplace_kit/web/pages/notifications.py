"""Notification centre, notification preferences and the operator's webhook pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, widgets
from wtforms.validators import InputRequired, Length

from ...core.notifications import registry as reg
from ...core.notifications import service
from ...events import commit

bp = Blueprint("notifications", __name__)


class ActionForm(FlaskForm):
    """CSRF only: mark read, save preferences, delete a webhook."""


class WebhookForm(FlaskForm):
    url = StringField(_l("URL"), validators=[InputRequired(), Length(max=500)])
    events = SelectMultipleField(
        _l("Event types"),
        validators=[InputRequired()],
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )


def _user() -> Any:
    return current_user._get_current_object()


@bp.get("/notifications")
@login_required
def centre():
    user = _user()
    unread_only = request.args.get("unread") == "1"
    notes = service.notifications_of(user, unread_only=unread_only, limit=100)
    items = [(n, *service.render(n)) for n in notes]
    return render_template(
        "notifications/centre.html",
        items=items,
        unread=service.unread_count(user),
        unread_only=unread_only,
        form=ActionForm(),
    )


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def mark_read(notification_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    note = service.mark_read(_user(), notification_id)
    target = note.url if request.form.get("open") and note.url else url_for(".centre")
    commit()
    return redirect(target)


@bp.post("/notifications/read-all")
@login_required
def mark_all_read():
    if not ActionForm().validate_on_submit():
        abort(400)
    service.mark_all_read(_user())
    commit()
    flash(gettext("All notifications are marked as read."))
    return redirect(url_for(".centre"))


@bp.route("/notifications/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    user = _user()
    form = ActionForm()
    r = reg.registry()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        choices = {
            event: {ch: f"pref-{event}-{ch}" in request.form for ch in reg.channel_names()}
            for event in r.events
        }
        service.set_preferences(user, choices)
        commit()
        flash(gettext("Your notification preferences were saved."))
        return redirect(url_for(".preferences"))
    channels = [(reg.IN_APP, _l("In the notification centre"))] + [
        (c.name, c.label) for c in r.channels.values()
    ]
    return render_template(
        "notifications/preferences.html",
        prefs=service.preferences(user),
        events=list(r.events.values()),
        channels=channels,
        form=form,
    )
