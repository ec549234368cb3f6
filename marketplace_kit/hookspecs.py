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
    from datetime import datetime

    import click
    from flask import Blueprint, Flask, Request
    from marshmallow import Schema
    from sqlalchemy import ColumnElement

    from .core.ledger.kinds import AccountKind
    from .core.listings.models import Listing
    from .core.listings.search import SearchQuery, SearchResult
    from .core.listings.types import ListingType
    from .core.messaging.models import Message
    from .core.moderation.kinds import ReportKind
    from .core.notifications.registry import Channel, EventType
    from .core.orders.actions import Action
    from .core.orders.fees import PriceLine
    from .core.orders.models import Order
    from .core.payments.providers import PaymentProvider
    from .core.stats.panels import StatsPanel
    from .core.stats.period import Period
    from .core.trust.models import Review
    from .core.trust.reputation import ReputationFactor
    from .core.users.models import User, VerificationRequest
    from .core.users.profiles import ProfileSection
    from .core.users.verification import VerificationField
    from .jobs import Job
    from .money import Money
    from .web.menus import Link, PageSection

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
def mk_register_account_kinds(app: Flask) -> list[AccountKind]:
    """Return :class:`marketplace_kit.core.ledger.kinds.AccountKind` items (ledger account kinds).

    Called once per app at startup. The core registers ``wallet``,
    ``payout_hold``, ``escrow``, ``revenue`` and ``clearing``; a plugin adds
    its own (e.g. ``credit_issuance`` with ``allow_negative=True`` for mutual
    credit). Names are lower_snake_case and unique across the app; a clash
    stops startup naming both plugins.
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


@hookspec
def mk_register_actions(app: Flask) -> list[Action]:
    """Return :class:`marketplace_kit.core.orders.actions.Action` items for processes to use.

    Called once per app at startup, before processes are validated. An action
    is ``Action(name, func, params=<schema>, inputs=(...), description)``;
    ``func(ctx, **params)`` runs inside the transition's database transaction
    and raises a ``MarketplaceError`` to refuse it. Names are unique across
    the app; a clash stops startup naming both plugins.
    """


@hookspec
def mk_register_listing_types(app: Flask) -> list[ListingType]:
    """Return :class:`marketplace_kit.core.listings.types.ListingType` items.

    Called once per app, while it is configured. Each type has a unique
    ``name`` (two plugins registering the same name stop startup naming both),
    a ``label``, an ``author_side`` (``"offer"`` or ``"request"``), a
    marshmallow ``schema`` for its attributes (each field's
    ``metadata["scope"]`` is ``public``, ``protected`` or ``private``), the
    ``process`` its orders follow, ``searchable`` / ``filterable`` attribute
    names (public fields only), and optional ``templates`` for ``card``,
    ``detail`` and ``form_fields``. The core registers ``product`` and
    ``service``.
    """


@hookspec
def mk_register_processes(app: Flask) -> list[dict[str, Any]]:
    """Return transaction process definitions (mappings, see ``core/orders/process.py``).

    Called once per app at startup, after actions are collected. Each process
    is validated (states, reachability, one initial transition, known actions
    and their parameters, timers); a problem stops startup naming the process
    and the plugin. ``(name, version)`` must be unique; new orders use the
    highest version, existing orders keep theirs.
    """


@hookspec
def mk_register_payment_providers(app: Flask) -> list[PaymentProvider]:
    """Return :class:`marketplace_kit.core.payments.providers.PaymentProvider` instances.

    Called once per app at startup. The core ships ``sandbox`` (test cards,
    signed webhooks) and ``manual`` (bank transfer confirmed by an operator);
    ``wallet`` is reserved. Providers are only called from outside database
    transactions (the outbox) and their webhooks must verify signatures.
    Names are unique across the app; a clash stops startup naming both plugins.
    """


@hookspec
def mk_register_notification_events(app: Flask) -> list[EventType]:
    """Return :class:`marketplace_kit.core.notifications.registry.EventType` items.

    Called once per app at startup. Each event type has a unique ``key``, a
    ``label`` shown on the preferences page, a localised ``title``/``body``
    (``lazy_gettext`` strings with ``%(name)s`` placeholders filled from the
    context given to ``notify``) or a ``render(context) -> (title, body)``
    function, and ``default_channels``. Send them with
    ``marketplace_kit.core.notifications.service.notify(user, key, context)``.
    The core registers ``order_update``, ``verification_decided``,
    ``payout_paid`` and ``payout_rejected``. A duplicate key stops startup
    naming both plugins.
    """


@hookspec
def mk_register_notification_channels(app: Flask) -> list[Channel]:
    """Return :class:`marketplace_kit.core.notifications.registry.Channel` items (SMS, chat, ...).

    Called once per app at startup. ``send(notification, user, title, body)``
    is called from the background worker, outside any transaction, with the
    title and body rendered in the user's locale; raise to have it retried
    with backoff. Each notification reaches a channel at most once. The core
    ships ``email``; ``in_app`` is reserved. A duplicate name stops startup
    naming both plugins.
    """


@hookspec
def mk_register_report_kinds(app: Flask) -> list[ReportKind]:
    """Return :class:`marketplace_kit.core.moderation.kinds.ReportKind` items: what users can report.

    Called once per app at startup. A kind has a unique ``name`` (the
    ``kind`` of ``POST /api/v1/reports`` and of ``/report/<kind>/<id>``), a
    ``label``, ``load(id)``, ``owner_id(target)`` (the reported user),
    ``describe(target)``, and optionally ``url``, ``preview`` (text operators
    read), ``visible_to(target, user)`` (content a user cannot see cannot be
    reported by them), and ``hide(target, reason)`` / ``restore(target,
    before)`` / ``is_hidden(target)`` when moderators can hide it. The core
    registers ``user``, ``listing``, ``message`` and ``review``. A duplicate name stops
    startup naming both plugins.
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


@hookspec(firstresult=True)
def mk_search_listings(query: SearchQuery) -> SearchResult | None:
    """Run a listing search and return a :class:`~marketplace_kit.core.listings.search.SearchResult`.

    Called by :func:`marketplace_kit.core.listings.search.search_listings` for
    the search page, ``GET /api/v1/listings`` and anyone else, after the query
    was validated (sort resolved, filters checked). Return ``None`` to leave
    the search to the next implementation. The core's default (trylast) uses
    the database's full-text engine. An implementation must return published
    listings only and must never match on protected or private data.
    """


@hookspec
def mk_listing_availability(
    listing_type: ListingType, start: datetime, end: datetime
) -> ColumnElement[bool] | None:
    """Say which listings of ``listing_type`` are free for the whole period [start, end).

    Return a SQLAlchemy condition on ``listings`` (correlated subqueries are
    fine), or ``None`` when the plugin knows nothing about this type's
    availability. ``start`` and ``end`` are aware UTC datetimes. The conditions
    of every answering plugin must all hold; a type nobody answers for is not
    bookable by period and drops out of searches with ``available_start/end``.
    The core answers for types whose process uses the ``reserve_slot`` action
    (free while fewer than ``capacity`` slot-holding orders overlap).
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


@hookspec
def mk_order_price_lines(order: Order, subtotal: Money) -> list[PriceLine]:
    """Return extra fee, discount or adjustment lines for an order being priced.

    Called once per order by the ``calculate_price`` action, after the
    config's fee rules; lines of all plugins are appended in hook call order
    and written onto the order, never recomputed. Each is a
    :class:`marketplace_kit.core.orders.fees.PriceLine` in the order's
    currency with ``payer`` ``"customer"`` (added to what the customer pays;
    negative for a discount) or ``"provider"`` (deducted from the payout).
    """


@hookspec
def mk_reputation_factors(user: User, role: str) -> list[ReputationFactor]:
    """Return :class:`marketplace_kit.core.trust.reputation.ReputationFactor` items for ``user``.

    Called whenever the reputation of ``user`` in ``role`` (``"provider"`` or
    ``"customer"``) is recomputed -- after a review is published, an order is
    completed or cancelled, a dispute is resolved or a verification decided --
    inside that unit of work, never on page view. Each factor has a unique
    ``key``, a ``label``, a ``value`` from 0 to 1 (1 is best) and a
    ``weight``; the core folds all factors (its own, weighted by ``[trust]
    weights``, then every plugin's in hook call order) into
    ``score = 100 * sum(weight * value) / sum(weight)``. An optional ``badge``
    label is shown while ``value >= 0.5``. Return ``[]`` when the factor does
    not apply; a value outside 0-1 or a duplicate key is an error. When the
    plugin's own data behind a factor changes, queue the recompute after commit
    with :func:`marketplace_kit.core.trust.reputation.queue_recompute`.
    """


@hookspec
def mk_outbox_message(topic: str, payload: dict[str, Any]) -> None:
    """Deliver one outbox message (``topic`` e.g. ``"notification"``), outside any transaction.

    Called by the ``core.deliver_outbox`` job for every undelivered message,
    after the transaction that wrote it committed. Every implementation is
    called; ignore topics you do not handle. Raising marks the delivery as
    failed and it is retried later, so handlers must be idempotent.
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
def mk_page_sections(place: str, subject: Any, user: User | None) -> list[PageSection]:
    """Return :class:`marketplace_kit.web.menus.PageSection` blocks for a core page.

    Called while rendering the page. ``place`` is ``"listing"`` (subject: the
    listing), ``"order"`` (the order; only its participants and operators see
    the page), ``"profile"`` (the user whose public profile is shown) or
    ``"dashboard"`` (the signed-in user on their account overview). ``user``
    is the viewer (``None`` when anonymous): decide per viewer what to show and
    return ``[]`` when there is nothing. Sections from all plugins are sorted
    by ``order`` then ``key``; each is rendered from its own template.
    """


@hookspec
def mk_console_stats_panels(period: Period) -> list[StatsPanel]:
    """Return :class:`marketplace_kit.core.stats.panels.StatsPanel` tables for the statistics page.

    Called while rendering ``/console/stats`` (and its CSV exports) for an
    operator allowed ``console.stats``. ``period`` is the
    :class:`marketplace_kit.core.stats.period.Period` asked for (``start`` and
    ``end`` UTC days, both included; ``start_at``/``end_at`` datetimes;
    ``granularity`` and ``buckets()``). Aggregate in SQL. Panels from all
    plugins are sorted by ``order`` then ``key``; a key returned twice stops
    with both plugins named. Return ``[]`` when there is nothing to show.
    """


@hookspec
def mk_sitemap_urls() -> list[tuple[str, Any]]:
    """Return ``(path, last_modified)`` pairs for ``/sitemap.xml``.

    Called on each sitemap request inside an app context. ``path`` is
    site-relative (``"/listings/12"``); ``last_modified`` is a datetime or
    ``None``. List only public pages, at most a few thousand per plugin.
    """


@hookspec
def mk_user_data_export(user: User) -> dict[str, Any] | None:
    """Return this plugin's data about ``user`` for their personal data export.

    Called when a user downloads their data (page or API). Return a dict with
    one top-level key (your plugin name) of JSON-serialisable values; the
    dicts of all plugins are merged under ``"plugins"`` in the export.
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
def mk_order_transitioned(
    order: Order, transition: str, from_state: str | None, to_state: str, actor: User | None
) -> None:
    """An order took a transition (called after commit, once per transition).

    ``from_state`` is ``None`` for the initial transition; ``actor`` is
    ``None`` when the system (a timer, a payment callback) acted.
    """


@hookspec
def mk_message_sent(message: Message) -> None:
    """A message was sent in a conversation (called after commit, once per message).

    ``message.conversation`` holds the participants (``starter``,
    ``recipient``) and the listing or order; ``message.sender`` wrote it. The
    stored ``message.body`` is unmasked: show other people
    ``marketplace_kit.core.messaging.service.visible_body(message)``, which
    applies the operator's ``[messaging] mask_contacts`` setting.
    """


@hookspec
def mk_review_published(review: Review) -> None:
    """A review became visible (called after commit, once per review).

    Published when both parties of the order reviewed each other, or by the
    ``core.trust_publish_reviews`` job when the review window closed.
    ``review.subject_id`` is who was reviewed, in ``review.subject_role``.
    The core notifies the subject (``review_received``) and recomputes their
    reputation. The object is detached from the finished transaction.
    """


@hookspec
def mk_user_deleted(user: User) -> None:
    """A user deleted their account (called after commit, once).

    The core already anonymised the ``users`` row (it stays, so references
    keep their integrity). Erase or anonymise the personal data your plugin
    keeps about ``user`` (``user.id`` still identifies them), and commit.
    """


@hookspec
def mk_listing_changed(listing: Listing, change: str) -> None:
    """A listing was created, edited or changed status (called after commit).

    ``change`` is ``"created"``, ``"updated"``, or the new status
    (``"pending"``, ``"published"``, ``"paused"``, ``"closed"``, ``"draft"``
    after a rejection, ``"hidden"`` when moderators hid it). The object is
    detached from the finished transaction.
    """


@hookspec
def mk_listing_price_dropped(listing: Listing, old_price: Money) -> None:
    """The author lowered the price of a published listing (called after commit, once).

    ``listing.price`` is the new price, in the same currency as ``old_price``.
    The core notifies the users who favourited the listing.
    """


@hookspec
def mk_outbox_ready() -> None:
    """Outbox messages were committed (called after commit).

    The core's implementation enqueues the ``core.deliver_outbox`` job.
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
