"""Triggers that make journal entries and postings immutable, below the ORM.

They are attached to the tables' ``after_create`` events here (so
``metadata.create_all`` installs them, e.g. in tests) and created by the
``core_0004`` migration with the same SQL.
"""

from __future__ import annotations

from sqlalchemy import DDL, event

from .models import JournalEntry, Posting

IMMUTABLE_TABLES = ("ledger_entries", "ledger_postings")

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION mk_ledger_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are immutable: % on % is not allowed', TG_OP, TG_TABLE_NAME;
END
$$
"""


def pg_trigger(table: str) -> str:
    return (
        f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION mk_ledger_immutable()"
    )


def sqlite_triggers(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'ledger rows are immutable: {op} on {table} is not allowed'); END"
        for op in ("UPDATE", "DELETE")
    ]


for _model in (JournalEntry, Posting):
    _table = _model.__table__
    # DDL() formats its statement with %, so literal percent signs are doubled.
    event.listen(
        _table,
        "after_create",
        DDL(PG_FUNCTION.replace("%", "%%")).execute_if(dialect="postgresql"),
    )
    event.listen(
        _table, "after_create", DDL(pg_trigger(_table.name)).execute_if(dialect="postgresql")
    )
    for _sql in sqlite_triggers(_table.name):
        event.listen(_table, "after_create", DDL(_sql).execute_if(dialect="sqlite"))
