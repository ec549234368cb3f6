"""Alembic environment of marketplace-kit: one history for the core, one branch per plugin."""

from __future__ import annotations

from alembic import context
from flask import current_app

from marketplace_kit.app import state
from marketplace_kit.core.listings.search_ddl import UNMANAGED_COLUMNS, UNMANAGED_INDEXES
from marketplace_kit.extensions import db

config = context.config
mk = state(current_app)
only_owner = current_app.config.get("MK_MIGRATION_ONLY_OWNER")


def include_object(obj, name, type_, reflected, compare_to):
    if (type_ == "index" and name in UNMANAGED_INDEXES) or (
        type_ == "column" and name in UNMANAGED_COLUMNS
    ):
        return False  # hand-written full-text index and column (core/listings/search_ddl.py)
    if type_ != "table":
        return True
    table_name = name
    if table_name == "alembic_version":
        return False
    owner = mk.table_owners.get(table_name)
    if owner is None:
        # A table this app does not own: another plugin's, or not ours at all.
        return False
    return only_owner is None or owner == only_owner


def run_migrations_online() -> None:
    engine = db.engine
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=db.metadata,
            include_object=include_object,
            render_as_batch=engine.dialect.name == "sqlite",
            compare_type=True,
            user_module_prefix="marketplace_kit.core.db.",
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    context.configure(
        url=str(db.engine.url),
        target_metadata=db.metadata,
        include_object=include_object,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
