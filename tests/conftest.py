"""The core's tests use the same test kit as plugin authors (marketplace_kit.testing).

Only helpers that plugin authors do not need live here.
"""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


@pytest.fixture
def install_distribution(tmp_path: Path) -> Iterator[Callable[..., None]]:
    """Make a real (importlib.metadata-visible) distribution with plugin entry points.

    ``install_distribution("mk-broken", {"broken": "mk_broken"}, {"mk_broken": "raise ..."})``
    writes the modules and a ``.dist-info`` folder on ``sys.path``.
    """
    added: list[str] = []
    modules: list[str] = []

    def install(dist: str, entry_points: dict[str, str], sources: dict[str, str]) -> None:
        root = tmp_path / f"site-{dist}"
        root.mkdir()
        for module, source in sources.items():
            (root / f"{module}.py").write_text(textwrap.dedent(source))
            modules.append(module)
        info = root / f"{dist.replace('-', '_')}-1.2.3.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.2.3\n")
        lines = ["[marketplace_kit]"] + [f"{k} = {v}" for k, v in entry_points.items()]
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        sys.path.insert(0, str(root))
        added.append(str(root))
        importlib.invalidate_caches()

    yield install
    for path in added:
        sys.path.remove(path)
    for module in modules:
        sys.modules.pop(module, None)
    importlib.invalidate_caches()


#: Fee rules the statistics tests compute their expected figures with:
#: the provider pays 10 % of the subtotal, the customer a fixed 1.00.
STATS_CONFIG = {
    "fees": {
        "rules": [
            {"name": "seller", "charged_to": "provider", "percent": 10},
            {"name": "buyer", "charged_to": "customer", "fixed": 100},
        ]
    }
}


@pytest.fixture
def stats_world(app, user_factory, listing_factory, category_factory, fund_wallet, order_factory):
    """Orders placed through the real engine on three days, for the statistics tests.

    Needs ``STATS_CONFIG`` (mark the test with ``pytest.mark.mk_config(STATS_CONFIG)``).
    ``T`` is today (UTC); every order is backdated to its day afterwards.
    The figures it yields are written out in ``tests/core/stats/test_figures.py``.
    """
    from datetime import timedelta
    from types import SimpleNamespace

    from sqlalchemy import update

    from marketplace_kit.core.db import utcnow
    from marketplace_kit.core.orders import engine
    from marketplace_kit.core.orders.models import Order
    from marketplace_kit.core.stats.service import record_view
    from marketplace_kit.core.users.models import User
    from marketplace_kit.events import commit
    from marketplace_kit.extensions import db

    w = SimpleNamespace()
    now = utcnow()
    w.today = now.date()
    w.admin = user_factory(roles=["admin"], display_name="Ada Admin")
    w.p1 = user_factory(display_name="Garden Gina")
    w.p2 = user_factory(display_name="Tool Tom")
    w.p3 = user_factory(display_name="Euro Eva")
    w.c1 = user_factory(display_name="Chen")
    w.c2 = user_factory(display_name="Dana")
    w.garden = category_factory("garden", names={"en": "Garden", "ru": "Сад"})
    w.tools = category_factory("tools", names={"en": "Tools"})
    w.l1 = listing_factory(author=w.p1, category=w.garden, price_amount=2000, quantity=50)
    w.l2 = listing_factory(author=w.p2, category=w.tools, price_amount=5000, quantity=50)
    w.l3 = listing_factory(
        author=w.p3, category=w.garden, price_amount=3000, currency="EUR", quantity=50
    )
    fund_wallet(w.c1, 100_000)
    fund_wallet(w.c2, 100_000)
    fund_wallet(w.c2, 100_000, "EUR")

    def completed(customer, listing, quantity=1):
        order = order_factory(customer=customer, listing=listing, quantity=quantity)
        engine.transition(order, "pay_from_wallet", customer)
        engine.transition(order, "mark_delivered", listing.author)
        engine.transition(order, "accept", customer)
        commit()
        return order

    def day(order, days_ago):
        at = now - timedelta(days=days_ago)
        db.session.execute(update(Order).where(Order.id == order.id).values(created_at=at))
        commit()

    # T-10: two completed orders and one never paid
    w.o1 = completed(w.c1, w.l1)  # 2000 + 100 = 2100, fees 100 + 200
    w.o2 = completed(w.c1, w.l2, 2)  # 10000 + 100 = 10100, fees 100 + 1000
    w.o3 = order_factory(customer=w.c2, listing=w.l1)  # placed, pending payment
    # T-3: a dispute refunded in full, a partial refund, an order in EUR
    w.o4 = order_factory(customer=w.c1, listing=w.l1)
    engine.transition(w.o4, "pay_from_wallet", w.c1)
    engine.transition(w.o4, "open_dispute", w.c1, {"reason": "Broken."})
    engine.transition(w.o4, "resolve_refund", w.admin)
    commit()  # refunded 2100
    w.o5 = order_factory(customer=w.c2, listing=w.l2)
    engine.transition(w.o5, "pay_from_wallet", w.c2)
    engine.transition(w.o5, "mark_delivered", w.p2)
    engine.transition(w.o5, "refund_partial", w.admin, {"amount": 1000})
    commit()  # completed, 5000 + 100 = 5100, fees 100 + 500, refunded 1000
    w.o6 = completed(w.c2, w.l3)  # EUR 3000 + 100 = 3100, fees 100 + 300
    # T: one completed, one just placed
    w.o7 = completed(w.c1, w.l1)  # 2100, fees 300
    w.o8 = order_factory(customer=w.c2, listing=w.l2)
    for order, days_ago in ((w.o1, 10), (w.o2, 10), (w.o3, 10)):
        day(order, days_ago)
    for order in (w.o4, w.o5, w.o6):
        day(order, 3)
    db.session.execute(
        update(User).where(User.id == w.c1.id).values(created_at=now - timedelta(days=10))
    )
    db.session.execute(
        update(User).where(User.id == w.c2.id).values(created_at=now - timedelta(days=3))
    )
    commit()
    for _ in range(4):
        record_view(w.l1.id, now - timedelta(days=10))
    for _ in range(10):
        record_view(w.l2.id, now - timedelta(days=3))
    for _ in range(2):
        record_view(w.l1.id, now)
    return w
