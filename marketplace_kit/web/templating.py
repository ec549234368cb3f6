"""Template lookup (site folder -> plugins -> core; ``default:`` reaches the core) and globals."""

from __future__ import annotations

import functools
from collections import ChainMap
from collections.abc import MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import (
    Flask,
    before_render_template,
    has_request_context,
    render_template,
    request,
    url_for,
)
from flask.templating import Environment
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_login import current_user
from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader, PrefixLoader
from markupsafe import Markup

from .. import __version__
from .i18n import LOCALE_COOKIE, code_label, format_money, locale_code, locale_label
from .menus import PAGE_PLACES, PageSection, merge_links

if TYPE_CHECKING:
    from ..app import MarketplaceState

CORE_TEMPLATES = Path(__file__).resolve().parent / "templates"


class _TemplateGlobals(ChainMap):
    """A template's globals over the environment's (as Jinja's own ``ChainMap``), whose keys
    are the environment dict's own view while the template adds none of its own.

    Jinja compares these keys on every ``{% import %}``/``{% from %}`` and copies them into
    every render context; a plain ``ChainMap`` rebuilds its merged key set each time (about
    30 us a card on the search page, whose card template imports a macro).
    """

    def keys(self):  # type: ignore[override]
        return self.maps[1].keys() if len(self.maps) == 2 and not self.maps[0] else super().keys()

    def __iter__(self):
        return iter(self.keys())


class TemplateEnvironment(Environment):
    """Flask's Jinja environment with cheaper per-template globals (see ``_TemplateGlobals``)."""

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return _TemplateGlobals({} if d is None else d, self.globals)


def build_loader(mk: MarketplaceState) -> BaseLoader:
    core = FileSystemLoader(str(CORE_TEMPLATES))
    loaders: list[BaseLoader] = []
    site_folder = mk.settings.theme["templates_folder"]
    if site_folder:
        loaders.append(FileSystemLoader(str(Path(mk.settings.app["config_dir"]) / site_folder)))
    for _name, path in mk.plugin_dirs("templates"):
        loaders.append(FileSystemLoader(str(path)))
    loaders.append(core)
    loaders.append(PrefixLoader({"default": core}, delimiter=":"))
    return ChoiceLoader(loaders)


def _current_user_or_none():
    user = current_user._get_current_object() if current_user else None
    return user if getattr(user, "is_authenticated", False) else None


def install_template_globals(app: Flask, mk: MarketplaceState) -> None:
    settings = mk.settings

    def main_menu_links():
        return merge_links(
            [links for links in mk.pm.hook.mk_main_menu_links(user=_current_user_or_none())]
        )

    def account_menu_links():
        user = _current_user_or_none()
        if user is None:
            return []
        return merge_links([links for links in mk.pm.hook.mk_account_menu_links(user=user)])

    def page_sections(place: str, subject: Any) -> list[tuple[PageSection, Markup]]:
        if place not in PAGE_PLACES:
            raise ValueError(f"unknown place {place!r}; expected one of {PAGE_PLACES}")
        user = _current_user_or_none()
        found = [
            s
            for group in mk.pm.hook.mk_page_sections(place=place, subject=subject, user=user)
            for s in (group or [])
        ]
        # render_template output is already autoescaped HTML, so Markup is safe here.
        return [
            (s, Markup(render_template(s.template, **s.context, subject=subject, user=user)))  # noqa: S704
            for s in sorted(found, key=PageSection.sort_key)
        ]

    adapters: dict[str, Any] = {}

    def adapter_for(root: str) -> Any:
        adapter = adapters.get(root)
        if adapter is None:
            adapter = adapters[root] = app.url_map.bind("localhost", script_name=root or "/")
        return adapter

    @functools.lru_cache(maxsize=4096)
    def build_path(root: str, endpoint: str, items: tuple, types: tuple) -> str:
        # ``types`` keeps apart values that compare equal but print differently (1, True, 1.0)
        return adapter_for(root).build(endpoint, dict(items))

    def template_url_for(endpoint: str, **values: Any) -> str:
        """Flask's ``url_for`` for templates: inside a request, and while the app has no
        ``url_defaults`` functions and no host or subdomain matching, a URL's path is
        built straight from the URL map bound once per mount point, without Flask's
        per-call request lookups, and remembered (the URL map cannot change once the app
        serves; the layout builds the same half dozen URLs on every page, a search page
        about 50)."""
        if (
            endpoint.startswith(".")  # blueprint-relative
            or any(k.startswith("_") for k in values)  # _external, _anchor, _scheme, _method
            or app.url_default_functions
            or app.url_map.host_matching
            or app.subdomain_matching
            or not has_request_context()  # mails and jobs: Flask builds from SERVER_NAME
        ):
            return url_for(endpoint, **values)
        try:
            return build_path(
                request.script_root,
                endpoint,
                tuple(values.items()),
                tuple(map(type, values.values())),
            )
        except TypeError:  # an unhashable value (a list of query arguments)
            return adapter_for(request.script_root).build(endpoint, values)

    def static_url(filename: str, plugin: str | None = None) -> str:
        if plugin:
            return template_url_for("plugin_static", plugin=plugin, filename=filename)
        return template_url_for("static", filename=filename, v=__version__)

    app.jinja_env.globals.update(
        site=settings.site,
        site_timezone_name=settings.site["timezone"],
        theme=settings.theme,
        mk_version=__version__,
        main_menu_links=main_menu_links,
        page_sections=page_sections,
        account_menu_links=account_menu_links,
        users_settings=settings.users,
        static_url=static_url,
        url_for=template_url_for,
        locale_label=locale_label,
        locale_cookie=LOCALE_COOKIE,
        get_locale=get_locale,
        locale_code=locale_code,
    )
    app.jinja_env.filters.update(
        money=format_money,
        label=code_label,
        date=format_date,
        datetime=format_datetime,
        number=format_decimal,
    )
    app.jinja_env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}

    def add_plugin_vars(sender: Flask, template: Any, context: dict[str, Any], **_: Any) -> None:
        for extra in mk.pm.hook.mk_extra_template_vars(
            template_name=template.name or "", user=_current_user_or_none()
        ):
            if extra:
                context.update(extra)

    before_render_template.connect(add_plugin_vars, app, weak=False)
