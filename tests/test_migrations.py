"""Migrations bring an empty or existing database to head, and agree with the models."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace_kit import create_app, migrations, state
from marketplace_kit.extensions import db
from marketplace_kit.plugins import available_plugins
from marketplace_kit.testing import schema_differences

PLUGIN_SETS = [[]] + [[name] for name in available_plugins()]


def table_names() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


@pytest.mark.parametrize("plugins", PLUGIN_SETS, ids=lambda p: "+".join(["core", *p]))
def test_upgrade_empty_database_matches_models(plugins, app_factory):
    app = app_factory(plugins=plugins, migrate=True)
    assert schema_differences(app) == []
    with app.app_context():
        assert set(state(app).tables) <= table_names()
        migrations.downgrade("base")
        assert table_names() <= {"alembic_version"}


@pytest.mark.parametrize("plugin", list(available_plugins()))
def test_enabling_a_plugin_later_upgrades_an_existing_database(plugin, app_factory, tmp_path):
    core = app_factory(plugins=[], migrate=True)
    with core.app_context():
        url = db.engine.url.render_as_string(hide_password=False)
        before = table_names()
        db.engine.dispose()
    full = create_app(
        {
            "app": {"testing": True, "instance_path": str(tmp_path / "full")},
            "database": {"url": url},
            "plugins": {"enabled": [plugin]},
        }
    )
    with full.app_context():
        migrations.upgrade()
        added = table_names() - before
        assert added == {t for t, owner in state(full).table_owners.items() if owner == plugin}
        assert schema_differences(full) == []
        migrations.downgrade(f"{plugin}@base")
        assert table_names() == before
        db.engine.dispose()
