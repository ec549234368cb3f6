"""Ledger services: accounts, posting balanced entries, balances, verification.

Everything here joins the caller's unit of work; the caller commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ...errors import Conflict
from ...extensions import db
from ...money import Money, is_currency
from ..locking import dialect_name, locked
from .kinds import get_kind
from .models import JournalEntry, LedgerAccount, Posting


class LedgerError(Exception):
    """A programming error: an unbalanced or malformed entry. Never user input."""


class InsufficientFunds(Conflict):
    title = "Insufficient funds"
    type_slug = "insufficient-funds"


def owner_key(owner: Any) -> str:
    """The ``owner_key`` of an account owner: a model's id, a name, or ``""`` (platform)."""
    if owner is None:
        return ""
    if isinstance(owner, str):
        return owner
    if isinstance(owner, int) and not isinstance(owner, bool):
        return str(owner)
    return str(owner.id)


def account(kind: str, owner: Any, currency: str) -> LedgerAccount:
    """The account of ``kind`` for ``owner`` in ``currency``, created when missing.

    Safe under concurrency: creation is an ``INSERT ... ON CONFLICT DO NOTHING``.
    """
    spec = get_kind(kind)
    if not is_currency(currency):
        raise LedgerError(f"unknown currency {currency!r}")
    key = owner_key(owner)
    stmt = select(LedgerAccount).where(
        LedgerAccount.kind == kind,
        LedgerAccount.owner_key == key,
        LedgerAccount.currency == currency,
    )
    found = db.session.scalars(stmt).first()
    if found is not None:
        return found
    insert = pg_insert if dialect_name() == "postgresql" else sqlite_insert
    from ..db import utcnow

    now = utcnow()
    db.session.execute(
        insert(LedgerAccount)
        .values(
            kind=kind,
            owner_key=key,
            currency=currency,
            allow_negative=spec.allow_negative,
            balance_amount=0,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["kind", "owner_key", "currency"])
    )
    return db.session.scalars(stmt).one()


def platform_account(kind: str, currency: str) -> LedgerAccount:
    return account(kind, None, currency)


@dataclass(frozen=True)
class Line:
    account: LedgerAccount
    money: Money


def post(
    kind: str,
    lines: Sequence[tuple[LedgerAccount, Money] | Line],
    *,
    memo: str = "",
    order_id: int | None = None,
    unique_key: str | None = None,
) -> JournalEntry:
    """Write one balanced journal entry and update the cached balances.

    ``lines`` are ``(account, signed Money)``; zero lines are dropped; what is
    left must sum to zero per currency and match each account's currency.
    The accounts are locked (``FOR UPDATE`` / SQLite write lock) in id order,
    and an account that may not go negative refuses the entry with
    :class:`InsufficientFunds`. With ``unique_key`` the movement happens at
    most once: a second call returns the first entry and moves nothing.
    """
    if unique_key is not None:
        existing = db.session.scalars(
            select(JournalEntry).where(JournalEntry.unique_key == unique_key)
        ).first()
        if existing is not None:
            return existing
    pairs = [(ln.account, ln.money) if isinstance(ln, Line) else ln for ln in lines]
    pairs = [(acc, m) for acc, m in pairs if m.amount != 0]
    if len(pairs) < 2:
        raise LedgerError(f"a journal entry needs at least two non-zero postings ({kind})")
    sums: dict[str, int] = defaultdict(int)
    for acc, money in pairs:
        if acc.currency != money.currency:
            raise LedgerError(
                f"posting {money} to account {acc.id} ({acc.kind}) held in {acc.currency}"
            )
        sums[money.currency] += money.amount
    unbalanced = {c: s for c, s in sums.items() if s != 0}
    if unbalanced:
        raise LedgerError(f"unbalanced journal entry {kind!r}: {unbalanced}")

    deltas: dict[int, int] = defaultdict(int)
    for acc, money in pairs:
        deltas[acc.id] += money.amount
    db.session.flush()
    rows = db.session.scalars(
        locked(
            select(LedgerAccount)
            .where(LedgerAccount.id.in_(sorted(deltas)))
            .order_by(LedgerAccount.id)
        )
    ).all()
    for row in rows:
        new_balance = row.balance_amount + deltas[row.id]
        if new_balance < 0 and not row.allow_negative:
            raise InsufficientFunds(
                f"Not enough money in the {row.kind} account: "
                f"{Money(row.balance_amount, row.currency)} available, "
                f"{Money(-deltas[row.id], row.currency)} needed.",
            )
    for row in rows:
        row.balance_amount = row.balance_amount + deltas[row.id]
    entry = JournalEntry(kind=kind, memo=memo[:255], order_id=order_id, unique_key=unique_key)
    db.session.add(entry)
    for acc, money in pairs:
        entry.postings.append(
            Posting(account_id=acc.id, amount=money.amount, currency=money.currency)
        )
    db.session.flush()
    return entry


def transfer(
    kind: str,
    source: LedgerAccount,
    target: LedgerAccount,
    money: Money,
    **kwargs: Any,
) -> JournalEntry:
    """Move ``money`` (positive) from ``source`` to ``target`` as one entry."""
    if money.amount <= 0:
        raise LedgerError(f"transfer amount must be positive, got {money}")
    return post(kind, [(source, -money), (target, money)], **kwargs)


def balance(acc: LedgerAccount) -> Money:
    """The balance derived from postings (not the cache)."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(Posting.amount), 0)).where(Posting.account_id == acc.id)
    )
    return Money(int(total), acc.currency)


def balance_of(kind: str, owner: Any, currency: str) -> Money:
    """Cached balance of an account, zero when the account does not exist yet."""
    found = db.session.scalars(
        select(LedgerAccount).where(
            LedgerAccount.kind == kind,
            LedgerAccount.owner_key == owner_key(owner),
            LedgerAccount.currency == currency,
        )
    ).first()
    return found.balance if found is not None else Money.zero(currency)


def history(acc: LedgerAccount, limit: int = 100) -> list[Posting]:
    """The latest postings of an account, newest first."""
    return list(
        db.session.scalars(
            select(Posting)
            .where(Posting.account_id == acc.id)
            .order_by(Posting.id.desc())
            .limit(limit)
        )
    )


def entries_for_order(order_id: int) -> list[JournalEntry]:
    return list(
        db.session.scalars(
            select(JournalEntry).where(JournalEntry.order_id == order_id).order_by(JournalEntry.id)
        )
    )


def verify() -> list[str]:
    """Re-add every posting; return one line per problem (empty when the ledger is sound).

    Checks: every entry has at least two postings that sum to zero per
    currency; posting and account currencies match; each cached balance equals
    the sum of its postings; no account that may not go negative is negative;
    the whole ledger sums to zero per currency.
    """
    problems: list[str] = []
    per_entry = db.session.execute(
        select(Posting.entry_id, Posting.currency, func.sum(Posting.amount), func.count())
        .group_by(Posting.entry_id, Posting.currency)
        .order_by(Posting.entry_id)
    ).all()
    counts: dict[int, int] = defaultdict(int)
    for entry_id, currency, total, count in per_entry:
        counts[entry_id] += count
        if total != 0:
            problems.append(f"entry {entry_id}: postings in {currency} sum to {total}, not 0")
    for entry_id in db.session.scalars(select(JournalEntry.id)):
        if counts.get(entry_id, 0) < 2:
            problems.append(f"entry {entry_id}: has {counts.get(entry_id, 0)} posting(s), needs 2")
    mismatched = db.session.execute(
        select(Posting.id, Posting.currency, LedgerAccount.id, LedgerAccount.currency)
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .where(Posting.currency != LedgerAccount.currency)
    ).all()
    for pid, pcur, aid, acur in mismatched:
        problems.append(f"posting {pid}: in {pcur} on account {aid} held in {acur}")
    sums = dict(
        db.session.execute(
            select(Posting.account_id, func.sum(Posting.amount)).group_by(Posting.account_id)
        ).all()
    )
    for acc in db.session.scalars(select(LedgerAccount).order_by(LedgerAccount.id)):
        derived = int(sums.get(acc.id) or 0)
        label = f"account {acc.id} ({acc.kind}:{acc.owner_key} {acc.currency})"
        if acc.balance_amount != derived:
            problems.append(
                f"{label}: cached balance {acc.balance_amount} != sum of postings {derived}"
            )
        if derived < 0 and not acc.allow_negative:
            problems.append(f"{label}: balance {derived} is below zero")
    for currency, total in db.session.execute(
        select(Posting.currency, func.sum(Posting.amount)).group_by(Posting.currency)
    ).all():
        if total != 0:
            problems.append(f"ledger: all postings in {currency} sum to {total}, not 0")
    return problems


def accounts_of(kinds: Iterable[str], owner: Any) -> list[LedgerAccount]:
    return list(
        db.session.scalars(
            select(LedgerAccount)
            .where(LedgerAccount.kind.in_(list(kinds)), LedgerAccount.owner_key == owner_key(owner))
            .order_by(LedgerAccount.kind, LedgerAccount.currency)
        )
    )
