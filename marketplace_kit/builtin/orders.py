"""The core's ledger, actions, processes and order jobs, registered like a plugin's.

At startup (``mk_configure``) the registries are collected from every
plugin and validated: account kinds, actions, then processes (which are
checked against the actions).
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from ..core.ledger import kinds
from ..hookspecs import hookimpl
from ..jobs import Job

TIMER_JOB = "core.order_timers"
OUTBOX_JOB = "core.deliver_outbox"


@hookimpl(tryfirst=True)
def mk_register_account_kinds(app: Flask):
    return list(kinds.CORE_KINDS)


@hookimpl(tryfirst=True)
def mk_register_actions(app: Flask):
    from ..core.disputes.service import DISPUTE_ACTIONS
    from ..core.orders.actions import CORE_ACTIONS

    return [*CORE_ACTIONS, *DISPUTE_ACTIONS]


@hookimpl(tryfirst=True)
def mk_register_processes(app: Flask):
    from ..app import state
    from ..core.orders.processes import configured

    return configured(state(app).settings.orders)


@hookimpl
def mk_listing_availability(listing_type, start, end):
    from ..core.orders.availability import slot_condition

    return slot_condition(listing_type, start, end)


@hookimpl(tryfirst=True)
def mk_register_payment_providers(app: Flask):
    from ..core.payments.providers import ManualProvider, SandboxProvider, sandbox_secret

    return [SandboxProvider(sandbox_secret(app)), ManualProvider()]


@hookimpl
def mk_outbox_message(topic: str, payload: dict[str, Any]) -> None:
    from ..core.payments import service

    if topic == "payment.charge":
        service.execute_charge(payload["payment_id"], payload.get("details") or {})
    elif topic == "payment.refund":
        service.execute_refund(payload)


@hookimpl
def mk_register_blueprints(app: Flask):
    from ..extensions import csrf
    from ..web.pages.orders import bp as orders
    from ..web.pages.payments import bp as payments

    csrf.exempt(payments)
    return [orders, payments]


@hookimpl
def mk_main_menu_links(user: Any):
    if user is None:
        return []
    from flask_babel import lazy_gettext as _l

    from ..web.menus import Link

    return [
        Link(label=_l("My orders"), url="/orders", order=40, key="orders"),
        Link(label=_l("Wallet"), url="/wallet", order=41, key="wallet"),
    ]


@hookimpl
def mk_register_api_blueprints(app: Flask):
    from ..web.api.orders import bp as orders_api

    return [orders_api]


def _run_timers() -> int:
    from ..core.orders.engine import run_due_timers

    return run_due_timers()


def _deliver_outbox() -> int:
    from ..core.orders.outbox import deliver

    return deliver()


@hookimpl
def mk_register_jobs(app: Flask):
    return [
        Job(TIMER_JOB, _run_timers, schedule={"minute": "*"}),
        Job(OUTBOX_JOB, _deliver_outbox, schedule={"minute": "*"}, retries=3, retry_delay=30),
    ]


@hookimpl
def mk_outbox_ready() -> None:
    from ..jobs import enqueue

    enqueue(OUTBOX_JOB)


@hookimpl
def mk_configure(app: Flask) -> None:
    from ..app import state
    from ..core.orders import actions, registry

    pm = state(app).pm
    kinds.install(
        app, pm.collect("mk_register_account_kinds", "account kind", key=lambda k: k.name, app=app)
    )
    registered = actions.install(
        app, pm.collect("mk_register_actions", "action", key=lambda a: a.name, app=app)
    )
    collected: list[tuple[str, Any]] = []
    for plugin, items in pm.call_each("mk_register_processes", app=app):
        if not isinstance(items, list | tuple):
            from ..errors import PluginError

            raise PluginError(f"plugin {plugin!r}: mk_register_processes must return a list")
        collected.extend((plugin, item) for item in items)
    registry.install(app, collected, registered)
    from ..core.payments import providers

    providers.install(
        app,
        pm.collect(
            "mk_register_payment_providers", "payment provider", key=lambda p: p.name, app=app
        ),
    )
