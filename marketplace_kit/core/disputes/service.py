"""Dispute actions and services.

Actions (used by processes): ``open_dispute`` (input ``reason``, optional
``evidence``; refused outside ``[orders] dispute_window_days`` after the order
entered its current state), ``answer_dispute`` (input ``message``) and
``close_dispute`` (param ``resolution``). Messages are added with
:func:`add_message` by either party or an operator while the dispute is open.
Money moves through the process's own ``refund`` / ``release_escrow``
actions, so every resolution is posted to the ledger.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy import select

from ...errors import Conflict, NotFound, PermissionDenied, ValidationError
from ...extensions import db
from ..db import utcnow
from ..ledger import service as ledger
from ..orders.actions import Action, ActionContext
from ..orders.engine import roles_of
from ..orders.models import Order, OrderEvent
from .models import Dispute, DisputeMessage

MAX_TEXT = 4000


def _text(value: Any, key: str, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        raise ValidationError(errors={key: [f"Write 1 to {MAX_TEXT} characters."]})
    return value.strip()


def _evidence(value: Any) -> list[dict[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > 20:
        raise ValidationError(errors={"evidence": ["A list of up to 20 items."]})
    out = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("label"), str):
            raise ValidationError(errors={"evidence": ["Each item needs a label (and a url)."]})
        out.append({"label": item["label"][:200], "url": str(item.get("url") or "")[:500]})
    return out


def dispute_of(order: Order) -> Dispute | None:
    return db.session.scalars(select(Dispute).where(Dispute.order_id == order.id)).first()


def entered_state_at(order: Order):
    return db.session.scalar(
        select(OrderEvent.created_at)
        .where(OrderEvent.order_id == order.id, OrderEvent.to_state == order.state)
        .order_by(OrderEvent.id.desc())
        .limit(1)
    )


def open_dispute(ctx: ActionContext) -> None:
    from ...app import state

    order = ctx.order
    window = timedelta(days=state(current_app).settings.orders["dispute_window_days"])
    since = entered_state_at(order) or order.created_at
    if ctx.scratch["now"] - since > window:
        raise Conflict("The time to open a dispute on this order has passed.")
    if dispute_of(order) is not None:
        raise Conflict("This order has a dispute already.")
    reason = _text(ctx.input.get("reason"), "reason")
    dispute = Dispute(
        order_id=order.id,
        opened_by_id=ctx.actor.id,
        opened_by_role=ctx.role,
        reason=reason,
        status="open",
    )
    db.session.add(dispute)
    db.session.flush()
    db.session.add(
        DisputeMessage(
            dispute_id=dispute.id,
            author_id=ctx.actor.id,
            role=ctx.role,
            body=reason,
            evidence=_evidence(ctx.input.get("evidence")),
        )
    )


def answer_dispute(ctx: ActionContext) -> None:
    dispute = dispute_of(ctx.order)
    if dispute is None or dispute.status != "open":
        raise Conflict("There is no open dispute to answer.")
    if ctx.actor.id == dispute.opened_by_id:
        raise PermissionDenied("The other side answers a dispute.")
    db.session.add(
        DisputeMessage(
            dispute_id=dispute.id,
            author_id=ctx.actor.id,
            role=ctx.role,
            body=_text(ctx.input.get("message"), "message"),
            evidence=_evidence(ctx.input.get("evidence")),
        )
    )
    dispute.status = "answered"


class CloseParams(Schema):
    class Meta:
        unknown = RAISE

    resolution = fields.String(
        required=True,
        validate=validate.OneOf(
            ["release", "refund", "split", "refund_unanswered", "release_unanswered"]
        ),
    )


def close_dispute(ctx: ActionContext, resolution: str) -> None:
    dispute = dispute_of(ctx.order)
    if dispute is None or dispute.status == "resolved":
        raise Conflict("There is no open dispute to resolve.")
    refunded = sum(
        -p.amount
        for e in ledger.entries_for_order(ctx.order.id)
        if e.kind == "refund"
        for p in e.postings
        if p.account.kind == "escrow"
    )
    dispute.status = "resolved"
    dispute.resolution = resolution
    dispute.refunded_amount = refunded
    dispute.resolved_at = ctx.scratch["now"]
    if ctx.input.get("message"):
        db.session.add(
            DisputeMessage(
                dispute_id=dispute.id,
                author_id=getattr(ctx.actor, "id", None),
                role=ctx.role,
                body=_text(ctx.input["message"], "message"),
                evidence=[],
            )
        )


def add_message(order: Order, user: Any, body: str, evidence: Any = None) -> DisputeMessage:
    """A party or an operator adds a message to the order's open dispute; the caller commits."""
    dispute = dispute_of(order)
    if dispute is None:
        raise NotFound("This order has no dispute.")
    if dispute.status == "resolved":
        raise Conflict("This dispute is resolved.")
    roles = roles_of(user, order)
    if not roles:
        raise PermissionDenied("Only the parties and operators take part in a dispute.")
    role = "operator" if "operator" in roles else sorted(roles)[0]
    message = DisputeMessage(
        dispute_id=dispute.id,
        author_id=user.id,
        role=role,
        body=_text(body, "body"),
        evidence=_evidence(evidence),
        created_at=utcnow(),
    )
    db.session.add(message)
    return message


DISPUTE_ACTIONS = (
    Action(
        "open_dispute", open_dispute, inputs=("reason", "evidence"), description="Open a dispute."
    ),
    Action(
        "answer_dispute", answer_dispute, inputs=("message", "evidence"), description="Answer it."
    ),
    Action("close_dispute", close_dispute, CloseParams, description="Record the resolution."),
)
