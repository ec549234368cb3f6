"""Order pages: checkout, order page with timeline and actions, my orders, wallet, payouts."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
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

from ...core.access import can
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
from ...core.payments.models import PayoutRequest
from ...core.payments.providers import enabled_providers
from ...core.payments.service import can_pay_with_provider, payments_of, start_payment
from ...errors import MarketplaceError, NotFound
from ...events import commit
from ...extensions import db
from ...money import Money

bp = Blueprint("orders", __name__)


class CheckoutForm(FlaskForm):
    quantity = IntegerField(
        _l("Quantity"), default=1, validators=[InputRequired(), NumberRange(1, 10_000)]
    )
    start = DateTimeLocalField(_l("Start (UTC)"), validators=[Optional()])
    end = DateTimeLocalField(_l("End (UTC)"), validators=[Optional()])
    amount = IntegerField(_l("Your offer (in cents)"), validators=[Optional(), NumberRange(min=1)])
    message = TextAreaField(_l("Message"), validators=[Optional()])


class TransitionForm(FlaskForm):
    expected_version = HiddenField()
    amount = IntegerField(_l("Amount (in cents)"), validators=[Optional(), NumberRange(min=1)])
    reason = TextAreaField(_l("What went wrong?"), validators=[Optional()])
    message = TextAreaField(_l("Message"), validators=[Optional()])


class DisputeMessageForm(FlaskForm):
    body = TextAreaField(_l("Add to the dispute"), validators=[InputRequired()])


class PayForm(FlaskForm):
    provider = SelectField(_l("Pay with"), validators=[InputRequired()])
    card = StringField(_l("Card number"), validators=[Optional()])


class PayoutForm(FlaskForm):
    amount = IntegerField(_l("Amount (in cents)"), validators=[InputRequired(), NumberRange(min=1)])


class DecisionForm(FlaskForm):
    note = StringField(_l("Note"), validators=[Optional()])


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


@bp.route("/listings/<int:listing_id>/checkout", methods=["GET", "POST"])
@login_required
def checkout(listing_id: int):
    listing = db.session.get(Listing, listing_id)
    if listing is None or listing.status != "published":
        raise NotFound("No such listing.")
    process = _process_name(listing)
    form = CheckoutForm()
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
                params[key] = value.replace(tzinfo=UTC).isoformat() if value else None
        if process == "negotiation":
            params["amount"] = form.amount.data
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
    if form.validate_on_submit():
        params: dict[str, Any] = {}
        if form.amount.data is not None:
            params["amount"] = form.amount.data
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
    return render_template("orders/list.html", orders=orders_of(_user(), role), role=role)


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
    if form.validate_on_submit():
        try:
            payouts.request_payout(_user(), form.amount.data, ctx_currency)
            commit()
        except MarketplaceError as exc:
            _apply_errors(form, exc)
            return render_template("orders/wallet.html", **_wallet_context(form)), exc.status
        flash(_l("Payout requested."), "success")
        return redirect(url_for("orders.wallet"))
    return render_template("orders/wallet.html", **_wallet_context(form)), 422


@bp.get("/operator/payouts")
@login_required
def pending_payouts():
    if not can(_user(), "payout.approve"):
        abort(403)
    return render_template(
        "orders/payouts_pending.html", payouts=payouts.pending_payouts(), form=DecisionForm()
    )


@bp.post("/operator/payouts/<int:payout_id>/<decision>")
@login_required
def decide_payout(payout_id: int, decision: str):
    payout = db.session.get(PayoutRequest, payout_id)
    if payout is None or decision not in ("approve", "reject"):
        raise NotFound("No such payout.")
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        if decision == "approve":
            payouts.approve_payout(payout, _user())
        else:
            payouts.reject_payout(payout, _user(), form.note.data or "")
        commit()
    except MarketplaceError as exc:
        flash(exc.detail, "error")
    return redirect(url_for("orders.pending_payouts"))
