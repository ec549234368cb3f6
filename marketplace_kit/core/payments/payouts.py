"""Payout requests: providers withdraw their available balance; finance approves.

*Available* is the wallet balance minus what escrow releases credited within
the holding period (``[orders] payout_holding_days``). A request moves the
amount from the wallet to the user's ``payout_hold`` account at once (so it
cannot be spent twice); approval sends it out through the ``manual`` clearing
account (and an outbox ``payout.send`` message), rejection puts it back.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from ...errors import Conflict, ValidationError
from ...extensions import db
from ...money import Money, is_currency
from ..access import require
from ..db import utcnow
from ..ledger import service as ledger
from ..ledger.models import JournalEntry, LedgerAccount, Posting
from ..locking import locked
from ..orders import outbox
from .models import PayoutRequest

PAYOUT_CLEARING = "manual"


def _settings() -> dict[str, Any]:
    from ...app import state

    return state(current_app).settings.orders


def available(user: Any, currency: str) -> Money:
    """What ``user`` may withdraw now in ``currency``."""
    wallet = ledger.account("wallet", user, currency)
    since = utcnow() - timedelta(days=_settings()["payout_holding_days"])
    held = db.session.scalar(
        select(func.coalesce(func.sum(Posting.amount), 0))
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(
            Posting.account_id == wallet.id,
            JournalEntry.kind == "escrow_release",
            JournalEntry.created_at > since,
        )
    )
    return Money(max(0, wallet.balance_amount - int(held)), currency)


def request_payout(user: Any, amount: int, currency: str) -> PayoutRequest:
    """Ask for ``amount`` minor units; the caller commits. 422 below the minimum or above available."""
    if not is_currency(currency):
        raise ValidationError(errors={"currency": ["Unknown currency."]})
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValidationError(errors={"amount": ["Give a positive amount in minor units."]})
    minimum = _settings()["payout_minimum"]
    if amount < minimum:
        raise ValidationError(
            errors={"amount": [f"The minimum payout is {Money(minimum, currency)}."]}
        )
    wallet = ledger.account("wallet", user, currency)
    db.session.scalars(locked(select(LedgerAccount).where(LedgerAccount.id == wallet.id))).one()
    free = available(user, currency)
    if amount > free.amount:
        raise ValidationError(errors={"amount": [f"At most {free} is available for payout."]})
    payout = PayoutRequest(
        user_id=user.id, amount=amount, currency=currency, status="requested", note=""
    )
    db.session.add(payout)
    db.session.flush()
    ledger.transfer(
        "payout_request",
        wallet,
        ledger.account("payout_hold", user, currency),
        Money(amount, currency),
        memo=f"payout {payout.id} requested",
        unique_key=f"payout:{payout.id}:request",
    )
    return payout


def _decide(payout: PayoutRequest, operator: Any) -> PayoutRequest:
    require(operator, "payout.approve", payout)
    row = db.session.scalars(
        locked(select(PayoutRequest).where(PayoutRequest.id == payout.id))
    ).one()
    if row.status != "requested":
        raise Conflict(f"This payout is {row.status} already.")
    row.decided_by_id = operator.id
    row.decided_at = utcnow()
    return row


def approve_payout(payout: PayoutRequest, operator: Any) -> PayoutRequest:
    row = _decide(payout, operator)
    ledger.transfer(
        "payout",
        ledger.account("payout_hold", row.user_id, row.currency),
        ledger.account("clearing", PAYOUT_CLEARING, row.currency),
        row.money,
        memo=f"payout {row.id} sent",
        unique_key=f"payout:{row.id}:send",
    )
    row.status = "paid"
    outbox.add("payout.send", {"payout_id": row.id, "amount": row.amount, "currency": row.currency})
    _notify_payout(row)
    return row


def reject_payout(payout: PayoutRequest, operator: Any, note: str = "") -> PayoutRequest:
    row = _decide(payout, operator)
    ledger.transfer(
        "payout_rejected",
        ledger.account("payout_hold", row.user_id, row.currency),
        ledger.account("wallet", row.user_id, row.currency),
        row.money,
        memo=f"payout {row.id} rejected",
        unique_key=f"payout:{row.id}:reject",
    )
    row.status = "rejected"
    row.note = note[:255]
    _notify_payout(row)
    return row


def _notify_payout(row: PayoutRequest) -> None:
    from ..notifications.events import PAYOUT_PAID, PAYOUT_REJECTED
    from ..notifications.service import notify
    from ..users.models import User

    user = db.session.get(User, row.user_id)
    if user is None:
        return
    notify(
        user,
        PAYOUT_PAID if row.status == "paid" else PAYOUT_REJECTED,
        {
            "payout_id": row.id,
            "status": row.status,
            "amount": row.amount,
            "currency": row.currency,
            "note": row.note or "",
        },
        url="/wallet",
        dedupe_key=f"payout:{row.id}:{row.status}",
    )


def payouts_of(user: Any) -> list[PayoutRequest]:
    return list(
        db.session.scalars(
            select(PayoutRequest)
            .where(PayoutRequest.user_id == user.id)
            .order_by(PayoutRequest.id.desc())
        )
    )


def pending_payouts() -> list[PayoutRequest]:
    return list(
        db.session.scalars(
            select(PayoutRequest)
            .where(PayoutRequest.status == "requested")
            .order_by(PayoutRequest.id)
        )
    )
