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


def test_category_tokens_migration_rewrites_existing_documents(app_factory):
    """``core_0013`` adds the category tokens to documents written before it, and takes
    them out again on the way down; keyword search in a category works after it."""
    from marketplace_kit.core.listings.models import Category, Listing
    from marketplace_kit.core.listings.search import SearchQuery, search_listings
    from marketplace_kit.core.listings.service import refresh_document
    from marketplace_kit.core.users.service import create_user

    app = app_factory(plugins=[], migrate=True)
    with app.app_context():
        user = create_user("m@example.com", "M", password_hash=None)
        home = Category(slug="home", names={"en": "Home"})
        sofas = Category(slug="sofas", names={"en": "Sofas"}, parent=home)
        db.session.add_all([home, sofas])
        db.session.flush()
        listing = Listing(
            author_id=user.id,
            listing_type="product",
            title="Grey sofa",
            price_amount=100,
            currency="USD",
            status="published",
            category=sofas,
            public_data={},
            protected_data={},
            private_data={},
        )
        refresh_document(listing)
        db.session.add(listing)
        db.session.commit()
        tokens = f"/c/{sofas.id} /c/{home.id}"
        document = sa.text("SELECT search_text FROM listings")
        assert db.session.scalar(document) == f"grey sofa {tokens}"
        db.session.remove()
        migrations.downgrade("core_0012_location_index")
        assert db.session.scalar(document) == "grey sofa"
        db.session.remove()
        migrations.upgrade()
        assert db.session.scalar(document) == f"grey sofa {tokens}"
        found = search_listings(SearchQuery(q="sofa", category="home")).listings
        assert [x.title for x in found] == ["Grey sofa"]
        db.session.remove()
        db.engine.dispose()
