"""The notification event telling a user about a moderation decision."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from ..notifications.registry import EventType

MODERATION_DECISION = "moderation_decision"


def _render(context: dict[str, Any]) -> tuple[str, str]:
    action = context.get("action")
    label = context.get("label") or "-"
    titles = {
        "hide": gettext("Moderators hid your content: %(label)s", label=label),
        "restore": gettext("Moderators restored your content: %(label)s", label=label),
        "warn": gettext("A warning from the moderators"),
        "suspend": gettext("Your account was suspended"),
        "ban": gettext("Your account was banned"),
    }
    title = titles.get(action, gettext("A moderation decision about your account"))
    body = gettext("Reason: %(reason)s", reason=context.get("reason") or "-")
    if action == "suspend" and context.get("until"):
        body += " " + gettext(
            "The suspension ends on %(until)s (UTC).", until=context["until"][:16].replace("T", " ")
        )
    return title, body


EVENTS = (EventType(MODERATION_DECISION, _l("Moderation decisions"), render=_render),)
