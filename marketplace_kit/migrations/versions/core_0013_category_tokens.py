"""core: search documents carry a token per category on the listing's path

A keyword search in a category is then answered by the full-text index alone
(``/c/<id>`` tokens, see ``core/listings/documents.py``). SQLite's FTS5 table is
re-created with a tokenizer that keeps ``/`` inside tokens.

Revision ID: core_0013_category_tokens
Revises: core_0012_location_index
Create Date: 2026-12-03 14:30:00
"""

from alembic import op

from marketplace_kit.core.listings import search_ddl

revision = "core_0013_category_tokens"
down_revision = "core_0012_location_index"
branch_labels = None
depends_on = None

#: Each category's own token and those of its ancestors.
PATHS = (
    "WITH RECURSIVE up(cat, anc, depth) AS ("
    " SELECT id, id, 0 FROM categories"
    " UNION ALL"
    " SELECT up.cat, c.parent_id, up.depth + 1 FROM up JOIN categories c ON c.id = up.anc"
    " WHERE c.parent_id IS NOT NULL AND up.depth < 50)"
)
OLD_SQLITE_TABLE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS listings_fts USING fts5("
    "search_text, content='listings', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')"
)


def _strip_tokens(dialect: str) -> None:
    """Remove the category tokens (they follow the text; no other text contains ``/``)."""
    find = (
        "instr(search_text, ' /c/')" if dialect == "sqlite" else "position(' /c/' in search_text)"
    )
    op.execute(
        f"UPDATE listings SET search_text = substr(search_text, 1, {find} - 1) WHERE {find} > 0"  # noqa: S608  (constants)
    )
    op.execute("UPDATE listings SET search_text = '' WHERE search_text LIKE '/c/%'")


def _fts(dialect: str, create_table: str | None) -> None:
    """SQLite: drop the FTS5 table and its triggers, or (``create_table``) create them again
    and index every document."""
    if dialect != "sqlite":
        return
    if create_table is None:
        for statement in search_ddl.SQLITE_DROP:
            op.execute(statement)
        return
    for statement in (create_table, *search_ddl.SQLITE_STATEMENTS[1:]):  # table, triggers
        op.execute(statement)
    op.execute("INSERT INTO listings_fts(listings_fts) VALUES ('rebuild')")


def upgrade():
    dialect = op.get_bind().dialect.name
    _fts(dialect, None)
    _strip_tokens(dialect)  # a re-run never doubles them
    if dialect == "postgresql":
        op.execute(
            f"{PATHS}, f AS (SELECT cat, string_agg('/c/' || anc, ' ' ORDER BY depth) AS tokens"  # noqa: S608
            " FROM up GROUP BY cat)"
            " UPDATE listings SET search_text = trim(listings.search_text || ' ' || f.tokens)"
            " FROM f WHERE f.cat = listings.category_id"
        )
    else:
        op.execute(
            f"{PATHS}, f AS (SELECT cat, group_concat('/c/' || anc, ' ') AS tokens"  # noqa: S608
            " FROM (SELECT * FROM up ORDER BY cat, depth) GROUP BY cat)"
            " UPDATE listings SET search_text = trim(search_text || ' ' ||"
            " (SELECT tokens FROM f WHERE f.cat = listings.category_id))"
            " WHERE category_id IS NOT NULL"
        )
    _fts(dialect, search_ddl.SQLITE_STATEMENTS[0])


def downgrade():
    dialect = op.get_bind().dialect.name
    _fts(dialect, None)
    _strip_tokens(dialect)
    _fts(dialect, OLD_SQLITE_TABLE)
