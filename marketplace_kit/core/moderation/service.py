"""Reports and moderation decisions.

* :func:`create_report` -- any signed-in user reports a target of a registered
  kind (:mod:`.kinds`) with a reason category and free text. A target that
  does not exist or that the reporter cannot see is a 404, one's own content
  a 422, a second open report of the same target by the same user a 409, and
  more than ``[moderation] max_reports_per_hour`` a 429; nothing is saved then.
* :func:`queue` -- open (or closed) reports grouped by target, for operators
  with ``reports.handle``; :func:`assign` gives a target's reports to an operator.
* :func:`decide` -- dismiss, hide, restore, warn, suspend or ban, always with a
  reason. Each decision is a :class:`~.models.ModerationDecision` row (who,
  what, when, state before and after), closes the target's open reports and,
  unless it is a dismissal, notifies the reported user with the reason and
  appears in their moderation notices. Suspensions and bans go through
  :func:`marketplace_kit.core.users.accounts.set_active` (``operator.suspend_users``);
  a suspension ends by itself after ``[moderation] suspension_days`` (the
  ``core.moderation_lift_suspensions`` job), a ban does not and also hides the
  user's listings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, cast, func, select

from ...errors import Conflict, MarketplaceError, NotFound, PermissionDenied, ValidationError
from ...extensions import db
from ..access import can, require
from ..db import utcnow
from ..locking import locked
from ..users.models import User
from ..users.service import MAX_ID, get_row
from .kinds import ReportKind, get_kind, report_kinds
from .models import ModerationDecision, Report

#: reason category -> label
REASONS: dict[str, Any] = {
    "spam": _l("Spam or advertising"),
    "fraud": _l("Fraud or scam"),
    "offensive": _l("Offensive or abusive"),
    "harassment": _l("Harassment or threats"),
    "prohibited": _l("Prohibited item or service"),
    "counterfeit": _l("Counterfeit or intellectual property"),
    "personal_data": _l("Someone's personal data"),
    "impersonation": _l("Impersonation or fake account"),
    "other": _l("Something else"),
}

#: decision -> label
ACTIONS: dict[str, Any] = {
    "dismiss": _l("Dismiss (no violation)"),
    "hide": _l("Hide the content"),
    "restore": _l("Restore hidden content"),
    "warn": _l("Warn the user"),
    "suspend": _l("Suspend the user"),
    "ban": _l("Ban the user"),
}
#: report status -> label
STATUS_LABELS: dict[str, Any] = {
    "open": _l("Open"),
    "actioned": _l("Action taken"),
    "dismissed": _l("Dismissed"),
    "all": _l("All"),
}
#: decisions that act on the owner of the target
USER_ACTIONS = ("warn", "suspend", "ban")
MAX_DETAILS = 2000
MAX_REASON = 2000


class RateLimited(MarketplaceError):
    status = 429
    title = "Too many requests"
    type_slug = "rate-limited"


def settings() -> dict[str, Any]:
    from ...app import state

    return state(current_app).settings.moderation


def reason_label(reason: str) -> str:
    return str(REASONS.get(reason, reason))


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def action_label(action: str) -> str:
    return str(ACTIONS.get(action, action))


def _kind(name: Any) -> ReportKind:
    kind = get_kind(name) if isinstance(name, str) else None
    if kind is None:
        raise ValidationError(
            errors={"kind": [f"Must be one of: {', '.join(sorted(report_kinds()))}."]}
        )
    return kind


def load_target(kind: ReportKind, target_id: Any) -> Any:
    if not isinstance(target_id, int) or isinstance(target_id, bool):
        return None
    if not 1 <= target_id <= MAX_ID:
        return None
    return kind.load(target_id)


# ---------------------------------------------------------------------------
# reporting
# ---------------------------------------------------------------------------


def create_report(
    reporter: Any, kind_name: Any, target_id: Any, reason: Any, details: Any = ""
) -> Report:
    """File a report; see the module docstring for what is refused."""
    if reporter is None or not getattr(reporter, "is_authenticated", False):
        raise PermissionDenied("Sign in to report.")
    if not reporter.is_active:
        raise PermissionDenied("Your account is suspended.")
    kind = _kind(kind_name)
    errors: dict[str, list[str]] = {}
    if reason not in REASONS:
        errors["reason"] = [f"Must be one of: {', '.join(REASONS)}."]
    text = details.strip() if isinstance(details, str) else ""
    if details is not None and not isinstance(details, str):
        errors["details"] = ["Must be text."]
    elif len(text) > MAX_DETAILS:
        errors["details"] = [f"Write at most {MAX_DETAILS} characters."]
    elif reason == "other" and not text:
        errors["details"] = ["Tell us what is wrong."]
    if "\x00" in text:
        errors["details"] = ["Contains a NUL character."]
    target = load_target(kind, target_id)
    if target is None or not kind.visible_to(target, reporter):
        raise NotFound(f"No such {kind.name}.")
    owner_id = kind.owner_id(target)
    if owner_id == reporter.id:
        errors["target_id"] = [
            "You cannot report yourself."
            if kind.name == "user"
            else "You cannot report your own content."
        ]
    if errors:
        raise ValidationError(errors=errors)
    # One report at a time per reporter: a double submit cannot pass the checks twice.
    db.session.scalar(locked(select(User.id).where(User.id == reporter.id)))
    existing = db.session.scalar(
        select(Report.id).where(
            Report.kind == kind.name,
            Report.target_id == target_id,
            Report.reporter_id == reporter.id,
            Report.status == "open",
        )
    )
    if existing is not None:
        raise Conflict(
            "You already reported this; moderators are looking at it.",
            errors={"target_id": ["You already reported this; moderators are looking at it."]},
        )
    limit = settings()["max_reports_per_hour"]
    recent = db.session.scalar(
        select(func.count(Report.id)).where(
            Report.reporter_id == reporter.id,
            Report.created_at > utcnow() - timedelta(hours=1),
        )
    )
    if (recent or 0) >= limit:
        raise RateLimited(f"You can send at most {limit} reports per hour; try again later.")
    report = Report(
        kind=kind.name,
        target_id=target_id,
        target_user_id=owner_id,
        reporter_id=reporter.id,
        reason=reason,
        details=text,
        target_label=(kind.describe(target) or "")[:200],
        status="open",
        created_at=utcnow(),
    )
    db.session.add(report)
    db.session.flush()
    return report


def reports_by(user: Any, limit: int = 100) -> list[Report]:
    """The reports ``user`` filed, newest first."""
    return list(
        db.session.scalars(
            select(Report)
            .where(Report.reporter_id == user.id)
            .order_by(Report.id.desc())
            .limit(limit)
        )
    )


def open_report_of(user: Any, kind: str, target_id: int) -> Report | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        select(Report).where(
            Report.kind == kind,
            Report.target_id == target_id,
            Report.reporter_id == user.id,
            Report.status == "open",
        )
    )


# ---------------------------------------------------------------------------
# the operators' queue
# ---------------------------------------------------------------------------


@dataclass
class ReportGroup:
    """The reports of one target (several users may report the same thing)."""

    kind: str
    target_id: int
    reports: list[Report] = field(default_factory=list)

    @property
    def first(self) -> Report:
        return self.reports[0]

    @property
    def count(self) -> int:
        return len(self.reports)

    @property
    def reasons(self) -> list[str]:
        return sorted({r.reason for r in self.reports})

    @property
    def assigned_to(self) -> User | None:
        return next((r.assigned_to for r in self.reports if r.assigned_to_id), None)

    @property
    def label(self) -> str:
        return self.reports[-1].target_label

    @property
    def target_user(self) -> User | None:
        return next((r.target_user for r in self.reports if r.target_user_id), None)


def queue(
    operator: Any,
    *,
    status: str = "open",
    kind: str | None = None,
    reason: str | None = None,
    assigned_to: int | None = None,
    unassigned: bool = False,
    limit: int = 500,
) -> list[ReportGroup]:
    """Reports grouped by target, oldest first for open ones, newest first otherwise."""
    require(operator, "reports.handle")
    stmt = select(Report)
    if status != "all":
        stmt = stmt.where(Report.status == status)
    if kind:
        stmt = stmt.where(Report.kind == kind)
    if reason:
        stmt = stmt.where(Report.reason == reason)
    if assigned_to is not None:
        stmt = stmt.where(Report.assigned_to_id == assigned_to)
    if unassigned:
        stmt = stmt.where(Report.assigned_to_id.is_(None))
    order = Report.id if status == "open" else Report.id.desc()
    groups: dict[tuple[str, int], ReportGroup] = {}
    for report in db.session.scalars(stmt.order_by(order).limit(limit)):
        key = (report.kind, report.target_id)
        groups.setdefault(key, ReportGroup(report.kind, report.target_id)).reports.append(report)
    return list(groups.values())


def open_count() -> int:
    return db.session.scalar(select(func.count(Report.id)).where(Report.status == "open")) or 0


def get_report(operator: Any, report_id: int) -> Report:
    require(operator, "reports.handle")
    report = get_row(Report, report_id)
    if report is None:
        raise NotFound("No such report.")
    return report


def reports_of_target(kind: str, target_id: int, *, open_only: bool = False) -> list[Report]:
    stmt = select(Report).where(Report.kind == kind, Report.target_id == target_id)
    if open_only:
        stmt = stmt.where(Report.status == "open")
    return list(db.session.scalars(stmt.order_by(Report.id)))


def decisions_for(kind: str, target_id: int) -> list[ModerationDecision]:
    return list(
        db.session.scalars(
            select(ModerationDecision)
            .where(ModerationDecision.kind == kind, ModerationDecision.target_id == target_id)
            .order_by(ModerationDecision.id.desc())
        )
    )


def handlers() -> list[User]:
    """Active operators who may handle reports (for "assign to")."""
    staff = db.session.scalars(
        select(User)
        .where(
            User.deleted_at.is_(None),
            User.is_active_account.is_(True),
            User.roles.is_not(None),
            cast(User.roles, String) != "[]",
        )
        .order_by(User.display_name)
        .limit(500)
    )
    return [u for u in staff if can(u, "reports.handle")]


def assign(operator: Any, kind: str, target_id: int, assignee_id: int | None) -> list[Report]:
    """Give every open report of a target to ``assignee_id`` (``None``: nobody)."""
    require(operator, "reports.handle")
    assignee = None
    if assignee_id is not None:
        assignee = get_row(User, assignee_id)
        if assignee is None or not can(assignee, "reports.handle"):
            raise ValidationError(
                errors={"assigned_to": ["Choose an operator who handles reports."]}
            )
    rows = reports_of_target(kind, target_id, open_only=True)
    if not rows:
        raise Conflict("These reports are closed.")
    for row in rows:
        row.assigned_to_id = assignee.id if assignee else None
    return rows


# ---------------------------------------------------------------------------
# decisions
# ---------------------------------------------------------------------------


def allowed_actions(operator: Any, kind: ReportKind, target: Any) -> list[str]:
    """The decisions ``operator`` can take on ``target`` now (for forms)."""
    if not can(operator, "reports.handle"):
        return []
    out = ["dismiss"]
    if target is None:
        return out
    if kind.hideable:
        out.append("restore" if kind.is_hidden(target) else "hide")
    owner_id = kind.owner_id(target)
    owner = get_row(User, owner_id) if owner_id else None
    if owner is not None and owner.deleted_at is None and owner.id != operator.id:
        out.append("warn")
        if can(operator, "operator.suspend_users", owner) and owner.is_active_account:
            out += ["suspend", "ban"]
        elif can(operator, "operator.suspend_users", owner) and _active_suspension(owner):
            out.append("ban")
    return out


def _active_suspension(user: User) -> ModerationDecision | None:
    return db.session.scalar(
        select(ModerationDecision)
        .where(
            ModerationDecision.target_user_id == user.id,
            ModerationDecision.action == "suspend",
            ModerationDecision.lifted_at.is_(None),
        )
        .order_by(ModerationDecision.id.desc())
        .limit(1)
    )


def decide(
    operator: Any,
    kind_name: str,
    target_id: int,
    action: Any,
    reason: Any,
    *,
    days: Any = None,
    ip: str | None = None,
) -> ModerationDecision:
    """Take ``action`` on a target, with a reason; closes its open reports; notifies its owner."""
    from ..users import accounts

    require(operator, "reports.handle")
    kind = _kind(kind_name)
    errors: dict[str, list[str]] = {}
    if action not in ACTIONS:
        errors["action"] = [f"Must be one of: {', '.join(ACTIONS)}."]
    text = reason.strip() if isinstance(reason, str) else ""
    if not 3 <= len(text) <= MAX_REASON or "\x00" in text:
        errors["reason"] = [f"Give a reason (3 to {MAX_REASON} characters)."]
    if errors:
        raise ValidationError(errors=errors)
    # Operators deciding on the same target at once: the second waits, then sees
    # the first one's outcome (closed reports, hidden content) instead of acting twice.
    list(
        db.session.scalars(
            locked(
                select(Report).where(
                    Report.kind == kind.name,
                    Report.target_id == target_id,
                    Report.status == "open",
                )
            )
        )
    )
    db.session.expire_all()
    target = load_target(kind, target_id)
    if target is None and not reports_of_target(kind.name, target_id):
        raise NotFound(f"No such {kind.name}.")
    if action == "dismiss" and not reports_of_target(kind.name, target_id, open_only=True):
        raise Conflict("There are no open reports to dismiss.")
    if action not in allowed_actions(operator, kind, target):
        if action in ("suspend", "ban") and not can(operator, "operator.suspend_users"):
            raise PermissionDenied("You may not suspend or ban users.")
        raise ValidationError(
            errors={"action": [f"{action_label(action)} is not possible for this {kind.name}."]}
        )
    owner_id = kind.owner_id(target) if target is not None else None
    owner = get_row(User, owner_id) if owner_id else None
    now = utcnow()
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    until = None
    if action == "hide":
        before, after = kind.hide(target, text)  # type: ignore[misc]
    elif action == "restore":
        last = next((d for d in decisions_for(kind.name, target_id) if d.action == "hide"), None)
        before, after = kind.restore(target, last.before if last else {})  # type: ignore[misc]
    elif action == "suspend":
        assert owner is not None
        period = settings()["suspension_days"] if days in (None, "") else days
        try:
            period = int(period)
        except (TypeError, ValueError):
            period = 0
        if not 1 <= period <= 3650:
            raise ValidationError(errors={"days": ["Between 1 and 3650 days."]})
        until = now + timedelta(days=period)
        accounts.set_active(operator, owner, False, reason=text, ip=ip)
        db.session.flush()
        before = {"active": True}
        after = {"active": False, "until": until.isoformat(), "audit_event": _last_status(owner)}
    elif action == "ban":
        assert owner is not None
        was_active = owner.is_active_account
        accounts.set_active(operator, owner, False, reason=text, ip=ip)
        current = _active_suspension(owner)
        if current is not None:
            current.lifted_at = now  # a ban replaces the suspension; the job must not lift it
        hidden = _hide_listings_of(owner, text)
        before = {"active": was_active, "listings": hidden}
        after = {"active": False, "listings_hidden": sorted(int(k) for k in hidden)}
    decision = ModerationDecision(
        kind=kind.name,
        target_id=target_id,
        target_user_id=owner.id if owner is not None else None,
        action=action,
        reason=text,
        operator_id=operator.id,
        before=before,
        after=after,
        until=until,
        created_at=now,
    )
    db.session.add(decision)
    db.session.flush()
    if action != "restore":
        for report in reports_of_target(kind.name, target_id, open_only=True):
            report.status = "dismissed" if action == "dismiss" else "actioned"
            report.decision_id = decision.id
            report.closed_at = now
    if owner is not None and action != "dismiss":
        _notify(owner, decision, kind, target)
    return decision


def _hide_listings_of(user: User, reason: str) -> dict[str, str]:
    """Hide a banned user's listings; ``{listing id: previous status}``."""
    from ...events import emit
    from ..listings.models import Listing

    hidden: dict[str, str] = {}
    for listing in db.session.scalars(
        select(Listing).where(
            Listing.author_id == user.id,
            Listing.status.in_(("published", "paused", "pending")),
        )
    ):
        hidden[str(listing.id)] = listing.status
        listing.status = "hidden"
        listing.moderation_note = reason[:500]
        emit("mk_listing_changed", listing=listing, change="hidden")
    return hidden


def _notify(owner: User, decision: ModerationDecision, kind: ReportKind, target: Any) -> None:
    from ..notifications import service as notifications
    from .events import MODERATION_DECISION

    notifications.notify(
        owner,
        MODERATION_DECISION,
        {
            "decision_id": decision.id,
            "action": decision.action,
            "kind": kind.name,
            "target_id": decision.target_id,
            "label": kind.describe(target) if target is not None else "",
            "reason": decision.reason,
            "until": decision.until.isoformat() if decision.until else None,
        },
        url="/account/moderation",
        dedupe_key=f"moderation:{decision.id}",
    )


def bulk_dismiss(operator: Any, report_ids: Iterable[Any], reason: Any) -> list[ModerationDecision]:
    """Dismiss the targets of the given open reports (one decision per target)."""
    require(operator, "reports.handle")
    ids = []
    for value in report_ids:
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            continue
    ids = [i for i in ids if 1 <= i <= MAX_ID]
    if not ids:
        raise ValidationError(errors={"report_ids": ["Select at least one open report."]})
    rows = list(
        db.session.scalars(select(Report).where(Report.id.in_(ids), Report.status == "open"))
    )
    if not rows:
        raise ValidationError(errors={"report_ids": ["Select at least one open report."]})
    targets = list(dict.fromkeys((r.kind, r.target_id) for r in rows))
    return [decide(operator, k, t, "dismiss", reason) for k, t in targets]


def notices_of(user: Any, limit: int = 100) -> list[ModerationDecision]:
    """Decisions about ``user`` or their content (dismissals are not notices)."""
    return list(
        db.session.scalars(
            select(ModerationDecision)
            .where(
                ModerationDecision.target_user_id == user.id,
                ModerationDecision.action != "dismiss",
            )
            .order_by(ModerationDecision.id.desc())
            .limit(limit)
        )
    )


def latest_hide(kind: str, target_id: int) -> ModerationDecision | None:
    return db.session.scalar(
        select(ModerationDecision)
        .where(
            ModerationDecision.kind == kind,
            ModerationDecision.target_id == target_id,
            ModerationDecision.action.in_(("hide", "ban")),
        )
        .order_by(ModerationDecision.id.desc())
        .limit(1)
    )


def _last_status(user: User) -> int | None:
    """The id of the newest suspension or reactivation in ``user``'s audit log."""
    from ..users.models import SecurityEvent

    return db.session.scalar(
        select(SecurityEvent.id)
        .where(
            SecurityEvent.user_id == user.id,
            SecurityEvent.kind.in_(("account_suspended", "account_reactivated")),
        )
        .order_by(SecurityEvent.id.desc())
        .limit(1)
    )


def lift_expired_suspensions() -> int:
    """Reactivate accounts whose suspension ended (the periodic job); return how many."""
    from ..users.accounts import audit

    now = utcnow()
    lifted = 0
    due = list(
        db.session.scalars(
            select(ModerationDecision).where(
                ModerationDecision.action == "suspend",
                ModerationDecision.lifted_at.is_(None),
                ModerationDecision.until <= now,
            )
        )
    )
    for decision in due:
        decision.lifted_at = now
        user = get_row(User, decision.target_user_id) if decision.target_user_id else None
        if user is None or user.deleted_at is not None or user.is_active_account:
            continue
        if _last_status(user) != (decision.after or {}).get("audit_event"):
            continue  # an operator changed the account since; their decision stands
        user.is_active_account = True
        audit("account_reactivated", user=user, reason="suspension ended", decision=decision.id)
        lifted += 1
    return lifted
