"""Write locks that work the same way on PostgreSQL and SQLite.

PostgreSQL takes row locks (``SELECT ... FOR NO KEY UPDATE``); SQLite has no row
locks, so the transaction is started with ``BEGIN IMMEDIATE``, which takes the
database's single write lock before anything is read. Either way a
read-check-write sequence (stock, balances) cannot interleave with another
writer doing the same. Locks are held until the unit of work commits or rolls
back; never make outbound calls while holding them (use the outbox).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select

from ..extensions import db


def dialect_name() -> str:
    return db.session.get_bind().dialect.name


def begin_write() -> None:
    """Make sure the current transaction holds the write lock (SQLite only; no-op elsewhere).

    Call it before the first read of a read-check-write sequence. On SQLite
    the connection must not have started a deferred write transaction yet;
    if it has, it already holds the write lock and nothing needs doing.
    """
    conn = db.session.connection()
    if conn.dialect.name != "sqlite":
        return
    dbapi = conn.connection.dbapi_connection
    if not dbapi.in_transaction:
        dbapi.execute("BEGIN IMMEDIATE")


def locked(stmt: Select[Any]) -> Select[Any]:
    """``stmt`` selecting rows to change: ``FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite.

    The rows are re-read from the database (``populate_existing``), so objects
    already in the session get the committed values.
    """
    begin_write()
    if dialect_name() == "postgresql":
        # FOR NO KEY UPDATE: we change columns, never keys, so the lock must not
        # conflict with the FOR KEY SHARE that inserting a row referencing this
        # one takes (a plain FOR UPDATE deadlocks there).
        stmt = stmt.with_for_update(key_share=True)
    return stmt.execution_options(populate_existing=True)
