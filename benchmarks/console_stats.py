"""Statistics dashboard at 1,000,000 orders: live SQL vs the daily rollups.

Bulk-loads (not through the service layer) users, categories, listings,
orders spread over the last two years (90 % USD, 10 % EUR; completed,
refunded, cancelled and in-progress states; a fee line per order; refund
ledger entries on 5 % and disputes on 2 % of them) and per-listing daily
view counts, then times ``marketplace_kit.core.stats.service.dashboard`` for
the presets 7d / 30d / 90d / year:

* live -- every figure computed from the orders (what the page would cost
  without rollups);
* rollup -- the first run of the rollup job (fills every day), then the
  dashboard reading closed days from the rollups and today live;
* the incremental rollup job after 1,000 orders changed;
* the whole ``/console/stats`` page (HTML, charts included) for each preset.

    python benchmarks/console_stats.py --orders 1000000 --db both \
        --pg-url postgresql://postgres@127.0.0.1/mk_bench_stats

The PostgreSQL database named in --pg-url is dropped and re-created.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from search import recreate_database  # benchmarks/search.py (scripts run from this folder)

from marketplace_kit import create_app
from marketplace_kit.extensions import db

PRESETS = ("7d", "30d", "90d", "year")
SPAN_DAYS = 730
STATES = [
    ("completed", 0.70),
    ("refunded", 0.05),
    ("cancelled", 0.10),
    ("paid", 0.05),
    ("delivered", 0.05),
    ("pending_payment", 0.05),
]

ORDER_COLS = [
    "id",
    "process_name",
    "process_version",
    "state",
    "version",
    "customer_id",
    "provider_id",
    "listing_id",
    "quantity",
    "stock_reserved",
    "currency",
    "unit_price_amount",
    "subtotal_amount",
    "customer_total_amount",
    "provider_payout_amount",
    "protected_data",
    "private_data",
    "created_at",
    "updated_at",
]


def _ts(moment: datetime, dialect: str) -> Any:
    if dialect == "sqlite":
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f")
    return moment


def _bulk(conn: Any, dialect: str, table: str, cols: list[str], rows: list[tuple]) -> None:
    """Insert rows as fast as the driver allows: executemany on SQLite, COPY on PostgreSQL."""
    raw = conn.connection.dbapi_connection
    if dialect == "sqlite":
        marks = ",".join("?" * len(cols))
        raw.executemany(f"INSERT INTO {table} ({','.join(cols)}) VALUES ({marks})", rows)
        return
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({','.join(cols)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def build(url: str, n_orders: int, seed: int = 11) -> tuple[Any, dict[str, float]]:
    app = create_app(
        {
            "app": {"testing": True, "instance_path": tempfile.mkdtemp(prefix="mk-bench-")},
            "database": {"url": url},
            "site": {"currency": "USD"},
        }
    )
    rnd = random.Random(seed)
    now = datetime.now(UTC)
    info: dict[str, float] = {}
    with app.app_context():
        from marketplace_kit.core import models  # noqa: F401

        engine = db.engine
        dialect = engine.dialect.name
        db.metadata.drop_all(engine)
        if dialect == "sqlite":
            with engine.begin() as conn:
                conn.exec_driver_sql("DROP TABLE IF EXISTS listings_fts")
        db.metadata.create_all(engine)
        t0 = time.perf_counter()
        n_users = max(1000, n_orders // 20)
        n_providers = max(100, n_users // 10)
        n_listings = max(200, n_orders // 500)
        from marketplace_kit.core.listings.models import Category, Listing
        from marketplace_kit.core.users.models import User

        with engine.begin() as conn:
            users = []
            for uid in range(1, n_users + 1):
                at = now - timedelta(seconds=rnd.randint(0, SPAN_DAYS * 86400))
                users.append(
                    {
                        "id": uid,
                        "email": f"u{uid}@example.com",
                        "display_name": f"User {uid}",
                        "roles": [],
                        "created_at": at,
                        "updated_at": at,
                    }
                )
            conn.execute(sa.insert(User.__table__), users)
            conn.execute(
                sa.insert(Category.__table__),
                [
                    {
                        "id": cid,
                        "slug": f"cat-{cid}",
                        "names": {"en": f"Category {cid}"},
                        "position": cid,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for cid in range(1, 31)
                ],
            )
            listings = []
            listing_info = []
            for lid in range(1, n_listings + 1):
                provider = rnd.randint(1, n_providers)
                currency = "EUR" if rnd.random() < 0.1 else "USD"
                price = int(rnd.lognormvariate(8, 1))
                listing_info.append((provider, currency, price))
                listings.append(
                    {
                        "id": lid,
                        "author_id": provider,
                        "listing_type": "product",
                        "title": f"Listing {lid}",
                        "price_amount": price,
                        "currency": currency,
                        "status": "published",
                        "category_id": rnd.randint(1, 30),
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            conn.execute(sa.insert(Listing.__table__), listings)
        info["users_listings_s"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        states = [s for s, _ in STATES]
        weights = [w for _, w in STATES]
        refund_orders: list[tuple[int, str, int, datetime]] = []
        dispute_orders: list[tuple[int, int, datetime]] = []
        batch: list[tuple] = []
        lines: list[tuple] = []
        oid = 0
        chunk = 50_000
        while oid < n_orders:
            with engine.begin() as conn:
                for _ in range(min(chunk, n_orders - oid)):
                    oid += 1
                    lid = rnd.randint(1, n_listings)
                    provider, currency, price = listing_info[lid - 1]
                    customer = rnd.randint(n_providers + 1, n_users)
                    qty = 1 if rnd.random() < 0.8 else rnd.randint(2, 4)
                    subtotal = price * qty
                    buyer_fee = 100
                    seller_fee = (subtotal + 5) // 10
                    total = subtotal + buyer_fee
                    at = now - timedelta(seconds=rnd.randint(0, SPAN_DAYS * 86400))
                    state = rnd.choices(states, weights)[0]
                    ts = _ts(at, dialect)
                    batch.append(
                        (
                            oid,
                            "purchase",
                            1,
                            state,
                            3,
                            customer,
                            provider,
                            lid,
                            qty,
                            0,
                            currency,
                            price,
                            subtotal,
                            total,
                            subtotal - seller_fee,
                            "{}",
                            "{}",
                            ts,
                            ts,
                        )
                    )
                    lines.append(
                        (oid, "fee", "buyer", "Service fee", "customer", buyer_fee, currency, ts)
                    )
                    lines.append(
                        (oid, "fee", "seller", "Commission", "provider", seller_fee, currency, ts)
                    )
                    if state == "refunded" or (state == "completed" and rnd.random() < 0.01):
                        amount = total if state == "refunded" else total // 4
                        refund_orders.append((oid, currency, amount, at))
                    if rnd.random() < 0.02:
                        dispute_orders.append((oid, customer, at))
                _bulk(conn, dialect, "orders", ORDER_COLS, batch)
                _bulk(
                    conn,
                    dialect,
                    "order_lines",
                    [
                        "order_id",
                        "kind",
                        "code",
                        "label",
                        "payer",
                        "amount",
                        "currency",
                        "created_at",
                    ],
                    lines,
                )
                batch.clear()
                lines.clear()
        info["orders_s"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        with engine.begin() as conn:
            from marketplace_kit.core.disputes.models import Dispute
            from marketplace_kit.core.ledger.models import LedgerAccount

            conn.execute(
                sa.insert(LedgerAccount.__table__),
                [
                    {
                        "id": i,
                        "kind": kind,
                        "owner_key": "bench",
                        "currency": cur,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i, (kind, cur) in enumerate(
                        [
                            ("escrow", "USD"),
                            ("wallet", "USD"),
                            ("escrow", "EUR"),
                            ("wallet", "EUR"),
                        ],
                        1,
                    )
                ],
            )
            entries, postings = [], []
            for eid, (order_id, currency, amount, at) in enumerate(refund_orders, 1):
                src, dst = (1, 2) if currency == "USD" else (3, 4)
                entries.append((eid, _ts(at + timedelta(days=2), dialect), "refund", "", order_id))
                postings.append((eid, src, -amount, currency))
                postings.append((eid, dst, amount, currency))
            _bulk(
                conn,
                dialect,
                "ledger_entries",
                ["id", "created_at", "kind", "memo", "order_id"],
                entries,
            )
            _bulk(
                conn,
                dialect,
                "ledger_postings",
                ["entry_id", "account_id", "amount", "currency"],
                postings,
            )
            conn.execute(
                sa.insert(Dispute.__table__),
                [
                    {
                        "order_id": order_id,
                        "opened_by_id": customer,
                        "opened_by_role": "customer",
                        "reason": "Not as described.",
                        "status": "resolved",
                        "created_at": at,
                        "updated_at": at,
                    }
                    for order_id, customer, at in dispute_orders
                ],
            )
            views = []
            today = now.date()
            for lid in range(1, min(n_listings, 500) + 1):
                for d in range(SPAN_DAYS):
                    if rnd.random() < 0.7:
                        views.append((lid, today - timedelta(days=d), rnd.randint(1, 60)))
            _bulk(
                conn,
                dialect,
                "listing_view_days",
                ["listing_id", "day", "views"],
                [(lid, d.isoformat() if dialect == "sqlite" else d, v) for lid, d, v in views],
            )
            if dialect == "postgresql":
                for table in (
                    "users",
                    "categories",
                    "listings",
                    "orders",
                    "order_lines",
                    "ledger_entries",
                    "ledger_postings",
                    "ledger_accounts",
                    "disputes",
                ):
                    conn.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT coalesce(max(id), 1) FROM {table}))"
                    )
            conn.exec_driver_sql("ANALYZE")
        info["extras_s"] = time.perf_counter() - t0
        info["refunds"] = len(refund_orders)
        info["disputes"] = len(dispute_orders)
        info["view_rows"] = len(views)
    return app, info


def timed(fn: Any, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def run(url: str, n_orders: int, repeat: int) -> list[dict[str, Any]]:
    from marketplace_kit.core.db import utcnow
    from marketplace_kit.core.stats import service
    from marketplace_kit.core.stats.period import Period

    app, info = build(url, n_orders)
    rows: list[dict[str, Any]] = []
    with app.app_context():
        dialect = db.engine.dialect.name
        print(f"[{dialect}] loaded {n_orders:,} orders: {info}", flush=True)
        today = utcnow().date()

        def row(what: str, preset: str, ms: list[float]) -> None:
            r = {
                "database": dialect,
                "orders": n_orders,
                "what": what,
                "period": preset,
                "median ms": round(statistics.median(ms), 1),
                "max ms": round(max(ms), 1),
                "runs": len(ms),
            }
            rows.append(r)
            print(r, flush=True)

        for preset in PRESETS:
            period = Period.last(preset, today)
            row(
                "dashboard, live",
                preset,
                timed(
                    lambda p=period: (service.dashboard(p, source="live"), db.session.rollback()),
                    max(1, repeat // 2),
                ),
            )
        ms = timed(lambda: service.refresh_rollups(), 1)
        row("rollup job, first run (every day)", "-", ms)
        for preset in PRESETS:
            period = Period.last(preset, today)
            row(
                "dashboard, rollups + today live",
                preset,
                timed(lambda p=period: (service.dashboard(p), db.session.rollback()), repeat),
            )
        # 1,000 orders of the last 90 days change state
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE orders SET state = 'completed', updated_at = :now WHERE id IN "
                    "(SELECT id FROM orders WHERE created_at >= :since AND state = 'delivered' "
                    "ORDER BY id LIMIT 1000)"
                ),
                {
                    "now": _ts(utcnow(), dialect),
                    "since": _ts(utcnow() - timedelta(days=90), dialect),
                },
            )
        ms = timed(lambda: service.refresh_rollups(), 1)
        row("rollup job, after 1,000 orders changed", "-", ms)
        # the whole page
        from marketplace_kit.core.users.models import User
        from marketplace_kit.testing.client import MarketplaceClient

        admin = User(email="admin@example.com", display_name="Admin", roles=["admin"])
        db.session.add(admin)
        db.session.commit()
        app.test_client_class = MarketplaceClient
        client = app.test_client()
        client.login(admin)
        for preset in PRESETS:

            def page(p=preset):
                resp = client.get(f"/console/stats?preset={p}")
                assert resp.status_code == 200, resp.status_code

            row("page /console/stats (HTML + SVG)", preset, timed(page, repeat))
        db.session.remove()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1/mk_bench_stats")
    parser.add_argument("--sqlite-dir", default=tempfile.gettempdir())
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement")
    parser.add_argument("--json", metavar="PATH", help="also write the rows to this file")
    args = parser.parse_args()
    os.environ.pop("DATABASE_URL", None)
    targets = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    rows: list[dict[str, Any]] = []
    for target in targets:
        if target == "sqlite":
            path = os.path.join(args.sqlite_dir, f"mk-bench-stats-{args.orders}.sqlite3")
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(path + suffix):
                    os.remove(path + suffix)
            url = f"sqlite:///{path}"
        else:
            url = args.pg_url
            recreate_database(url)
        rows += run(url, args.orders, args.repeat)
    out = io.StringIO()
    header = list(rows[0])
    out.write("| " + " | ".join(header) + " |\n")
    out.write("|" + "---|" * len(header) + "\n")
    for r in rows:
        out.write("| " + " | ".join(str(r[h]) for h in header) + " |\n")
    print(out.getvalue())
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(rows, fh, indent=2)


if __name__ == "__main__":
    main()
