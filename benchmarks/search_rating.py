"""Listing search with a minimum provider rating and the rating sort, over many listings.

Generates listings (bulk insert) from 2,000 providers, 30 % of them unrated and
the others with a Bayesian rating between 2 and 5 copied onto their listings
(``listings.provider_rating``, as the reputation recompute does), then measures
the median and p95 latency of ``search_listings`` for: browse (newest),
``min_rating`` 4 and 4.5, ``sort=rating`` (first page and a page deep through
the cursor), and a keyword with ``min_rating``.

    .venv/bin/python benchmarks/search_rating.py --size 100000
    .venv/bin/python benchmarks/search_rating.py --size 100000 \
        --pg-url postgresql://postgres@127.0.0.1/mk_bench_rating --json out.json

The PostgreSQL database named in --pg-url is dropped and re-created.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from marketplace_kit import create_app
from marketplace_kit.core.db import utcnow
from marketplace_kit.core.listings.documents import document
from marketplace_kit.core.listings.models import Listing
from marketplace_kit.core.listings.search import SearchQuery, search_listings
from marketplace_kit.core.users.models import User
from marketplace_kit.extensions import db

WORDS = ["tea", "bike", "lamp", "desk", "clean", "repair", "garden", "paint", "move", "cake"]


def build(url: str, size: int, seed: int = 11) -> Any:
    app = create_app(
        {
            "app": {"testing": True, "instance_path": tempfile.mkdtemp(prefix="mk-bench-")},
            "database": {"url": url},
            "site": {"currency": "USD"},
        }
    )
    rnd = random.Random(seed)
    with app.app_context():
        engine = db.engine
        from marketplace_kit.core import models  # noqa: F401

        db.metadata.drop_all(engine)
        if engine.dialect.name == "sqlite":
            with engine.begin() as conn:
                conn.exec_driver_sql("DROP TABLE IF EXISTS listings_fts")
        db.metadata.create_all(engine)
        now = utcnow()
        providers = []
        for i in range(2000):
            rated = rnd.random() >= 0.3
            rating = round(rnd.uniform(2.0, 5.0), 2) if rated else None
            providers.append((User(email=f"p{i}@example.com", display_name=f"P{i}"), rating))
        db.session.add_all([u for u, _ in providers])
        db.session.commit()
        t0 = time.perf_counter()
        batch: list[dict[str, Any]] = []
        insert = sa.insert(Listing.__table__)
        for _n in range(size):
            user, rating = rnd.choice(providers)
            title = " ".join(rnd.choice(WORDS) for _ in range(4))
            batch.append(
                {
                    "author_id": user.id,
                    "listing_type": "product",
                    "title": title,
                    "description": title,
                    "price_amount": rnd.randint(100, 100_000),
                    "currency": "USD",
                    "pricing_unit": "item",
                    "status": "published",
                    "public_data": {},
                    "protected_data": {},
                    "private_data": {},
                    "search_text": document([title]),
                    "provider_rating": rating,
                    "provider_review_count": rnd.randint(1, 40) if rating else 0,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            if len(batch) == 5000:
                db.session.execute(insert, batch)
                db.session.commit()
                batch.clear()
        if batch:
            db.session.execute(insert, batch)
            db.session.commit()
        if engine.dialect.name == "postgresql":
            from marketplace_kit.core.listings.search_ddl import PG_STATEMENTS

            with engine.begin() as conn:
                for stmt in PG_STATEMENTS:
                    conn.exec_driver_sql(stmt)
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        print(
            f"# {engine.dialect.name} {size:,} listings loaded in {time.perf_counter() - t0:.0f}s"
        )
    return app


def timed(fn, repeat: int) -> list[float]:
    fn()  # warm-up
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
        db.session.rollback()
    return out


def run(url: str, size: int, repeat: int) -> list[dict[str, Any]]:
    app = build(url, size)
    rows = []
    with app.app_context():
        deep = None
        cursor = None
        for _ in range(5):  # five pages into the rating sort
            cursor = search_listings(
                SearchQuery(sort="rating", limit=24, cursor=cursor)
            ).next_cursor
        deep = cursor
        cases = {
            "browse newest": SearchQuery(sort="newest"),
            "min_rating 4 (newest)": SearchQuery(min_rating=4.0, sort="newest"),
            "min_rating 4.5 (newest)": SearchQuery(min_rating=4.5, sort="newest"),
            "sort=rating, page 1": SearchQuery(sort="rating"),
            "sort=rating, page 6": SearchQuery(sort="rating", cursor=deep),
            "min_rating 4 + sort=rating": SearchQuery(min_rating=4.0, sort="rating"),
            "keyword + min_rating 4": SearchQuery(q="garden", min_rating=4.0),
        }
        for label, query in cases.items():

            def go(query=query):
                q = SearchQuery(**{**query.__dict__})
                return search_listings(q)

            hits = len(go().hits)
            times = timed(go, repeat)
            rows.append(
                {
                    "db": db.engine.dialect.name,
                    "size": size,
                    "query": label,
                    "hits": hits,
                    "median_ms": round(statistics.median(times), 2),
                    "p95_ms": round(sorted(times)[int(0.95 * (len(times) - 1))], 2),
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--pg-url", default=None)
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    args = parser.parse_args()
    urls = [f"sqlite:///{os.path.join(tempfile.mkdtemp(prefix='mk-bench-'), 'bench.sqlite3')}"]
    if args.pg_url:
        pg = make_url(args.pg_url)
        admin = sa.create_engine(pg.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{pg.database}"')
            conn.exec_driver_sql(f'CREATE DATABASE "{pg.database}"')
        admin.dispose()
        urls.append(args.pg_url)
    rows = []
    for url in urls:
        rows.extend(run(url, args.size, args.repeat))
    print("| db | listings | query | hits | median ms | p95 ms |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['db']} | {r['size']:,} | {r['query']} | {r['hits']} | "
            f"{r['median_ms']} | {r['p95_ms']} |"
        )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(rows, fh, indent=2)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
