"""What can be reported: a small registry of report kinds.

Each :class:`ReportKind` tells the moderation service how to load a target by
id, who owns it, whether a user may see it (content a user cannot see cannot
be reported: it answers "not found"), how to hide and restore it, and how to
show it to operators. The core registers ``user``, ``listing`` and
``message``; plugins (and later areas such as reviews) add their own through
the collect-all hook ``mk_register_report_kinds(app)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

_KEY = "mk_report_kinds"


@dataclass(frozen=True)
class ReportKind:
    """One kind of reportable thing.

    * ``load(target_id)`` -> the target, or ``None`` when there is none.
    * ``owner_id(target)`` -> the user responsible for it (the reported user).
    * ``visible_to(target, user)`` -> whether ``user`` may see (and so report) it.
    * ``describe(target)`` -> a short label for operators and notices.
    * ``url(target)`` -> where to look at it, or ``None``.
    * ``preview(target)`` -> the reported text as operators need to read it.
    * ``hide(target, reason)`` -> ``(before, after)`` state dicts; ``None`` when
      the kind cannot be hidden (a user is warned, suspended or banned instead).
    * ``restore(target, before)`` -> ``(before, after)``: undo a hide.
    * ``is_hidden(target)`` -> whether it is hidden now.
    """

    name: str
    label: Any
    load: Callable[[int], Any]
    owner_id: Callable[[Any], int | None]
    describe: Callable[[Any], str]
    url: Callable[[Any], str | None] = lambda target: None
    preview: Callable[[Any], str] = lambda target: ""
    visible_to: Callable[[Any, Any], bool] = lambda target, user: True
    hide: Callable[[Any, str], tuple[dict[str, Any], dict[str, Any]]] | None = None
    restore: Callable[[Any, dict[str, Any]], tuple[dict[str, Any], dict[str, Any]]] | None = None
    is_hidden: Callable[[Any], bool] = lambda target: False

    @property
    def hideable(self) -> bool:
        return self.hide is not None


def install(app: Flask, kinds: dict[str, tuple[str, ReportKind]]) -> None:
    app.extensions[_KEY] = {name: kind for name, (_plugin, kind) in kinds.items()}


def report_kinds(app: Flask | None = None) -> dict[str, ReportKind]:
    return (app or current_app).extensions[_KEY]


def get_kind(name: str) -> ReportKind | None:
    return report_kinds().get(name)
