"""Database engine settings per backend."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from marketplace_kit.core.listings.models import Listing
from marketplace_kit.extensions import db


def test_sqlite_runs_with_wal_foreign_keys_busy_timeout_and_page_cache(app, db_dialect):
    if db_dialect != "sqlite":
        pytest.skip("SQLite settings; PostgreSQL has its own defaults")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -32 * 1024
    assert not db.engine.pool._pre_ping  # a SQLite file is never dropped by a server


@pytest.mark.mk_config({"database": {"sqlite_cache_mb": 64}})
def test_sqlite_page_cache_is_configurable(app, db_dialect):
    if db_dialect != "sqlite":
        pytest.skip("SQLite settings; PostgreSQL has its own defaults")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -64 * 1024


def test_postgresql_connections_are_tested_on_checkout_and_plan_for_their_parameters(
    app, db_dialect
):
    if db_dialect != "postgresql":
        pytest.skip("PostgreSQL settings; SQLite has no server")
    assert db.engine.pool._pre_ping
    db.session.commit()
    db.session.rollback()  # the setting survives the pool's reset of a connection
    assert db.session.scalar(sa.text("SHOW max_parallel_workers_per_gather")) == "0"
    assert db.session.scalar(sa.text("SHOW plan_cache_mode")) == "force_custom_plan"


def test_foreign_keys_and_checks_are_enforced(app):
    db.session.add(
        Listing(author_id=999, listing_type="product", title="x", price_amount=1, currency="USD")
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_money_columns_refuse_negative_prices(app, user_factory):
    user = user_factory()
    db.session.add(
        Listing(
            author_id=user.id, listing_type="product", title="x", price_amount=-1, currency="USD"
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_postgres_urls_use_psycopg3(app_factory):
    from marketplace_kit.app import database_url

    app = app_factory()
    settings = app.extensions["marketplace_kit"].settings
    settings.database["url"] = "postgres://u@h/db"
    assert database_url(app, settings) == "postgresql+psycopg://u@h/db"


def test_timestamps_are_timezone_aware(app, user_factory):
    user = user_factory()
    db.session.expire_all()
    assert user.created_at.tzinfo is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Listing)) == 0
