"""The baseline for ``site_rps.py``: a bare Flask app with the same SQL as the pages.

It serves ``/listings/`` (browse and ``?q=`` search) and ``/listings/<id>``
with the statements marketplace-kit's search and listing pages send to the
database (same SQL text, same parameters, same number of round trips: the
hits with their cover images, the facet counts and the category tree's
version, the tree itself being re-read only when that changes; for
a listing: its row with its author's name and category, then its images' ids), through a plain
SQLAlchemy engine, and renders a minimal Jinja template. No ORM, no
sessions, no CSRF, no i18n, no hooks, no base layout: what is left of a page
once the framework is taken away. The only import from marketplace-kit is
the pure helper that turns a search box into an FTS5 / tsquery expression,
so both apps send the same query text.

Run under gunicorn by ``site_rps.py``:

    BARE_DATABASE_URL=sqlite:////tmp/mk-bench.sqlite3 \
        gunicorn -w 2 --chdir benchmarks 'site_bare:create_app()'
"""

from __future__ import annotations

import os
from typing import Any

import sqlalchemy as sa
from flask import Flask, abort, render_template, request
from jinja2 import DictLoader

from marketplace_kit.core.listings.documents import fts5_query, query_terms, tsquery

PAGE_SIZE = 24
RANK_WINDOW = 1000

#: What marketplace-kit loads for a card (``search.CARD_COLUMNS``): no description,
#: protected or private data or timestamps, and the cover image's id in the same statement.
CARD_COLS = (
    "(SELECT listing_images.id FROM listing_images WHERE listing_images.listing_id = "
    "listings.id ORDER BY listing_images.position, listing_images.id LIMIT 1) AS cover_id, "
    "listings.id, listings.author_id, listings.listing_type, listings.title, "
    "listings.price_amount, listings.currency, listings.pricing_unit, listings.quantity, "
    "listings.status, listings.public_data, listings.category_id, listings.address, "
    "listings.latitude, listings.longitude, listings.provider_rating, "
    "listings.provider_review_count"
)
#: Relevance: the newest matches (the window) with their score, the page's ids by score,
#: then only those rows.
PG_RELEVANCE_SQL = sa.text(
    f"SELECT {CARD_COLS} FROM listings JOIN (SELECT s.id AS id, s.score AS score FROM "
    "(SELECT w.id AS id, ts_rank(w.document, "
    "to_tsquery('simple'::regconfig, :tsq)) AS score FROM "
    "(SELECT listings.id AS id, listings.search_vector AS document FROM listings "
    "WHERE listings.status = :status AND "
    "listings.search_vector @@ to_tsquery('simple'::regconfig, :tsq) "
    "ORDER BY listings.id DESC LIMIT :window) AS w) AS s "
    "ORDER BY s.score DESC, s.id DESC LIMIT :limit OFFSET 0) AS p ON p.id = listings.id "
    "ORDER BY p.score DESC, listings.id DESC"
)
SQLITE_RELEVANCE_SQL = sa.text(
    f"SELECT {CARD_COLS} FROM listings JOIN (SELECT s.id AS id, s.score AS score FROM "
    "(SELECT listings.id AS id, bm25(listings_fts) AS score FROM listings_fts JOIN listings "
    "ON listings.id = listings_fts.rowid WHERE listings_fts MATCH :fts AND "
    "listings.status = :status ORDER BY listings_fts.rowid DESC LIMIT :window) AS s "
    "ORDER BY s.score ASC, s.id DESC LIMIT :limit OFFSET 0) AS p ON p.id = listings.id "
    "ORDER BY p.score ASC, listings.id DESC"
)
BROWSE_SQL = sa.text(
    f"SELECT {CARD_COLS} FROM listings WHERE listings.status = :status "
    "ORDER BY listings.id DESC LIMIT :limit"
)
CATEGORY_VERSION_SQL = sa.text(
    "SELECT count(categories.id) AS count_1, max(categories.updated_at) AS max_1 FROM categories"
)
CATEGORY_TREE_SQL = sa.text(
    "SELECT categories.id, categories.slug, categories.parent_id, categories.names, "
    "categories.attribute_hints, categories.position FROM categories "
    "ORDER BY categories.position, categories.id"
)


#: The listing page's two statements (``service.listing_page``): the listing's page columns
#: with its author's name and its category, then its images' ids in gallery order.
PAGE_SQL = sa.text(
    "SELECT listings.id, listings.author_id, listings.listing_type, listings.title, "
    "listings.price_amount, listings.currency, listings.pricing_unit, listings.quantity, "
    "listings.status, listings.public_data, listings.category_id, listings.address, "
    "listings.latitude, listings.longitude, listings.provider_rating, "
    "listings.provider_review_count, listings.description, listings.protected_data, "
    "listings.private_data, listings.moderation_note, users.display_name AS author_name, "
    "categories.slug AS category_slug, categories.names AS category_names "
    "FROM listings JOIN users ON users.id = listings.author_id "
    "LEFT OUTER JOIN categories ON categories.id = listings.category_id "
    "WHERE listings.id = :listing_id"
)
IMAGE_IDS_SQL = sa.text(
    "SELECT listing_images.id FROM listing_images "
    "WHERE listing_images.listing_id = :listing_id "
    "ORDER BY listing_images.position, listing_images.id"
)

TEMPLATES = {
    "search.html": """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Browse listings</title></head><body>
<h1>Browse listings</h1>
<form method="get"><input type="search" name="q" value="{{ q }}"><button>Search</button></form>
<nav><ul>
{% for slug, name, count in category_facets %}<li><a href="?q={{ q|urlencode }}&amp;category={{ slug }}">{{ name }}</a> ({{ count }})</li>
{% endfor %}</ul><ul>
{% for name, count in type_facets %}<li><a href="?q={{ q|urlencode }}&amp;type={{ name }}">{{ name }}</a> ({{ count }})</li>
{% endfor %}</ul></nav>
{% for l in hits %}<article>
{% if l.image_id %}<img src="/listings/{{ l.id }}/images/{{ l.image_id }}/thumb" alt="">{% endif %}
<h3><a href="/listings/{{ l.id }}">{{ l.title }}</a></h3>
<p>{{ "%.2f"|format(l.price_amount / 100) }} {{ l.currency }} <small>{{ l.pricing_unit }}</small></p>
<p>{{ l.listing_type }}{% if l.category %} · {{ l.category }}{% endif %}</p>
</article>
{% else %}<p>No listings match your search.</p>{% endfor %}
{% if more %}<p><a rel="next" href="?q={{ q|urlencode }}&amp;page=2">More results</a></p>{% endif %}
</body></html>
""",
    "detail.html": """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ l.title }}</title>
<meta name="description" content="{{ l.description|truncate(160) }}"></head><body>
<h1>{{ l.title }}</h1>
<p>{{ "%.2f"|format(l.price_amount / 100) }} {{ l.currency }} <small>{{ l.pricing_unit }}</small></p>
<p>{{ l.listing_type }}{% if category %} · <a href="/listings/?category={{ category.slug }}">{{ category.name }}</a>{% endif %}</p>
<p>Offered by <a href="/users/{{ l.author_id }}">{{ author }}</a></p>
{% for img in images %}<img src="/listings/{{ l.id }}/images/{{ img.id }}" alt="">{% endfor %}
<div>{{ l.description }}</div>
</body></html>
""",
}


def _name(names: Any) -> str:
    if isinstance(names, str):
        import json

        names = json.loads(names)
    return (names or {}).get("en") or next(iter((names or {}).values()), "")


def create_app(url: str | None = None) -> Flask:
    url = url or os.environ["BARE_DATABASE_URL"]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    engine = sa.create_engine(url)
    pg = engine.dialect.name == "postgresql"
    if not pg:  # the page cache marketplace-kit gives its SQLite connections (32 MiB)
        sa.event.listen(
            engine, "connect", lambda conn, _rec: conn.execute("PRAGMA cache_size=-32768")
        )
    app = Flask(__name__)
    app.jinja_loader = DictLoader(TEMPLATES)  # type: ignore[assignment]

    def match_sql(terms: list[list[str]]) -> tuple[str, dict[str, Any]]:
        if pg:
            return (
                "listings.search_vector @@ to_tsquery('simple'::regconfig, :tsq)",
                {"tsq": tsquery(terms)},
            )
        return (
            "listings.id IN (SELECT rowid FROM listings_fts WHERE listings_fts MATCH :fts)",
            {"fts": fts5_query(terms)},
        )

    snapshot: dict[str, Any] = {}

    def category_tree(conn: Any) -> list[Any]:
        """The category rows, re-read only when the table's version changed (as the core does)."""
        version = tuple(conn.execute(CATEGORY_VERSION_SQL).one())
        if snapshot.get("version") != version:
            snapshot["rows"] = conn.execute(CATEGORY_TREE_SQL).all()
            snapshot["version"] = version
        return snapshot["rows"]

    @app.get("/listings/")
    def search():
        q = (request.args.get("q") or "")[:200]
        terms = query_terms(q)
        with engine.connect() as conn:
            params: dict[str, Any] = {"status": "published", "limit": PAGE_SIZE + 1}
            if terms:
                params["window"] = RANK_WINDOW
                if pg:
                    params["tsq"] = tsquery(terms)
                else:
                    params["fts"] = fts5_query(terms)
                stmt = PG_RELEVANCE_SQL if pg else SQLITE_RELEVANCE_SQL
            else:
                stmt = BROWSE_SQL
            rows = conn.execute(stmt, params).all()
            more = len(rows) > PAGE_SIZE
            rows = rows[:PAGE_SIZE]
            where, params = "listings.status = :status", {"status": "published"}
            if terms:
                extra, match_params = match_sql(terms)
                params.update(match_params)
                where += " AND " + extra
            ids = f"(SELECT listings.id AS id FROM listings WHERE {where}) AS ids"

            def count_by(columns: str) -> list[Any]:
                return conn.execute(
                    sa.text(
                        f"SELECT {columns}, count(*) AS n FROM listings JOIN {ids} "
                        f"ON ids.id = listings.id GROUP BY {columns}"
                    ),
                    params,
                ).all()

            by_type: dict[str, int] = {}
            by_cat: dict[int | None, int] = {}
            if terms:  # one pass over the few matches, as marketplace-kit does
                for listing_type, cat_id, n in count_by(
                    "listings.listing_type, listings.category_id"
                ):
                    by_type[listing_type] = by_type.get(listing_type, 0) + n
                    by_cat[cat_id] = by_cat.get(cat_id, 0) + n
            else:  # browsing: one statement per column, each from its index
                by_type = dict(count_by("listings.listing_type"))
                by_cat = dict(count_by("listings.category_id"))
            tree = category_tree(conn)
        cats = {c.id: c for c in tree}
        rolled: dict[int, int] = {}
        for cat_id, n in by_cat.items():
            node = cats.get(cat_id)
            while node is not None:
                rolled[node.id] = rolled.get(node.id, 0) + n
                node = cats.get(node.parent_id) if node.parent_id else None
        hits = [
            {
                **r._mapping,
                "category": _name(cats[r.category_id].names) if r.category_id in cats else None,
                "image_id": r.cover_id,
            }
            for r in rows
        ]
        return render_template(
            "search.html",
            q=q,
            hits=hits,
            more=more,
            type_facets=sorted(by_type.items()),
            category_facets=[
                (c.slug, _name(c.names), rolled[c.id])
                for c in tree
                if c.parent_id is None and c.id in rolled
            ],
        )

    @app.get("/listings/<int:listing_id>")
    def detail(listing_id: int):
        params = {"listing_id": listing_id}
        with engine.connect() as conn:
            listing = conn.execute(PAGE_SQL, params).first()
            if listing is None or listing.status != "published":
                abort(404)
            image_ids = conn.execute(IMAGE_IDS_SQL, params).scalars().all()
        category = None
        if listing.category_slug is not None:
            category = {"slug": listing.category_slug, "name": _name(listing.category_names)}
        return render_template(
            "detail.html",
            l=listing,
            images=[{"id": i} for i in image_ids],
            category=category,
            author=listing.author_name or "",
        )

    return app
