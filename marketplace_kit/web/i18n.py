"""Locale and time-zone selection, and locale-aware formatting helpers."""

from __future__ import annotations

from flask import current_app, has_request_context, request
from flask_babel import get_locale
from flask_login import current_user

from ..money import Money

LOCALE_COOKIE = "mk_lang"


def _user():
    if not has_request_context():
        return None
    try:
        user = current_user._get_current_object()
    except Exception:
        return None
    return user if getattr(user, "is_authenticated", False) else None


def select_locale() -> str | None:
    from ..app import state

    mk = state(current_app)
    if not has_request_context():
        return mk.settings.site["default_locale"]
    return mk.pm.hook.mk_request_locale(
        request=request, user=_user(), locales=list(mk.settings.site["locales"])
    )


def select_timezone() -> str | None:
    from ..app import state

    return state(current_app).settings.site["timezone"]


def format_money(value: Money | None) -> str:
    if value is None:
        return ""
    return value.format(str(get_locale() or "en"))


def locale_label(code: str) -> str:
    from babel import Locale

    return Locale.parse(code).get_display_name(code) or code
