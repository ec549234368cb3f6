"""The core's ledger and order registries, collected from every plugin at startup."""

from __future__ import annotations

from flask import Flask

from ..core.ledger import kinds
from ..hookspecs import hookimpl


@hookimpl(tryfirst=True)
def mk_register_account_kinds(app: Flask):
    return list(kinds.CORE_KINDS)


@hookimpl
def mk_configure(app: Flask) -> None:
    from ..app import state

    pm = state(app).pm
    kinds.install(
        app, pm.collect("mk_register_account_kinds", "account kind", key=lambda k: k.name, app=app)
    )
