"""Fresh databases per test, fast.

SQLite: the schema is created once per table set in a template file, and each
test gets a copy of it. PostgreSQL: each test run creates its own database;
tables are created once and truncated after every test.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import make_url

from ..app import state
from ..extensions import db

TEST_DB_ENV = "MARKETPLACE_TEST_DATABASE_URL"


def _pg_url(url: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class TestDatabase:
    """One per test session (per xdist worker)."""

    __test__ = False

    def __init__(self, root: Path, server_url: str | None = None):
        self.root = root
        self.server_url = _pg_url(server_url) if server_url else None
        self.dialect = "postgresql" if self.server_url else "sqlite"
        self._pg_name: str | None = None
        self._created: set[str] = set()
        self._counter = 0
        self._throwaway: list[str] = []

    # -- session lifecycle --------------------------------------------------
    def start(self) -> None:
        if self.server_url:
            worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
            self._pg_name = f"mk_test_{worker}_{uuid.uuid4().hex[:8]}"
            admin = sa.create_engine(self.server_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{self._pg_name}"'))
            admin.dispose()

    def stop(self) -> None:
        if self.server_url and self._pg_name:
            self._drop(self._pg_name)

    def _drop(self, name: str) -> None:
        admin = sa.create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    def empty_url(self, tmp_path: Path) -> str:
        """A new, empty database (for migrations); dropped after the test."""
        if not self.server_url:
            self._counter += 1
            return f"sqlite:///{tmp_path / f'empty-{self._counter}.sqlite3'}"
        name = f"mk_empty_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        self._throwaway.append(name)
        return make_url(self.server_url).set(database=name).render_as_string(hide_password=False)

    # -- per app --------------------------------------------------------------
    def url_for(self, tmp_path: Path) -> str:
        if self.server_url:
            return (
                make_url(self.server_url)
                .set(database=self._pg_name)
                .render_as_string(hide_password=False)
            )
        self._counter += 1
        return f"sqlite:///{tmp_path / f'test-{self._counter}.sqlite3'}"

    def prepare(self, app: Flask) -> None:
        """Make the app's tables exist, empty."""
        tables = list(state(app).tables.values())
        if self.server_url:
            key = ",".join(sorted(t.name for t in tables))
            if key not in self._created:
                with app.app_context():
                    db.metadata.create_all(db.engine, tables=tables, checkfirst=True)
                self._created.add(key)
            return
        key = hashlib.sha256(",".join(sorted(t.name for t in tables)).encode()).hexdigest()[:16]
        template = self.root / f"template-{key}.sqlite3"
        if not template.exists():
            engine = sa.create_engine(f"sqlite:///{template}")
            with engine.begin() as conn:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                db.metadata.create_all(conn, tables=tables)
            engine.dispose()
        with app.app_context():
            target = db.engine.url.database
        shutil.copyfile(template, target)

    def cleanup(self, apps: list[Flask], migrated: list[Flask] = ()) -> None:
        for app in migrated:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        while self._throwaway:
            self._drop(self._throwaway.pop())
        names: set[str] = set()
        for app in apps:
            names.update(state(app).tables)
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        if self.server_url and names and apps:
            with apps[0].app_context():
                with db.engine.begin() as conn:
                    existing = set(sa.inspect(conn).get_table_names())
                    todo = sorted(n for n in names if n in existing)
                    if todo:
                        quoted = ", ".join(f'"{n}"' for n in todo)
                        conn.exec_driver_sql(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
                db.engine.dispose()


def schema_differences(app: Flask) -> list:
    """What Alembic autogenerate would change to make the database match ``app``'s models.

    An empty list means the migrations and the models agree.
    """
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    tables = state(app).tables

    def include(obj, name, type_, reflected, compare_to):
        return name in tables if type_ == "table" else True

    with app.app_context(), db.engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"include_object": include, "compare_type": True}
        )
        return compare_metadata(ctx, db.metadata)
