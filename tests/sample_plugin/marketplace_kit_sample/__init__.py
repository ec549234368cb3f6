"""A sample plugin: one model, one migration, one hook of each family.

It is a test fixture for the plugin path (discovery, config, migrations,
templates, static files, API, CLI, jobs, events); it stays out of the demo.
"""

from __future__ import annotations

from typing import Any

import click
from flask import Blueprint, Flask, render_template
from flask_smorest import Blueprint as ApiBlueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import ForeignKey, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from marketplace_kit import Job, hookimpl, plugin_settings
from marketplace_kit.core.db import TimestampMixin
from marketplace_kit.extensions import db
from marketplace_kit.web.menus import Link

MK_DEMO = False


class Note(TimestampMixin, db.Model):
    __tablename__ = "sample_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    body: Mapped[str] = mapped_column(String(500))


class SampleSettings(Schema):
    greeting = fields.String(load_default="Welcome!", validate=validate.Length(1, 100))
    max_notes = fields.Integer(load_default=10, validate=validate.Range(1, 1000))


class NoteSchema(Schema):
    id = fields.Integer(dump_only=True)
    owner_id = fields.Integer(dump_only=True)
    body = fields.String(required=True)


pages = Blueprint("sample", __name__, url_prefix="/sample")
api = ApiBlueprint("sample_api", __name__, url_prefix="/sample", description="Sample notes")


@pages.get("/notes")
def notes_page():
    notes = db.session.scalars(select(Note).order_by(Note.id)).all()
    return render_template("sample/notes.html", notes=notes)


@api.route("/notes")
@api.response(200, NoteSchema(many=True))
def list_notes():
    """Every note."""
    return db.session.scalars(select(Note).order_by(Note.id)).all()


@click.command("sample-count")
def count_notes() -> None:
    """Print how many sample notes exist."""
    from flask import current_app  # noqa: F401  (runs inside the CLI's app context)

    click.echo(f"notes: {db.session.scalar(select(func.count()).select_from(Note))}")


def cleanup_notes(limit: int | None = None) -> int:
    """Delete notes beyond ``max_notes`` per owner; returns how many went."""
    from flask import current_app

    keep = limit or plugin_settings(current_app, "sample")["max_notes"]
    removed = 0
    for owner_id in db.session.scalars(select(Note.owner_id).distinct()).all():
        ids = db.session.scalars(
            select(Note.id).where(Note.owner_id == owner_id).order_by(Note.id.desc())
        ).all()
        for note_id in ids[keep:]:
            db.session.delete(db.session.get(Note, note_id))
            removed += 1
    db.session.commit()
    return removed


def add_note(owner_id: int, body: str) -> int:
    """A background job: add a note, return its id."""
    note = Note(owner_id=owner_id, body=body)
    db.session.add(note)
    db.session.commit()
    return note.id


# -- hooks, one of each family -------------------------------------------------


@hookimpl
def mk_config_schema():
    return SampleSettings


@hookimpl
def mk_configure(app: Flask) -> None:
    app.config["SAMPLE_GREETING"] = plugin_settings(app, "sample")["greeting"]


@hookimpl
def mk_register_blueprints(app: Flask):
    return [pages]


@hookimpl
def mk_register_api_blueprints(app: Flask):
    return [api]


@hookimpl
def mk_register_commands():
    return [count_notes]


@hookimpl
def mk_register_jobs(app: Flask):
    return [
        Job("sample.cleanup", cleanup_notes, schedule={"minute": "0"}),
        Job("sample.add_note", add_note, retries=2, retry_delay=1),
    ]


@hookimpl
def mk_permission_allowed(user: Any, action: str, resource: Any):
    if action == "sample.delete_note":
        return user is not None and isinstance(resource, Note) and resource.owner_id == user.id
    return None


@hookimpl
def mk_prepare_csp(policy: dict[str, list[str]], request: Any) -> None:
    policy["img-src"].append("https://tiles.example.org")


@hookimpl
def mk_main_menu_links(user: Any):
    return [Link(label="Notes", url="/sample/notes", order=50, key="sample-notes")]


@hookimpl
def mk_extra_template_vars(template_name: str, user: Any):
    if template_name.startswith("sample/"):
        from flask import current_app

        return {"sample_greeting": current_app.config["SAMPLE_GREETING"]}
    return None


@hookimpl
def mk_user_registered(user: Any) -> None:
    from flask import current_app

    db.session.add(Note(owner_id=user.id, body=current_app.config["SAMPLE_GREETING"]))
    db.session.commit()


@hookimpl
def mk_seed_demo(app: Flask, seed: int) -> None:
    db.session.add(Note(owner_id=1, body="A demo note"))
    db.session.commit()
