"""Migrations bring an empty or existing database to head, and agree with the models."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import make_url

from marketplace_kit import create_app, migrations, state
from marketplace_kit.extensions import db
from marketplace_kit.plugins import available_plugins
from marketplace_kit.testing.database import TEST_DB_ENV, _pg_url

PLUGIN_SETS = [[]] + [[name] for name in available_plugins()]


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    server = os.environ.get(TEST_DB_ENV)
    if not server:
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    server = _pg_url(server)
    name = f"mk_mig_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield make_url(server).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def make_app(url: str, plugins: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return create_app(
        {
            "app": {"testing": True, "instance_path": str(tmp_path / "instance")},
            "database": {"url": url},
            "plugins": {"enabled": plugins},
        }
    )


def differences(app) -> list:
    mk = state(app)

    def include(obj, name, type_, reflected, compare_to):
        if type_ == "table":
            return name in mk.tables
        return True

    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"include_object": include, "compare_type": True}
        )
        return compare_metadata(ctx, db.metadata)


def table_names() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


@pytest.mark.parametrize("plugins", PLUGIN_SETS, ids=lambda p: "+".join(["core", *p]))
def test_upgrade_empty_database_matches_models(plugins, empty_database_url, tmp_path, monkeypatch):
    app = make_app(empty_database_url, plugins, tmp_path, monkeypatch)
    with app.app_context():
        migrations.upgrade()
        assert differences(app) == []
        assert set(state(app).tables) <= table_names()
        migrations.downgrade("base")
        assert table_names() <= {"alembic_version"}
        db.engine.dispose()


@pytest.mark.parametrize("plugin", list(available_plugins()))
def test_enabling_a_plugin_later_upgrades_an_existing_database(
    plugin, empty_database_url, tmp_path, monkeypatch
):
    core = make_app(empty_database_url, [], tmp_path, monkeypatch)
    with core.app_context():
        migrations.upgrade()
        before = table_names()
        db.engine.dispose()
    full = make_app(empty_database_url, [plugin], tmp_path, monkeypatch)
    with full.app_context():
        migrations.upgrade()
        added = table_names() - before
        assert added == {t for t, owner in state(full).table_owners.items() if owner == plugin}
        assert differences(full) == []
        migrations.downgrade(f"{plugin}@base")
        assert table_names() == before
        db.engine.dispose()
