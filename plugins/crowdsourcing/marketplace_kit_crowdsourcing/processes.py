"""The processes milestones and contest prizes follow, and their actions.

``crowdsourcing_milestone``: funding a milestone places the order (customer
= client, provider = awarded bidder, on the task's request listing) and holds
its total in escrow, taking any rolled-over credit first. Then
submitted -> (changes requested -> submitted)* -> released, with a partial
release, an auto-release timer, a provider cancellation that refunds, and
disputes through the core's dispute actions (a silent respondent loses).

``crowdsourcing_prize``: one order per paid contest winner, funded from the
contest's prize account and released at once (provider fees from the core's
fee rules; the client paid the customer-side posting fee when posting).
"""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import select

from marketplace_kit.core.ledger import service as ledger
from marketplace_kit.core.orders.actions import Action, ActionContext, compute_price, escrow_account
from marketplace_kit.core.orders.models import OrderLine
from marketplace_kit.errors import Conflict, ValidationError
from marketplace_kit.extensions import db
from marketplace_kit.money import Money

PRIZE_ACCOUNT = "crowdsourcing_prize"
CREDIT_ACCOUNT = "crowdsourcing_credit"
BOTH = ["customer", "provider"]


def N_(message: str) -> str:
    return message


DISPUTE_STATES = ["disputed", "disputed_by_provider", "dispute_answered"]

MILESTONE: dict[str, Any] = {
    "name": "crowdsourcing_milestone",
    "version": 1,
    "description": "A funded milestone: submit, request changes, release (in part), disputes.",
    "states": [
        "funded",
        "submitted",
        "changes_requested",
        "released",
        "cancelled",
        "refunded",
        *DISPUTE_STATES,
    ],
    "state_labels": {
        "funded": N_("Funded"),
        "submitted": N_("Submitted"),
        "changes_requested": N_("Changes requested"),
        "released": N_("Released"),
        "cancelled": N_("Cancelled and refunded"),
        "refunded": N_("Refunded"),
        "disputed": N_("Disputed by the client"),
        "disputed_by_provider": N_("Disputed by the provider"),
        "dispute_answered": N_("Dispute answered"),
    },
    "transitions": [
        {
            "name": "fund",
            "label": N_("Fund"),
            "from": [],
            "to": "funded",
            "actors": ["customer"],
            "actions": [{"name": "calculate_price"}, {"name": "crowdsourcing_fund"}],
            "notify": [{"to": ["provider"], "template": "order_paid"}],
        },
        {
            "name": "submit",
            "label": N_("Submit work"),
            "from": ["funded", "changes_requested"],
            "to": "submitted",
            "actors": ["provider"],
            "notify": [{"to": ["customer"], "template": "order_delivered"}],
        },
        {
            "name": "request_changes",
            "label": N_("Request changes"),
            "from": ["submitted"],
            "to": "changes_requested",
            "actors": ["customer"],
            "notify": [{"to": ["provider"], "template": "milestone_changes"}],
        },
        {
            "name": "release",
            "label": N_("Release payment"),
            "from": ["funded", "submitted", "changes_requested"],
            "to": "released",
            "actors": ["customer"],
            "actions": [{"name": "release_escrow"}],
            "notify": [{"to": BOTH, "template": "order_completed"}],
        },
        {
            "name": "release_part",
            "label": N_("Release part of the payment"),
            "from": ["submitted", "changes_requested"],
            "to": "released",
            "actors": ["customer"],
            "actions": [{"name": "crowdsourcing_settle_part"}, {"name": "release_escrow"}],
            "notify": [{"to": BOTH, "template": "order_partially_refunded"}],
        },
        {
            "name": "auto_release",
            "label": N_("Released automatically"),
            "from": ["submitted"],
            "to": "released",
            "timer": {"after": "14d"},
            "actions": [{"name": "release_escrow"}],
            "notify": [{"to": BOTH, "template": "order_completed"}],
        },
        {
            "name": "provider_cancel",
            "label": N_("Cancel and refund the client"),
            "from": ["funded", "submitted", "changes_requested"],
            "to": "cancelled",
            "actors": ["provider"],
            "actions": [{"name": "refund", "params": {"mode": "full", "to": "wallet"}}],
            "notify": [{"to": BOTH, "template": "order_refunded"}],
        },
        {
            "name": "open_dispute",
            "label": N_("Open a dispute"),
            "from": ["funded", "submitted", "changes_requested"],
            "to": "disputed",
            "actors": ["customer"],
            "actions": [{"name": "open_dispute"}],
            "notify": [{"to": [*BOTH, "operator"], "template": "dispute_opened"}],
        },
        {
            "name": "provider_dispute",
            "label": N_("Open a dispute"),
            "from": ["submitted", "changes_requested"],
            "to": "disputed_by_provider",
            "actors": ["provider"],
            "actions": [{"name": "open_dispute"}],
            "notify": [{"to": [*BOTH, "operator"], "template": "dispute_opened"}],
        },
        {
            "name": "answer_dispute",
            "label": N_("Answer the dispute"),
            "from": ["disputed"],
            "to": "dispute_answered",
            "actors": ["provider"],
            "actions": [{"name": "answer_dispute"}],
            "notify": [{"to": ["customer", "operator"], "template": "dispute_answered"}],
        },
        {
            "name": "answer_provider_dispute",
            "label": N_("Answer the dispute"),
            "from": ["disputed_by_provider"],
            "to": "dispute_answered",
            "actors": ["customer"],
            "actions": [{"name": "answer_dispute"}],
            "notify": [{"to": ["provider", "operator"], "template": "dispute_answered"}],
        },
        {
            "name": "dispute_unanswered",
            "label": N_("Dispute not answered in time"),
            "from": ["disputed"],
            "to": "refunded",
            "timer": {"after": "5d"},
            "actions": [
                {"name": "refund", "params": {"mode": "full", "to": "wallet"}},
                {"name": "close_dispute", "params": {"resolution": "refund_unanswered"}},
            ],
            "notify": [{"to": BOTH, "template": "dispute_resolved"}],
        },
        {
            "name": "provider_dispute_unanswered",
            "label": N_("Dispute not answered in time"),
            "from": ["disputed_by_provider"],
            "to": "released",
            "timer": {"after": "5d"},
            "actions": [
                {"name": "release_escrow"},
                {"name": "close_dispute", "params": {"resolution": "release_unanswered"}},
            ],
            "notify": [{"to": BOTH, "template": "dispute_resolved"}],
        },
        {
            "name": "resolve_release",
            "label": N_("Resolve: pay the provider"),
            "from": DISPUTE_STATES,
            "to": "released",
            "actors": ["operator"],
            "actions": [
                {"name": "release_escrow"},
                {"name": "close_dispute", "params": {"resolution": "release"}},
            ],
            "notify": [{"to": BOTH, "template": "dispute_resolved"}],
        },
        {
            "name": "resolve_refund",
            "label": N_("Resolve: refund the client"),
            "from": DISPUTE_STATES,
            "to": "refunded",
            "actors": ["operator"],
            "actions": [
                {"name": "refund", "params": {"mode": "full", "to": "wallet"}},
                {"name": "close_dispute", "params": {"resolution": "refund"}},
            ],
            "notify": [{"to": BOTH, "template": "dispute_resolved"}],
        },
        {
            "name": "resolve_split",
            "label": N_("Resolve: refund part, pay out the rest"),
            "from": DISPUTE_STATES,
            "to": "released",
            "actors": ["operator"],
            "actions": [
                {"name": "refund", "params": {"mode": "partial", "to": "wallet"}},
                {"name": "release_escrow"},
                {"name": "close_dispute", "params": {"resolution": "split"}},
            ],
            "notify": [{"to": BOTH, "template": "dispute_resolved"}],
        },
    ],
}

PRIZE: dict[str, Any] = {
    "name": "crowdsourcing_prize",
    "version": 1,
    "description": "A contest prize paid to one winner from the contest's prize account.",
    "states": ["paid"],
    "state_labels": {"paid": N_("Prize paid")},
    "transitions": [
        {
            "name": "award_prize",
            "label": N_("Prize awarded"),
            "from": [],
            "to": "paid",
            "actors": ["customer", "system"],
            "actions": [
                {"name": "crowdsourcing_price_prize"},
                {"name": "crowdsourcing_pay_prize"},
                {"name": "release_escrow"},
            ],
            "notify": [{"to": ["provider"], "template": "order_completed"}],
        }
    ],
}


def configured(settings: dict[str, Any]) -> list[dict[str, Any]]:
    """The processes with the timers of ``[plugins.crowdsourcing]`` (copies)."""
    milestone = copy.deepcopy(MILESTONE)
    for t in milestone["transitions"]:
        if t["name"] == "auto_release":
            t["timer"] = {"after": f"{settings['auto_release_days']}d"}
        if t["name"] in ("dispute_unanswered", "provider_dispute_unanswered"):
            t["timer"] = {"after": f"{settings['dispute_response_days']}d"}
    return [milestone, copy.deepcopy(PRIZE)]


# ---------------------------------------------------------------------------
# actions
# ---------------------------------------------------------------------------


def award_for_order(order: Any) -> Any:
    from .models import Award, Task

    return db.session.scalars(
        select(Award)
        .join(Task, Task.id == Award.task_id)
        .where(Task.listing_id == order.listing_id, Award.provider_id == order.provider_id)
    ).first()


def fund(ctx: ActionContext) -> None:
    """Hold the milestone's total in escrow: rolled-over credit first, then the client's wallet."""
    order = ctx.order
    total = order.customer_total
    award = award_for_order(order)
    if award is None:
        raise Conflict("Only an awarded bid has milestones to fund.")
    credit = ledger.account(CREDIT_ACCOUNT, award.id, order.currency)
    from_credit = Money(min(credit.balance.amount, total.amount), order.currency)
    from_wallet = total - from_credit
    lines = [(escrow_account(order), total)]
    if from_credit:
        lines.append((credit, -from_credit))
    if from_wallet:
        lines.append((ledger.account("wallet", order.customer_id, order.currency), -from_wallet))
    ledger.post(
        "escrow_in",
        lines,
        memo=f"order {order.id}: milestone funded",
        order_id=order.id,
        unique_key=f"order:{order.id}:escrow_in",
    )


def _whole(raw: Any, key: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw <= 0:
        raise ValidationError(errors={key: ["Give a positive amount in minor units."]})
    return raw


def settle_part(ctx: ActionContext) -> None:
    """Keep ``amount`` in escrow for the release; refund the rest or roll it to the next milestone.

    Inputs: ``amount`` (minor units to release, less than what escrow holds)
    and ``remainder`` (``refund`` or ``rollover``).
    """
    from .models import Milestone

    order = ctx.order
    escrow = escrow_account(order)
    held = escrow.balance
    amount = _whole(ctx.input.get("amount"), "amount")
    if amount > held.amount:
        raise ValidationError(errors={"amount": [f"At most {held} is held for this milestone."]})
    remainder = ctx.input.get("remainder", "refund")
    if remainder not in ("refund", "rollover"):
        raise ValidationError(errors={"remainder": ["Choose refund or rollover."]})
    rest = held - Money(amount, order.currency)
    if not rest:
        return
    if remainder == "refund":
        target = ledger.account("wallet", order.customer_id, order.currency)
        kind = "refund"
    else:
        current = db.session.scalars(select(Milestone).where(Milestone.order_id == order.id)).one()
        following = db.session.scalars(
            select(Milestone)
            .where(
                Milestone.award_id == current.award_id,
                Milestone.position > current.position,
                Milestone.status == "planned",
            )
            .order_by(Milestone.position)
        ).first()
        if following is None:
            raise ValidationError(
                errors={"remainder": ["There is no unfunded next milestone; refund the rest."]}
            )
        if rest.amount > following.amount:
            raise ValidationError(
                errors={"remainder": ["The rest is more than the next milestone; refund it."]}
            )
        target = ledger.account(CREDIT_ACCOUNT, current.award_id, order.currency)
        kind = "crowdsourcing_rollover"
    ledger.transfer(
        kind,
        escrow,
        target,
        rest,
        memo=f"order {order.id}: part release, rest {remainder}",
        order_id=order.id,
        unique_key=f"order:{order.id}:settle_part",
    )


def price_prize(ctx: ActionContext) -> None:
    """Price a prize: the share plus provider-side fee lines (the posting fee was paid up front)."""
    order = ctx.order
    if order.is_priced:
        return
    price = compute_price(order)
    kept = [ln for ln in price.lines if ln.kind == "item" or ln.payer == "provider"]
    for line in kept:
        db.session.add(
            OrderLine(
                order=order,
                kind=line.kind,
                code=line.code,
                label=line.label,
                payer=line.payer,
                amount=line.money.amount,
                currency=line.money.currency,
            )
        )
    order.subtotal_amount = price.subtotal.amount
    order.customer_total_amount = price.subtotal.amount
    order.provider_payout_amount = price.provider_payout.amount


def pay_prize(ctx: ActionContext) -> None:
    """Move the prize share from the contest's prize account into this order's escrow."""
    from .models import Task

    order = ctx.order
    task = db.session.scalars(select(Task).where(Task.listing_id == order.listing_id)).one()
    ledger.transfer(
        "escrow_in",
        ledger.account(PRIZE_ACCOUNT, task.id, order.currency),
        escrow_account(order),
        order.customer_total,
        memo=f"order {order.id}: prize from contest {task.id}",
        order_id=order.id,
        unique_key=f"order:{order.id}:escrow_in",
    )


ACTIONS = [
    Action("crowdsourcing_fund", fund, description="Fund a milestone (credit, then wallet)."),
    Action(
        "crowdsourcing_settle_part",
        settle_part,
        inputs=("amount", "remainder"),
        description="Refund or roll over what a part release keeps back.",
    ),
    Action("crowdsourcing_price_prize", price_prize, description="Price a contest prize."),
    Action("crowdsourcing_pay_prize", pay_prize, description="Fund a prize from the contest."),
]
