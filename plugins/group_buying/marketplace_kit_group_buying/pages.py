"""Pages: deals, a deal with its open groups, a group by share link, my groups, new deal.

Everything works without JavaScript: the group page shows the exact time
left and refreshes itself once a minute with a ``<meta http-equiv=refresh>``.
Paying a reserved place happens on the core's order page.
"""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, IntegerField, SelectField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional

from marketplace_kit.core.db import utcnow
from marketplace_kit.core.listings.models import Listing
from marketplace_kit.errors import MarketplaceError, NotFound
from marketplace_kit.events import commit
from marketplace_kit.extensions import db
from marketplace_kit.money import Money
from marketplace_kit.web.forms import AmountField, apply_errors, choice

from . import service

bp = Blueprint("group_buying", __name__, url_prefix="/group-buying")


class QuantityForm(FlaskForm):
    quantity = IntegerField(
        _l("Quantity"), default=1, validators=[InputRequired(), NumberRange(1, 10_000)]
    )


class DealForm(FlaskForm):
    kind = SelectField(_l("Kind of deal"), default="team")
    group_price = AmountField(_l("Group price (per unit)"), validators=[Optional()])
    group_size = IntegerField(
        _l("Group size (people)"), validators=[Optional(), NumberRange(2, 10_000)]
    )
    tiers = TextAreaField(
        _l("Price tiers (one per line: people = unit price, e.g. 2 = 9.00)"),
        validators=[Optional()],
    )
    fill_window_minutes = IntegerField(
        _l("Fill window per group (minutes)"),
        default=1440,
        validators=[Optional(), NumberRange(1, service.MAX_WINDOW_MINUTES)],
    )
    price = AmountField(_l("Deal price (tipping point)"), validators=[Optional()])
    min_quantity = IntegerField(
        _l("Tipping point (units)"), validators=[Optional(), NumberRange(1, 10**6)]
    )
    max_quantity = IntegerField(
        _l("Maximum (units)"), validators=[Optional(), NumberRange(1, 10**6)]
    )
    starts_at = DateTimeLocalField(_l("Starts (UTC, empty: now)"), validators=[Optional()])
    ends_at = DateTimeLocalField(_l("Ends (UTC)"), validators=[InputRequired()])
    stock_cap = IntegerField(
        _l("Units for this deal (empty: the listing's stock)"),
        validators=[Optional(), NumberRange(1, 10**6)],
    )
    per_order_limit = IntegerField(
        _l("Most units per order"), default=1, validators=[InputRequired(), NumberRange(1, 1000)]
    )
    per_user_limit = IntegerField(
        _l("Most units per customer"), validators=[Optional(), NumberRange(1, 10_000)]
    )
    leader_discount = AmountField(_l("Leader discount (per unit)"), validators=[Optional()])


def _user() -> Any:
    return current_user._get_current_object() if current_user.is_authenticated else None


def _parse_tiers(text: str, currency: str) -> list[dict[str, int]]:
    tiers = []
    for line in (text or "").replace(",", "\n").splitlines():
        if not line.strip():
            continue
        size, sep, price = line.partition("=")
        try:
            if not sep:
                raise ValueError
            amount = Money.from_decimal(Decimal(price.strip()), currency).amount
            min_size = int(size.strip())
        except (ValueError, InvalidOperation, ArithmeticError):
            raise MarketplaceError(
                status=422,
                errors={"tiers": [_("Write each tier as: people = unit price (e.g. 2 = 9.00).")]},
            ) from None
        if amount <= 0 or min_size < 1:
            raise MarketplaceError(
                status=422, errors={"tiers": [_("People and prices must be positive.")]}
            )
        tiers.append({"min_size": min_size, "unit_price": amount})
    return tiers


@bp.get("/")
def index():
    now = utcnow()
    return render_template(
        "group_buying/index.html", deals=service.active_deals(now), service=service, now=now
    )


@bp.get("/deals/<int:deal_id>")
def deal_page(deal_id: int):
    now = utcnow()
    deal = service.get_deal(deal_id)
    groups = (
        [service.tipping_group(deal)] if deal.kind == "tipping" else service.open_groups(deal, now)
    )
    return render_template(
        "group_buying/deal.html",
        deal=deal,
        groups=groups,
        form=QuantityForm(),
        service=service,
        now=now,
    )


@bp.post("/deals/<int:deal_id>/start")
@login_required
def start(deal_id: int):
    now = utcnow()
    deal = service.get_deal(deal_id)
    form = QuantityForm()
    status = 422
    if form.validate_on_submit():
        try:
            member = service.start_group(_user(), deal, form.quantity.data)
            commit()
        except MarketplaceError as exc:
            apply_errors(form, exc)
            status = exc.status
        else:
            return redirect(url_for("orders.order_page", order_id=member.order_id))
    groups = (
        [service.tipping_group(deal)] if deal.kind == "tipping" else service.open_groups(deal, now)
    )
    return render_template(
        "group_buying/deal.html", deal=deal, groups=groups, form=form, service=service, now=now
    ), status


@bp.get("/g/<token>")
def group_page(token: str):
    group = service.group_by_token(token)
    return render_template(
        "group_buying/group.html",
        group=group,
        deal=group.deal,
        form=QuantityForm(),
        progress=service.progress(group),
        members=[m for m in group.members if m.status in ("paid", "succeeded", "refunded")],
        share_url=service.share_url(group),
    )


@bp.post("/g/<token>/join")
@login_required
def join(token: str):
    group = service.group_by_token(token)
    form = QuantityForm()
    status = 422
    if form.validate_on_submit():
        try:
            member = service.join_group(_user(), group, form.quantity.data)
            commit()
        except MarketplaceError as exc:
            apply_errors(form, exc)
            status = exc.status
        else:
            return redirect(url_for("orders.order_page", order_id=member.order_id))
    group = service.group_by_token(token)
    return render_template(
        "group_buying/group.html",
        group=group,
        deal=group.deal,
        form=form,
        progress=service.progress(group),
        members=[m for m in group.members if m.status in ("paid", "succeeded", "refunded")],
        share_url=service.share_url(group),
    ), status


@bp.get("/mine")
@login_required
def my_groups():
    return render_template(
        "group_buying/mine.html", rows=service.groups_of(_user()), service=service
    )


@bp.route("/listings/<int:listing_id>/deals/new", methods=["GET", "POST"])
@login_required
def new_deal(listing_id: int):
    listing = db.session.get(Listing, listing_id)
    if listing is None or listing.status != "published":
        raise NotFound(_("Listing not found."))
    if listing.author_id != _user().id:
        abort(403)
    form = DealForm()
    form.kind.choices = [choice("team", _("Team buy")), choice("tipping", _("Tipping point"))]
    for name in ("group_price", "price", "leader_discount"):
        getattr(form, name).currency = listing.currency
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            try:
                data = {
                    "kind": form.kind.data,
                    "group_price": form.group_price.minor,
                    "tiers": _parse_tiers(form.tiers.data, listing.currency),
                    "group_size": form.group_size.data,
                    "fill_window_minutes": form.fill_window_minutes.data,
                    "price": form.price.minor,
                    "min_quantity": form.min_quantity.data,
                    "max_quantity": form.max_quantity.data,
                    "starts_at": form.starts_at.data.replace(tzinfo=UTC)
                    if form.starts_at.data
                    else None,
                    "ends_at": form.ends_at.data.replace(tzinfo=UTC),
                    "stock_cap": form.stock_cap.data,
                    "per_order_limit": form.per_order_limit.data,
                    "per_user_limit": form.per_user_limit.data,
                    "leader_discount": form.leader_discount.minor or 0,
                }
                deal = service.create_deal(_user(), listing, data)
                commit()
            except MarketplaceError as exc:
                db.session.rollback()
                apply_errors(form, exc)
                status = exc.status
            else:
                return redirect(url_for("group_buying.deal_page", deal_id=deal.id))
    return render_template("group_buying/new_deal.html", form=form, listing=listing), status
