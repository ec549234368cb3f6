"""Console configuration views: plugins and settings (read-only, secrets masked), fee rules,
the categories editor, notification templates preview, webhooks."""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, widgets
from wtforms.validators import InputRequired, Length

from ...core.access import require
from ...core.console import service as console
from ...core.listings import categories as category_service
from ...core.notifications import registry as reg
from ...core.notifications import webhooks
from ...errors import MarketplaceError, ValidationError
from ...events import commit
from ...extensions import db
from . import bp
from .common import CsrfForm, check_csrf, ip, me

# ---------------------------------------------------------------------------
# plugins and settings
# ---------------------------------------------------------------------------

SECRET_KEY_RE = re.compile(
    r"(secret|password|passwd|token|api_key|apikey|private_key|credential)", re.I
)
URL_PASSWORD_RE = re.compile(r"(//[^/:@]+:)([^@/]+)(@)")
MASK = "••••••"


def mask(value: Any, key: str = "") -> Any:
    """``value`` with secrets hidden: values under secret-looking keys, passwords in URLs."""
    if key and SECRET_KEY_RE.search(key) and value not in (None, "", [], {}):
        return MASK
    if isinstance(value, dict):
        return {k: mask(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask(v) for v in value]
    if isinstance(value, str):
        return URL_PASSWORD_RE.sub(lambda m: m.group(1) + MASK + m.group(3), value)
    return value


@bp.get("/config/plugins")
@login_required
def config_plugins():
    from ... import __version__
    from ...app import state

    require(me(), "operator.view_plugins")
    mk = state(current_app)
    settings = mk.settings
    plugins = [
        {
            "name": name,
            "version": p.version,
            "distribution": p.distribution,
            "builtin": p.builtin,
            "settings": mask(settings.plugins.get(name) or {}),
        }
        for name, p in sorted(mk.pm.loaded.items())
    ]
    return render_template(
        "console/config_plugins.html",
        source=settings.source,
        version=__version__,
        plugins=plugins,
        sections={k: mask(v, k) for k, v in sorted(settings.sections.items())},
        enabled=settings.enabled_plugins,
    )


@bp.get("/config/fees")
@login_required
def config_fees():
    from sqlalchemy import select

    from ...app import state
    from ...core.orders.models import FeeOverride

    require(me(), "fees.override")
    overrides = list(db.session.scalars(select(FeeOverride).order_by(FeeOverride.user_id)))
    return render_template(
        "console/config_fees.html",
        rules=state(current_app).settings.fees["rules"],
        overrides=overrides,
        source=state(current_app).settings.source,
    )


# ---------------------------------------------------------------------------
# notification templates preview
# ---------------------------------------------------------------------------


def _samples(event_key: str, currency: str) -> list[dict[str, Any]]:
    """Sample contexts for an event type: the core's variants, else a generic one."""
    base = {
        "order_id": 1042,
        "role": "customer",
        "transition": "pay",
        "template": "order_paid",
        "payout_id": 7,
        "amount": 12500,
        "currency": currency,
        "status": "approved",
        "level": 1,
        "reason": _("Sample reason"),
        "note": _("Sample reason"),
        "title": _("Sample listing"),
        "kind": "",
    }
    variants: dict[str, list[dict[str, Any]]] = {
        "order_update": [
            {"template": "order_paid"},
            {"template": "dispute_resolved", "transition": "resolve_split"},
        ],
        "verification_decided": [{"status": "approved"}, {"status": "rejected"}],
        "payout_paid": [{"status": "paid"}],
        "payout_rejected": [{"status": "rejected"}],
        "operator_decision": [
            {"kind": "listing_approved", "reason": ""},
            {"kind": "listing_rejected"},
            {"kind": "order_transition", "transition": "Refund in full"},
            {"kind": "account_suspended"},
            {"kind": "account_active"},
        ],
    }
    return [{**base, **v} for v in variants.get(event_key, [{}])]


@bp.get("/config/notifications")
@login_required
def notification_templates():
    from ...app import state

    require(me(), "operator.preview_notifications")
    site = state(current_app).settings.site
    locales = list(site["locales"])
    rows = []
    for event in reg.registry().events.values():
        variants = _samples(event.key, site["currency"])
        for index, context in enumerate(variants):
            rendered = {}
            for code in locales:
                with force_locale(code):  # sample text, then the template, in this language
                    localized = _samples(event.key, site["currency"])[index]
                    try:
                        rendered[code] = event.rendered(localized)
                    except Exception as exc:  # a broken plugin template is shown, not a 500
                        rendered[code] = (_("Cannot render: %(error)s", error=str(exc)), "")
            variant = (
                context.get("template")
                if event.key == "order_update"
                else context.get("kind") or context.get("status")
            )
            rows.append({"event": event, "variant": variant, "rendered": rendered})
    return render_template("console/notification_templates.html", rows=rows, locales=locales)


# ---------------------------------------------------------------------------
# categories (moved from the listing pages)
# ---------------------------------------------------------------------------


class CategoryForm(FlaskForm):
    slug = StringField(_l("Slug"), validators=[InputRequired(), Length(1, 80)])
    name_en = StringField(_l("Name (English)"), validators=[Length(max=120)])
    name_zh_Hans = StringField(_l("Name (Chinese)"), validators=[Length(max=120)])
    name_ru = StringField(_l("Name (Russian)"), validators=[Length(max=120)])
    parent = StringField(_l("Parent category slug"), validators=[Length(max=80)])
    attribute_hints = StringField(_l("Attribute hints (comma separated)"))


def _category_kwargs(form: CategoryForm) -> dict[str, Any]:
    names = {
        code: getattr(form, f"name_{code}").data or ""
        for code in ("en", "zh_Hans", "ru")
        if (getattr(form, f"name_{code}").data or "").strip()
    }
    return {
        "slug": (form.slug.data or "").strip(),
        "names": names,
        "parent": (form.parent.data or "").strip() or None,
        "attribute_hints": [h for h in (form.attribute_hints.data or "").split(",") if h.strip()],
    }


@bp.route("/categories", methods=["GET", "POST"])
@login_required
def categories():
    user = me()
    require(user, "categories.edit")
    form = CategoryForm()
    status = 200
    if form.validate_on_submit():
        try:
            kwargs = _category_kwargs(form)
            created = category_service.create_category(user, **kwargs)
            db.session.flush()
            console.record(user, "category.create", "category", created.id, after=kwargs, ip=ip())
            commit()
            flash(_l("Category added."), "success")
            return redirect(url_for("console.categories"))
        except ValidationError as exc:
            db.session.rollback()
            _category_errors(form, exc.errors)
    if request.method == "POST":
        status = 422
    return render_template(
        "console/categories.html",
        form=form,
        tree=category_service.flatten(),
        action_form=CsrfForm(),
    ), status


def _category_state(category: Any) -> dict[str, Any]:
    return {
        "slug": category.slug,
        "names": dict(category.names or {}),
        "parent": category.parent.slug if category.parent else None,
        "attribute_hints": list(category.attribute_hints or []),
    }


def _category_errors(form: CategoryForm, errors: dict[str, Any]) -> None:
    for key, msgs in errors.items():
        field = getattr(form, "name_en" if key == "names" else key, None) or form.slug
        field.errors = list(field.errors) + [str(m) for m in msgs]


@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
@login_required
def edit_category(category_id: int):
    user = me()
    require(user, "categories.edit")
    category = category_service.get_category(category_id)
    form = CategoryForm()
    status = 200
    if request.method == "GET":
        form.slug.data = category.slug
        for code in ("en", "zh_Hans", "ru"):
            getattr(form, f"name_{code}").data = (category.names or {}).get(code, "")
        form.parent.data = category.parent.slug if category.parent else ""
        form.attribute_hints.data = ", ".join(category.attribute_hints or [])
    elif form.validate_on_submit():
        try:
            before = _category_state(category)
            kwargs = _category_kwargs(form)
            category_service.update_category(user, category, **kwargs)
            console.record(
                user,
                "category.update",
                "category",
                category.id,
                before=before,
                after=kwargs,
                ip=ip(),
            )
            commit()
            flash(_l("Category saved."), "success")
            return redirect(url_for("console.categories"))
        except ValidationError as exc:
            db.session.rollback()
            _category_errors(form, exc.errors)
            status = 422
    else:
        status = 422
    return render_template("console/category_form.html", form=form, category=category), status


@bp.post("/categories/<int:category_id>/delete")
@login_required
def delete_category(category_id: int):
    user = me()
    require(user, "categories.edit")
    check_csrf()
    category = category_service.get_category(category_id)
    try:
        before = _category_state(category)
        category_service.delete_category(user, category)
        console.record(user, "category.delete", "category", category.id, before=before, ip=ip())
        commit()
        flash(_l("Category deleted."), "success")
    except MarketplaceError as exc:
        db.session.rollback()
        if exc.status == 403:
            raise
        flash(exc.detail, "error")
    return redirect(url_for("console.categories"))


# ---------------------------------------------------------------------------
# webhooks (moved from the notification pages)
# ---------------------------------------------------------------------------


class WebhookForm(FlaskForm):
    url = StringField(_l("URL"), validators=[InputRequired(), Length(max=500)])
    events = SelectMultipleField(
        _l("Event types"),
        validators=[InputRequired()],
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )


def _webhook_form() -> WebhookForm:
    form = WebhookForm()
    form.events.choices = [(webhooks.ALL_EVENTS, _("All events"))] + [
        (e.key, str(e.label)) for e in reg.registry().events.values()
    ]
    return form


@bp.route("/webhooks", methods=["GET", "POST"])
@login_required
def webhook_list():
    operator = me()
    require(operator, "webhooks.manage")
    form = _webhook_form()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            try:
                endpoint = webhooks.create_endpoint(
                    operator, form.url.data.strip(), form.events.data
                )
                db.session.flush()
                console.record(
                    operator,
                    "webhook.create",
                    "webhook",
                    endpoint.id,
                    after={"url": endpoint.url, "events": endpoint.events},
                    ip=ip(),
                )
                commit()
                # The secret is shown this once; afterwards only its last characters.
                return render_template("console/webhook_created.html", endpoint=endpoint), 201
            except ValidationError as exc:
                db.session.rollback()
                for name, msgs in exc.errors.items():
                    target = getattr(form, name, form.url)
                    target.errors = list(target.errors) + [str(m) for m in msgs]
    return (
        render_template(
            "console/webhooks.html",
            endpoints=webhooks.endpoints(operator),
            masked_secret=webhooks.masked_secret,
            form=form,
            action_form=CsrfForm(),
        ),
        status,
    )


@bp.post("/webhooks/<int:endpoint_id>/delete")
@login_required
def webhook_delete(endpoint_id: int):
    operator = me()
    require(operator, "webhooks.manage")
    check_csrf()
    endpoint = webhooks.get_endpoint(operator, endpoint_id)
    before = {"url": endpoint.url, "events": list(endpoint.events)}
    webhooks.delete_endpoint(operator, endpoint_id)
    console.record(operator, "webhook.delete", "webhook", endpoint_id, before=before, ip=ip())
    commit()
    flash(_("The webhook was deleted."))
    return redirect(url_for(".webhook_list"))


@bp.get("/webhooks/deliveries")
@login_required
def webhook_deliveries():
    operator = me()
    require(operator, "webhooks.manage")
    endpoint_id = request.args.get("webhook", type=int)
    return render_template(
        "console/webhook_deliveries.html",
        deliveries=webhooks.deliveries(operator, endpoint_id),
        endpoint_id=endpoint_id,
    )
