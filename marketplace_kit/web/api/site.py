"""``GET /api/v1/site``: what a client needs to know about this marketplace."""

from __future__ import annotations

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ... import __version__
from ...app import state

bp = Blueprint("api_site", __name__, url_prefix="/site", description="This marketplace")


class SiteSchema(Schema):
    name = fields.String(required=True)
    tagline = fields.String()
    base_url = fields.String(required=True)
    currency = fields.String(required=True)
    default_locale = fields.String(required=True)
    locales = fields.List(fields.String(), required=True)
    timezone = fields.String(required=True)
    version = fields.String(required=True)
    plugins = fields.List(fields.String(), required=True)


@bp.route("")
@bp.response(200, SiteSchema)
def get_site():
    """Site name, currency, locales and enabled plugins."""
    mk = state(current_app)
    site = mk.settings.site
    return {
        **{
            k: site[k]
            for k in (
                "name",
                "tagline",
                "base_url",
                "currency",
                "default_locale",
                "locales",
                "timezone",
            )
        },
        "version": __version__,
        "plugins": [n for n, p in mk.pm.loaded.items() if not p.builtin],
    }
