"""The ``marketplace-kit`` command.

Every subcommand takes the config from ``--config PATH`` (before the
subcommand) or ``MARKETPLACE_CONFIG``; plugins add commands through
``mk_register_commands``.
"""

from __future__ import annotations

import copy
import json
import os
import sys
from typing import Any

import click
from flask import Flask

from .config import CONFIG_ENV
from .errors import StartupError

CORE_COMMANDS = (
    "plugins",
    "check",
    "db",
    "run",
    "worker",
    "demo",
    "routes",
    "shell",
    "ledger",
)


class Context:
    """Lazily builds the app for a command; tests pass one with ``app`` set."""

    def __init__(self, config: str | None, app: Flask | None = None):
        self.config = config
        self._app: Flask | None = app

    def app(self) -> Flask:
        if self._app is None:
            from .app import create_app

            try:
                self._app = create_app(self.config)
            except StartupError as exc:
                raise click.ClickException(str(exc)) from exc
        return self._app


def _in_app_context(cmd: click.Command, app: Flask) -> click.Command:
    """A copy of a plugin's command that runs inside ``app``'s context."""
    wrapped = copy.copy(cmd)

    def invoke(ctx: click.Context) -> Any:
        with app.app_context():
            return cmd.invoke(ctx)

    wrapped.invoke = invoke  # type: ignore[method-assign]
    return wrapped


class MarketplaceGroup(click.Group):
    """Adds the commands plugins register, when the config can be loaded."""

    def _plugin_commands(self, ctx: click.Context) -> dict[str, click.Command]:
        obj: Context | None = ctx.find_object(Context)
        if obj is None:
            config = ctx.params.get("config") or os.environ.get(CONFIG_ENV)
            obj = Context(config)
        try:
            app = obj.app()
        except click.ClickException:
            return {}
        from .app import state

        return {
            name: _in_app_context(cmd, app) for name, (_plugin, cmd) in state(app).commands.items()
        }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._plugin_commands(ctx)})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        cmd = super().get_command(ctx, name)
        if cmd is not None:
            return cmd
        return self._plugin_commands(ctx).get(name)


@click.group(cls=MarketplaceGroup)
@click.option(
    "--config",
    "config",
    type=click.Path(dir_okay=False),
    envvar=CONFIG_ENV,
    help="Path to marketplace.toml (default: $MARKETPLACE_CONFIG, then built-in defaults).",
)
@click.version_option(package_name="marketplace-kit")
@click.pass_context
def main(ctx: click.Context, config: str | None) -> None:
    """marketplace-kit: run and manage a marketplace."""
    if ctx.obj is None:
        ctx.obj = Context(config)


def _app(ctx: click.Context) -> Flask:
    return ctx.find_object(Context).app()


# -- plugins / check -------------------------------------------------------------


@main.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def plugins_cmd(ctx: click.Context, as_json: bool) -> None:
    """List every available plugin: version, enabled or not, hooks implemented."""
    app = _app(ctx)
    from .web.pages.main import plugin_report

    with app.test_request_context():
        rows = plugin_report()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No plugins installed.")
        return
    for row in rows:
        mark = "enabled " if row["enabled"] else "disabled"
        click.echo(
            f"{row['name']:<20} {row['version'] or '-':<10} {mark}  {row['distribution'] or ''}"
        )
        if row["hooks"]:
            click.echo("    hooks: " + ", ".join(row["hooks"]))


@main.command("check")
@click.pass_context
def check_cmd(ctx: click.Context) -> None:
    """Validate the config and the plugin set; print every problem and exit non-zero."""
    from .app import create_app
    from .errors import ConfigError

    config = ctx.find_object(Context).config
    try:
        app = create_app(config)
    except ConfigError as exc:
        for where, what in exc.problems:
            click.echo(f"error: {where}: {what}", err=True)
        sys.exit(1)
    except StartupError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    from .app import state

    mk = state(app)
    plugins = [n for n, p in mk.pm.loaded.items() if not p.builtin]
    click.echo(f"ok: {mk.settings.source}; plugins: {', '.join(plugins) or 'none'}")


# -- database --------------------------------------------------------------------


@main.group("db")
def db_group() -> None:
    """Database migrations (core history plus one branch per enabled plugin)."""


@db_group.command("upgrade")
@click.argument("revision", default="heads")
@click.pass_context
def db_upgrade(ctx: click.Context, revision: str) -> None:
    """Upgrade the core and every enabled plugin to REVISION (default: heads)."""
    from . import migrations

    with _app(ctx).app_context():
        migrations.upgrade(revision)
    click.echo(f"database upgraded to {revision}")


@db_group.command("downgrade")
@click.argument("revision")
@click.pass_context
def db_downgrade(ctx: click.Context, revision: str) -> None:
    """Downgrade to REVISION, e.g. `base`, `<plugin>@-1` or a revision id."""
    from . import migrations

    with _app(ctx).app_context():
        migrations.downgrade(revision)
    click.echo(f"database downgraded to {revision}")


@db_group.command("current")
@click.pass_context
def db_current(ctx: click.Context) -> None:
    """Show the revision each branch of the database is at."""
    from . import migrations

    with _app(ctx).app_context():
        migrations.current()


@db_group.command("revision")
@click.option("-m", "--message", required=True, help="What the migration does.")
@click.option("--plugin", "plugin", default=None, help="Write it into this plugin's branch.")
@click.option("--autogenerate/--empty", default=True, help="Compare models with the database.")
@click.option("--rev-id", default=None, help="Revision id, e.g. core_0002 or <plugin>_0002.")
@click.pass_context
def db_revision(
    ctx: click.Context, message: str, plugin: str | None, autogenerate: bool, rev_id: str | None
) -> None:
    """Create a migration for the core or (with --plugin) for one plugin's branch."""
    import flask_migrate

    from .app import state
    from .migrations import CORE_VERSIONS

    app = _app(ctx)
    with app.app_context():
        mk = state(app)
        kwargs: dict[str, Any] = {
            "message": message,
            "autogenerate": autogenerate,
            "rev_id": rev_id,
        }
        config = app.extensions["migrate"].migrate.get_config()
        if plugin:
            dirs = dict(mk.plugin_dirs(os.path.join("migrations", "versions")))
            if plugin not in mk.pm.loaded:
                raise click.ClickException(f"plugin {plugin!r} is not enabled in this config")
            if plugin not in dirs:
                raise click.ClickException(
                    f"plugin {plugin!r} has no migrations/versions folder; create it first"
                )
            from alembic.script import ScriptDirectory

            script = ScriptDirectory.from_config(config)
            has_branch = any(plugin in (r.branch_labels or ()) for r in script.walk_revisions())
            kwargs["version_path"] = str(dirs[plugin])
            if has_branch:
                kwargs["head"] = f"{plugin}@head"
            else:
                kwargs["head"] = "base"
                kwargs["branch_label"] = plugin
        else:
            kwargs["version_path"] = str(CORE_VERSIONS)
            kwargs["head"] = "core@head"
        app.config["MK_MIGRATION_ONLY_OWNER"] = plugin or "core"
        flask_migrate.revision(**kwargs)


# -- ledger ----------------------------------------------------------------------


@main.group("ledger")
def ledger_group() -> None:
    """The double-entry ledger."""


@ledger_group.command("verify")
@click.pass_context
def ledger_verify(ctx: click.Context) -> None:
    """Re-add every posting; print each imbalance and exit non-zero if there is any."""
    from .core.ledger.service import verify

    with _app(ctx).app_context():
        problems = verify()
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    if problems:
        click.echo(f"ledger verify: {len(problems)} problem(s)", err=True)
        sys.exit(1)
    click.echo("ledger verify: ok")


# -- serving ---------------------------------------------------------------------


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--debug/--no-debug", default=False, help="Reload on change, show tracebacks.")
@click.pass_context
def run_cmd(ctx: click.Context, host: str, port: int, debug: bool) -> None:
    """Serve the site with the development server (use gunicorn in production)."""
    app = _app(ctx)
    app.run(host=host, port=port, debug=debug, use_reloader=debug)


@main.command("worker")
@click.option("--workers", type=int, default=None, help="Worker threads (default: [jobs] workers).")
@click.pass_context
def worker_cmd(ctx: click.Context, workers: int | None) -> None:
    """Run the background job consumer (huey), including periodic jobs."""
    from huey.consumer import Consumer

    from .app import state

    app = _app(ctx)
    mk = state(app)
    count = workers or mk.settings.jobs["workers"]
    click.echo(f"worker: {len(mk.jobs)} job(s) registered, {count} thread(s)")
    Consumer(mk.huey, workers=count, worker_type="thread", periodic=True).run()


@main.command("routes")
@click.pass_context
def routes_cmd(ctx: click.Context) -> None:
    """List every URL rule of the app."""
    app = _app(ctx)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        methods = ",".join(sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}))
        click.echo(f"{rule.rule:<50} {methods:<12} {rule.endpoint}")


@main.command("shell")
@click.pass_context
def shell_cmd(ctx: click.Context) -> None:
    """A Python shell inside an app context."""
    import code

    app = _app(ctx)
    with app.app_context():
        from .extensions import db

        code.interact(local={"app": app, "db": db})


@main.command("demo")
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--database", default=None, help="Database URL (default: a fresh SQLite file).")
@click.option("--seed", default=1, show_default=True, type=int, help="Random seed for demo data.")
@click.option("--no-serve", is_flag=True, help="Create and seed the database, then exit.")
@click.pass_context
def demo_cmd(
    ctx: click.Context, port: int, host: str, database: str | None, seed: int, no_serve: bool
) -> None:
    """Create a demo marketplace with seeded data and serve it."""
    from .demo import build_demo

    app, logins = build_demo(
        ctx.find_object(Context).config, database_url=database, seed=seed, port=port, host=host
    )
    url = f"http://{host}:{port}/"
    click.echo(f"demo marketplace ready: {url}")
    for role, email, password in logins:
        click.echo(f"  {role:<10} {email}  password: {password}")
    if not no_serve:
        app.run(host=host, port=port, debug=False, use_reloader=False)


if __name__ == "__main__":  # pragma: no cover
    main()
