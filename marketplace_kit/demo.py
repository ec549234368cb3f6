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


def seed_orders(app: Flask, seed: int) -> None:
    """Orders in several states, a funded wallet and a conversation, for the demo logins."""
    from sqlalchemy import select

    from .core.ledger import service as ledger
    from .core.listings.models import Listing
    from .core.orders import engine
    from .core.users.models import User
    from .events import commit
    from .extensions import db
    from .money import Money

    customer = db.session.scalars(select(User).where(User.email == "customer@demo.example")).first()
    provider = db.session.scalars(select(User).where(User.email == "provider@demo.example")).first()
    if customer is None or provider is None:
        return
    currency = state_currency(app)
    listing = db.session.scalars(
        select(Listing).where(Listing.author_id == provider.id, Listing.status == "published")
    ).first()
    if listing is None:
        listing = Listing(
            author_id=provider.id,
            listing_type="product",
            title="Eco cleaning kit",
            description="Plant-based cleaners for a whole flat. 环保清洁套装。Эко-набор для уборки.",
            price_amount=2490,
            currency=currency,
            status="published",
            quantity=40,
        )
        db.session.add(listing)
        commit()
    clearing = ledger.account("clearing", "sandbox", currency)
    wallet = ledger.account("wallet", customer, currency)
    ledger.transfer("deposit", clearing, wallet, Money(50000, currency), memo="demo top-up")
    commit()
    done = engine.place_order(None, customer=customer, listing=listing, quantity=2)
    engine.transition(done, "pay_from_wallet", customer)
    engine.transition(done, "mark_delivered", provider, {"message": "Delivered to the front desk."})
    engine.transition(done, "accept", customer, {"message": "Thank you, all good!"})
    commit()
    waiting = engine.place_order(None, customer=customer, listing=listing)
    engine.transition(waiting, "pay_from_wallet", customer)
    commit()
    chat = engine.place_order(
        "inquiry",
        customer=customer,
        listing=listing,
        params={"message": "Is the kit safe for pets?"},
    )
    reply = "是的，对宠物安全。Да, безопасно для животных."  # noqa: RUF001 - Chinese punctuation
    engine.transition(chat, "reply", provider, {"message": reply})
    commit()


def state_currency(app: Flask) -> str:
    from .app import state

    return state(app).settings.site["currency"]


def build_demo(
    config: str | None, *, database_url: str | None, seed: int, port: int, host: str
) -> tuple[Flask, list[tuple[str, str, str]]]:
    from . import migrations
    from .app import create_app, state

    raw = demo_config(config)
    raw["site"] = {**raw.get("site", {}), "base_url": f"http://{host}:{port}"}
    # The demo never touches the database DATABASE_URL may point at, unless asked to.
    os.environ["DATABASE_URL"] = database_url or "sqlite:///" + os.path.join(
        raw["app"]["instance_path"], "demo.sqlite3"
    )
    app = create_app(raw)
    with app.app_context():
        migrations.upgrade()
        logins = seed_core(app, seed)
        seed_orders(app, seed)
        state(app).pm.hook.mk_seed_demo(app=app, seed=seed)
    return app, logins
