"""Event types and channels, collected from every plugin at startup.

* Event types (:class:`EventType`) come from ``mk_register_notification_events``;
  each has a localised title/body (``%(name)s`` placeholders filled from the
  notification's context) or a ``render`` function, and default channels.
* Channels (:class:`Channel`) come from ``mk_register_notification_channels``;
  ``send(notification, user, title, body)`` delivers one notification and
  raises on failure (it is retried with backoff). The in-app centre is the
  built-in pseudo-channel ``in_app``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from flask_babel import gettext

IN_APP = "in_app"
_KEY = "mk_notifications"


@dataclass(frozen=True)
class EventType:
    key: str
    label: Any
    title: Any = ""
    body: Any = ""
    default_channels: tuple[str, ...] = (IN_APP, "email")
    #: ``render(context) -> (title, body)``; overrides ``title``/``body``.
    render: Callable[[dict[str, Any]], tuple[str, str]] | None = None

    def rendered(self, context: dict[str, Any]) -> tuple[str, str]:
        """Title and body in the active locale."""
        if self.render is not None:
            return self.render(context)
        return _fill(self.title, context), _fill(self.body, context)


def _fill(message: Any, context: dict[str, Any]) -> str:
    if not message:
        return ""
    text = gettext(str(message)) if isinstance(message, str) else str(message)
    try:
        return text % context
    except (KeyError, TypeError, ValueError):
        return text


@dataclass(frozen=True)
class Channel:
    name: str
    label: Any
    send: Callable[..., None]


@dataclass
class Registry:
    events: dict[str, EventType]
    channels: dict[str, Channel]


def install(app: Flask, events: dict[str, tuple[str, EventType]], channels: dict[str, Any]) -> None:
    from ...errors import PluginError

    if IN_APP in channels:
        raise PluginError(
            f"plugin {channels[IN_APP][0]!r}: notification channel name {IN_APP!r} is reserved"
        )
    app.extensions[_KEY] = Registry(
        events={k: v for k, (_p, v) in events.items()},
        channels={k: v for k, (_p, v) in channels.items()},
    )


def registry(app: Flask | None = None) -> Registry:
    return (app or current_app).extensions[_KEY]


def event_type(key: str) -> EventType:
    from ...errors import ValidationError

    try:
        return registry().events[key]
    except KeyError:
        raise ValidationError(errors={"event": [f"Unknown notification event {key!r}."]}) from None


def channel_names() -> list[str]:
    return [IN_APP, *registry().channels]
