"""``marketplace-kit demo``: a fresh database with realistic data, for trying the site.

The core seeds its own data (an operator and some users); every later area
adds its part here, and each plugin adds its own through ``mk_seed_demo``.
"""

from __future__ import annotations

import importlib
import os
import tempfile
from typing import Any

from flask import Flask

from .config import read_source
from .plugins import available_plugins

DEMO_PASSWORD = "demo-password-1"  # noqa: S105 - printed on purpose: demo logins


def demo_plugins() -> list[str]:
    """Every installed plugin except those whose module sets ``MK_DEMO = False``."""
    names = []
    for name, info in available_plugins().items():
        module = importlib.import_module(info.value.split(":")[0])
        if getattr(module, "MK_DEMO", True):
            names.append(name)
    return names


def demo_config(config: str | None) -> dict[str, Any]:
    if config:
        _source, raw = read_source(config)
    else:
        raw = {
            "site": {
                "name": "Everyone's Market",
                "tagline": "Tasks, group deals, home services and more: one demo marketplace.",
                "currency": "USD",
            },
            "plugins": {"enabled": demo_plugins()},
        }
    raw.setdefault("app", {})["demo"] = True
    raw["app"].setdefault("instance_path", tempfile.mkdtemp(prefix="marketplace-demo-"))
    return raw


def seed_core(app: Flask, seed: int) -> list[tuple[str, str, str]]:
    from .core.users.passwords import hash_password
    from .core.users.service import create_user
    from .events import commit

    pw = hash_password(DEMO_PASSWORD)
    people = [
        ("operator", "admin@demo.example", "Ada Operator", "individual", ["admin"]),
        ("provider", "provider@demo.example", "Bright Clean Ltd", "business", []),
        ("customer", "customer@demo.example", "Chen Wei", "individual", []),
    ]
    logins = []
    for role, email, name, kind, roles in people:
        create_user(email, name, password_hash=pw, account_type=kind, roles=roles)
        logins.append((role, email, DEMO_PASSWORD))
    commit()
    return logins


def build_demo(
    config: str | None, *, database_url: str | None, seed: int, port: int, host: str
) -> tuple[Flask, list[tuple[str, str, str]]]:
    from . import migrations
    from .app import create_app, state

    raw = demo_config(config)
    raw["site"] = {**raw.get("site", {}), "base_url": f"http://{host}:{port}"}
    # The demo never touches the database DATABASE_URL may point at: only --database.
    raw.setdefault("database", {})["url"] = database_url or "sqlite:///" + os.path.join(
        raw["app"]["instance_path"], "demo.sqlite3"
    )
    saved = os.environ.pop("DATABASE_URL", None)
    try:
        app = create_app(raw)
    finally:
        if saved is not None:
            os.environ["DATABASE_URL"] = saved
    with app.app_context():
        migrations.upgrade()
        logins = seed_core(app, seed)
        from .demo_listings import seed_listings

        seed_listings(app, seed)
        state(app).pm.hook.mk_seed_demo(app=app, seed=seed)
    return app, logins
