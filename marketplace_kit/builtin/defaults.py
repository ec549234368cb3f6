"""Core defaults for questions a plugin may answer first (all ``trylast``)."""

from __future__ import annotations

from typing import Any

from flask import Request
from flask_babel import lazy_gettext as _l

from ..core.access import core_permission
from ..hookspecs import hookimpl
from ..web.i18n import LOCALE_COOKIE
from ..web.menus import Link


@hookimpl(trylast=True)
def mk_request_locale(request: Request, user: Any, locales: list[str]) -> str | None:
    if user is not None and getattr(user, "locale", None) in locales:
        return user.locale
    cookie = request.cookies.get(LOCALE_COOKIE)
    if cookie in locales:
        return cookie
    # Accept-Language uses tags such as zh-CN / zh-Hans; map them to configured locales.
    aliases: dict[str, str] = {}
    for code in locales:
        tag = code.replace("_", "-")
        aliases[tag.lower()] = code
        aliases.setdefault(tag.split("-")[0].lower(), code)
    for lang, _q in request.accept_languages:
        tag = lang.lower()
        if tag in aliases:
            return aliases[tag]
        base = tag.split("-")[0]
        if base in aliases:
            return aliases[base]
    return None


@hookimpl(trylast=True)
def mk_permission_allowed(user: Any, action: str, resource: Any) -> bool | None:
    return core_permission(user, action, resource)


@hookimpl
def mk_main_menu_links(user: Any) -> list[Link]:
    return [Link(label=_l("Home"), url="/", order=0, key="home")]


def _operator_link(user: Any) -> list[Link]:
    from flask import url_for

    from ..core.access import can

    if can(user, "operator.console"):
        return [Link(label=_l("Operator console"), url=url_for("console.index"), order=90)]
    return []


@hookimpl
def mk_account_menu_links(user: Any) -> list[Link]:
    from flask import url_for

    return [
        Link(label=_l("Account"), url=url_for("account.overview"), order=10, key="account"),
        Link(label=_l("Profile"), url=url_for("account.profile"), order=20, key="profile"),
        Link(
            label=_l("Change password"),
            url=url_for("account.change_password"),
            order=30,
            key="password",
        ),
        Link(label=_l("Change email"), url=url_for("account.change_email"), order=40, key="email"),
        Link(
            label=_l("Verification"),
            url=url_for("account.verification"),
            order=45,
            key="verification",
        ),
        Link(label=_l("API tokens"), url=url_for("account.tokens"), order=50, key="tokens"),
        Link(
            label=_l("Security log"), url=url_for("account.security_log"), order=80, key="security"
        ),
        Link(label=_l("Download my data"), url=url_for("account.export"), order=85, key="export"),
        Link(
            label=_l("Delete my account"),
            url=url_for("account.delete_account"),
            order=89,
            key="delete",
        ),
        *_operator_link(user),
    ]
