"""Full-text index DDL that SQLAlchemy's metadata cannot express.

SQLite: an FTS5 external-content table ``listings_fts`` over
``listings.search_text`` (unicode61 tokenizer; CJK is pre-split into bigrams
by :mod:`.documents`; ``/`` is kept inside tokens for the category tokens
``/c/<id>``, which no other text contains), kept in step by triggers. PostgreSQL: a generated,
stored ``search_vector`` column (``to_tsvector('simple', search_text)``) with a
GIN index (its parser reads ``/c/<id>`` as one path token). Both are created
after the ``listings`` table (``create_all`` in tests) and by the ``core_0003``
migration (``core_0013`` recreates the SQLite table with the tokenizer above),
from the same statements below.
"""

from __future__ import annotations

from sqlalchemy import DDL, event

from .models import Listing

SQLITE_STATEMENTS = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS listings_fts USING fts5("
    "search_text, content='listings', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2 tokenchars ''/''')",
    "CREATE TRIGGER IF NOT EXISTS listings_fts_ai AFTER INSERT ON listings BEGIN "
    "INSERT INTO listings_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS listings_fts_ad AFTER DELETE ON listings BEGIN "
    "INSERT INTO listings_fts(listings_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS listings_fts_au AFTER UPDATE OF search_text ON listings BEGIN "
    "INSERT INTO listings_fts(listings_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO listings_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS listings_fts_au",
    "DROP TRIGGER IF EXISTS listings_fts_ad",
    "DROP TRIGGER IF EXISTS listings_fts_ai",
    "DROP TABLE IF EXISTS listings_fts",
)

#: Index and column names managed here, not by the metadata (migrations/env.py skips them).
UNMANAGED_INDEXES = ("mkfts_listings_search",)
UNMANAGED_COLUMNS = ("search_vector",)
#: A stored tsvector, so matching and ranking never re-parse the text.
PG_STATEMENTS = (
    "ALTER TABLE listings ADD COLUMN IF NOT EXISTS search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_text)) STORED",
    "CREATE INDEX IF NOT EXISTS mkfts_listings_search ON listings USING gin (search_vector)",
)
PG_DROP = (
    "DROP INDEX IF EXISTS mkfts_listings_search",
    "ALTER TABLE listings DROP COLUMN IF EXISTS search_vector",
)


def statements(dialect: str) -> tuple[str, ...]:
    return {"sqlite": SQLITE_STATEMENTS, "postgresql": PG_STATEMENTS}.get(dialect, ())


for _stmt in SQLITE_STATEMENTS:
    event.listen(Listing.__table__, "after_create", DDL(_stmt).execute_if(dialect="sqlite"))
for _stmt in PG_STATEMENTS:
    event.listen(Listing.__table__, "after_create", DDL(_stmt).execute_if(dialect="postgresql"))
