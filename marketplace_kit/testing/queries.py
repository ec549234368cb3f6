"""Count the SQL statements a block of code runs (for "queries don't grow with rows" tests)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import event

from ..extensions import db


class QueryLog(list):
    """The statements run inside ``count_queries``; ``len(log)`` is the count."""

    def __str__(self) -> str:
        return "\n".join(f"{i + 1}. {s}" for i, s in enumerate(self))


@contextmanager
def count_queries(app: Flask) -> Iterator[QueryLog]:
    """Record every statement ``app``'s engine executes inside the block.

    ``with count_queries(app) as log: client.get("/")`` then ``len(log)``;
    ``str(log)`` lists them, numbered, for an assertion message.
    """
    with app.app_context():
        engine = db.engine
    log = QueryLog()

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        log.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield log
    finally:
        event.remove(engine, "before_cursor_execute", record)
