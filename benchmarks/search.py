# ruff: noqa: RUF001  (Cyrillic syllables for the generated vocabulary)
"""Listing search latency at 100k / 1M listings: the service layer vs hand-written SQL.

Generates listings (bulk insert, not through HTTP) with a Zipf-distributed
vocabulary in Latin, Cyrillic and CJK script, categories in three levels and
coordinates around 20 cities, then measures the median and p95 latency of a
fixed set of queries per class, through
``marketplace_kit.core.listings.search.search_listings`` and as hand-written SQL
on the same data, and prints a table.

    python benchmarks/search.py --sizes 100000 --db sqlite
    python benchmarks/search.py --sizes 100000 1000000 --db both \
        --pg-url postgresql://postgres@127.0.0.1/mk_bench

The PostgreSQL database named in --pg-url is dropped and re-created, unless
``--reuse-db`` finds the data (and the term frequencies saved beside it) of a
former run.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from marketplace_kit import create_app
from marketplace_kit.core.listings.categories import path_ids
from marketplace_kit.core.listings.documents import (
    document,
    fts5_query,
    query_terms,
    tsquery,
    with_categories,
)
from marketplace_kit.core.listings.models import Category, Listing
from marketplace_kit.core.listings.search import (
    SearchQuery,
    bounding_box,
    search_listings,
)
from marketplace_kit.core.users.models import User
from marketplace_kit.extensions import db

CITIES = [
    (52.52, 13.405),
    (51.507, -0.128),
    (40.713, -74.006),
    (31.23, 121.474),
    (39.904, 116.407),
    (22.543, 114.058),
    (55.756, 37.617),
    (59.939, 30.316),
    (48.857, 2.352),
    (41.902, 12.496),
    (35.676, 139.65),
    (37.566, 126.978),
    (-33.869, 151.209),
    (19.433, -99.133),
    (-23.55, -46.633),
    (1.352, 103.82),
    (25.205, 55.271),
    (43.651, -79.347),
    (50.45, 30.523),
    (53.349, -6.26),
]
LATIN = [
    "ka",
    "ko",
    "ri",
    "ta",
    "ne",
    "mo",
    "lu",
    "sa",
    "vi",
    "de",
    "pa",
    "ro",
    "mi",
    "tu",
    "ze",
    "fa",
    "no",
]
CYR = [
    "ка",
    "ко",
    "ри",
    "та",
    "не",
    "мо",
    "лу",
    "са",
    "ви",
    "де",
    "па",
    "ро",
    "ми",
    "ту",
    "зе",
    "фа",
    "но",
]
CJK = "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长"


def vocabulary(rnd: random.Random) -> list[str]:
    words: set[str] = set()
    out: list[str] = []
    while len(out) < 30000:
        script = rnd.random()
        if script < 0.7:
            w = "".join(rnd.choice(LATIN) for _ in range(rnd.randint(2, 4)))
        elif script < 0.85:
            w = "".join(rnd.choice(CYR) for _ in range(rnd.randint(2, 4)))
        else:
            w = "".join(rnd.choice(CJK) for _ in range(rnd.randint(2, 3)))
        if w not in words:
            words.add(w)
            out.append(w)
    return out


class Zipf:
    def __init__(self, n: int, s: float, rnd: random.Random):
        weights = [1.0 / (i + 1) ** s for i in range(n)]
        total = sum(weights)
        acc, self.cdf = 0.0, []
        for w in weights:
            acc += w / total
            self.cdf.append(acc)
        self.rnd = rnd

    def draw(self) -> int:
        import bisect

        return min(bisect.bisect_left(self.cdf, self.rnd.random()), len(self.cdf) - 1)


def bench_app(url: str) -> Any:
    return create_app(
        {
            "app": {"testing": True, "instance_path": tempfile.mkdtemp(prefix="mk-bench-")},
            "database": {"url": url},
            "site": {"currency": "USD"},
        }
    )


def build(url: str, size: int, seed: int = 7) -> tuple[Any, dict[str, Any]]:
    app = bench_app(url)
    rnd = random.Random(seed)
    vocab = vocabulary(rnd)
    zipf = Zipf(len(vocab), 1.05, rnd)
    with app.app_context():
        engine = db.engine
        from marketplace_kit.core import models  # noqa: F401

        db.metadata.drop_all(engine)
        if engine.dialect.name == "sqlite":
            with engine.begin() as conn:
                conn.exec_driver_sql("DROP TABLE IF EXISTS listings_fts")
        db.metadata.create_all(engine)
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:  # build the GIN index after loading
                conn.exec_driver_sql("DROP INDEX IF EXISTS mkfts_listings_search")
        user = User(email="bench@example.com", display_name="Bench", roles=[])
        db.session.add(user)
        roots = []
        cats: list[Category] = []
        for i in range(6):
            root = Category(slug=f"root-{i}", names={"en": f"Root {i}"}, position=i)
            db.session.add(root)
            roots.append(root)
            for j in range(4):
                mid = Category(slug=f"c-{i}-{j}", names={"en": f"Cat {i}.{j}"}, parent=root)
                db.session.add(mid)
                cats.append(mid)
                for k in range(3):
                    leaf = Category(slug=f"c-{i}-{j}-{k}", names={"en": "Leaf"}, parent=mid)
                    db.session.add(leaf)
                    cats.append(leaf)
        db.session.commit()
        cat_ids = [c.id for c in cats]
        paths = {c.id: path_ids(c.id) for c in cats}
        df: Counter[str] = Counter()
        t0 = time.perf_counter()
        batch: list[dict[str, Any]] = []
        base = sa.insert(Listing.__table__)
        for _n in range(size):
            title = [vocab[zipf.draw()] for _ in range(rnd.randint(3, 6))]
            desc = [vocab[zipf.draw()] for _ in range(rnd.randint(8, 20))]
            for w in set(title + desc):
                df[w] += 1
            text_title = " ".join(title)
            text_desc = " ".join(desc)
            category_id = rnd.choice(cat_ids)
            lat = lng = None
            if rnd.random() < 0.95:
                clat, clng = rnd.choice(CITIES)
                lat, lng = clat + rnd.gauss(0, 0.4), clng + rnd.gauss(0, 0.6)
            batch.append(
                {
                    "author_id": user.id,
                    "listing_type": "product" if rnd.random() < 0.7 else "service",
                    "title": text_title[:200],
                    "description": text_desc,
                    "price_amount": int(rnd.lognormvariate(8, 1.2)),
                    "currency": "USD",
                    "pricing_unit": "item",
                    "status": "published" if rnd.random() < 0.97 else "closed",
                    "public_data": {},
                    "protected_data": {},
                    "private_data": {},
                    "category_id": category_id,
                    "latitude": lat,
                    "longitude": lng,
                    "search_text": with_categories(
                        document([text_title, text_desc]), paths[category_id]
                    ),
                    "created_at": _now(),
                    "updated_at": _now(),
                }
            )
            if len(batch) == 5000:
                db.session.execute(base, batch)
                db.session.commit()
                batch.clear()
        if batch:
            db.session.execute(base, batch)
            db.session.commit()
        load_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                from marketplace_kit.core.listings.search_ddl import PG_STATEMENTS

                for stmt in PG_STATEMENTS:
                    conn.exec_driver_sql(stmt)
            else:
                conn.exec_driver_sql("ANALYZE")
        if engine.dialect.name == "postgresql":
            # what autovacuum does after a bulk load: statistics and the visibility map
            # (index-only scans)
            with engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                    "VACUUM ANALYZE"
                )
        index_s = time.perf_counter() - t1
    info = {"df": df, "size": size, "load_s": load_s, "index_s": index_s, "roots": roots}
    return app, info


_NOW = None


def _now():
    global _NOW
    if _NOW is None:
        from marketplace_kit.core.db import utcnow

        _NOW = utcnow()
    return _NOW


def pick_terms(df: Counter[str], size: int, rnd: random.Random) -> dict[str, list[str]]:
    def band(lo: float, hi: float, n: int) -> list[str]:
        # sorted: df's insertion order follows set iteration, which varies with the hash seed
        words = sorted(w for w, c in df.items() if lo * size <= c <= hi * size)
        rnd.shuffle(words)
        return sorted(words[:n])

    return {
        "rare": band(0.00002, 0.0001, 10),  # 2..10 per 100k
        "mid": band(0.001, 0.005, 10),
        "common": band(0.01, 0.2, 5),
    }


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def hand_sql(dialect: str) -> dict[str, str]:
    if dialect == "sqlite":
        kw = (
            "SELECT l.* FROM listings_fts f JOIN listings l ON l.id = f.rowid "
            "WHERE listings_fts MATCH :fts AND l.status = 'published' {extra} "
            "ORDER BY f.rank LIMIT 25"
        )
    else:
        kw = (
            "SELECT l.* FROM listings l WHERE l.search_vector "
            "@@ to_tsquery('simple'::regconfig, :tsq) AND l.status = 'published' {extra} "
            "ORDER BY ts_rank(l.search_vector, to_tsquery('simple'::regconfig, :tsq)) DESC "
            "LIMIT 25"
        )
    least = "least" if dialect == "postgresql" else "min"
    dist = (
        f"2 * 6371.0088 * asin(sqrt({least}(power(sin(radians(l.latitude - :lat) / 2), 2) "
        "+ cos(radians(:lat)) * cos(radians(l.latitude)) "
        "* power(sin(radians(l.longitude - :lng) / 2), 2), 1.0)))"
    )
    radius = (  # the nearest ids from the location index, then their rows
        "SELECT l.*, w.d FROM (SELECT l.id AS id, {dist} AS d FROM listings l "
        "WHERE l.status = 'published' "
        "AND l.latitude BETWEEN :lat_lo AND :lat_hi AND l.longitude BETWEEN :lng_lo AND :lng_hi "
        "{match} AND {dist} <= :r ORDER BY d, l.id LIMIT 25) AS w "
        "JOIN listings l ON l.id = w.id ORDER BY w.d, l.id"
    )
    match = (  # unary +: read the box through its index, test ids against the matches
        "AND +l.id IN (SELECT rowid FROM listings_fts WHERE listings_fts MATCH :fts)"
        if dialect == "sqlite"
        else "AND l.search_vector @@ to_tsquery('simple'::regconfig, :tsq)"
    )
    return {
        "keyword": kw.format(extra=""),
        "keyword+category+price": kw.format(
            extra="AND l.category_id IN (SELECT id FROM categories WHERE id = :root "
            "OR parent_id = :root OR parent_id IN (SELECT id FROM categories WHERE parent_id = :root)) "
            "AND l.price_amount BETWEEN :pmin AND :pmax"
        ),
        "radius+keyword": radius.format(dist=dist, match=match),
        "radius": radius.format(dist=dist, match=""),
    }


def run(url: str, size: int, repeat: int, state_file: str | None = None) -> list[tuple[str, ...]]:
    """Build (or, with ``state_file`` from a former run, reuse) the data and time the queries."""
    import json

    label = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    if state_file and os.path.exists(state_file):
        app = bench_app(url)
        with open(state_file, encoding="utf-8") as fh:
            info = {"df": Counter(json.load(fh)["df"])}
        print(f"# {label} {size:,}: reusing the data of a former run", file=sys.stderr)
    else:
        t = time.perf_counter()
        app, info = build(url, size)
        print(
            f"# {label} {size:,}: generated+inserted in {info['load_s']:.0f}s, "
            f"index+analyze {info['index_s']:.0f}s (total {time.perf_counter() - t:.0f}s)",
            file=sys.stderr,
        )
        if state_file:
            with open(state_file, "w", encoding="utf-8") as fh:
                json.dump({"df": info["df"]}, fh)
    rnd = random.Random(3)
    terms = pick_terms(info["df"], size, rnd)
    rows = []
    with app.app_context():
        dialect = db.engine.dialect.name
        sqls = hand_sql(dialect)
        root_ids = [
            r.id
            for r in db.session.scalars(sa.select(Category).where(Category.parent_id.is_(None)))
        ]
        root_slugs = {r.id: r.slug for r in db.session.scalars(sa.select(Category))}

        def kw_params(term: str) -> dict[str, Any]:
            t = query_terms(term)
            return {"fts": fts5_query(t)} if dialect == "sqlite" else {"tsq": tsquery(t)}

        classes: list[tuple[str, str, list[tuple[SearchQuery, str, dict[str, Any]]]]] = []
        for band in ("rare", "mid", "common"):
            cases = [(SearchQuery(q=w, limit=24), "keyword", kw_params(w)) for w in terms[band]]
            classes.append((f"keyword ({band})", band, cases))
        cases = []
        for i, w in enumerate(terms["mid"] + terms["common"]):
            root = root_ids[i % len(root_ids)]
            q = SearchQuery(
                q=w, category=root_slugs[root], min_price=1000, max_price=20000, limit=24
            )
            cases.append(
                (
                    q,
                    "keyword+category+price",
                    {**kw_params(w), "root": root, "pmin": 1000, "pmax": 20000},
                )
            )
        classes.append(("keyword+category+price", "mixed", cases))
        for name, words in (
            ("radius 10km + keyword", terms["mid"] + terms["common"]),
            ("radius 10km", [None] * 10),
        ):
            cases = []
            for i, w in enumerate(words):
                lat, lng = CITIES[i % len(CITIES)]
                lat_lo, lat_hi, lng_lo, lng_hi = bounding_box(lat, lng, 10)
                params = {
                    "lat": lat,
                    "lng": lng,
                    "r": 10,
                    "lat_lo": lat_lo,
                    "lat_hi": lat_hi,
                    "lng_lo": lng_lo,
                    "lng_hi": lng_hi,
                }
                if w:
                    params.update(kw_params(w))
                q = SearchQuery(q=w, lat=lat, lng=lng, radius_km=10, sort="distance", limit=24)
                cases.append((q, "radius+keyword" if w else "radius", params))
            classes.append((name, "", cases))

        for name, _band, cases in classes:
            svc: list[float] = []
            raw: list[float] = []
            hits = []
            for query, sql_name, params in cases:
                stmt = sa.text(sqls[sql_name]).bindparams(**params)

                def via_service(query=query):
                    q = SearchQuery(**{k: getattr(query, k) for k in query.__dataclass_fields__})
                    res = search_listings(q)
                    return len(res.hits)

                def via_sql(stmt=stmt):
                    return len(db.session.execute(stmt).all())

                via_service()
                via_sql()  # warm caches
                svc += timed(via_service, repeat)
                raw += timed(via_sql, repeat)
                hits.append(via_service())
                db.session.rollback()
            rows.append(
                (
                    label,
                    f"{size:,}",
                    name,
                    str(len(cases)),
                    f"{statistics.median(svc):.1f}",
                    f"{_p95(svc):.1f}",
                    f"{statistics.median(raw):.1f}",
                    f"{_p95(raw):.1f}",
                    f"{_p95(svc) / max(_p95(raw), 0.001):.2f}",
                )
            )
            print("  ".join(rows[-1]), file=sys.stderr)
        match_share = {
            band: ", ".join(f"{info['df'][w] / size:.3%}" for w in ws[:3])
            for band, ws in terms.items()
        }
        print(f"# share of listings matched by sample terms: {match_share}", file=sys.stderr)
        db.session.remove()
        db.engine.dispose()
    return rows


def recreate_database(url: str) -> None:
    admin = make_url(url.replace("postgresql://", "postgresql+psycopg://")).set(database="postgres")
    name = make_url(url).database
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[100_000])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1/mk_bench")
    parser.add_argument("--sqlite-dir", default=tempfile.gettempdir())
    parser.add_argument("--repeat", type=int, default=5, help="runs per query")
    parser.add_argument("--json", metavar="PATH", help="also write the rows to this file")
    parser.add_argument(
        "--reuse-db", action="store_true", help="reuse the data built by a former run"
    )
    args = parser.parse_args()
    os.environ.pop("DATABASE_URL", None)
    targets = []
    if args.db in ("sqlite", "both"):
        targets.append("sqlite")
    if args.db in ("postgresql", "both"):
        targets.append("postgresql")
    rows = []
    for size in args.sizes:
        for target in targets:
            state = os.path.join(args.sqlite_dir, f"mk-bench-{target}-{size}.json")
            path = os.path.join(args.sqlite_dir, f"mk-bench-{size}.sqlite3")
            reuse = (
                args.reuse_db
                and os.path.exists(state)
                and (target != "sqlite" or os.path.exists(path))
            )
            if not reuse and os.path.exists(state):
                os.remove(state)
            if target == "sqlite":
                for suffix in ("", "-wal", "-shm") if not reuse else ():
                    if os.path.exists(path + suffix):
                        os.remove(path + suffix)
                url = f"sqlite:///{path}"
            else:
                url = args.pg_url
                if not reuse:
                    recreate_database(url)
            rows += run(url, size, args.repeat, state)
    header = (
        "database",
        "listings",
        "query class",
        "queries",
        "service p50 ms",
        "service p95 ms",
        "SQL p50 ms",
        "SQL p95 ms",
        "p95 ratio",
    )
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("-|-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    if args.json:
        import json

        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump([dict(zip(header, r, strict=True)) for r in rows], fh, indent=2)


if __name__ == "__main__":
    main()
