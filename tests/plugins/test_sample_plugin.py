"""The sample plugin (tests/sample_plugin) exercises the whole plugin path."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace_kit import state
from marketplace_kit.core.access import can
from marketplace_kit.extensions import db
from marketplace_kit.jobs import enqueue, run_periodic_now

pytestmark = pytest.mark.mk_plugins("sample")


def notes():
    from marketplace_kit_sample import Note

    return db.session.scalars(select(Note).order_by(Note.id)).all()


def test_config_section_defaults_and_configure_hook(app):
    assert state(app).settings.plugins["sample"] == {"greeting": "Welcome!", "max_notes": 10}
    assert app.config["SAMPLE_GREETING"] == "Welcome!"


@pytest.mark.mk_config({"plugins": {"sample": {"greeting": "Nǐ hǎo"}}})
def test_page_template_static_and_extra_vars(app, client, user_factory):
    user_factory()
    page = client.get("/sample/notes")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<h1 class="sample-title">Nǐ hǎo</h1>' in html  # mk_extra_template_vars
    assert "<li>Nǐ hǎo</li>" in html  # note made by mk_user_registered
    assert "/static/plugins/sample/sample.css" in html
    css = client.get("/static/plugins/sample/sample.css")
    assert css.status_code == 200 and b"sample-notes" in css.data
    assert client.get("/static/plugins/sample/missing.css").status_code == 404
    assert client.get("/static/plugins/other/sample.css").status_code == 404


def test_event_fires_after_commit_only(app, user_factory):
    from marketplace_kit.core.users.service import create_user

    create_user("rolled@example.com", "Rolled Back")
    db.session.rollback()
    assert notes() == []
    user = user_factory()
    assert [(n.owner_id, n.body) for n in notes()] == [(user.id, "Welcome!")]


def test_api_blueprint_is_mounted_and_documented(client, user_factory):
    user = user_factory()
    resp = client.get("/api/v1/sample/notes")
    assert resp.status_code == 200
    assert resp.json == [{"id": 1, "owner_id": user.id, "body": "Welcome!"}]
    spec = client.get("/api/v1/openapi.json").json
    assert "Sample notes" in [t["description"] for t in spec["tags"]]


def test_cli_command_runs_in_app_context(cli, user_factory):
    user_factory()
    result = cli("sample-count")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "notes: 1"


@pytest.mark.mk_config({"plugins": {"sample": {"max_notes": 2}}})
def test_jobs_registered_and_run_in_app_context(app, user_factory):
    from marketplace_kit_sample import Note

    user = user_factory()
    for i in range(4):
        db.session.add(Note(owner_id=user.id, body=f"n{i}"))
    db.session.commit()
    assert run_periodic_now("sample.cleanup") == 3
    db.session.expire_all()
    assert len(notes()) == 2
    result = enqueue("sample.add_note", owner_id=user.id, body="from a job")
    note_id = result()  # immediate mode in tests: it already ran, in its own app context
    assert db.session.get(Note, note_id).body == "from a job"
    assert db.session.scalar(select(func.count()).select_from(Note)) == 3


def test_permission_hook_answers_before_core(app, user_factory):
    from marketplace_kit_sample import Note

    owner, other = user_factory(), user_factory()
    note = db.session.scalars(select(Note).where(Note.owner_id == owner.id)).one()
    assert can(owner, "sample.delete_note", note)
    assert not can(other, "sample.delete_note", note)
    assert not can(None, "sample.delete_note", note)


def test_plugins_command_shows_version_and_hooks(cli):
    result = cli("plugins")
    assert result.exit_code == 0
    line = next(line for line in result.output.splitlines() if line.startswith("sample "))
    assert "0.3.0" in line and "enabled" in line and "marketplace-kit-sample" in line
    assert "mk_user_registered" in result.output and "mk_config_schema" in result.output
