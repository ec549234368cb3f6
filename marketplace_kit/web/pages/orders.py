"""Order pages: checkout, order page with timeline and actions, my orders, wallet, payouts."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, NumberRange, Optional

from ...core.ledger import service as ledger
from ...core.listings.models import Listing
from ...core.orders import engine
from ...core.orders.views import (
    is_final,
    orders_of,
    preview_price,
    transition_options,
    visible_order,
)
from ...core.payments import payouts
from ...core.payments.providers import enabled_providers
from ...core.payments.service import can_pay_with_provider, payments_of, start_payment
from ...errors import MarketplaceError, NotFound
from ...events import commit
from ...extensions import db
from ...money import Money
from ..forms import AmountField
from ..i18n import local_to_utc

bp = Blueprint("orders", __name__)


class CheckoutForm(FlaskForm):
    quantity = IntegerField(
        _l("Quantity"), default=1, validators=[InputRequired(), NumberRange(1, 10_000)]
    )
    start = DateTimeLocalField(_l("Start"), validators=[Optional()])
    end = DateTimeLocalField(_l("End"), validators=[Optional()])
    amount = AmountField(_l("Your offer"), validators=[Optional()])
    message = TextAreaField(_l("Message"), validators=[Optional()])


class TransitionForm(FlaskForm):
    expected_version = HiddenField()
    amount = AmountField(_l("Amount"), validators=[Optional()])
    reason = TextAreaField(_l("What went wrong?"), validators=[Optional()])
    message = TextAreaField(_l("Message"), validators=[Optional()])


class DisputeMessageForm(FlaskForm):
    body = TextAreaField(_l("Add to the dispute"), validators=[InputRequired()])


class PayForm(FlaskForm):
    provider = SelectField(_l("Pay with"), validators=[InputRequired()])
    card = StringField(_l("Card number"), validators=[Optional()])


class PayoutForm(FlaskForm):
    amount = AmountField(_l("Amount"), validators=[InputRequired()])


def _user() -> Any:
    return current_user._get_current_object()


def _apply_errors(form: FlaskForm, exc: MarketplaceError) -> None:
    placed = False
    for name, messages in (exc.errors or {}).items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors or []) + [str(m) for m in messages]
            placed = True
    if not placed:
        flash(exc.detail, "error")


def _process_name(listing: Listing) -> str:
    return engine.process_for_listing(listing)


@bp.app_context_processor
def order_helpers() -> dict[str, Any]:
    """Translated labels of an order's states and transitions, from its process."""

    def state_label(order: Any, state: str | None = None) -> str:
        return gettext(engine.process_of(order).state_label(state or order.state))

    def transition_label(order: Any, name: str) -> str:
        return gettext(engine.process_of(order).transition_label(name))

    return {"order_state_label": state_label, "order_transition_label": transition_label}


@bp.route("/listings/<int:listing_id>/checkout", methods=["GET", "POST"])
@login_required
def checkout(listing_id: int):
    listing = db.session.get(Listing, listing_id)
    if listing is None or listing.status != "published":
        raise NotFound("No such listing.")
    process = _process_name(listing)
    form = CheckoutForm()
    form.amount.currency = listing.currency
    quantity = (
        form.quantity.data if isinstance(form.quantity.data, int) and form.quantity.data > 0 else 1
    )
    status = 200
    if form.is_submitted() and not form.validate():
        status = 422
    elif form.is_submitted():
        params: dict[str, Any] = {}
        if process == "booking":
            for key in ("start", "end"):
                value = getattr(form, key).data
                params[key] = local_to_utc(value).isoformat() if value else None
        if process == "negotiation":
            params["amount"] = form.amount.minor
        if form.message.data:
            params["message"] = form.message.data
        try:
            order = engine.place_order(
                process, customer=_user(), listing=listing, quantity=quantity, params=params
            )
            commit()
        except MarketplaceError as exc:
            _apply_errors(form, exc)
            status = exc.status
        else:
            return redirect(url_for("orders.order_page", order_id=order.id))
    price = preview_price(listing, _user(), quantity)
    return render_template(
        "orders/checkout.html", listing=listing, form=form, price=price, process=process
    ), status


def _order_context(order, transition_form=None, pay_form=None, dispute_form=None) -> dict[str, Any]:
    from ...core.disputes.service import dispute_of

    user = _user()
    providers = enabled_providers()
    pay_form = pay_form or PayForm()
    pay_form.provider.choices = [(n, p.label) for n, p in providers.items()]
    is_customer = user.id == order.customer_id
    return {
        "order": order,
        "events": engine.timeline(order),
        "options": transition_options(order, user),
        "form": transition_form or TransitionForm(expected_version=order.version),
        "pay_form": pay_form,
        "can_pay": is_customer and can_pay_with_provider(order) and bool(providers),
        "payments": payments_of(order),
        "final": is_final(order),
        "escrow": ledger.balance_of("escrow", order, order.currency),
        "dispute": dispute_of(order),
        "dispute_form": dispute_form or DisputeMessageForm(),
    }


@bp.get("/orders/<int:order_id>")
@login_required
def order_page(order_id: int):
    order = visible_order(order_id, _user())
    return render_template("orders/order.html", **_order_context(order))


@bp.post("/orders/<int:order_id>/transitions/<name>")
@login_required
def take_transition(order_id: int, name: str):
    order = visible_order(order_id, _user())
    form = TransitionForm()
    form.amount.currency = order.currency
    if form.validate_on_submit():
        params: dict[str, Any] = {}
        if form.amount.minor is not None:
            params["amount"] = form.amount.minor
        if form.message.data:
            params["message"] = form.message.data
        if name == "open_dispute":
            params["reason"] = form.reason.data or ""
        version = (
            int(form.expected_version.data)
            if (form.expected_version.data or "").isdigit()
            else None
        )
        try:
            engine.transition(order, name, _user(), params, expected_version=version)
            commit()
        except MarketplaceError as exc:
            order = visible_order(order_id, _user())
            _apply_errors(form, exc)
            form.expected_version.data = order.version
            return render_template("orders/order.html", **_order_context(order, form)), exc.status
        return redirect(url_for("orders.order_page", order_id=order.id))
    return render_template("orders/order.html", **_order_context(order, form)), 422


@bp.post("/orders/<int:order_id>/dispute/messages")
@login_required
def dispute_message(order_id: int):
    from ...core.disputes.service import add_message

    order = visible_order(order_id, _user())
    form = DisputeMessageForm()
    if form.validate_on_submit():
        try:
            add_message(order, _user(), form.body.data)
            commit()
        except MarketplaceError as exc:
            _apply_errors(form, exc)
            ctx = _order_context(order, dispute_form=form)
            return render_template("orders/order.html", **ctx), exc.status
        return redirect(url_for("orders.order_page", order_id=order_id) + "#dispute-h")
    return render_template("orders/order.html", **_order_context(order, dispute_form=form)), 422


@bp.post("/orders/<int:order_id>/pay")
@login_required
def pay(order_id: int):
    order = visible_order(order_id, _user())
    form = PayForm()
    form.provider.choices = [(n, p.label) for n, p in enabled_providers().items()]
    if form.validate_on_submit():
        details = {"card": form.card.data} if form.card.data else {}
        try:
            start_payment(order, _user(), form.provider.data, details)
            commit()
        except MarketplaceError as exc:
            order = visible_order(order_id, _user())
            _apply_errors(form, exc)
            return render_template(
                "orders/order.html", **_order_context(order, pay_form=form)
            ), exc.status
        return redirect(url_for("orders.order_page", order_id=order_id))
    return render_template("orders/order.html", **_order_context(order, pay_form=form)), 422


@bp.get("/orders/<int:order_id>/receipt")
@login_required
def receipt(order_id: int):
    order = visible_order(order_id, _user())
    if not order.is_priced:
        raise NotFound("This order has no receipt.")
    return render_template(
        "orders/receipt.html",
        order=order,
        payments=payments_of(order),
        events=engine.timeline(order),
    )


@bp.get("/orders")
@login_required
def my_orders():
    role = "provider" if request.args.get("as") == "provider" else "customer"
    before = request.args.get("before", "")
    before_id = int(before) if before.isdigit() and 0 < int(before) < 2**63 else None
    orders, next_before = orders_of(_user(), role, 50, before_id)
    next_url = None
    if next_before is not None:
        args = {"before": next_before, **({"as": role} if role == "provider" else {})}
        next_url = url_for("orders.my_orders", **args)
    return render_template("orders/list.html", orders=orders, role=role, next_url=next_url)


def _wallet_context(form=None) -> dict[str, Any]:
    from ...app import state

    user = _user()
    currency = state(current_app).settings.site["currency"]
    accounts = ledger.accounts_of(["wallet"], user)
    rows = []
    for acc in accounts:
        rows.append(
            {
                "account": acc,
                "available": payouts.available(user, acc.currency),
                "history": ledger.history(acc, 50),
            }
        )
    settings = state(current_app).settings.orders
    return {
        "rows": rows,
        "currency": currency,
        "form": form or PayoutForm(),
        "payouts": payouts.payouts_of(user),
        "minimum": Money(settings["payout_minimum"], currency),
        "holding_days": settings["payout_holding_days"],
    }


@bp.get("/wallet")
@login_required
def wallet():
    return render_template("orders/wallet.html", **_wallet_context())


@bp.post("/wallet/payouts")
@login_required
def request_payout():
    form = PayoutForm()
    ctx_currency = _wallet_context()["currency"]
    form.amount.currency = ctx_currency
    if form.validate_on_submit():
        try:
            payouts.request_payout(_user(), form.amount.minor, ctx_currency)
            commit()
        except MarketplaceError as exc:
            _apply_errors(form, exc)
            return render_template("orders/wallet.html", **_wallet_context(form)), exc.status
        flash(_l("Payout requested."), "success")
        return redirect(url_for("orders.wallet"))
    return render_template("orders/wallet.html", **_wallet_context(form)), 422
