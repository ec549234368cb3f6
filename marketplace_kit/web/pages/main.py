"""Home, health, plugin list, theme stylesheet and locale switch."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape as xml_escape

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import text

from ... import __version__
from ...app import state
from ...core.access import can
from ...extensions import csrf, db
from ..i18n import LOCALE_COOKIE, locale_code

bp = Blueprint("main", __name__)


def landing_copy(locale: str) -> dict[str, Any]:
    """The ``[landing]`` words for ``locale``: its own, then the default locale's, then the site's."""
    mk = state(current_app)
    site, copies = mk.settings.site, mk.settings.landing["copy"]
    chosen: dict[str, Any] = {}
    for source in (copies.get(locale), copies.get(site["default_locale"])):
        for key, value in (source or {}).items():
            if value and not chosen.get(key):
                chosen[key] = value
    chosen.setdefault("headline", site["name"])
    chosen.setdefault("lead", site["tagline"])
    chosen.setdefault("steps", [])
    if not chosen.get("cta_url") and mk.settings.users["allow_registration"]:
        chosen["cta_url"] = url_for("listings.choose_type")
        chosen.setdefault("cta_label", None)
    return chosen


@bp.get("/")
def index():
    from ...core.listings import showcase

    landing = state(current_app).settings.landing
    featured = showcase.featured(landing["featured"])
    return render_template(
        "index.html",
        copy=landing_copy(locale_code()),
        featured=featured,
        recent=showcase.recent(landing["recent"], exclude=[listing.id for listing in featured]),
        categories=showcase.top_categories() if landing["categories"] else [],
    )


@bp.get("/healthz")
def healthz():
    mk = state(current_app)
    checks: dict[str, Any] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = {"ok": True, "dialect": db.engine.dialect.name}
    except Exception as exc:  # reported, not raised: this is the health check
        db.session.rollback()
        checks["database"] = {"ok": False, "error": type(exc).__name__}
    report: dict[str, Any] = {
        "version": __version__,
        "plugins": [n for n, p in mk.pm.loaded.items() if not p.builtin],
        "checks": checks,
    }
    mk.pm.hook.mk_prepare_health(report=report)
    ok = all(c.get("ok") for c in report["checks"].values())
    report["status"] = "ok" if ok else "failing"
    report["database"] = checks["database"]["ok"]
    resp = jsonify(report)
    resp.status_code = 200 if ok else 503
    resp.headers["Cache-Control"] = "no-store"
    return resp


def plugin_report() -> list[dict[str, Any]]:
    """Every available plugin with version, enabled or not, and implemented hooks."""
    from ...plugins import available_plugins

    mk = state(current_app)
    rows = []
    for name, info in available_plugins().items():
        loaded = mk.pm.loaded.get(name)
        hooks = []
        if loaded is not None:
            hooks = sorted(h.name for h in mk.pm.get_hookcallers(loaded.obj) or [])
        rows.append(
            {
                "name": name,
                "version": info.version,
                "distribution": info.distribution,
                "enabled": loaded is not None,
                "hooks": hooks,
            }
        )
    for name, loaded in mk.pm.loaded.items():
        if loaded.builtin or name in {r["name"] for r in rows}:
            continue
        rows.append(
            {
                "name": name,
                "version": loaded.version,
                "distribution": loaded.distribution,
                "enabled": True,
                "hooks": sorted(h.name for h in mk.pm.get_hookcallers(loaded.obj) or []),
            }
        )
    return rows


@bp.get("/-/plugins.json")
def plugins_json():
    mk = state(current_app)
    user = current_user if current_user.is_authenticated else None
    if not (
        mk.settings.security["expose_plugin_list"]
        or mk.settings.app["debug"]
        or mk.settings.app["demo"]
        or can(user, "operator.view_plugins")
    ):
        abort(404)
    return jsonify({"plugins": plugin_report()})


@bp.get("/theme.css")
def theme_css():
    theme = state(current_app).settings.theme
    css = (
        ":root{"
        f"--mk-primary:{theme['primary_color']};"
        f"--mk-accent:{theme['accent_color']};"
        f"--mk-bg:{theme['background_color']};"
        f"--mk-text:{theme['text_color']};"
        f"--mk-font:{theme['font_stack']};"
        "}\n"
    )
    resp = Response(css, mimetype="text/css")
    resp.headers["Cache-Control"] = "public, max-age=300"
    return resp


def _safe_next(target: str | None) -> str:
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@bp.post("/locale")
@csrf.exempt
def set_locale():
    # Only sets the language cookie: nothing a forged request could abuse, and leaving the
    # CSRF token out of the footer form keeps anonymous pages free of a session cookie.
    locales = state(current_app).settings.site["locales"]
    code = request.form.get("locale", "")
    if code not in locales:
        abort(400, description=f"Unknown language {code!r}.")
    resp = redirect(_safe_next(request.form.get("next")), code=303)
    resp.set_cookie(
        LOCALE_COOKIE,
        code,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
    )
    return resp


@bp.get("/robots.txt")
def robots_txt():
    base = state(current_app).settings.site["base_url"].rstrip("/")
    body = "\n".join(
        [
            "User-agent: *",
            "Disallow: /api/",
            "Disallow: /console/",
            "Disallow: /account/",
            "Disallow: /-/",
            f"Sitemap: {base}/sitemap.xml",
            "",
        ]
    )
    return Response(body, mimetype="text/plain")


@bp.get("/sitemap.xml")
def sitemap_xml():
    mk = state(current_app)
    base = mk.settings.site["base_url"].rstrip("/")
    entries: list[tuple[str, Any]] = [("/", None)]
    for urls in mk.pm.hook.mk_sitemap_urls():
        entries.extend(urls or [])
    seen: set[str] = set()
    lines = ['<?xml version="1.0" encoding="UTF-8"?>']
    lines.append('<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">')
    for path, modified in entries:
        if path in seen or not path.startswith("/"):
            continue
        seen.add(path)
        loc = xml_escape(base + path)
        lastmod = f"<lastmod>{modified.date().isoformat()}</lastmod>" if modified else ""
        lines.append(f"<url><loc>{loc}</loc>{lastmod}</url>")
    lines.append("</urlset>")
    resp = Response("\n".join(lines), mimetype="application/xml")
    resp.headers["Cache-Control"] = "public, max-age=3600"
    return resp
