"""Loading, validating and isolating plugins."""

from __future__ import annotations

import logging

import click
import pytest
from flask import Blueprint

from marketplace_kit import ConfigError, Job, PluginError, create_app, hookimpl, state


def _bp_plugin(plugin_name: str, bp_name: str):
    class P:
        mk_plugin_name = plugin_name

        @hookimpl
        def mk_register_blueprints(self, app):
            return [Blueprint(bp_name, __name__, url_prefix=f"/{plugin_name}")]

    return P()


def test_enabled_but_not_installed_lists_installed(app_factory):
    with pytest.raises(PluginError) as info:
        app_factory(plugins=["nope"])
    message = str(info.value)
    assert "'nope' enabled in [plugins] but not installed" in message
    assert "installed plugins: " in message and "sample" in message


def test_hookimpl_without_hookspec_names_the_plugin(app_factory):
    class Typo:
        mk_plugin_name = "typo"

        @hookimpl
        def mk_register_blueprintz(self, app):
            return []

    with pytest.raises(PluginError, match=r"plugin 'typo'.*unknown hook 'mk_register_blueprintz'"):
        app_factory(extra_plugins=[Typo()])


def test_hookimpl_with_unknown_argument_names_the_plugin(app_factory):
    class Wrong:
        mk_plugin_name = "wrong"

        @hookimpl
        def mk_main_menu_links(self, usr):
            return []

    with pytest.raises(PluginError, match="plugin 'wrong' has an invalid hook implementation"):
        app_factory(extra_plugins=[Wrong()])


def test_plugin_that_fails_to_import_stops_startup(app_factory, install_distribution):
    install_distribution(
        "mk-broken", {"broken": "mk_broken_plugin"}, {"mk_broken_plugin": "import does_not_exist\n"}
    )
    with pytest.raises(PluginError) as info:
        app_factory(plugins=["broken"])
    assert "plugin 'broken' (mk-broken 1.2.3) failed to import: ModuleNotFoundError" in str(
        info.value
    )


def test_installed_distribution_is_discovered_with_its_version(app_factory, install_distribution):
    install_distribution(
        "mk-hello",
        {"hello": "mk_hello_plugin"},
        {
            "mk_hello_plugin": """
            from marketplace_kit import hookimpl
            from marketplace_kit.web.menus import Link

            @hookimpl
            def mk_main_menu_links(user):
                return [Link("Hello", "/hello")]
            """
        },
    )
    app = app_factory(plugins=["hello"])
    loaded = state(app).pm.loaded["hello"]
    assert (loaded.version, loaded.distribution) == ("1.2.3", "mk-hello")
    assert 'href="/hello"' in app.test_client().get("/").get_data(as_text=True)


def test_duplicate_blueprint_names_name_both_plugins(app_factory):
    with pytest.raises(PluginError) as info:
        app_factory(extra_plugins=[_bp_plugin("alpha", "shop"), _bp_plugin("beta", "shop")])
    assert "duplicate blueprint 'shop'" in str(info.value)
    assert "'alpha'" in str(info.value) and "'beta'" in str(info.value)


def test_blueprint_clashing_with_core_is_refused(app_factory):
    with pytest.raises(
        PluginError,
        match=r"duplicate blueprint 'main': registered by plugin 'core\.web' and by plugin 'gamma'",
    ):
        app_factory(extra_plugins=[_bp_plugin("gamma", "main")])


def test_duplicate_jobs_and_commands_name_both_plugins(app_factory):
    def make(name):
        class P:
            mk_plugin_name = name

            @hookimpl
            def mk_register_jobs(self, app):
                return [Job("cleanup", lambda: None)]

        return P()

    with pytest.raises(PluginError) as info:
        app_factory(extra_plugins=[make("one"), make("two")])
    assert "duplicate job 'cleanup'" in str(info.value)
    assert "plugin 'one'" in str(info.value) and "plugin 'two'" in str(info.value)

    class Cmd:
        mk_plugin_name = "cmdclash"

        @hookimpl
        def mk_register_commands(self):
            return [click.Command("db")]

    with pytest.raises(
        PluginError, match="plugin 'cmdclash' registers command 'db', a core command"
    ):
        app_factory(extra_plugins=[Cmd()])


def test_register_hook_must_return_a_list(app_factory):
    class Bad:
        mk_plugin_name = "bad"

        @hookimpl
        def mk_register_jobs(self, app):
            return Job("x", print)

    with pytest.raises(PluginError, match="plugin 'bad': mk_register_jobs must return a list"):
        app_factory(extra_plugins=[Bad()])


def test_plugin_raising_during_registration_is_named(app_factory):
    class Boom:
        mk_plugin_name = "boom"

        @hookimpl
        def mk_register_blueprints(self, app):
            raise RuntimeError("kaput")

    with pytest.raises(
        PluginError, match="plugin 'boom' failed in mk_register_blueprints: RuntimeError: kaput"
    ):
        app_factory(extra_plugins=[Boom()])


def test_plugin_settings_are_validated_by_its_schema(app_factory):
    with pytest.raises(ConfigError) as info:
        app_factory({"plugins": {"sample": {"max_notes": 0, "colour": "x"}}}, plugins=["sample"])
    found = dict(info.value.problems)
    assert "<mapping>: [plugins.sample] max_notes" in found
    assert found["<mapping>: [plugins.sample] colour"] == "Unknown field."


def test_two_apps_with_different_plugins_are_isolated(app_factory):
    with_sample = app_factory({"plugins": {"sample": {"greeting": "Hi A"}}}, plugins=["sample"])
    without = app_factory(plugins=[])

    a, b = with_sample.test_client(), without.test_client()
    assert a.get("/sample/notes").status_code == 200
    assert b.get("/sample/notes").status_code == 404
    assert 'href="/sample/notes"' in a.get("/").get_data(as_text=True)
    assert 'href="/sample/notes"' not in b.get("/").get_data(as_text=True)
    assert "/api/v1/sample/notes" in a.get("/api/v1/openapi.json").json["paths"]
    assert "/api/v1/sample/notes" not in b.get("/api/v1/openapi.json").json["paths"]
    assert "sample_notes" in state(with_sample).tables
    assert "sample_notes" not in state(without).tables
    assert state(with_sample).settings.plugins["sample"]["greeting"] == "Hi A"
    assert "sample" not in state(without).settings.plugins
    assert "sample.cleanup" in state(with_sample).jobs
    assert "sample.cleanup" not in state(without).jobs
    assert "tiles.example.org" in a.get("/").headers["Content-Security-Policy"]
    assert "tiles.example.org" not in b.get("/").headers["Content-Security-Policy"]
    assert state(with_sample).pm is not state(without).pm


def test_plugin_tables_must_carry_the_plugin_prefix(app_factory):
    from sqlalchemy import Column, Integer, Table

    from marketplace_kit.extensions import db

    table = Table(
        "unprefixed_things",
        db.metadata,
        Column("id", Integer, primary_key=True),
        info={"marketplace_kit_owner": "sample"},
    )
    try:
        with pytest.raises(PluginError, match="plugin 'sample' defines table 'unprefixed_things'"):
            app_factory(plugins=["sample"])
    finally:
        db.metadata.remove(table)


def test_hook_tracing_logs_calls_and_answers(app_factory, monkeypatch, caplog):
    monkeypatch.setenv("MARKETPLACE_TRACE_HOOKS", "1")
    caplog.set_level(logging.INFO, logger="marketplace_kit.plugins")
    app = app_factory(plugins=["sample"])
    app.test_client().get("/")
    text = caplog.text
    assert "hook mk_register_blueprints answered by sample" in text
    assert "hook mk_main_menu_links(user) -> plugins:" in text and "sample" in text
    assert "hook mk_main_menu_links answered:" in text


def test_create_app_without_plugins_has_no_plugin_routes(tmp_path):
    app = create_app({"app": {"testing": True, "instance_path": str(tmp_path)}})
    rules = {r.rule for r in app.url_map.iter_rules()}
    assert "/healthz" in rules and not any(r.startswith("/sample") for r in rules)
