"""Crowdsourcing services: tasks, bids, awards, milestones, contests.

Every function joins the caller's unit of work and raises a
``MarketplaceError`` (4xx) before changing anything; the caller commits with
``marketplace_kit.events.commit``. Rows that decide a race (the task, the
provider's allowance, the milestone) are read under a row lock.
"""

from __future__ import annotations

import re
import secrets
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from marketplace_kit import plugin_settings, state
from marketplace_kit.core.db import utcnow
from marketplace_kit.core.ledger import service as ledger
from marketplace_kit.core.listings import service as listings
from marketplace_kit.core.locking import locked
from marketplace_kit.core.notifications.service import notify
from marketplace_kit.core.orders import engine
from marketplace_kit.core.orders.fees import fee_lines
from marketplace_kit.core.storage import storage
from marketplace_kit.core.users.models import User
from marketplace_kit.errors import Conflict, NotFound, PermissionDenied, ValidationError
from marketplace_kit.extensions import db
from marketplace_kit.money import Money

from .models import AllowanceUse, Award, Bid, Deliverable, Entry, Milestone, Task
from .processes import PRIZE_ACCOUNT

LISTING_TYPES = {"tender": "crowdsourcing_tender", "contest": "crowdsourcing_contest"}
MAX_ID = 2**31 - 1
MAX_TEXT = 5000
MAX_FILES = 10
SKILL_RE = re.compile(r"^[\w][\w .+#-]{0,39}$")


def settings() -> dict[str, Any]:
    return plugin_settings(current_app, "crowdsourcing")


def _authed(user: Any) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def _get(model: Any, ident: Any, what: str) -> Any:
    if isinstance(ident, bool) or not isinstance(ident, int) or not 0 < ident <= MAX_ID:
        raise NotFound(f"No such {what}.")
    row = db.session.get(model, ident)
    if row is None:
        raise NotFound(f"No such {what}.")
    return row


def _lock_task(task: Task) -> Task:
    return db.session.scalars(locked(select(Task).where(Task.id == task.id))).one()


def _text(value: Any, key: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError(errors={key: ["This field is required."]})
        return ""
    if not isinstance(value, str) or len(value) > limit or "\x00" in value:
        raise ValidationError(errors={key: [f"Text up to {limit} characters."]})
    return value.strip()


def _amount(value: Any, key: str, *, required: bool = True) -> int | None:
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 10**12:
        raise ValidationError(errors={key: ["Give a positive amount in minor units."]})
    return value


def _when(value: Any, key: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError(errors={key: ["Give an ISO 8601 date and time."]}) from None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValidationError(errors={key: ["Give a date and time with a time zone."]})
    return value


def normalise_skills(value: Any) -> str:
    if value is None or value == "":
        return ""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or len(items) > 12:
        raise ValidationError(errors={"skills": ["Up to 12 skills, separated by commas."]})
    cleaned = []
    for item in items:
        skill = item.strip().lower() if isinstance(item, str) else None
        if not skill:
            continue
        if not SKILL_RE.match(skill):
            raise ValidationError(errors={"skills": [f"{skill!r} is not a skill name."]})
        if skill not in cleaned:
            cleaned.append(skill)
    return "," + ",".join(cleaned) + "," if cleaned else ""


def _notify(user_id: int, event: str, task: Task, url: str | None = None) -> None:
    user = db.session.get(User, user_id)
    if user is not None and user.deleted_at is None:
        notify(
            user,
            event,
            {"task_id": task.id, "title": task.listing.title},
            url=url or f"/tasks/{task.id}",
        )


# ---------------------------------------------------------------------------
# tasks
# ---------------------------------------------------------------------------


def post_task(
    client: Any,
    *,
    kind: Any,
    title: Any,
    description: Any,
    deadline: Any,
    skills: Any = "",
    budget_min: Any = None,
    budget_max: Any = None,
    sealed: Any = False,
    max_awards: Any = 1,
    prize_amount: Any = None,
    selection_deadline: Any = None,
    now: datetime | None = None,
) -> Task:
    """Post a tender or a contest; a contest's full prize (plus the posting fee) is escrowed now."""
    now = now or utcnow()
    if not _authed(client):
        raise PermissionDenied("Sign in to post a task.")
    if kind not in LISTING_TYPES:
        raise ValidationError(errors={"kind": ["Choose tender or contest."]})
    if not isinstance(sealed, bool):
        raise ValidationError(errors={"sealed": ["Must be true or false."]})
    deadline = _when(deadline, "deadline")
    if deadline <= now:
        raise ValidationError(errors={"deadline": ["The deadline must be in the future."]})
    skill_text = normalise_skills(skills)
    currency = listings.site_currency()
    if kind == "tender":
        low = _amount(budget_min, "budget_min", required=False)
        high = _amount(budget_max, "budget_max")
        if low is not None and low > high:
            raise ValidationError(errors={"budget_min": ["The minimum is above the maximum."]})
        if isinstance(max_awards, bool) or not isinstance(max_awards, int):
            raise ValidationError(errors={"max_awards": ["Give a whole number."]})
        if not 1 <= max_awards <= 20:
            raise ValidationError(errors={"max_awards": ["Award 1 to 20 bids."]})
        price, prize, selection = high, None, None
    else:
        prize = _amount(prize_amount, "prize_amount")
        selection = _when(selection_deadline, "selection_deadline")
        if selection <= deadline:
            raise ValidationError(
                errors={"selection_deadline": ["Choose winners after entries close."]}
            )
        low = high = None
        max_awards = 1
        price = prize
    listing = listings.create_listing(
        client,
        listing_type=LISTING_TYPES[kind],
        title=title,
        description=description if isinstance(description, str) else "",
        price_amount=price,
        currency=currency,
        attributes={"skills": skill_text.strip(",").replace(",", ", ")} if skill_text else {},
    )
    task = Task(
        listing_id=listing.id,
        client_id=client.id,
        kind=kind,
        state="open",
        currency=currency,
        budget_min=low,
        budget_max=high,
        skills=skill_text,
        deadline=deadline,
        selection_deadline=selection,
        sealed=sealed,
        max_awards=max_awards,
        prize_amount=prize,
        posting_fee_amount=0,
    )
    task.listing = listing
    db.session.add(task)
    db.session.flush()
    if kind == "contest":
        _escrow_prize(task, client)
    listings.publish_listing(listing, client)
    return task


def _escrow_prize(task: Task, client: Any) -> None:
    prize = task.prize
    fees = fee_lines(
        state(current_app).settings.fees["rules"],
        prize,
        listing_type=task.listing.listing_type,
        category=None,
        provider_id=client.id,
    )
    posting_fee = sum(
        (ln.money for ln in fees if ln.payer == "customer"), Money.zero(task.currency)
    )
    task.posting_fee_amount = posting_fee.amount
    lines = [
        (ledger.account("wallet", client, task.currency), -(prize + posting_fee)),
        (ledger.account(PRIZE_ACCOUNT, task.id, task.currency), prize),
    ]
    if posting_fee:
        lines.append((ledger.platform_account("revenue", task.currency), posting_fee))
    ledger.post(
        "crowdsourcing_prize_in",
        lines,
        memo=f"contest {task.id}: prize escrowed at posting",
        unique_key=f"crowdsourcing:task:{task.id}:prize_in",
    )


def get_task(task_id: Any) -> Task:
    return _get(Task, task_id, "task")


def can_see_task(task: Task, viewer: Any) -> bool:
    return listings.can_view(task.listing, viewer) or task.listing.status == "closed"


def visible_task(task_id: Any, viewer: Any) -> Task:
    task = get_task(task_id)
    if not can_see_task(task, viewer):
        raise NotFound("No such task.")
    return task


def _require_client(task: Task, user: Any) -> None:
    if not _authed(user) or user.id != task.client_id:
        raise PermissionDenied("Only the client who posted this task may do that.")


def _close_listing(task: Task, now: datetime) -> None:
    task.closed_at = now
    if task.listing.status != "closed":
        listings.close_listing(task.listing, task.client)


def search_tasks(
    *,
    q: str | None = None,
    kind: str | None = None,
    skill: str | None = None,
    budget_min: int | None = None,
    budget_max: int | None = None,
    deadline_before: datetime | None = None,
    state_: str = "open",
    limit: int = 50,
) -> list[Task]:
    """Published tasks matching the filters, soonest deadline first."""
    from marketplace_kit.core.listings.models import Listing

    stmt = select(Task).join(Listing, Listing.id == Task.listing_id)
    stmt = stmt.where(Task.state == state_, Listing.status.in_(("published", "closed")))
    if kind:
        stmt = stmt.where(Task.kind == kind)
    if q:
        pattern = f"%{q.strip().lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(Listing.title).like(pattern),
                func.lower(Listing.description).like(pattern),
            )
        )
    if skill:
        stmt = stmt.where(Task.skills.like(f"%,{skill.strip().lower()},%"))
    amount = func.coalesce(Task.budget_max, Task.prize_amount)
    if budget_min is not None:
        stmt = stmt.where(amount >= budget_min)
    if budget_max is not None:
        stmt = stmt.where(func.coalesce(Task.budget_min, amount) <= budget_max)
    if deadline_before is not None:
        stmt = stmt.where(Task.deadline <= deadline_before)
    stmt = stmt.options(selectinload(Task.listing))
    return list(db.session.scalars(stmt.order_by(Task.deadline, Task.id).limit(limit)))


def cancel_task(task: Task, client: Any, now: datetime | None = None) -> Task:
    """The client cancels: a tender before any award (allowances return), a contest before it is guaranteed."""
    now = now or utcnow()
    _require_client(task, client)
    task = _lock_task(task)
    if task.state != "open":
        raise Conflict("Only an open task can be cancelled.")
    if task.kind == "tender":
        if db.session.scalar(select(func.count(Award.id)).where(Award.task_id == task.id)):
            raise Conflict("A bid was awarded already; the task can no longer be cancelled.")
        for use in db.session.scalars(
            select(AllowanceUse).where(
                AllowanceUse.task_id == task.id, AllowanceUse.returned_at.is_(None)
            )
        ):
            use.returned_at = now
        for bid in db.session.scalars(select(Bid).where(Bid.task_id == task.id)):
            if bid.status == "active":
                bid.status = "declined"
                _notify(bid.provider_id, "crowdsourcing_task_cancelled", task)
    else:
        if task.guaranteed_at is not None:
            raise Conflict("This contest is guaranteed; it can no longer be cancelled.")
        prize = task.prize
        fee = prize.percent(settings()["contest_cancel_fee_percent"])
        lines = [(ledger.account(PRIZE_ACCOUNT, task.id, task.currency), -prize)]
        lines.append((ledger.account("wallet", task.client_id, task.currency), prize - fee))
        if fee:
            lines.append((ledger.platform_account("revenue", task.currency), fee))
        ledger.post(
            "crowdsourcing_prize_refund",
            lines,
            memo=f"contest {task.id}: cancelled before guarantee",
            unique_key=f"crowdsourcing:task:{task.id}:prize_refund",
        )
        for entry in db.session.scalars(select(Entry).where(Entry.task_id == task.id)):
            entry.status = "not_chosen"
            _notify(entry.provider_id, "crowdsourcing_task_cancelled", task)
    task.state = "cancelled"
    _close_listing(task, now)
    return task


# ---------------------------------------------------------------------------
# bids
# ---------------------------------------------------------------------------


def month_of(when: datetime) -> str:
    return when.strftime("%Y-%m")


def allowance_left(provider: Any, now: datetime | None = None) -> int:
    month = month_of(now or utcnow())
    used = db.session.scalar(
        select(func.count(AllowanceUse.id)).where(
            AllowanceUse.provider_id == provider.id,
            AllowanceUse.month == month,
            AllowanceUse.returned_at.is_(None),
        )
    )
    return max(settings()["monthly_bids"] - int(used or 0), 0)


def _open_for_offers(task: Task, now: datetime, kind: str) -> None:
    if task.kind != kind:
        raise Conflict(
            "This task takes entries, not bids." if kind == "tender" else "This task takes bids."
        )
    if task.state != "open" or task.listing.status != "published":
        raise Conflict("This task is closed.")
    if now > task.deadline:
        raise Conflict("The deadline of this task has passed.")


def place_bid(
    task: Task,
    provider: Any,
    *,
    amount: Any,
    days: Any,
    proposal: Any,
    now: datetime | None = None,
) -> Bid:
    """Create the provider's bid (spending one of this month's bids) or edit it (free)."""
    now = now or utcnow()
    if not _authed(provider):
        raise PermissionDenied("Sign in to bid.")
    if provider.id == task.client_id:
        raise PermissionDenied("You cannot bid on your own task.")
    amount = _amount(amount, "amount")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3650:
        raise ValidationError(errors={"days": ["Give 1 to 3650 days."]})
    proposal = _text(proposal, "proposal")
    task = _lock_task(task)
    _open_for_offers(task, now, "tender")
    # The provider's row serialises their allowance across tasks.
    db.session.scalars(locked(select(User.id).where(User.id == provider.id))).one()
    bid = db.session.scalars(
        select(Bid).where(Bid.task_id == task.id, Bid.provider_id == provider.id)
    ).first()
    if bid is not None and bid.status not in ("active", "withdrawn"):
        raise Conflict("Your bid on this task can no longer change.")
    spent = db.session.scalars(
        select(AllowanceUse).where(
            AllowanceUse.task_id == task.id, AllowanceUse.provider_id == provider.id
        )
    ).first()
    if spent is None:
        if allowance_left(provider, now) <= 0:
            raise Conflict(
                f"You have used all {settings()['monthly_bids']} bids of this month.",
                errors={"amount": ["No bids left this month."]},
            )
        db.session.add(AllowanceUse(provider_id=provider.id, task_id=task.id, month=month_of(now)))
    if bid is None:
        bid = Bid(task_id=task.id, provider_id=provider.id, shortlisted=False)
        db.session.add(bid)
        bid.amount, bid.days, bid.proposal, bid.status = amount, days, proposal, "active"
        db.session.flush()
        _notify(task.client_id, "crowdsourcing_bid_received", task)
    bid.amount, bid.days, bid.proposal, bid.status = amount, days, proposal, "active"
    db.session.flush()
    return bid


def withdraw_bid(bid: Bid, provider: Any) -> Bid:
    """The provider withdraws; the bid spent on the task is not returned."""
    if not _authed(provider) or provider.id != bid.provider_id:
        raise PermissionDenied("Only the bidder may withdraw a bid.")
    _lock_task(bid.task)
    if bid.status != "active":
        raise Conflict("Only an active bid can be withdrawn.")
    bid.status = "withdrawn"
    bid.shortlisted = False
    return bid


def visible_bids(task: Task, viewer: Any) -> list[Bid]:
    """All bids for the client and on open tenders; on sealed ones a provider sees only theirs."""
    bids = list(
        db.session.scalars(
            select(Bid)
            .where(Bid.task_id == task.id)
            .options(selectinload(Bid.provider))
            .order_by(Bid.id)
        )
    )
    viewer_id = getattr(viewer, "id", None) if _authed(viewer) else None
    if viewer_id == task.client_id or not task.sealed:
        return [b for b in bids if b.status != "withdrawn" or b.provider_id == viewer_id]
    return [b for b in bids if b.provider_id == viewer_id]


def bid_count(task: Task) -> int:
    return int(
        db.session.scalar(
            select(func.count(Bid.id)).where(Bid.task_id == task.id, Bid.status != "withdrawn")
        )
        or 0
    )


def bids_of(provider: Any) -> list[Bid]:
    return list(
        db.session.scalars(
            select(Bid)
            .where(Bid.provider_id == provider.id)
            .options(selectinload(Bid.task).selectinload(Task.listing))
            .order_by(Bid.id.desc())
        )
    )


def shortlist_bid(bid: Bid, client: Any, on: bool = True) -> Bid:
    _require_client(bid.task, client)
    if bid.status != "active" or bid.task.state != "open":
        raise Conflict("Only active bids on an open task can be shortlisted.")
    bid.shortlisted = bool(on)
    return bid


def award_bid(task: Task, client: Any, bid: Bid, now: datetime | None = None) -> Award:
    """Award ``bid``; when the task has all its awards the other bids are closed and told."""
    now = now or utcnow()
    _require_client(task, client)
    task = _lock_task(task)
    if bid.task_id != task.id:
        raise NotFound("No such bid on this task.")
    if task.state != "open":
        raise Conflict("This task is closed.")
    if bid.status != "active":
        raise Conflict("Only an active bid can be awarded.")
    award = Award(task_id=task.id, bid_id=bid.id, provider_id=bid.provider_id)
    db.session.add(award)
    bid.status = "awarded"
    db.session.flush()
    _notify(bid.provider_id, "crowdsourcing_bid_awarded", task)
    awarded = db.session.scalar(select(func.count(Award.id)).where(Award.task_id == task.id))
    if awarded >= task.max_awards:
        _finish_awarding(task, now)
    return award


def _finish_awarding(task: Task, now: datetime) -> None:
    task.state = "awarded"
    for other in db.session.scalars(
        select(Bid).where(Bid.task_id == task.id, Bid.status == "active")
    ):
        other.status = "declined"
        _notify(other.provider_id, "crowdsourcing_bid_not_awarded", task)
    _close_listing(task, now)


def close_bidding(task: Task, client: Any, now: datetime | None = None) -> Task:
    """With at least one award, stop awarding more; the remaining bids are closed and told."""
    now = now or utcnow()
    _require_client(task, client)
    task = _lock_task(task)
    if task.state != "open" or task.kind != "tender":
        raise Conflict("This task is closed.")
    if not db.session.scalar(select(func.count(Award.id)).where(Award.task_id == task.id)):
        raise Conflict("Award a bid first, or cancel the task.")
    _finish_awarding(task, now)
    return task


def awards_of(task: Task) -> list[Award]:
    return list(
        db.session.scalars(select(Award).where(Award.task_id == task.id).order_by(Award.id))
    )


def get_award(award_id: Any, viewer: Any) -> Award:
    award = _get(Award, award_id, "award")
    party = _authed(viewer) and viewer.id in (award.task.client_id, award.provider_id)
    if not party and not (_authed(viewer) and viewer.is_operator):
        raise NotFound("No such award.")
    return award


# ---------------------------------------------------------------------------
# milestones
# ---------------------------------------------------------------------------


def add_milestone(
    award: Award, client: Any, *, title: Any, amount: Any, due_date: Any = None
) -> Milestone:
    _require_client(award.task, client)
    title = _text(title, "title", limit=200)
    amount = _amount(amount, "amount")
    if isinstance(due_date, str) and due_date:
        try:
            due_date = date.fromisoformat(due_date)
        except ValueError:
            raise ValidationError(errors={"due_date": ["Give a date (YYYY-MM-DD)."]}) from None
    if due_date in ("", None):
        due_date = None
    elif not isinstance(due_date, date) or isinstance(due_date, datetime):
        raise ValidationError(errors={"due_date": ["Give a date (YYYY-MM-DD)."]})
    _lock_task(award.task)
    last = db.session.scalar(
        select(func.max(Milestone.position)).where(Milestone.award_id == award.id)
    )
    milestone = Milestone(
        award_id=award.id,
        position=(last or 0) + 1,
        title=title,
        amount=amount,
        due_date=due_date,
        status="planned",
    )
    db.session.add(milestone)
    db.session.flush()
    return milestone


def get_milestone(milestone_id: Any, viewer: Any) -> Milestone:
    milestone = _get(Milestone, milestone_id, "milestone")
    get_award(milestone.award_id, viewer)
    return milestone


def _lock_milestone(milestone: Milestone) -> Milestone:
    return db.session.scalars(locked(select(Milestone).where(Milestone.id == milestone.id))).one()


def fund_milestone(milestone: Milestone, client: Any) -> Milestone:
    """Place the milestone's order; its ``fund`` transition holds the money (409 when short)."""
    award = milestone.award
    _require_client(award.task, client)
    milestone = _lock_milestone(milestone)
    if milestone.status != "planned":
        raise Conflict("This milestone is funded already (or withdrawn).")
    order = engine.place_order(
        "crowdsourcing_milestone",
        customer=client,
        listing=award.task.listing,
        provider=award.provider,
        unit_price=milestone.price,
        actor=client,
    )
    milestone = db.session.get(Milestone, milestone.id)
    milestone.order_id = order.id
    milestone.status = "ordered"
    return milestone


def withdraw_milestone(milestone: Milestone, client: Any) -> Milestone:
    _require_client(milestone.award.task, client)
    milestone = _lock_milestone(milestone)
    if milestone.status != "planned":
        raise Conflict("Only a milestone not funded yet can be withdrawn.")
    milestone.status = "withdrawn"
    credit = ledger.account(
        "crowdsourcing_credit", milestone.award_id, milestone.award.task.currency
    )
    still_planned = db.session.scalar(
        select(func.count(Milestone.id)).where(
            Milestone.award_id == milestone.award_id, Milestone.status == "planned"
        )
    )
    if credit.balance and not still_planned:
        ledger.transfer(
            "refund",
            credit,
            ledger.account("wallet", milestone.award.task.client_id, credit.currency),
            credit.balance,
            memo=f"award {milestone.award_id}: rolled-over credit refunded",
        )
    return milestone


def _store_files(files: list[Any], uploader: Any, **owner: int) -> None:
    limit = settings()["max_file_bytes"]
    files = [f for f in files or [] if f is not None and getattr(f, "filename", "")]
    if len(files) > MAX_FILES:
        raise ValidationError(errors={"files": [f"Attach up to {MAX_FILES} files."]})
    for upload in files:
        data = upload.read()
        if not data or len(data) > limit:
            raise ValidationError(errors={"files": [f"Each file must be 1 byte to {limit} bytes."]})
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", upload.filename)[-100:] or "file"
        key = f"crowdsourcing/{secrets.token_hex(16)}-{safe}"
        storage().save(key, data)
        db.session.add(
            Deliverable(
                uploader_id=uploader.id,
                filename=upload.filename[:200],
                content_type=(upload.content_type or "application/octet-stream")[:100],
                size=len(data),
                storage_key=key,
                **owner,
            )
        )


def milestone_transition(
    milestone: Milestone,
    user: Any,
    name: str,
    params: dict[str, Any] | None = None,
    files: list[Any] | None = None,
) -> Milestone:
    """Take a transition on the milestone's order; ``submit`` may attach files."""
    if milestone.order is None:
        raise Conflict("Fund this milestone before work on it starts.")
    engine.transition(milestone.order, name, user, params or {})
    if name == "submit" and files:
        _store_files(files, user, milestone_id=milestone.id)
    return milestone


def deliverables_of(*, milestone: Milestone | None = None, entry: Entry | None = None) -> list:
    stmt = select(Deliverable).order_by(Deliverable.id)
    if milestone is not None:
        stmt = stmt.where(Deliverable.milestone_id == milestone.id)
    else:
        stmt = stmt.where(Deliverable.entry_id == entry.id)
    return list(db.session.scalars(stmt))


def can_download(deliverable: Deliverable, user: Any) -> bool:
    """The uploader always; the client only once the milestone is released or the entry paid."""
    if not _authed(user):
        return False
    if user.id == deliverable.uploader_id:
        return True
    if deliverable.milestone_id is not None:
        milestone = db.session.get(Milestone, deliverable.milestone_id)
        return (
            user.id == milestone.award.task.client_id
            and milestone.order is not None
            and milestone.order.state == "released"
        )
    entry = db.session.get(Entry, deliverable.entry_id)
    return user.id == entry.task.client_id and entry.order_id is not None


def read_deliverable(deliverable_id: Any, user: Any) -> tuple[Deliverable, bytes]:
    deliverable = _get(Deliverable, deliverable_id, "file")
    if not can_download(deliverable, user):
        raise NotFound("No such file.")
    data = storage().read(deliverable.storage_key)
    if data is None:
        raise NotFound("No such file.")
    return deliverable, data


# ---------------------------------------------------------------------------
# contests
# ---------------------------------------------------------------------------


def submit_entry(
    task: Task,
    provider: Any,
    *,
    note: Any,
    files: list[Any] | None = None,
    now: datetime | None = None,
) -> Entry:
    now = now or utcnow()
    if not _authed(provider):
        raise PermissionDenied("Sign in to enter.")
    if provider.id == task.client_id:
        raise PermissionDenied("You cannot enter your own contest.")
    note = _text(note, "note")
    task = _lock_task(task)
    _open_for_offers(task, now, "contest")
    if db.session.scalars(
        select(Entry.id).where(Entry.task_id == task.id, Entry.provider_id == provider.id)
    ).first():
        raise Conflict("You have entered this contest already.")
    entry = Entry(task_id=task.id, provider_id=provider.id, note=note, status="submitted")
    db.session.add(entry)
    db.session.flush()
    _store_files(files or [], provider, entry_id=entry.id)
    _notify(task.client_id, "crowdsourcing_entry_received", task)
    return entry


def visible_entries(task: Task, viewer: Any) -> list[Entry]:
    """All entries for the client and in public contests; in blind ones an entrant sees only theirs."""
    entries = list(
        db.session.scalars(
            select(Entry)
            .where(Entry.task_id == task.id)
            .options(selectinload(Entry.provider))
            .order_by(Entry.id)
        )
    )
    viewer_id = getattr(viewer, "id", None) if _authed(viewer) else None
    if viewer_id == task.client_id or not task.sealed:
        return entries
    return [e for e in entries if e.provider_id == viewer_id]


def entries_of(provider: Any) -> list[Entry]:
    return list(
        db.session.scalars(
            select(Entry).where(Entry.provider_id == provider.id).order_by(Entry.id.desc())
        )
    )


def guarantee(task: Task, client: Any, now: datetime | None = None) -> Task:
    now = now or utcnow()
    _require_client(task, client)
    task = _lock_task(task)
    if task.kind != "contest" or task.state != "open":
        raise Conflict("Only an open contest can be guaranteed.")
    if task.guaranteed_at is None:
        task.guaranteed_at = now
    return task


def shortlist_entry(entry: Entry, client: Any, now: datetime | None = None) -> Entry:
    """Shortlisting a finalist guarantees the contest (it can no longer be refunded)."""
    now = now or utcnow()
    task = entry.task
    _require_client(task, client)
    task = _lock_task(task)
    if task.state != "open":
        raise Conflict("This contest is closed.")
    entry.shortlisted = True
    if task.guaranteed_at is None:
        task.guaranteed_at = now
    return entry


def _pay_entries(task: Task, entries: list[Entry], actor: Any, status: str) -> None:
    """Split the prize evenly; leftover minor units go to the earliest entries (by id)."""
    entries = sorted(entries, key=lambda e: e.id)
    shares = task.prize.allocate([1] * len(entries))
    for entry, share in zip(entries, shares, strict=True):
        if not share:
            continue
        order = engine.place_order(
            "crowdsourcing_prize",
            customer=task.client,
            listing=task.listing,
            provider=entry.provider,
            unit_price=share,
            actor=actor,
        )
        entry = db.session.get(Entry, entry.id)
        entry.order_id = order.id
        entry.status = status
        _notify(entry.provider_id, "crowdsourcing_contest_won", task)


def award_contest(task: Task, client: Any, entry_ids: Any, now: datetime | None = None) -> Task:
    now = now or utcnow()
    _require_client(task, client)
    if (
        not isinstance(entry_ids, list)
        or not entry_ids
        or any(isinstance(i, bool) or not isinstance(i, int) for i in entry_ids)
        or len(set(entry_ids)) != len(entry_ids)
    ):
        raise ValidationError(errors={"entry_ids": ["Choose one or more different entries."]})
    task = _lock_task(task)
    if task.kind != "contest" or task.state != "open":
        raise Conflict("This contest is closed.")
    entries = list(
        db.session.scalars(select(Entry).where(Entry.task_id == task.id, Entry.id.in_(entry_ids)))
    )
    if len(entries) != len(entry_ids):
        raise ValidationError(errors={"entry_ids": ["Choose entries of this contest."]})
    if len(entries) > task.prize_amount:
        raise ValidationError(errors={"entry_ids": ["The prize cannot be split that far."]})
    _pay_entries(task, entries, client, "won")
    _conclude_contest(task, "awarded", now)
    return task


def _conclude_contest(task: Task, new_state: str, now: datetime) -> None:
    task = db.session.get(Task, task.id)
    for entry in db.session.scalars(select(Entry).where(Entry.task_id == task.id)):
        if entry.order_id is None:
            entry.status = "not_chosen"
    task.state = new_state
    _close_listing(task, now)


def split_due_contests(now: datetime | None = None) -> int:
    """The timed transition: guaranteed contests nobody awarded are split after the grace period.

    Finalists share the prize (or, with none, every entrant); with no
    entries at all the prize goes back to the client. Each contest is settled
    in its own transaction under its row lock, exactly once.
    """
    from marketplace_kit.events import commit

    now = now or utcnow()
    grace = timedelta(days=settings()["contest_split_after_days"])
    ids = list(
        db.session.scalars(
            select(Task.id).where(
                Task.kind == "contest",
                Task.state == "open",
                Task.guaranteed_at.is_not(None),
                Task.selection_deadline <= now - grace,
            )
        )
    )
    db.session.rollback()
    done = 0
    for task_id in ids:
        task = db.session.scalars(locked(select(Task).where(Task.id == task_id))).one()
        if task.state != "open":
            db.session.rollback()
            continue
        entries = list(db.session.scalars(select(Entry).where(Entry.task_id == task.id)))
        finalists = [e for e in entries if e.shortlisted]
        chosen = (finalists or entries)[: task.prize_amount]
        if chosen:
            _pay_entries(task, chosen, engine.SYSTEM, "split")
        else:
            ledger.transfer(
                "crowdsourcing_prize_refund",
                ledger.account(PRIZE_ACCOUNT, task.id, task.currency),
                ledger.account("wallet", task.client_id, task.currency),
                task.prize,
                memo=f"contest {task.id}: no entries, prize returned",
                unique_key=f"crowdsourcing:task:{task.id}:prize_refund",
            )
        _conclude_contest(task, "split", now)
        commit()
        done += 1
    return done
