"""The core's report kinds (user, listing, message), the moderation event, job and pages."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from ..hookspecs import hookimpl
from ..jobs import Job

LIFT_JOB = "core.moderation_lift_suspensions"


# -- users -------------------------------------------------------------------


def _load_user(user_id: int) -> Any:
    from ..core.users.models import User
    from ..core.users.service import get_row

    user = get_row(User, user_id)
    return user if user is not None and user.deleted_at is None else None


def _user_kind():
    from ..core.moderation.kinds import ReportKind

    return ReportKind(
        name="user",
        label=_l("User"),
        load=_load_user,
        owner_id=lambda user: user.id,
        describe=lambda user: user.display_name,
        url=lambda user: f"/console/users/{user.id}",
        preview=lambda user: user.bio or "",
    )


# -- listings ----------------------------------------------------------------


def _load_listing(listing_id: int) -> Any:
    from ..core.listings.models import Listing
    from ..core.users.service import get_row

    return get_row(Listing, listing_id)


def _listing_visible(listing: Any, user: Any) -> bool:
    from ..core.listings.service import can_view

    return listing.status != "hidden" and can_view(listing, user)


def _hide_listing(listing: Any, reason: str) -> tuple[dict[str, Any], dict[str, Any]]:
    from ..errors import Conflict
    from ..events import emit

    if listing.status == "hidden":
        raise Conflict("This listing is already hidden.")
    before = {"status": listing.status, "moderation_note": listing.moderation_note}
    listing.status = "hidden"
    listing.moderation_note = reason[:500]
    emit("mk_listing_changed", listing=listing, change="hidden")
    return before, {"status": "hidden"}


def _restore_listing(listing: Any, before: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    from ..events import emit

    status = before.get("status")
    if status not in ("draft", "pending", "published", "paused"):
        status = "paused"  # e.g. hidden by a ban: the author publishes it again when they want
    listing.status = status
    listing.moderation_note = before.get("moderation_note")
    emit("mk_listing_changed", listing=listing, change=status)
    return {"status": "hidden"}, {"status": status}


def _listing_kind():
    from ..core.moderation.kinds import ReportKind

    return ReportKind(
        name="listing",
        label=_l("Listing"),
        load=_load_listing,
        owner_id=lambda listing: listing.author_id,
        describe=lambda listing: listing.title,
        url=lambda listing: f"/listings/{listing.id}",
        preview=lambda listing: listing.description or "",
        visible_to=_listing_visible,
        hide=_hide_listing,
        restore=_restore_listing,
        is_hidden=lambda listing: listing.status == "hidden",
    )


# -- messages ----------------------------------------------------------------


def _load_message(message_id: int) -> Any:
    from ..core.messaging.models import Message
    from ..core.users.service import get_row

    return get_row(Message, message_id)


def _message_visible(message: Any, user: Any) -> bool:
    return message.hidden_at is None and user.id in message.conversation.participant_ids


def _hide_message(message: Any, reason: str) -> tuple[dict[str, Any], dict[str, Any]]:
    from ..core.db import utcnow
    from ..errors import Conflict

    if message.hidden_at is not None:
        raise Conflict("This message is already hidden.")
    message.hidden_at = utcnow()
    return {"hidden": False}, {"hidden": True}


def _restore_message(message: Any, before: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    message.hidden_at = None
    return {"hidden": True}, {"hidden": False}


def _describe_message(message: Any) -> str:
    from flask_babel import gettext

    text = " ".join((message.body or "").split())
    excerpt = text[:60] + ("…" if len(text) > 60 else "")
    return gettext(
        "Message of %(date)s: %(text)s", date=message.created_at.date().isoformat(), text=excerpt
    )


def _preview_message(message: Any) -> str:
    names = ", ".join(a.get("name", "") for a in message.attachments or [])
    return message.body + (f"\n[{names}]" if names else "")


def _message_kind():
    from ..core.moderation.kinds import ReportKind

    return ReportKind(
        name="message",
        label=_l("Message"),
        load=_load_message,
        owner_id=lambda message: message.sender_id,
        describe=_describe_message,
        preview=_preview_message,
        visible_to=_message_visible,
        hide=_hide_message,
        restore=_restore_message,
        is_hidden=lambda message: message.hidden_at is not None,
    )


@hookimpl(tryfirst=True)
def mk_register_report_kinds(app: Flask):
    return [_user_kind(), _listing_kind(), _message_kind()]


@hookimpl
def mk_register_notification_events(app: Flask):
    from ..core.moderation.events import EVENTS

    return list(EVENTS)


@hookimpl
def mk_configure(app: Flask) -> None:
    from ..app import state
    from ..core.moderation import kinds

    kinds.install(
        app,
        state(app).pm.collect(
            "mk_register_report_kinds", "report kind", key=lambda k: k.name, app=app
        ),
    )


def _lift() -> int:
    from ..core.moderation.service import lift_expired_suspensions
    from ..events import commit

    lifted = lift_expired_suspensions()
    commit()
    return lifted


@hookimpl
def mk_register_jobs(app: Flask):
    return [Job(LIFT_JOB, _lift, schedule={"minute": "*/5"})]


@hookimpl
def mk_register_blueprints(app: Flask):
    from ..web.pages.reports import bp

    return [bp]


@hookimpl
def mk_register_api_blueprints(app: Flask):
    from ..web.api.reports import bp

    return [bp]


@hookimpl
def mk_account_menu_links(user: Any):
    from ..web.menus import Link

    return [
        Link(label=_l("Moderation notices"), url="/account/moderation", order=85, key="moderation"),
        Link(label=_l("My reports"), url="/account/reports", order=86, key="reports"),
    ]


@hookimpl
def mk_user_data_export(user: Any) -> dict[str, Any]:
    from ..core.moderation.service import notices_of, reports_by

    def iso(value: Any) -> Any:
        return value.isoformat() if value is not None else None

    return {
        "reports": [
            {
                "kind": r.kind,
                "target_id": r.target_id,
                "reason": r.reason,
                "details": r.details,
                "status": r.status,
                "created_at": iso(r.created_at),
                "closed_at": iso(r.closed_at),
            }
            for r in reports_by(user, limit=10_000)
        ],
        "moderation_notices": [
            {
                "action": d.action,
                "kind": d.kind,
                "target_id": d.target_id,
                "reason": d.reason,
                "until": iso(d.until),
                "created_at": iso(d.created_at),
            }
            for d in notices_of(user, limit=10_000)
        ],
    }
