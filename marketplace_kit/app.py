"""``create_app(config)``: marketplace.toml -> a running Flask app, in named steps."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_smorest import Api
from huey import Huey
from sqlalchemy import Table, event
from sqlalchemy.engine import Engine
from werkzeug.routing import IntegerConverter

from . import __version__
from .config import Settings, load_settings
from .errors import PluginError, StartupError
from .extensions import babel, csrf, db, login_manager, migrate
from .jobs import Job, bind_jobs, make_huey
from .plugins import PluginManager, build_plugin_manager

CORE_PACKAGE = "marketplace_kit"
PACKAGE_DIR = Path(__file__).resolve().parent


@dataclass
class MarketplaceState:
    """Everything marketplace-kit keeps for one app, in ``app.extensions["marketplace_kit"]``."""

    settings: Settings
    pm: PluginManager
    api: Api | None = None
    limiter: Limiter | None = None
    huey: Huey | None = None
    jobs: dict[str, Any] = field(default_factory=dict)
    commands: dict[str, tuple[str, click.Command]] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)
    table_owners: dict[str, str] = field(default_factory=dict)

    def plugin_dirs(self, subdir: str) -> list[tuple[str, Path]]:
        """``(plugin name, <package>/<subdir>)`` for each enabled plugin that has it."""
        out = []
        for name, plugin in self.pm.loaded.items():
            if plugin.builtin or not plugin.module_file:
                continue
            path = Path(plugin.module_file).parent / subdir
            if path.is_dir():
                out.append((name, path))
        return out


class DatabaseIntConverter(IntegerConverter):
    """Werkzeug's ``int`` converter, bounded to what a BIGINT column can hold."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, *args, **kwargs)


def state(app: Flask) -> MarketplaceState:
    return app.extensions["marketplace_kit"]


def plugin_settings(app: Flask, name: str) -> dict[str, Any]:
    """The validated ``[plugins.<name>]`` section of ``app``'s config."""
    return state(app).settings.plugins[name]


def create_app(
    config: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    *,
    extra_plugins: Iterable[Any] = (),
) -> Flask:
    """Build an app from a ``marketplace.toml`` path, a mapping, or nothing.

    With nothing, ``MARKETPLACE_CONFIG`` names the file; without that the
    built-in defaults apply. ``extra_plugins`` registers plugin objects that
    are not installed distributions (tests, embedding); each should have an
    ``mk_plugin_name`` attribute.
    """
    settings = load_settings(config)
    pm = build_plugin_manager(settings, extra_plugins)
    app = Flask(
        CORE_PACKAGE,
        instance_path=_instance_path(settings),
        static_folder=str(PACKAGE_DIR / "web" / "static"),
        template_folder=None,
    )
    from .web.templating import TemplateEnvironment

    app.jinja_environment = TemplateEnvironment  # type: ignore[misc]
    mk = MarketplaceState(settings=settings, pm=pm)
    app.extensions["marketplace_kit"] = mk
    # `<int:...>` in every route, core or plugin: ids beyond a 64-bit column are a 404
    app.url_map.converters["int"] = DatabaseIntConverter

    register_config(app, settings)
    register_database(app, settings)
    register_extensions(app, mk)
    pm.hook.mk_configure(app=app)
    register_templates(app, mk)
    register_blueprints(app, mk)
    register_api(app, mk)
    register_rate_limits(app, mk)
    register_jobs(app, mk)
    register_commands(app, mk)
    register_tables(app, mk)
    from .web.errors import register_error_handlers
    from .web.security import register_security

    register_error_handlers(app)
    register_security(app, mk)
    register_events(app)
    return app


# ---------------------------------------------------------------------------
# steps
# ---------------------------------------------------------------------------


def _instance_path(settings: Settings) -> str:
    configured = settings.app["instance_path"]
    base = Path(settings.app["config_dir"])
    return str((base / configured).resolve() if configured else base / "instance")


def is_relaxed(settings: Settings) -> bool:
    """Debug, demo and testing apps may run without a SECRET_KEY and on any host."""
    return bool(settings.app["debug"] or settings.app["demo"] or settings.app["testing"])


def register_config(app: Flask, settings: Settings) -> None:
    secret = settings.secret_key
    if not secret:
        if not is_relaxed(settings):
            raise StartupError(
                "SECRET_KEY is not set: export SECRET_KEY (e.g. `python -c "
                "'import secrets; print(secrets.token_hex(32))'`) or run in debug/demo mode"
            )
        secret = secrets.token_hex(32)
    base = urlsplit(settings.site["base_url"])
    secure = base.scheme == "https" or settings.security["force_https"]
    trusted = settings.security["trusted_hosts"]
    if trusted is None and not is_relaxed(settings):
        trusted = [base.hostname] if base.hostname else None
    lifetime = timedelta(hours=settings.security["session_lifetime_hours"])
    app.config.update(
        SECRET_KEY=secret,
        DEBUG=settings.app["debug"],
        TESTING=settings.app["testing"],
        MAX_CONTENT_LENGTH=settings.security["max_content_length_mb"] * 1024 * 1024,
        TRUSTED_HOSTS=trusted,
        PREFERRED_URL_SCHEME="https" if secure else "http",
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="mk_session",
        PERMANENT_SESSION_LIFETIME=lifetime,
        REMEMBER_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_DURATION=lifetime,
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=secure,
        JSON_SORT_KEYS=False,
        BABEL_DEFAULT_LOCALE=settings.site["default_locale"],
        BABEL_DEFAULT_TIMEZONE=settings.site["timezone"],
        MARKETPLACE_VERSION=__version__,
    )


def database_url(app: Flask, settings: Settings) -> str:
    url = settings.database["url"]
    if not url:
        os.makedirs(app.instance_path, exist_ok=True)
        url = "sqlite:///" + os.path.join(app.instance_path, "marketplace.sqlite3")
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def sqlite_pragmas(cache_mb: int) -> Any:
    """The ``connect`` listener that sets up each SQLite connection: foreign keys, WAL, a
    busy timeout and a page cache of ``cache_mb`` MiB (SQLite's default is 2 MiB, which
    a catalog of some 100k listings outgrows: searches then read their pages again from
    the file on every query)."""

    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA cache_size=-{int(cache_mb) * 1024}")
        mode = cur.execute("PRAGMA journal_mode").fetchone()[0]
        if mode != "memory":
            cur.execute("PRAGMA journal_mode=WAL")
        cur.close()

    return on_connect


def pg_session(parallel_workers: int) -> Any:
    """The ``connect`` listener for PostgreSQL connections.

    - At most ``parallel_workers`` parallel workers per query: pages run short queries,
      and starting a worker takes a few milliseconds, more than most of them need (a rare
      keyword's search: 10 ms with a worker, 3 ms without, at 1M listings).
    - Every execution of a prepared statement is planned for its own parameters
      (``plan_cache_mode``): psycopg prepares a statement after its fifth run, and
      PostgreSQL's generic plan for a search cannot see how many listings a term or a
      category matches (a keyword search in a category went from 9 to 90 ms).
    """

    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        with dbapi_conn.cursor() as cur:
            cur.execute(f"SET max_parallel_workers_per_gather = {int(parallel_workers)}")
            cur.execute("SET plan_cache_mode = force_custom_plan")
        dbapi_conn.commit()

    return on_connect


def register_database(app: Flask, settings: Settings) -> None:
    url = database_url(app, settings)
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config["SQLALCHEMY_ECHO"] = settings.database["echo"]
    options: dict[str, Any] = {}
    if url.startswith("postgresql"):
        # a server can drop connections (restart, idle timeout): test each one on checkout
        options["pool_pre_ping"] = True
        options["pool_size"] = settings.database["pool_size"]
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    with app.app_context():
        engine: Engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", sqlite_pragmas(settings.database["sqlite_cache_mb"]))
        elif engine.dialect.name == "postgresql":
            event.listen(engine, "connect", pg_session(settings.database["pg_parallel_workers"]))


def register_extensions(app: Flask, mk: MarketplaceState) -> None:
    from . import migrations  # noqa: F401  (binds the version locations of this app)
    from .web.i18n import select_locale, select_timezone

    migrate.init_app(app, db, directory=str(PACKAGE_DIR / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    translation_dirs = [str(PACKAGE_DIR / "translations")] + [
        str(p) for _n, p in mk.plugin_dirs("translations")
    ]
    babel.init_app(
        app,
        default_translation_directories=";".join(translation_dirs),
        locale_selector=select_locale,
        timezone_selector=select_timezone,
    )
    storage = mk.settings.redis_url if mk.settings.redis_url else "memory://"
    mk.limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=storage,
        key_prefix=f"mk:{mk.settings.site['name']}",
        enabled=not mk.settings.app["testing"]
        or bool(os.environ.get("MARKETPLACE_TEST_RATELIMIT")),
        headers_enabled=True,
    )


def register_templates(app: Flask, mk: MarketplaceState) -> None:
    from .web.templating import build_loader, install_template_globals

    app.jinja_loader = build_loader(mk)  # type: ignore[assignment]
    install_template_globals(app, mk)


def _unique_blueprint_names(app: Flask, bps: dict[str, tuple[str, Any]]) -> None:
    for name, (plugin, _bp) in bps.items():
        if name in app.blueprints:
            raise PluginError(
                f"plugin {plugin!r} registers blueprint {name!r}, which already exists"
            )


def register_blueprints(app: Flask, mk: MarketplaceState) -> None:
    bps = mk.pm.collect("mk_register_blueprints", "blueprint", key=lambda bp: bp.name, app=app)
    _unique_blueprint_names(app, bps)
    for _name, (_plugin, bp) in bps.items():
        app.register_blueprint(bp)
    from .web.static import register_plugin_static

    register_plugin_static(app, mk)


def register_api(app: Flask, mk: MarketplaceState) -> None:
    from .web.api.spec import MarketplaceApi

    app.config.update(
        API_TITLE=f"{mk.settings.site['name']} API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
    )
    mk.api = MarketplaceApi(app)
    mk.api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "Personal access token"}
    )
    bps = mk.pm.collect(
        "mk_register_api_blueprints", "API blueprint", key=lambda bp: bp.name, app=app
    )
    _unique_blueprint_names(app, bps)
    for _name, (_plugin, bp) in bps.items():
        csrf.exempt(bp)
        mk.api.register_blueprint(bp, url_prefix="/api/v1" + (bp.url_prefix or ""))


def register_rate_limits(app: Flask, mk: MarketplaceState) -> None:
    """Apply limits declared with :func:`marketplace_kit.web.ratelimit.limit`."""
    assert mk.limiter is not None
    for endpoint, view in list(app.view_functions.items()):
        for spec in getattr(view, "_mk_rate_limits", ()):
            app.view_functions[endpoint] = mk.limiter.limit(
                spec.limit, key_func=spec.key_func, methods=spec.methods, scope=spec.scope
            )(app.view_functions[endpoint])
    app_wide = ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION", "RATELIMIT_META")
    if not any(app.config.get(k) for k in app_wide):
        # Only views declare limits, and their decorators check them. The limiter's
        # before_request pass would look for default/application limits on every
        # request (about 50 us) and find none.
        check = mk.limiter._check_request_limit
        app.before_request_funcs[None] = [
            f for f in app.before_request_funcs.get(None, []) if f != check
        ]


def register_jobs(app: Flask, mk: MarketplaceState) -> None:
    jobs: dict[str, tuple[str, Job]] = mk.pm.collect(
        "mk_register_jobs", "job", key=lambda j: j.name, app=app
    )
    mk.huey = make_huey(app, mk.settings)
    mk.jobs = bind_jobs(app, mk.huey, jobs)


def register_commands(app: Flask, mk: MarketplaceState) -> None:
    from .cli import CORE_COMMANDS

    cmds = mk.pm.collect("mk_register_commands", "command", key=lambda c: c.name)
    for name, (plugin, _cmd) in cmds.items():
        if name in CORE_COMMANDS:
            raise PluginError(f"plugin {plugin!r} registers command {name!r}, a core command")
    mk.commands = cmds


def table_owner(table: Table, mk: MarketplaceState) -> str | None:
    """Which plugin (or ``"core"``) owns ``table``; ``None`` for a foreign table."""
    owner = table.info.get("marketplace_kit_owner")
    if owner:
        return owner
    for mapper in db.Model.registry.mappers:
        if table in mapper.tables:
            top = mapper.class_.__module__.split(".")[0]
            if top == CORE_PACKAGE:
                return "core"
            for name, plugin in mk.pm.loaded.items():
                if plugin.package == top and not plugin.builtin:
                    return name
            return None
    return "core"


def register_events(app: Flask) -> None:
    """Run after-commit events a plain ``db.session.commit()`` left behind, at request end."""
    from .events import dispatch_ready

    @app.after_request
    def dispatch_committed_events(response):
        dispatch_ready()
        return response


def register_tables(app: Flask, mk: MarketplaceState) -> None:
    """Decide which tables of the shared metadata belong to this app."""
    from .core import models  # noqa: F401  (every core model in the metadata)

    for table in db.metadata.sorted_tables:
        owner = table_owner(table, mk)
        if owner is None:
            continue
        if owner != "core" and not table.name.startswith(owner + "_"):
            raise PluginError(
                f"plugin {owner!r} defines table {table.name!r}; its tables must be "
                f"prefixed with {owner + '_'!r}"
            )
        mk.tables[table.name] = table
        mk.table_owners[table.name] = owner
