"""Audited operator decisions, the operator audit log and queue assignments.

Every function here checks the operator's permission (through the service it
calls or :func:`~marketplace_kit.core.access.require`), changes state, writes
one :class:`~.models.OperatorAction` with what changed (``before``/``after``)
and tells the user concerned (the ``operator_decision`` notification, with
the reason). The caller commits. No Flask request objects inside: the
client's address comes in as ``ip``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, cast, func, select

from ...errors import Conflict, NotFound, ValidationError
from ...extensions import db
from ..access import can, require
from ..db import utcnow
from ..users.models import OPERATOR_ROLES, User
from ..users.service import get_row
from .models import OperatorAction, QueueAssignment

MAX_REASON = 2000

#: queue name -> permission needed to work on it (and to be assigned to it).
QUEUES: dict[str, str] = {
    "verification": "operator.review_verification",
    "listings": "listing.moderate",
    "disputes": "dispute.resolve",
    "payouts": "payout.approve",
}


# ---------------------------------------------------------------------------
# the audit log
# ---------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def record(
    actor: Any,
    action: str,
    target_type: str,
    target_id: Any,
    *,
    subject: Any = None,
    reason: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    ip: str | None = None,
) -> OperatorAction:
    """Add one operator action to the current unit of work."""
    row = OperatorAction(
        created_at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_roles=sorted(r for r in (getattr(actor, "roles", None) or []) if r in OPERATOR_ROLES),
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        subject_user_id=subject if isinstance(subject, int) else getattr(subject, "id", None),
        reason=(reason or "")[:MAX_REASON],
        before=_jsonable(before or {}),
        after=_jsonable(after or {}),
        ip=(ip or None) and ip[:45],
    )
    db.session.add(row)
    return row


def clean_reason(reason: Any, *, required: bool = True, field: str = "reason") -> str:
    """The stripped reason; a 422 when it is required and missing, or too long."""
    text = reason.strip() if isinstance(reason, str) else ""
    if required and not text:
        raise ValidationError(errors={field: ["Give a reason."]})
    if len(text) > MAX_REASON:
        raise ValidationError(errors={field: [f"At most {MAX_REASON} characters."]})
    return text


def audit_query(
    *,
    action: str = "",
    actor_id: int | None = None,
    subject_id: int | None = None,
    target_type: str = "",
    target_id: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select:
    """Operator actions, newest first, filtered by whatever is given."""
    stmt = select(OperatorAction).order_by(OperatorAction.id.desc())
    if action:
        stmt = stmt.where(OperatorAction.action.startswith(action))
    if actor_id is not None:
        stmt = stmt.where(OperatorAction.actor_id == actor_id)
    if subject_id is not None:
        stmt = stmt.where(OperatorAction.subject_user_id == subject_id)
    if target_type:
        stmt = stmt.where(OperatorAction.target_type == target_type)
    if target_id:
        stmt = stmt.where(OperatorAction.target_id == target_id)
    if since is not None:
        stmt = stmt.where(OperatorAction.created_at >= since)
    if until is not None:
        stmt = stmt.where(OperatorAction.created_at < until)
    return stmt


def audit_actions() -> list[str]:
    """Every action name in the log (for the filter's choices)."""
    return list(
        db.session.scalars(select(OperatorAction.action).distinct().order_by(OperatorAction.action))
    )


CSV_COLUMNS = (
    "id",
    "created_at",
    "actor_id",
    "actor_email",
    "actor_roles",
    "action",
    "target_type",
    "target_id",
    "subject_user_id",
    "reason",
    "before",
    "after",
    "ip",
)


def csv_cell(value: Any) -> Any:
    """``value`` safe for a CSV cell: a string a spreadsheet would run as a formula (leading
    ``= + - @``, tab or carriage return) gets a ``'`` in front; other values are kept."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def audit_csv(rows: Iterable[OperatorAction]) -> str:
    import json

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow(
            [
                r.id,
                r.created_at.isoformat(),
                r.actor_id or "",
                csv_cell(r.actor.email) if r.actor else "",
                " ".join(r.actor_roles or []),
                r.action,
                r.target_type,
                csv_cell(r.target_id),
                r.subject_user_id or "",
                csv_cell(r.reason or ""),
                json.dumps(r.before, sort_keys=True, ensure_ascii=False),
                json.dumps(r.after, sort_keys=True, ensure_ascii=False),
                r.ip or "",
            ]
        )
    return out.getvalue()


# ---------------------------------------------------------------------------
# notifications
# ---------------------------------------------------------------------------


def tell(user: Any, kind: str, reason: str, url: str | None = None, **context: Any) -> None:
    """Send ``user`` the ``operator_decision`` notification (kind + reason + context)."""
    from ..notifications.events import OPERATOR_DECISION
    from ..notifications.service import notify

    if user is None or getattr(user, "deleted_at", None) is not None:
        return
    notify(user, OPERATOR_DECISION, {"kind": kind, "reason": reason, **context}, url=url)


# ---------------------------------------------------------------------------
# assignments
# ---------------------------------------------------------------------------


def _queue_permission(queue: str) -> str:
    try:
        return QUEUES[queue]
    except KeyError:
        raise NotFound("No such queue.") from None


def queue_item(queue: str, item_id: int) -> Any:
    """The row behind ``item_id`` in ``queue`` (404 when there is none)."""
    from ..disputes.models import Dispute
    from ..listings.models import Listing
    from ..payments.models import PayoutRequest
    from ..users.models import VerificationRequest

    model = {
        "verification": VerificationRequest,
        "listings": Listing,
        "disputes": Dispute,
        "payouts": PayoutRequest,
    }[queue]
    row = get_row(model, item_id)
    if row is None:
        raise NotFound("No such item in this queue.")
    return row


def eligible_assignees(queue: str) -> list[User]:
    """Active operators who may work on ``queue``."""
    perm = _queue_permission(queue)
    users = db.session.scalars(
        select(User)
        .where(User.is_active_account.is_(True), cast(User.roles, String).like('%"%'))
        .order_by(User.display_name)
    )  # only users with some role (a non-empty JSON list) are read
    return [u for u in users if u.is_operator and can(u, perm)]


def assign(
    operator: Any, queue: str, item_id: int, assignee: Any | None, *, ip: str | None = None
) -> QueueAssignment | None:
    """Assign an item to ``assignee`` (``None`` releases it); audited."""
    perm = _queue_permission(queue)
    require(operator, perm)
    queue_item(queue, item_id)
    if assignee is not None and not (assignee.is_active and assignee.is_operator):
        raise ValidationError(errors={"assignee": ["Assign to an active operator."]})
    if assignee is not None and not can(assignee, perm):
        raise ValidationError(errors={"assignee": ["This operator may not work on this queue."]})
    row = db.session.scalars(
        select(QueueAssignment).where(
            QueueAssignment.queue == queue, QueueAssignment.item_id == item_id
        )
    ).first()
    before = {"assignee_id": row.assignee_id if row else None}
    if assignee is None:
        if row is not None:
            db.session.delete(row)
        row = None
    else:
        if row is None:
            row = QueueAssignment(queue=queue, item_id=item_id, assignee_id=assignee.id)
            db.session.add(row)
        row.assignee_id = assignee.id
        row.assigned_by_id = operator.id
        row.assigned_at = utcnow()
    after = {"assignee_id": assignee.id if assignee is not None else None}
    if before != after:
        record(operator, f"{queue}.assign", queue, item_id, before=before, after=after, ip=ip)
    return row


def assignments(queue: str, item_ids: Iterable[int]) -> dict[int, User]:
    ids = list(item_ids)
    if not ids:
        return {}
    rows = db.session.scalars(
        select(QueueAssignment).where(
            QueueAssignment.queue == queue, QueueAssignment.item_id.in_(ids)
        )
    )
    return {r.item_id: r.assignee for r in rows}


def filter_assigned(stmt: Select, queue: str, id_column: Any, assignee: str, me: Any) -> Select:
    """Narrow a queue query: ``me``, ``unassigned``, an operator's id, or anything else = all."""
    assigned = select(QueueAssignment.item_id).where(QueueAssignment.queue == queue)
    if assignee == "me":
        return stmt.where(id_column.in_(assigned.where(QueueAssignment.assignee_id == me.id)))
    if assignee == "unassigned":
        return stmt.where(id_column.not_in(assigned))
    if assignee.isdigit() and 0 < int(assignee) < 2**31:
        return stmt.where(
            id_column.in_(assigned.where(QueueAssignment.assignee_id == int(assignee)))
        )
    return stmt


# ---------------------------------------------------------------------------
# verification
# ---------------------------------------------------------------------------


def decide_verification(
    operator: Any, req: Any, *, approve: bool, reason: str = "", ip: str | None = None
) -> Any:
    """Approve or reject a verification request (reason required to reject)."""
    from ..users import verification as vsvc

    before = {"status": req.status, "level": req.user.verification_level}
    vsvc.decide(operator, req, approve=approve, reason=reason, ip=ip)
    record(
        operator,
        "verification.approve" if approve else "verification.reject",
        "verification",
        req.id,
        subject=req.user,
        reason=req.reason or "",
        before=before,
        after={"status": req.status, "level": req.user.verification_level},
        ip=ip,
    )
    return req


# ---------------------------------------------------------------------------
# listings
# ---------------------------------------------------------------------------


def decide_listing(
    operator: Any, listing: Any, *, approve: bool, reason: str = "", ip: str | None = None
) -> Any:
    """Approve (publish) or reject (back to draft, with the reason) a pending listing."""
    from ..listings import service as listings

    reason = clean_reason(reason, required=not approve)
    before = {"status": listing.status, "moderation_note": listing.moderation_note}
    if approve:
        listings.approve_listing(listing, operator)
    else:
        listings.reject_listing(listing, operator, reason)
    record(
        operator,
        "listing.approve" if approve else "listing.reject",
        "listing",
        listing.id,
        subject=listing.author_id,
        reason=reason,
        before=before,
        after={"status": listing.status, "moderation_note": listing.moderation_note},
        ip=ip,
    )
    tell(
        listing.author,
        "listing_approved" if approve else "listing_rejected",
        reason,
        url=f"/listings/{listing.id}",
        title=listing.title,
    )
    return listing


# ---------------------------------------------------------------------------
# payouts
# ---------------------------------------------------------------------------


def decide_payout(
    operator: Any, payout: Any, *, approve: bool, reason: str = "", ip: str | None = None
) -> Any:
    """Approve (send) or reject (back to the wallet, reason required) a payout request.

    The payouts service notifies the provider (``payout_paid`` / ``payout_rejected``
    with the note), so no second notification is sent here.
    """
    from ..payments import payouts

    reason = clean_reason(reason, required=not approve)
    before = {"status": payout.status}
    if approve:
        row = payouts.approve_payout(payout, operator)
        if reason:
            row.note = reason[:255]
    else:
        row = payouts.reject_payout(payout, operator, reason)
    record(
        operator,
        "payout.approve" if approve else "payout.reject",
        "payout",
        row.id,
        subject=row.user_id,
        reason=reason,
        before=before,
        after={"status": row.status, "amount": row.amount, "currency": row.currency},
        ip=ip,
    )
    return row


# ---------------------------------------------------------------------------
# orders and disputes
# ---------------------------------------------------------------------------


def _order_snapshot(order: Any) -> dict[str, Any]:
    from ..ledger import service as ledger

    return {
        "state": order.state,
        "version": order.version,
        "escrow": ledger.balance_of("escrow", order, order.currency).amount,
    }


def operator_transition(
    operator: Any,
    order: Any,
    name: str,
    *,
    reason: str,
    amount: int | None = None,
    expected_version: int | None = None,
    ip: str | None = None,
) -> Any:
    """Take an operator transition of the order's process (refund, cancel, resolve, ...).

    Only transitions whose actors include ``operator`` are allowed here; the
    reason is required, stored on the order's timeline (``message``), audited
    and sent to both parties.
    """
    from ..orders import engine

    reason = clean_reason(reason)
    t = engine.process_of(order).transition(name)
    if t is None or t.is_initial or "operator" not in t.actors:
        raise NotFound("The order's process has no such operator transition.")
    require(operator, "order.operate", order)
    before = _order_snapshot(order)
    params: dict[str, Any] = {"message": reason}
    if amount is not None:
        params["amount"] = amount
    order = engine.transition(order, name, operator, params, expected_version=expected_version)
    after = _order_snapshot(order)
    if amount is not None:
        after["amount"] = amount
    record(
        operator,
        f"order.{name}",
        "order",
        order.id,
        reason=reason,
        before=before,
        after=after,
        ip=ip,
    )
    for party in (order.customer, order.provider):
        tell(
            party,
            "order_transition",
            reason,
            url=f"/orders/{order.id}",
            order_id=order.id,
            transition=t.label or name.replace("_", " "),
        )
    return order


#: dispute ruling -> the process transition that carries it out.
RULINGS = {"release": "resolve_release", "refund": "resolve_refund", "split": "resolve_split"}


def available_rulings(order: Any) -> list[str]:
    """The rulings the order's process allows from its current state."""
    from ..orders import engine

    process = engine.process_of(order)
    out = []
    for ruling, name in RULINGS.items():
        t = process.transition(name)
        if t is not None and order.state in t.from_states and "operator" in t.actors:
            out.append(ruling)
    return out


def rule_dispute(
    operator: Any,
    dispute: Any,
    ruling: str,
    *,
    reason: str,
    amount: int | None = None,
    ip: str | None = None,
) -> Any:
    """Resolve an open dispute: pay the provider, refund the customer, or split.

    ``split`` refunds ``amount`` minor units to the customer and releases the
    rest of the escrow to the provider.
    """
    from ..orders.models import Order

    require(operator, "dispute.resolve", dispute)
    if ruling not in RULINGS:
        raise ValidationError(errors={"ruling": ["Choose release, refund or split."]})
    if dispute.status == "resolved":
        raise Conflict("This dispute is resolved already.")
    if ruling == "split" and (
        isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0
    ):
        raise ValidationError(errors={"amount": ["Give the amount to refund (minor units)."]})
    order = db.session.get(Order, dispute.order_id)
    if ruling not in available_rulings(order):
        raise Conflict(f"The order is {order.state}; its process does not allow this ruling now.")
    before = {"status": dispute.status}
    operator_transition(
        operator,
        order,
        RULINGS[ruling],
        reason=reason,
        amount=amount if ruling == "split" else None,
        ip=ip,
    )
    record(
        operator,
        f"dispute.{ruling}",
        "dispute",
        dispute.id,
        reason=reason,
        before=before,
        after={
            "status": dispute.status,
            "resolution": dispute.resolution,
            "refunded_amount": dispute.refunded_amount,
        },
        ip=ip,
    )
    return dispute


def confirm_payment(operator: Any, payment: Any, *, ip: str | None = None) -> Any:
    """Confirm a bank transfer (``manual`` provider) arrived."""
    from ..payments.service import confirm_manual_payment

    before = {"status": payment.status}
    confirm_manual_payment(payment, operator)
    record(
        operator,
        "payment.confirm",
        "payment",
        payment.id,
        before=before,
        after={"status": payment.status, "amount": payment.amount, "currency": payment.currency},
        ip=ip,
    )
    return payment


# ---------------------------------------------------------------------------
# users
# ---------------------------------------------------------------------------


def user_status(user: User) -> str:
    if user.deleted_at is not None:
        return "deleted"
    if user.banned_at is not None:
        return "banned"
    return "active" if user.is_active_account else "suspended"


def set_user_status(
    operator: Any, user: User, status: str, *, reason: str = "", ip: str | None = None
) -> User:
    """``active`` (reinstate), ``suspended`` or ``banned``; a reason is always required.

    A ban also revokes the user's API tokens; reinstating lifts either.
    """
    from ..users import accounts
    from ..users.models import ApiToken

    if status not in ("active", "suspended", "banned"):
        raise ValidationError(errors={"status": ["Choose active, suspended or banned."]})
    reason = clean_reason(reason)
    before = {"status": user_status(user)}
    accounts.set_active(operator, user, status == "active", reason=reason, ip=ip)
    if status == "banned" and user.banned_at is None:
        user.banned_at = utcnow()
        now = utcnow()
        for token in db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        ):
            token.revoked_at = now
        accounts.audit("account_banned", user=user, actor=operator, ip=ip, reason=reason)
    elif status != "banned":
        user.banned_at = None
    after = {"status": user_status(user)}
    if before != after:
        record(
            operator,
            f"user.{ {'active': 'reinstate', 'suspended': 'suspend', 'banned': 'ban'}[status] }",
            "user",
            user.id,
            subject=user,
            reason=reason,
            before=before,
            after=after,
            ip=ip,
        )
        tell(user, f"account_{after['status']}", reason)
    return user


def set_user_roles(operator: Any, user: User, roles: list[str], *, ip: str | None = None) -> User:
    from ..users import accounts

    before = {"roles": sorted(user.roles or [])}
    accounts.set_roles(operator, user, roles, ip=ip)
    after = {"roles": sorted(user.roles or [])}
    if before != after:
        record(
            operator, "user.roles", "user", user.id, subject=user, before=before, after=after, ip=ip
        )
    return user


def fee_override(user: User) -> Any:
    from ..orders.models import FeeOverride

    return db.session.scalars(select(FeeOverride).where(FeeOverride.user_id == user.id)).first()


def set_fee_override(
    operator: Any,
    user: User,
    rules: list[dict[str, Any]] | None,
    *,
    reason: str,
    ip: str | None = None,
) -> Any:
    """Replace (``rules`` a list; ``[]`` = no fees) or clear (``None``) a provider's fee rules."""
    from ..orders import fees

    reason = clean_reason(reason)
    old = fee_override(user)
    before = {"rules": list(old.rules) if old is not None else None}
    if rules is None:
        fees.clear_override(operator, user)
        after: dict[str, Any] = {"rules": None}
    else:
        row = fees.set_override(operator, user, rules, note=reason)
        after = {"rules": list(row.rules)}
    record(
        operator,
        "fees.override" if rules is not None else "fees.clear",
        "user",
        user.id,
        subject=user,
        reason=reason,
        before=before,
        after=after,
        ip=ip,
    )
    return after


# ---------------------------------------------------------------------------
# searching users and orders
# ---------------------------------------------------------------------------


def search_users(q: str = "", role: str = "", status: str = "", limit: int = 200) -> list[User]:
    stmt = select(User).order_by(User.id.desc()).limit(limit)
    q = q.strip()
    if q:
        if q.isdigit() and int(q) < 2**31:
            stmt = stmt.where(User.id == int(q))
        else:
            like = f"%{q.lower()}%"
            stmt = stmt.where(
                func.lower(User.email).like(like) | func.lower(User.display_name).like(like)
            )
    if status == "deleted":
        stmt = stmt.where(User.deleted_at.is_not(None))
    elif status:
        stmt = stmt.where(User.deleted_at.is_(None))
    if status == "active":
        stmt = stmt.where(User.is_active_account.is_(True))
    elif status == "suspended":
        stmt = stmt.where(User.is_active_account.is_(False), User.banned_at.is_(None))
    elif status == "banned":
        stmt = stmt.where(User.banned_at.is_not(None))
    if role == "none":
        stmt = stmt.where(func.coalesce(cast(User.roles, String), "[]").in_(["[]", "null"]))
    elif role:
        # roles is a JSON list of names: match the quoted name in its text form
        stmt = stmt.where(cast(User.roles, String).like(f'%"{role}"%'))
    return list(db.session.scalars(stmt))


def search_orders(
    *,
    order_id: int | None = None,
    user: str = "",
    state: str = "",
    process: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 200,
) -> list[Any]:
    from sqlalchemy.orm import aliased

    from ..orders.models import Order

    stmt = select(Order).order_by(Order.id.desc()).limit(limit)
    if order_id is not None:
        stmt = stmt.where(Order.id == order_id)
    if user.strip():
        u = user.strip()
        customer, provider = aliased(User), aliased(User)
        stmt = stmt.join(customer, customer.id == Order.customer_id).join(
            provider, provider.id == Order.provider_id
        )
        if u.isdigit() and int(u) < 2**31:
            stmt = stmt.where((Order.customer_id == int(u)) | (Order.provider_id == int(u)))
        else:
            like = f"%{u.lower()}%"
            stmt = stmt.where(
                func.lower(customer.email).like(like)
                | func.lower(provider.email).like(like)
                | func.lower(customer.display_name).like(like)
                | func.lower(provider.display_name).like(like)
            )
    if state:
        stmt = stmt.where(Order.state == state)
    if process:
        stmt = stmt.where(Order.process_name == process)
    if since is not None:
        stmt = stmt.where(Order.created_at >= since)
    if until is not None:
        stmt = stmt.where(Order.created_at < until)
    return list(db.session.scalars(stmt))
