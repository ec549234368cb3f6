"""Orders placed and paid per second through the service layer, and ledger postings per second.

Usage (PostgreSQL; a scratch database is created and dropped):

    .venv/bin/python benchmarks/orders.py --server postgresql://postgres@127.0.0.1/postgres \
        --workers 1 8 32 --seconds 10

Each worker thread has its own app context, session and connection and
loops: place a purchase (stock reserved under a row lock, price and fee
lines written) and pay it (from the wallet, or by sandbox card: charge
through the outbox, clearing -> escrow), each order one unit of work.
Customers and listings are spread so workers mostly do not contend; the
card path shares one clearing account (a hot row) on purpose.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
import uuid

import sqlalchemy as sa
from sqlalchemy.engine import make_url


def build_app(url: str, pool_size: int):
    from marketplace_kit import create_app

    os.environ.pop("DATABASE_URL", None)
    return create_app(
        {
            "app": {"testing": True, "instance_path": tempfile.mkdtemp(prefix="mk-bench-")},
            "database": {"url": url, "pool_size": pool_size},
            "jobs": {"immediate": True},
            "fees": {
                "rules": [
                    {"name": "buyer", "charged_to": "customer", "percent": "5"},
                    {"name": "seller", "charged_to": "provider", "percent": "10"},
                ]
            },
        }
    )


def seed(app, customers: int, listings: int) -> tuple[list[int], list[int]]:
    from marketplace_kit.app import state
    from marketplace_kit.core.ledger import service as ledger
    from marketplace_kit.core.listings.models import Listing
    from marketplace_kit.core.users.models import User
    from marketplace_kit.events import commit
    from marketplace_kit.extensions import db
    from marketplace_kit.money import Money

    with app.app_context():
        db.metadata.create_all(db.engine, tables=list(state(app).tables.values()))
        provider_ids, customer_ids, listing_ids = [], [], []
        for i in range(max(4, listings // 4)):
            u = User(
                email=f"p{i}-{uuid.uuid4().hex[:6]}@bench.example", display_name=f"P{i}", roles=[]
            )
            db.session.add(u)
            db.session.flush()
            provider_ids.append(u.id)
        for i in range(listings):
            listing = Listing(
                author_id=provider_ids[i % len(provider_ids)],
                listing_type="product",
                title=f"Item {i}",
                price_amount=1000 + i,
                currency="USD",
                status="published",
                quantity=10_000_000,
            )
            db.session.add(listing)
            db.session.flush()
            listing_ids.append(listing.id)
        clearing = ledger.account("clearing", "sandbox", "USD")
        for i in range(customers):
            u = User(
                email=f"c{i}-{uuid.uuid4().hex[:6]}@bench.example", display_name=f"C{i}", roles=[]
            )
            db.session.add(u)
            db.session.flush()
            customer_ids.append(u.id)
            ledger.transfer(
                "deposit", clearing, ledger.account("wallet", u, "USD"), Money(10**12, "USD")
            )
        commit()
    return customer_ids, listing_ids


def run_orders(
    app, workers: int, seconds: float, customers, listings, pay: str
) -> tuple[int, float]:
    from marketplace_kit.core.listings.models import Listing
    from marketplace_kit.core.orders import engine
    from marketplace_kit.core.payments.service import start_payment
    from marketplace_kit.core.users.models import User
    from marketplace_kit.events import commit
    from marketplace_kit.extensions import db

    counts = [0] * workers
    errors: list[str] = []
    stop = threading.Event()
    barrier = threading.Barrier(workers + 1)

    def worker(n: int) -> None:
        with app.app_context():
            mine_c = customers[n::workers] or customers
            mine_l = listings[n::workers] or listings
            barrier.wait()
            i = 0
            while not stop.is_set():
                customer = db.session.get(User, mine_c[i % len(mine_c)])
                listing = db.session.get(Listing, mine_l[i % len(mine_l)])
                try:
                    order = engine.place_order("purchase", customer=customer, listing=listing)
                    if pay == "wallet":
                        engine.transition(order, "pay_from_wallet", customer)
                        commit()
                    else:
                        commit()
                        start_payment(order, customer, "sandbox", {"card": "4242424242424242"})
                        commit()  # the outbox charges and settles right after
                    counts[n] += 1
                except Exception as exc:
                    db.session.rollback()
                    errors.append(f"{type(exc).__name__}: {exc}")
                i += 1
            db.session.remove()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(workers)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        print(f"  {len(errors)} error(s), first: {errors[0]}", file=sys.stderr)
    return sum(counts), elapsed


def run_postings(app, seconds: float, customers) -> tuple[int, float]:
    from marketplace_kit.core.ledger import service as ledger
    from marketplace_kit.core.users.models import User
    from marketplace_kit.events import commit
    from marketplace_kit.extensions import db
    from marketplace_kit.money import Money

    with app.app_context():
        a = ledger.account("wallet", db.session.get(User, customers[0]), "USD")
        b = ledger.account("wallet", db.session.get(User, customers[1]), "USD")
        commit()
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            ledger.transfer("bench", a, b, Money(1, "USD"))
            commit()
            n += 1
        return n * 2, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--server",
        default=os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1/postgres"),
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--pay", choices=["wallet", "card", "both"], default="both")
    args = parser.parse_args()

    server = args.server.replace("postgresql://", "postgresql+psycopg://", 1)
    name = f"mk_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        app = build_app(url, pool_size=max(args.workers) + 5)
        customers, listings = seed(
            app, customers=max(64, max(args.workers) * 2), listings=max(64, max(args.workers) * 2)
        )
        print(f"PostgreSQL, {os.cpu_count()} CPU(s), {args.seconds:.0f} s per run")
        modes = ["wallet", "card"] if args.pay == "both" else [args.pay]
        for mode in modes:
            for workers in args.workers:
                done, elapsed = run_orders(app, workers, args.seconds, customers, listings, mode)
                print(
                    f"orders placed+paid ({mode:6}) workers={workers:<3} {done / elapsed:8.1f} orders/s  ({done} in {elapsed:.1f} s)"
                )
        postings, elapsed = run_postings(app, args.seconds, customers)
        print(
            f"ledger postings (1 worker, 2 per entry, one commit each) {postings / elapsed:8.1f} postings/s"
        )
        with app.app_context():
            from marketplace_kit.core.ledger.service import verify

            problems = verify()
            print(f"ledger verify after the run: {'ok' if not problems else problems[:3]}")
            from marketplace_kit.extensions import db

            db.engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
