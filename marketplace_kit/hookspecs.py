"""Every hook of marketplace-kit, grouped by the phase in which it is called.

Plugins implement hooks with ``@marketplace_kit.hookimpl``; all calls use
keyword arguments, so an implementation may accept only the arguments it needs.
Families (see ``docs/plugin_hooks.md``, which a test keeps in step with this file):

* ``mk_config_schema`` / ``mk_configure`` -- build time, once per app.
* ``mk_register_<things>`` -- return lists; the core validates them and stops
  startup on duplicates, naming both plugins.
* ``mk_<noun>_<question>`` -- one answer (``firstresult``): the first
  implementation that returns something other than ``None`` wins.
* ``mk_prepare_<object>`` -- change an object in place before it is used.
* ``mk_<place>_links`` / ``mk_extra_<things>`` -- UI contributions.
* ``mk_<event>`` -- notifications after the database transaction committed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:  # pragma: no cover - typing only
    import click
    from flask import Blueprint, Flask, Request
    from marshmallow import Schema

    from .core.users.models import User, VerificationRequest
    from .core.users.profiles import ProfileSection
    from .core.users.verification import VerificationField
    from .jobs import Job
    from .web.menus import Link

PROJECT = "marketplace_kit"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# ---------------------------------------------------------------------------
# Phase 1: build time (create_app), once per app
# ---------------------------------------------------------------------------


@hookspec
def mk_config_schema() -> type[Schema] | Schema | None:
    """Return the marshmallow schema of this plugin's ``[plugins.<name>]`` section.

    Called once per app for each plugin *individually*, before any other
    plugin hook, so the result belongs to the plugin that returned it. The
    section is loaded with the schema (unknown keys are rejected unless the
    schema says otherwise); defaults come from the schema's ``load_default``.
    A bad value stops startup naming the section, key and reason. The loaded
    values are available as ``plugin_settings(app, "<name>")``.

    Return ``None`` (or do not implement the hook) for a plugin without settings.
    """


@hookspec
def mk_configure(app: Flask) -> None:
    """Set up the plugin for ``app`` after config, extensions and database are bound.

    Called once per app, after every plugin's settings are validated and before
    blueprints, commands and jobs are collected. Use it to add template
    filters, ``app.config`` values, or signal handlers. Return nothing.
    """


@hookspec
def mk_register_blueprints(app: Flask) -> list[Blueprint]:
    """Return Flask blueprints with this plugin's pages.

    Called once per app. Blueprint names must be unique across the app;
    two plugins returning the same name stop startup naming both.
    """


@hookspec
def mk_register_api_blueprints(app: Flask) -> list[Blueprint]:
    """Return flask-smorest blueprints to mount under ``/api/v1``.

    Called once per app. Each blueprint's ``url_prefix`` is relative to
    ``/api/v1`` and its views appear in ``/api/v1/openapi.json``. Names must
    be unique across the app.
    """


@hookspec
def mk_register_commands() -> list[click.Command]:
    """Return click commands to add to the ``marketplace-kit`` CLI.

    Called when the CLI loads the app. Command names must be unique; a clash
    with a core command or another plugin's stops startup naming both.
    """


@hookspec
def mk_register_jobs(app: Flask) -> list[Job]:
    """Return :class:`marketplace_kit.jobs.Job` definitions (background and periodic).

    Called once per app. Each job runs inside an app context on the worker
    (``marketplace-kit worker``), or immediately in tests. Names must be
    unique across the app; use the plugin name as a prefix.
    """


@hookspec
def mk_register_profile_sections(app: Flask) -> list[ProfileSection]:
    """Return :class:`marketplace_kit.core.users.profiles.ProfileSection` items.

    Called once per app, the first time profiles are shown or saved. Each
    section's marshmallow schema adds fields to the profile form, the public
    profile (when ``public``) and ``/api/v1/me``; values are stored in
    ``user.extended_data[section.key]``. Keys must be unique across the app
    (use the plugin name); duplicates stop with both plugins named.
    """


@hookspec
def mk_register_verification_fields(app: Flask) -> list[VerificationField]:
    """Return :class:`marketplace_kit.core.users.verification.VerificationField` items.

    Called once per app, the first time a verification form is shown or
    submitted. Each field is added to its ``kind`` (``"identity"`` or
    ``"business"``) after the fields of ``[verification]``; ``document``
    fields are file uploads (PDF or image). A name already used by the
    config or another plugin stops with both named.
    """


# ---------------------------------------------------------------------------
# Phase 2: requests -- questions with one answer (firstresult)
# ---------------------------------------------------------------------------


@hookspec(firstresult=True)
def mk_request_locale(request: Request, user: User | None, locales: list[str]) -> str | None:
    """Return the locale for this request, or ``None`` to let the next implementation decide.

    ``locales`` is the site's configured list; the answer must be one of them.
    The core's default (trylast) takes the user's preference, then a
    ``lang`` cookie, then ``Accept-Language``, then the site default.
    """


@hookspec(firstresult=True)
def mk_permission_allowed(user: User | None, action: str, resource: Any | None) -> bool | None:
    """Decide whether ``user`` (``None`` when anonymous) may do ``action`` on ``resource``.

    Every permission check goes through :func:`marketplace_kit.core.access.can`,
    which calls this hook. Return ``True`` to allow, ``False`` to deny, or
    ``None`` to leave the decision to the next implementation. The core's
    rules are the trylast default; a plugin adds rules by answering first.
    ``action`` is a dotted name such as ``"console.view"`` or ``"listing.edit"``.
    """


# ---------------------------------------------------------------------------
# Phase 2: requests -- objects prepared in place
# ---------------------------------------------------------------------------


@hookspec
def mk_prepare_csp(policy: dict[str, list[str]], request: Request) -> None:
    """Adjust the Content-Security-Policy of a response in place.

    ``policy`` maps directive names (``"img-src"``) to lists of sources. Add
    sources a plugin needs (a map tile server, a payment widget). Called for
    every HTML response. The core re-applies ``object-src 'none'``,
    ``base-uri 'none'`` and ``frame-ancestors 'none'`` afterwards; those
    cannot be loosened.
    """


@hookspec
def mk_prepare_health(report: dict[str, Any]) -> None:
    """Add checks to the ``/healthz`` report in place.

    ``report["checks"]`` maps a check name to ``{"ok": bool, ...}``. A
    failing check (``ok`` false) turns the response into 503.
    """


# ---------------------------------------------------------------------------
# Phase 2: requests -- UI contributions
# ---------------------------------------------------------------------------


@hookspec
def mk_main_menu_links(user: User | None) -> list[Link]:
    """Return :class:`marketplace_kit.web.menus.Link` items for the main navigation.

    Called while rendering every page. Links are merged from all plugins and
    sorted by ``order`` then label.
    """


@hookspec
def mk_account_menu_links(user: User) -> list[Link]:
    """Return :class:`marketplace_kit.web.menus.Link` items for the signed-in user's account menu.

    Called while rendering pages for a signed-in ``user`` (the header's account
    menu and the ``/account`` overview). Links from all plugins are merged
    and sorted by ``order`` then label; the core's own links use orders
    10-90. Not called for anonymous visitors.
    """


@hookspec
def mk_extra_template_vars(template_name: str, user: User | None) -> dict[str, Any] | None:
    """Return extra variables for page templates (merged into the context).

    Called for every rendered template. Keys must not collide with core
    context names; later plugins win on a clash.
    """


@hookspec
def mk_user_data_export(user: User) -> dict[str, Any] | None:
    """Return this plugin's data about ``user`` for their personal data export.

    Called when a user downloads their data (page or API). Return a dict with
    one top-level key (your plugin name) of JSON-serialisable values; the
    dicts of all plugins are merged under ``"plugins"`` in the export.
    """


@hookspec
def mk_sitemap_urls() -> list[tuple[str, Any]]:
    """Return ``(path, last_modified)`` pairs for ``/sitemap.xml``.

    Called on each sitemap request inside an app context. ``path`` is
    site-relative (``"/listings/12"``); ``last_modified`` is a datetime or
    ``None``. List only public pages, at most a few thousand per plugin.
    """


# ---------------------------------------------------------------------------
# Phase 3: events, called after the database transaction committed
# ---------------------------------------------------------------------------


@hookspec
def mk_user_registered(user: User) -> None:
    """A user account was created (called after commit, once).

    The object is detached from the finished transaction; re-load it in a
    new session to change it.
    """


@hookspec
def mk_verification_decided(request: VerificationRequest, user: User) -> None:
    """An operator approved or rejected a verification request (after commit, once).

    ``request.status`` is ``"approved"`` or ``"rejected"`` (with
    ``request.reason``); ``user.verification_level`` is the level after the
    decision. Both objects are detached from the finished transaction.
    """


@hookspec
def mk_user_deleted(user: User) -> None:
    """A user deleted their account (called after commit, once).

    The core already anonymised the ``users`` row (it stays, so references
    keep their integrity). Erase or anonymise the personal data your plugin
    keeps about ``user`` (``user.id`` still identifies them), and commit.
    """


# ---------------------------------------------------------------------------
# Operations
# ---------------------------------------------------------------------------


@hookspec
def mk_seed_demo(app: Flask, seed: int) -> None:
    """Add demo data for ``marketplace-kit demo``.

    Called once after the core seeded its own demo data, inside an app
    context, in plugin registration order. ``seed`` makes random choices
    repeatable. Commit what you add.
    """
