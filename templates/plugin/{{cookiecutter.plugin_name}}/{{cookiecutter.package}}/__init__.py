"""{{ cookiecutter.plugin_title }}: a marketplace-kit plugin."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import Schema, fields, validate
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column

from marketplace_kit import hookimpl, plugin_settings
from marketplace_kit.core.db import TimestampMixin
from marketplace_kit.events import commit
from marketplace_kit.extensions import db
from marketplace_kit.web.menus import Link

NAME = "{{ cookiecutter.plugin_name }}"


class Entry(TimestampMixin, db.Model):
    """This plugin's table: its name starts with the plugin name."""

    __tablename__ = "{{ cookiecutter.plugin_name }}_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    text: Mapped[str] = mapped_column(String(280))


class Settings(Schema):
    """The `[plugins.{{ cookiecutter.plugin_name }}]` section of marketplace.toml."""

    greeting = fields.String(load_default="Hello", validate=validate.Length(1, 80))


bp = Blueprint(NAME, __name__, url_prefix="/{{ cookiecutter.plugin_name.replace('_', '-') }}")


@bp.get("/")
def index():
    entries = db.session.scalars(select(Entry).order_by(Entry.id.desc())).all()
    return render_template(f"{NAME}/index.html", entries=entries)


@bp.post("/")
def add():
    if not current_user.is_authenticated:
        abort(401)
    text = request.form.get("text", "").strip()
    if not 1 <= len(text) <= 280:
        entries = db.session.scalars(select(Entry).order_by(Entry.id.desc())).all()
        error = _l("Write between 1 and 280 characters.")
        return render_template(f"{NAME}/index.html", entries=entries, error=error, text=text), 422
    db.session.add(Entry(author_id=current_user.id, text=text))
    commit()
    return redirect(url_for(f"{NAME}.index"), code=303)


@hookimpl
def mk_config_schema():
    return Settings


@hookimpl
def mk_register_blueprints(app: Flask):
    return [bp]


@hookimpl
def mk_main_menu_links(user: Any):
    return [Link(label=_l("{{ cookiecutter.plugin_title }}"), url=url_for(f"{NAME}.index"), order=60)]


@hookimpl
def mk_extra_template_vars(template_name: str, user: Any):
    if template_name.startswith(f"{NAME}/"):
        from flask import current_app

        return {"greeting": plugin_settings(current_app, NAME)["greeting"]}
    return None
