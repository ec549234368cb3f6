"""The core_0004 migration creates the ledger tables AND their immutability triggers."""

from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from marketplace_kit import create_app
from marketplace_kit.testing.database import TEST_DB_ENV, _pg_url


@pytest.fixture
def scratch_url(tmp_path):
    server = os.environ.get(TEST_DB_ENV)
    if not server:
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    server = _pg_url(server)
    name = f"mk_migr_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield make_url(server).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_migrated_journal_rejects_update_and_delete(scratch_url, tmp_path, monkeypatch):
    from marketplace_kit import migrations
    from marketplace_kit.extensions import db

    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app(
        {
            "app": {"testing": True, "instance_path": str(tmp_path / "i")},
            "database": {"url": scratch_url},
            "jobs": {"immediate": True},
        }
    )
    with app.app_context():
        migrations.upgrade()
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO ledger_accounts (id, kind, owner_key, currency, allow_negative,"
                    " balance_amount, created_at, updated_at) VALUES (1, 'wallet', '1', 'USD',"
                    " false, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO ledger_entries (id, created_at, kind, memo)"
                    " VALUES (1, CURRENT_TIMESTAMP, 'x', '')"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO ledger_postings (entry_id, account_id, amount, currency)"
                    " VALUES (1, 1, 5, 'USD')"
                )
            )
        for statement in (
            "UPDATE ledger_postings SET amount = 6",
            "DELETE FROM ledger_postings",
            "UPDATE ledger_entries SET memo = 'changed'",
            "DELETE FROM ledger_entries",
        ):
            with (
                pytest.raises(sa.exc.DatabaseError, match="immutable"),
                db.engine.begin() as conn,
            ):
                conn.execute(sa.text(statement))
        db.engine.dispose()
