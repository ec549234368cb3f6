"""pytest fixtures of the marketplace-kit test kit (see ``marketplace_kit.testing``)."""

from __future__ import annotations

import copy
import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask import Flask

from .browser import browser, live_server, page  # noqa: F401  (fixtures)
from .client import MarketplaceClient
from .database import TEST_DB_ENV, TestDatabase


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "mk_plugins(*names): enable these plugins in the `app` fixture"
    )
    config.addinivalue_line(
        "markers", "mk_config(mapping): merge this config into the `app` fixture's config"
    )
    config.addinivalue_line(
        "markers", "postgres_only(reason): needs PostgreSQL; skipped, with the reason, on SQLite"
    )


def pytest_report_header(config: pytest.Config) -> str:
    url = os.environ.get(TEST_DB_ENV)
    return f"marketplace-kit test database: {'PostgreSQL ' + url if url else 'SQLite'}"


def pytest_runtest_setup(item: pytest.Item) -> None:
    marker = item.get_closest_marker("postgres_only")
    if marker is not None and not os.environ.get(TEST_DB_ENV):
        reason = marker.args[0] if marker.args else "needs PostgreSQL"
        pytest.skip(f"PostgreSQL only ({reason}); set {TEST_DB_ENV} to run it")


def deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in (extra or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


@pytest.fixture(scope="session")
def mk_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabase]:
    database = TestDatabase(tmp_path_factory.mktemp("mk-db"), os.environ.get(TEST_DB_ENV))
    database.start()
    yield database
    database.stop()


@pytest.fixture
def db_dialect(mk_database: TestDatabase) -> str:
    return mk_database.dialect


@pytest.fixture
def mk_config() -> dict[str, Any]:
    """Config merged into the `app` fixture's; override in a conftest.py."""
    return {}


@pytest.fixture
def mk_plugins() -> list[str]:
    """Plugins enabled in the `app` fixture; override in a plugin's conftest.py."""
    return []


def base_config(tmp_path: Path) -> dict[str, Any]:
    return {
        "app": {"testing": True, "instance_path": str(tmp_path / "instance")},
        "site": {"base_url": "http://localhost"},
        "jobs": {"immediate": True},
    }


@pytest.fixture
def app_factory(
    mk_database: TestDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Flask]]:
    """Build apps on fresh databases.

    ``app_factory(config=None, plugins=None, extra_plugins=(), migrate=False)``:
    with ``migrate=True`` the app gets an empty database brought to head by
    its migrations (core and enabled plugins) instead of the fast schema copy;
    compare it with the models using ``marketplace_kit.testing.schema_differences``.
    """
    from ..app import create_app

    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("MARKETPLACE_CONFIG", raising=False)
    apps: list[Flask] = []
    migrated: list[Flask] = []

    def make(
        config: dict[str, Any] | None = None,
        *,
        plugins: list[str] | None = None,
        extra_plugins: tuple[Any, ...] | list[Any] = (),
        migrate: bool = False,
    ) -> Flask:
        from .. import migrations

        merged = deep_merge(base_config(tmp_path), config or {})
        url = mk_database.empty_url(tmp_path) if migrate else mk_database.url_for(tmp_path)
        merged.setdefault("database", {})["url"] = url
        if plugins is not None:
            merged.setdefault("plugins", {})["enabled"] = list(plugins)
        app = create_app(merged, extra_plugins=extra_plugins)
        app.test_client_class = MarketplaceClient
        if migrate:
            with app.app_context():
                migrations.upgrade()
            migrated.append(app)
        else:
            mk_database.prepare(app)
            apps.append(app)
        return app

    yield make
    mk_database.cleanup(apps, migrated)


@pytest.fixture
def app(
    request: pytest.FixtureRequest,
    app_factory: Callable[..., Flask],
    mk_config: dict[str, Any],
    mk_plugins: list[str],
) -> Iterator[Flask]:
    """An app with a fresh database, inside an app context."""
    config = dict(mk_config)
    for marker in reversed(list(request.node.iter_markers("mk_config"))):
        config = deep_merge(config, marker.args[0])
    plugins = list(mk_plugins)
    marker = request.node.get_closest_marker("mk_plugins")
    if marker is not None:
        plugins = list(marker.args)
    application = app_factory(config, plugins=plugins)
    with application.app_context():
        yield application


@pytest.fixture
def client(app: Flask) -> MarketplaceClient:
    return app.test_client()  # type: ignore[return-value]


class CliInvoker:
    """Runs ``marketplace-kit`` commands against one app."""

    def __init__(self, app: Flask):
        self.app = app
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None) -> Result:
        from ..cli import Context, main

        return self.runner.invoke(main, list(args), obj=Context(None, self.app), input=input)


@pytest.fixture
def cli(app: Flask) -> CliInvoker:
    return CliInvoker(app)


@pytest.fixture
def register_plugin(app: Flask) -> Iterator[Callable[[Any], Any]]:
    """Register a plugin object on ``app`` for this test; returns the object.

    Request-time hooks take effect at once. Build-time hooks (``mk_register_*``,
    ``mk_configure``) have already run: pass such objects to
    ``app_factory(extra_plugins=[...])`` instead.
    """
    from ..app import state

    pm = state(app).pm
    added: list[str] = []
    counter = itertools.count()

    def register(obj: Any, name: str | None = None) -> Any:
        plugin_name = name or getattr(obj, "mk_plugin_name", None) or f"test_plugin_{next(counter)}"
        pm.add(plugin_name, obj)
        pm.check()
        added.append(plugin_name)
        return obj

    yield register
    for plugin_name in added:
        pm.unregister(name=plugin_name)
        pm.loaded.pop(plugin_name, None)


#: argon2 hashes are slow on purpose; tests share them across the whole run.
_PASSWORD_HASHES: dict[str, str] = {}


@pytest.fixture
def user_factory(app: Flask) -> Callable[..., Any]:
    """Create committed users: ``user_factory(email=..., roles=[...], password=...)``.

    Other keyword arguments set User columns (``company_name=...``,
    ``verification_level=2``, ``email_confirmed_at=...``).
    """
    from ..core.users.passwords import hash_password
    from ..core.users.service import create_user
    from ..events import commit

    counter = itertools.count(1)
    hashes = _PASSWORD_HASHES

    def make(**fields: Any) -> Any:
        n = next(counter)
        password = fields.pop("password", "correct horse battery staple")
        if password not in hashes:
            hashes[password] = hash_password(password)
        known = {k: fields.pop(k) for k in ("account_type", "roles", "locale") if k in fields}
        user = create_user(
            fields.pop("email", f"user{n}@example.com"),
            fields.pop("display_name", f"User {n}"),
            password_hash=hashes[password],
            **known,
        )
        for key, value in fields.items():  # any other User column, e.g. company_name
            if not hasattr(user, key):
                raise TypeError(f"User has no field {key!r}")
            setattr(user, key, value)
        commit()
        return user

    return make


@pytest.fixture
def api_token_factory(app: Flask) -> Callable[..., str]:
    """``api_token_factory(user, scopes=("read", "write"))`` -> a bearer token string."""
    from ..core.users.tokens import create_token
    from ..events import commit

    def make(
        user: Any, scopes: tuple[str, ...] | list[str] = ("read", "write"), name: str = "test"
    ) -> str:
        _token, secret = create_token(user, name, list(scopes))
        commit()
        return secret

    return make


@pytest.fixture
def listing_factory(app: Flask, user_factory: Callable[..., Any]) -> Callable[..., Any]:
    """Create committed listings; ``author`` defaults to a new user, ``status`` to published."""
    from ..app import state
    from ..core.listings.models import Listing
    from ..events import commit
    from ..extensions import db

    counter = itertools.count(1)
    currency = state(app).settings.site["currency"]

    def make(**fields: Any) -> Any:
        n = next(counter)
        author = fields.pop("author", None) or user_factory()
        listing = Listing(
            author_id=author.id,
            listing_type=fields.pop("listing_type", "product"),
            title=fields.pop("title", f"Listing {n}"),
            description=fields.pop("description", f"Description of listing {n}"),
            price_amount=fields.pop("price_amount", 1000),
            currency=fields.pop("currency", currency),
            status=fields.pop("status", "published"),
            **fields,
        )
        db.session.add(listing)
        commit()
        return listing

    return make
