"""Orders, payments, wallet and payouts under ``/api/v1``.

Money-moving POSTs (create order, transitions such as refunds, payments,
payouts) accept an ``Idempotency-Key`` header: a repeat returns the first
response and moves nothing again.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request, url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ...core.ledger import service as ledger
from ...core.listings.models import Listing
from ...core.orders import engine
from ...core.orders.models import Order
from ...core.orders.views import orders_of, transition_options, visible_order
from ...core.payments import idempotency, payouts
from ...core.payments.models import Payment, PayoutRequest
from ...core.payments.service import payments_of, start_payment
from ...errors import NotFound
from ...extensions import db
from .auth import BEARER, api_user
from .schemas import MoneySchema

bp = Blueprint("api_orders", __name__, url_prefix="", description="Orders, payments and payouts")

IDEMPOTENCY = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "maxLength": 200},
    "description": "Repeat-safe key: a repeat returns the first result and moves no money twice.",
}


class LineSchema(Schema):
    kind = fields.String()
    code = fields.String()
    label = fields.String()
    payer = fields.String()
    amount = fields.Integer()
    currency = fields.String()


class OrderEventSchema(Schema):
    transition = fields.String()
    from_state = fields.String(allow_none=True)
    to_state = fields.String()
    actor_id = fields.Integer(allow_none=True)
    actor_role = fields.String()
    params = fields.Dict()
    created_at = fields.DateTime()


class TransitionOptionSchema(Schema):
    name = fields.String()
    label = fields.String()
    inputs = fields.List(fields.String())


class OrderSchema(Schema):
    id = fields.Integer()
    process = fields.String(attribute="process_name")
    process_version = fields.Integer()
    state = fields.String()
    version = fields.Integer()
    customer_id = fields.Integer()
    provider_id = fields.Integer()
    listing_id = fields.Integer(allow_none=True)
    parent_id = fields.Integer(allow_none=True)
    quantity = fields.Integer()
    currency = fields.String()
    unit_price = fields.Nested(MoneySchema)
    subtotal = fields.Nested(MoneySchema, allow_none=True)
    customer_total = fields.Nested(MoneySchema, allow_none=True)
    provider_payout = fields.Nested(MoneySchema, allow_none=True)
    booking_start = fields.DateTime(allow_none=True)
    booking_end = fields.DateTime(allow_none=True)
    cancellation_policy = fields.Dict(allow_none=True)
    lines = fields.List(fields.Nested(LineSchema))
    created_at = fields.DateTime()


class OrderDetailSchema(OrderSchema):
    timeline = fields.List(fields.Nested(OrderEventSchema))
    allowed_transitions = fields.List(fields.Nested(TransitionOptionSchema))


class CreateOrderSchema(Schema):
    listing_id = fields.Integer(required=True)
    quantity = fields.Integer(load_default=1, validate=validate.Range(1, 10_000))
    process = fields.String(load_default=None, allow_none=True)
    params = fields.Dict(load_default=dict)


class TransitionSchema(Schema):
    params = fields.Dict(load_default=dict)
    expected_version = fields.Integer(load_default=None, allow_none=True)


class PaySchema(Schema):
    provider = fields.String(required=True)
    card = fields.String(load_default=None, allow_none=True)


class PaymentSchema(Schema):
    id = fields.Integer()
    order_id = fields.Integer()
    provider = fields.String()
    status = fields.String()
    amount = fields.Integer()
    currency = fields.String()
    reference = fields.String(allow_none=True)
    details = fields.Dict()
    message = fields.String(allow_none=True)


class PartySchema(Schema):
    id = fields.Integer()
    display_name = fields.String()


class ReceiptSchema(Schema):
    order_id = fields.Integer()
    marketplace = fields.String()
    issued_at = fields.DateTime(metadata={"description": "When the order was placed."})
    state = fields.String()
    customer = fields.Nested(PartySchema)
    provider = fields.Nested(PartySchema)
    listing_id = fields.Integer(allow_none=True)
    item = fields.String(allow_none=True, metadata={"description": "The listing's title."})
    quantity = fields.Integer()
    lines = fields.List(fields.Nested(LineSchema))
    customer_total = fields.Nested(MoneySchema)
    payments = fields.List(fields.Nested(PaymentSchema))


class BalanceSchema(Schema):
    currency = fields.String()
    balance = fields.Nested(MoneySchema)
    available = fields.Nested(MoneySchema)


class PostingSchema(Schema):
    id = fields.Integer()
    amount = fields.Integer()
    currency = fields.String()
    kind = fields.String()
    memo = fields.String()
    order_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class WalletSchema(Schema):
    balances = fields.List(fields.Nested(BalanceSchema))
    history = fields.List(fields.Nested(PostingSchema))


class PayoutSchema(Schema):
    id = fields.Integer()
    amount = fields.Integer()
    currency = fields.String()
    status = fields.String()
    note = fields.String()
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)


class PayoutRequestSchema(Schema):
    amount = fields.Integer(required=True)
    currency = fields.String(required=True)


class DisputeDecisionSchema(Schema):
    note = fields.String(load_default="", validate=validate.Length(max=255))


class OrdersQuerySchema(Schema):
    role = fields.String(load_default="customer", validate=validate.OneOf(["customer", "provider"]))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 100))
    before = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(1, 2**63 - 1),
        metadata={"description": "Only orders with a smaller id (from the `next` Link header)."},
    )


def order_payload(order: Order, user: Any) -> dict[str, Any]:
    """The order with its timeline and the viewer's options, as objects (not yet dumped)."""
    return {
        **{c: getattr(order, c) for c in OrderSchema().fields if hasattr(order, c)},
        "process_name": order.process_name,
        "timeline": engine.timeline(order),
        "allowed_transitions": transition_options(order, user),
    }


def order_detail(order: Order, user: Any) -> dict[str, Any]:
    return OrderDetailSchema().dump(order_payload(order, user))


def _key() -> str | None:
    return request.headers.get("Idempotency-Key")


def _idempotent(user: Any, scope: str, payload: Any, work) -> Any:
    status, body, replayed = idempotency.run_once(user.id, scope, _key(), payload, work)
    resp = jsonify(body)
    resp.status_code = status
    if replayed:
        resp.headers["Idempotent-Replayed"] = "true"
    return resp


@bp.route("/orders", methods=["POST"])
@bp.doc(security=BEARER, parameters=[IDEMPOTENCY])
@bp.arguments(CreateOrderSchema)
@bp.response(201, OrderDetailSchema)
def create_order(data: dict[str, Any]):
    """Place an order on a listing (takes the process's initial transition)."""
    user = api_user("write")

    def work():
        listing = db.session.get(Listing, data["listing_id"])
        if listing is None:
            raise NotFound("No such listing.")
        order = engine.place_order(
            data["process"],
            customer=user,
            listing=listing,
            quantity=data["quantity"],
            params=data["params"],
        )
        return 201, order_detail(order, user)

    return _idempotent(user, "orders.create", data, work)


@bp.route("/orders", methods=["GET"])
@bp.doc(security=BEARER)
@bp.arguments(OrdersQuerySchema, location="query")
@bp.response(200, OrderSchema(many=True))
def list_orders(query: dict[str, Any]):
    """My orders, as customer (default) or as provider, newest first.

    Pages of ``limit`` orders; when there are more, the ``Link`` header has a
    ``rel="next"`` URL (the same query with ``before=<id>``).
    """
    user = api_user("read")
    orders, next_before = orders_of(user, query["role"], query["limit"], query["before"])
    headers = {}
    if next_before is not None:
        args = {**request.args.to_dict(), "before": next_before}
        headers["Link"] = f'<{url_for("api_orders.list_orders", **args)}>; rel="next"'
    return orders, 200, headers


@bp.route("/orders/<int:order_id>", methods=["GET"])
@bp.doc(security=BEARER)
@bp.response(200, OrderDetailSchema)
def get_order(order_id: int):
    """An order with its price lines, timeline and the transitions you may take now."""
    user = api_user("read")
    return order_payload(visible_order(order_id, user), user)


@bp.route("/orders/<int:order_id>/receipt", methods=["GET"])
@bp.doc(security=BEARER)
@bp.response(200, ReceiptSchema)
def get_receipt(order_id: int):
    """The receipt of a priced order (what the receipt page shows): lines, total, payments."""
    from ...app import state

    user = api_user("read")
    order = visible_order(order_id, user)
    if not order.is_priced:
        raise NotFound("This order has no receipt.")
    return {
        "order_id": order.id,
        "marketplace": state(current_app).settings.site["name"],
        "issued_at": order.created_at,
        "state": order.state,
        "customer": order.customer,
        "provider": order.provider,
        "listing_id": order.listing_id,
        "item": order.listing.title if order.listing else None,
        "quantity": order.quantity,
        "lines": order.lines,
        "customer_total": order.customer_total,
        "payments": payments_of(order),
    }


@bp.route("/orders/<int:order_id>/transitions/<name>", methods=["POST"])
@bp.doc(security=BEARER, parameters=[IDEMPOTENCY])
@bp.arguments(TransitionSchema)
@bp.response(200, OrderDetailSchema)
@bp.alt_response(409, description="Not allowed in this state, or stale order version")
def take_transition(data: dict[str, Any], order_id: int, name: str):
    """Take a transition (pay from wallet, deliver, accept, cancel, refund ...)."""
    user = api_user("write")

    def work():
        order = visible_order(order_id, user)
        engine.transition(
            order, name, user, data["params"], expected_version=data["expected_version"]
        )
        return 200, order_detail(order, user)

    return _idempotent(user, f"orders.{order_id}.{name}", data, work)


@bp.route("/orders/<int:order_id>/payments", methods=["POST"])
@bp.doc(security=BEARER, parameters=[IDEMPOTENCY])
@bp.arguments(PaySchema)
@bp.response(201, PaymentSchema)
def pay_order(data: dict[str, Any], order_id: int):
    """Pay an order through a payment provider (``sandbox`` test cards, ``manual`` transfer)."""
    user = api_user("write")

    def work():
        order = visible_order(order_id, user)
        details = {"card": data["card"]} if data.get("card") else {}
        payment = start_payment(order, user, data["provider"], details)
        db.session.flush()
        return 201, {"id": payment.id}

    resp = _idempotent(user, f"orders.{order_id}.pay", data, work)
    if resp.status_code == 201:
        payment = db.session.get(Payment, resp.get_json()["id"])
        resp = jsonify(PaymentSchema().dump(payment))
        resp.status_code = 201
    return resp


@bp.route("/wallet", methods=["GET"])
@bp.doc(security=BEARER)
@bp.response(200, WalletSchema)
def wallet():
    """Wallet balances (and what is available for payout) and the latest movements."""
    user = api_user("read")
    balances, history = [], []
    for acc in ledger.accounts_of(["wallet"], user):
        balances.append(
            {
                "currency": acc.currency,
                "balance": acc.balance,
                "available": payouts.available(user, acc.currency),
            }
        )
        for p in ledger.history(acc, 50):
            history.append(
                {
                    "id": p.id,
                    "amount": p.amount,
                    "currency": p.currency,
                    "kind": p.entry.kind,
                    "memo": p.entry.memo,
                    "order_id": p.entry.order_id,
                    "created_at": p.entry.created_at,
                }
            )
    return {"balances": balances, "history": history}


@bp.route("/payouts", methods=["GET"])
@bp.doc(security=BEARER)
@bp.response(200, PayoutSchema(many=True))
def list_payouts():
    """My payout requests."""
    return payouts.payouts_of(api_user("read"))


@bp.route("/payouts", methods=["POST"])
@bp.doc(security=BEARER, parameters=[IDEMPOTENCY])
@bp.arguments(PayoutRequestSchema)
@bp.response(201, PayoutSchema)
def create_payout(data: dict[str, Any]):
    """Request a payout of available balance (minimum and holding period from config)."""
    user = api_user("write")

    def work():
        payout = payouts.request_payout(user, data["amount"], data["currency"])
        return 201, PayoutSchema().dump(payout)

    return _idempotent(user, "payouts.create", data, work)


def _decide(payout_id: int, data: dict[str, Any], approve: bool):
    from ...events import commit

    user = api_user("write")
    payout = db.session.get(PayoutRequest, payout_id)
    if payout is None:
        raise NotFound("No such payout.")
    from ...core.console import service as console

    console.decide_payout(
        user, payout, approve=approve, reason=data["note"], ip=request.remote_addr
    )
    commit()
    return payout


@bp.route("/payouts/<int:payout_id>/approve", methods=["POST"])
@bp.doc(security=BEARER)
@bp.arguments(DisputeDecisionSchema)
@bp.response(200, PayoutSchema)
def approve(data: dict[str, Any], payout_id: int):
    """Approve a payout (operators with the finance role)."""
    return _decide(payout_id, data, True)


@bp.route("/payouts/<int:payout_id>/reject", methods=["POST"])
@bp.doc(security=BEARER)
@bp.arguments(DisputeDecisionSchema)
@bp.response(200, PayoutSchema)
def reject(data: dict[str, Any], payout_id: int):
    """Reject a payout; the money returns to the wallet (finance role)."""
    return _decide(payout_id, data, False)


class DisputeMessageSchema(Schema):
    role = fields.String()
    author_id = fields.Integer(allow_none=True)
    body = fields.String()
    evidence = fields.List(fields.Dict())
    created_at = fields.DateTime()


class DisputeSchema(Schema):
    id = fields.Integer()
    order_id = fields.Integer()
    opened_by_role = fields.String()
    reason = fields.String()
    status = fields.String()
    resolution = fields.String(allow_none=True)
    refunded_amount = fields.Integer(allow_none=True)
    messages = fields.List(fields.Nested(DisputeMessageSchema))


class NewDisputeMessageSchema(Schema):
    body = fields.String(required=True, validate=validate.Length(1, 4000))
    evidence = fields.List(fields.Dict(), load_default=list)


@bp.route("/orders/<int:order_id>/dispute", methods=["GET"])
@bp.doc(security=BEARER)
@bp.response(200, DisputeSchema)
def get_dispute(order_id: int):
    """The order's dispute with its messages. Open one with the ``open_dispute`` transition."""
    from ...core.disputes.service import dispute_of

    user = api_user("read")
    dispute = dispute_of(visible_order(order_id, user))
    if dispute is None:
        raise NotFound("This order has no dispute.")
    return dispute


@bp.route("/orders/<int:order_id>/dispute/messages", methods=["POST"])
@bp.doc(security=BEARER)
@bp.arguments(NewDisputeMessageSchema)
@bp.response(201, DisputeMessageSchema)
def post_dispute_message(data: dict[str, Any], order_id: int):
    """Add a message (with evidence links) to the order's open dispute."""
    from ...core.disputes.service import add_message
    from ...events import commit

    user = api_user("write")
    message = add_message(visible_order(order_id, user), user, data["body"], data["evidence"])
    commit()
    return message


class FeeOverrideSchema(Schema):
    rules = fields.List(fields.Dict(), required=True)
    note = fields.String(load_default="", validate=validate.Length(max=255))


@bp.route("/providers/<int:user_id>/fees", methods=["PUT"])
@bp.doc(security=BEARER)
@bp.arguments(FeeOverrideSchema)
@bp.response(200, FeeOverrideSchema)
def put_fee_override(data: dict[str, Any], user_id: int):
    """Set fee rules for one provider, replacing ``[fees] rules`` for new orders (finance role)."""
    from ...core.orders.fees import set_override
    from ...core.users.models import User
    from ...events import commit

    operator = api_user("write")
    provider = db.session.get(User, user_id)
    if provider is None:
        raise NotFound("No such user.")
    row = set_override(operator, provider, data["rules"], data["note"])
    commit()
    return row


@bp.route("/providers/<int:user_id>/fees", methods=["DELETE"])
@bp.doc(security=BEARER)
@bp.response(204)
def delete_fee_override(user_id: int):
    """Remove a provider's fee override: the site's rules apply again (finance role)."""
    from ...core.orders.fees import clear_override
    from ...core.users.models import User
    from ...events import commit

    operator = api_user("write")
    provider = db.session.get(User, user_id)
    if provider is None:
        raise NotFound("No such user.")
    clear_override(operator, provider)
    commit()


@bp.route("/payments/<int:payment_id>/confirm", methods=["POST"])
@bp.doc(security=BEARER)
@bp.response(200, PaymentSchema)
def confirm_payment(payment_id: int):
    """Confirm a bank transfer arrived (``manual`` provider; finance role)."""
    from ...core.console import service as console
    from ...events import commit

    operator = api_user("write")
    payment = db.session.get(Payment, payment_id)
    if payment is None:
        raise NotFound("No such payment.")
    console.confirm_payment(operator, payment, ip=request.remote_addr)
    commit()
    return db.session.get(Payment, payment_id)
