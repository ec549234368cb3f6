"""Tests use only the marketplace_kit.testing fixtures (a pytest plugin)."""

import pytest
from sqlalchemy import select

from marketplace_kit import ConfigError, state
from marketplace_kit.extensions import db
from marketplace_kit.testing import schema_differences
from {{ cookiecutter.package }} import Entry


def test_page_lists_entries_with_the_configured_greeting(client, user_factory):
    user = user_factory()
    db.session.add(Entry(author_id=user.id, text="first entry"))
    db.session.commit()
    html = client.get("/{{ cookiecutter.plugin_name.replace('_', '-') }}/").get_data(as_text=True)
    assert "<h1>Hello</h1>" in html and "first entry" in html


def test_signed_in_user_adds_an_entry(client, user_factory):
    user = user_factory()
    client.login(user)
    resp = client.submit("/{{ cookiecutter.plugin_name.replace('_', '-') }}/", {"text": "hi there"})
    assert resp.status_code == 303
    assert db.session.scalars(select(Entry.text)).all() == ["hi there"]


def test_bad_input_is_a_form_error_and_saves_nothing(client, user_factory):
    client.login(user_factory())
    resp = client.submit("/{{ cookiecutter.plugin_name.replace('_', '-') }}/", {"text": "x" * 300})
    assert resp.status_code == 422
    assert "Write between 1 and 280 characters." in resp.get_data(as_text=True)
    assert db.session.scalars(select(Entry)).all() == []


def test_anonymous_cannot_add(client):
    resp = client.submit("/{{ cookiecutter.plugin_name.replace('_', '-') }}/", {"text": "hi"})
    assert resp.status_code == 401


def test_settings_are_validated(app_factory):
    with pytest.raises(ConfigError, match=r"\[plugins.{{ cookiecutter.plugin_name }}\] greeting"):
        app_factory({"plugins": {"{{ cookiecutter.plugin_name }}": {"greeting": ""}}}, plugins=["{{ cookiecutter.plugin_name }}"])


def test_menu_link_and_translations(client):
    home = client.get("/").get_data(as_text=True)
    assert 'href="/{{ cookiecutter.plugin_name.replace('_', '-') }}/"' in home
    page = "/{{ cookiecutter.plugin_name.replace('_', '-') }}/"
    assert "Пока ничего нет." in client.get(page, headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "还没有内容。" in client.get(page, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)


def test_migrations_agree_with_the_models(app_factory):
    app = app_factory(plugins=["{{ cookiecutter.plugin_name }}"], migrate=True)
    assert "{{ cookiecutter.plugin_name }}_entries" in state(app).tables
    assert schema_differences(app) == []
