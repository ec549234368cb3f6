"""Locale and time-zone selection, and locale-aware formatting helpers."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_request_context, request
from flask_babel import get_locale, gettext
from flask_login import current_user

from ..extensions import remembered_per_locale
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


def site_timezone() -> ZoneInfo:
    """The marketplace's time zone (``[site] timezone``): times typed into forms are in it."""
    from ..app import state

    return ZoneInfo(state(current_app).settings.site["timezone"])


def local_to_utc(value: datetime | None) -> datetime | None:
    """A naive date-time typed into a form, read in the site's time zone, as aware UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=site_timezone()).astimezone(UTC)


def locale_code() -> str:
    """The request's locale as a code (``"zh_Hans"``): ``str(flask_babel.get_locale())``,
    remembered while the locale stays the same (pages ask for it per card)."""
    return remembered_per_locale("mk_locale_code", lambda: str(get_locale() or "en"))


def format_money(value: Money | None) -> str:
    if value is None:
        return ""
    return value.format(locale_code())


@functools.lru_cache(maxsize=64)
def locale_label(code: str) -> str:
    """The language's own name for itself (the locale switcher's labels)."""
    from babel import Locale

    return Locale.parse(code).get_display_name(code) or code


def N_(message: str) -> str:
    return message


#: Display labels of the status and kind codes the core stores (payments, payouts,
#: disputes, verification, ledger entries, webhook deliveries). Unknown codes
#: are shown capitalised; a plugin's own codes go through its catalog the same way.
CODE_LABELS = {
    # payments and payouts
    "created": N_("Created"),
    "pending": N_("Pending"),
    "succeeded": N_("Succeeded"),
    "failed": N_("Failed"),
    "refunded": N_("Refunded"),
    "requested": N_("Requested"),
    "paid": N_("Paid"),
    "rejected": N_("Rejected"),
    "approved": N_("Approved"),
    # disputes
    "open": N_("Open"),
    "answered": N_("Answered"),
    "resolved": N_("Resolved"),
    "release": N_("Provider paid"),
    "refund": N_("Refund"),
    "split": N_("Split"),
    "refund_unanswered": N_("Refunded: the provider did not answer"),
    "release_unanswered": N_("Provider paid: the customer did not answer"),
    # verification
    "identity": N_("Identity"),
    "business": N_("Business"),
    # ledger entries
    "deposit": N_("Deposit"),
    "escrow_in": N_("Paid into escrow"),
    "escrow_release": N_("Released from escrow"),
    "payout": N_("Payout"),
    "payout_rejected": N_("Payout rejected, money returned"),
    # webhook deliveries
    "sending": N_("Sending"),
    "sent": N_("Sent"),
}


def code_label(code: str | None) -> str:
    """The translated label of a stored status or kind code."""
    if not code:
        return ""
    return gettext(CODE_LABELS.get(code) or code.replace("_", " ").capitalize())
