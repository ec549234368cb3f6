"""HTTP basics: health, plugin list, errors, security headers, locale, theme."""

from __future__ import annotations

import pytest

PROBLEM = "application/problem+json"


def test_healthz_reports_version_database_and_plugins(client, db_dialect):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    body = resp.json
    assert body["status"] == "ok" and body["database"] is True
    assert body["checks"]["database"]["dialect"] == db_dialect
    assert body["version"] == "0.1.0"
    assert body["plugins"] == []


def test_healthz_turns_503_when_a_check_fails(app, client, register_plugin):
    from marketplace_kit import hookimpl

    class Failing:
        @hookimpl
        def mk_prepare_health(self, report):
            report["checks"]["payments"] = {"ok": False, "error": "gateway down"}

    register_plugin(Failing())
    resp = client.get("/healthz")
    assert resp.status_code == 503
    assert resp.json["checks"]["payments"] == {"ok": False, "error": "gateway down"}


def test_plugin_list_is_hidden_in_production_but_shown_to_admins(app, client, user_factory):
    assert client.get("/-/plugins.json").status_code == 404
    client.login(user_factory(roles=["moderator"]))
    assert client.get("/-/plugins.json").status_code == 404
    client.login(user_factory(roles=["admin"]))
    resp = client.get("/-/plugins.json")
    assert resp.status_code == 200
    assert "sample" in {row["name"] for row in resp.json["plugins"]}


@pytest.mark.mk_config({"security": {"expose_plugin_list": True}})
@pytest.mark.mk_plugins("sample")
def test_plugin_list_can_be_exposed(client):
    rows = {row["name"]: row for row in client.get("/-/plugins.json").json["plugins"]}
    assert rows["sample"]["enabled"] is True
    assert "mk_register_blueprints" in rows["sample"]["hooks"]


def test_api_errors_are_problem_json(client):
    resp = client.get("/api/v1/nothing-here")
    assert resp.status_code == 404
    assert resp.mimetype == PROBLEM
    assert resp.json["status"] == 404 and resp.json["title"] == "Not Found"
    assert resp.json["instance"] == "/api/v1/nothing-here"
    resp = client.post("/api/v1/site")
    assert resp.status_code == 405 and resp.mimetype == PROBLEM
    assert "GET" in resp.headers["Allow"]


def test_page_errors_are_html(client):
    resp = client.get("/nothing-here")
    assert resp.status_code == 404
    assert resp.mimetype == "text/html"
    assert "404 · Page not found" in resp.get_data(as_text=True)


def test_json_clients_get_problem_json_for_pages_too(client):
    resp = client.get("/nothing-here", headers={"Accept": "application/json"})
    assert resp.status_code == 404 and resp.mimetype == PROBLEM


def test_form_without_csrf_token_is_refused(client, user_factory):
    user = user_factory(email="csrf@example.com", password="a long passphrase 1")
    resp = client.post("/login", data={"email": user.email, "password": "a long passphrase 1"})
    assert resp.status_code == 400
    assert "form expired" in resp.get_data(as_text=True)
    assert "/logout" not in client.get("/").text


def test_language_switch_needs_no_token_and_anonymous_pages_no_session(client):
    home = client.get("/")
    assert "Set-Cookie" not in home.headers  # no CSRF token, so no session cookie
    resp = client.post("/locale", data={"locale": "ru", "next": "/"})
    assert resp.status_code == 303 and "mk_lang=ru" in resp.headers["Set-Cookie"]


def test_state_changing_route_refuses_get(client):
    assert client.get("/locale?locale=ru").status_code == 405


def test_oversized_body_is_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 100
    resp = client.post("/locale", data={"locale": "x" * 200}, headers={"Accept": PROBLEM})
    assert resp.status_code == 413 and resp.mimetype == PROBLEM
    resp = client.post("/locale", data={"locale": "x" * 200})
    assert resp.status_code == 413 and "413" in resp.get_data(as_text=True)


def test_security_headers(client):
    resp = client.get("/")
    h = resp.headers
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert h["X-Frame-Options"] == "DENY"
    csp = h["Content-Security-Policy"]
    for directive in (
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "default-src 'self'",
    ):
        assert directive in csp
    assert "Strict-Transport-Security" not in h


def test_plugins_cannot_loosen_fixed_csp_directives(client, register_plugin):
    from marketplace_kit import hookimpl

    class Loose:
        @hookimpl
        def mk_prepare_csp(self, policy, request):
            policy["object-src"] = ["*"]
            policy["img-src"].append("https://maps.example.net")

    register_plugin(Loose())
    csp = client.get("/").headers["Content-Security-Policy"]
    assert "object-src 'none'" in csp and "object-src *" not in csp
    assert "img-src 'self' data: https://maps.example.net" in csp


@pytest.mark.mk_config({"site": {"base_url": "https://shop.example.com"}})
def test_https_site_gets_hsts_and_secure_cookies(app, client):
    resp = client.get("/", base_url="https://shop.example.com")
    assert "max-age=" in resp.headers["Strict-Transport-Security"]
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_untrusted_host_is_refused_in_production(app_factory, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    app = app_factory({"app": {"testing": False}, "site": {"base_url": "https://shop.example.com"}})
    client = app.test_client()
    assert client.get("/healthz", base_url="https://shop.example.com").status_code == 200
    assert client.get("/healthz", base_url="https://evil.example.net").status_code == 400


def test_locale_from_accept_language_and_switcher(client):
    html = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert '<html lang="zh-Hans">' in html
    resp = client.submit("/locale", {"locale": "ru", "next": "/?q=1"})
    assert resp.status_code == 303 and resp.headers["Location"] == "/?q=1"
    assert "mk_lang=ru" in resp.headers["Set-Cookie"]
    html = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<html lang="ru">' in html


def test_locale_switch_rejects_unknown_locale_and_open_redirects(client):
    assert client.submit("/locale", {"locale": "xx"}).status_code == 400
    resp = client.submit("/locale", {"locale": "en", "next": "https://evil.example.net/"})
    assert resp.headers["Location"] == "/"
    resp = client.submit("/locale", {"locale": "en", "next": "//evil.example.net/"})
    assert resp.headers["Location"] == "/"


@pytest.mark.mk_config({"theme": {"primary_color": "#123456", "font_stack": "Georgia, serif"}})
def test_theme_colours_come_from_config(client):
    css = client.get("/theme.css").get_data(as_text=True)
    assert "--mk-primary:#123456;" in css and "--mk-font:Georgia, serif;" in css


def test_site_api_and_openapi(client):
    site = client.get("/api/v1/site").json
    assert site["currency"] == "USD" and site["locales"] == ["en", "zh_Hans", "ru"]
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/site" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_unexpected_errors_are_a_clean_500(app, client):
    app.config["MK_RAISE_UNEXPECTED"] = False

    @app.get("/api/v1/_boom")
    def boom():
        raise RuntimeError("secret internals")

    resp = client.get("/api/v1/_boom")
    assert resp.status_code == 500 and resp.mimetype == PROBLEM
    assert "secret internals" not in resp.get_data(as_text=True)


@pytest.mark.mk_config({"site": {"base_url": "https://shop.example.com"}})
def test_robots_and_sitemap(client, register_plugin):
    from datetime import UTC, datetime

    from marketplace_kit import hookimpl

    class Pages:
        @hookimpl
        def mk_sitemap_urls(self):
            return [("/listings/1?a=1&b=2", datetime(2026, 5, 1, tzinfo=UTC)), ("/", None)]

    register_plugin(Pages())
    robots = client.get("/robots.txt").get_data(as_text=True)
    assert "Disallow: /api/" in robots and "Sitemap: https://shop.example.com/sitemap.xml" in robots
    xml = client.get("/sitemap.xml")
    assert xml.mimetype == "application/xml"
    body = xml.get_data(as_text=True)
    assert body.count("<loc>https://shop.example.com/</loc>") == 1
    assert (
        "<url><loc>https://shop.example.com/listings/1?a=1&amp;b=2</loc><lastmod>2026-05-01</lastmod></url>"
        in body
    )


@pytest.mark.mk_plugins("sample")
def test_api_reference_page_is_rendered_from_the_spec(client):
    html = client.get("/api/docs").get_data(as_text=True)
    assert "<code>/api/v1/site</code>" in html and "<code>/api/v1/sample/notes</code>" in html
    assert 'id="schema-Site"' in html and 'id="schema-Problem"' in html
    assert "application/problem+json" in html
    assert "<script" not in html


def test_ids_beyond_a_bigint_are_not_found(app, client):
    @app.get("/_things/<int:thing_id>")
    def thing(thing_id):
        return str(thing_id)

    assert client.get("/_things/42").get_data(as_text=True) == "42"
    assert client.get(f"/_things/{2**63}").status_code == 404


def test_values_beyond_what_the_database_stores_are_422(app, client, user_factory):
    from marketplace_kit.core.listings.models import Listing
    from marketplace_kit.extensions import db as database

    author = user_factory()

    @app.get("/api/v1/_huge")
    def huge():
        database.session.add(
            Listing(
                author_id=author.id,
                listing_type="product",
                title="x",
                price_amount=2**70,
                currency="USD",
            )
        )
        database.session.flush()
        return "unreachable"

    resp = client.get("/api/v1/_huge")
    assert resp.status_code == 422 and resp.mimetype == PROBLEM
    assert "out of the range" in resp.json["detail"]


def test_api_schema_names_are_unique(app_factory):
    """Two schemas with one name would be silently renamed in the OpenAPI document."""
    import warnings

    from marketplace_kit.plugins import available_plugins

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        app = app_factory(plugins=list(available_plugins()))
        app.test_client().get("/api/v1/openapi.json")
    assert [str(w.message) for w in caught if "Multiple schemas" in str(w.message)] == []


def test_template_url_for_builds_what_flask_builds(app):
    """Templates build constant and per-object URLs without Flask's per-call lookups and
    remember them; the URLs must be Flask's own, under each mount point, and values that
    compare equal but print differently (1, True, 1.0) must not share a URL."""
    from flask import render_template_string, url_for

    calls = [
        ("listings.detail", {"listing_id": 5}),
        ("listings.thumbnail", {"listing_id": 5, "image_id": 7}),
        ("listings.search", {"q": "a b&c", "category": "x"}),
        ("main.index", {}),
        ("static", {"filename": "css/site.css", "v": "1"}),
        ("listings.detail", {"listing_id": 5, "_external": True}),
        ("listings.detail", {"listing_id": 5, "_anchor": "reviews"}),
        ("listings.search", {"page": 1}),
        ("listings.search", {"page": True}),
        ("listings.search", {"page": 1.0}),
        ("listings.search", {"type": ["product", "service"]}),  # unhashable: built each time
    ]
    for root in ("", "/shop", ""):
        with app.test_request_context("/listings/", base_url="http://x.test" + root):
            for endpoint, values in calls:
                for _ in range(2):  # the second call answers from what the first built
                    got = render_template_string(
                        "{{ url_for(endpoint, **values)|safe }}", endpoint=endpoint, values=values
                    )
                    assert got == url_for(endpoint, **values), (root, endpoint, values)


def test_template_url_for_applies_url_defaults(app):
    """An app with ``url_defaults`` functions gets its URLs from Flask's ``url_for``."""
    from flask import render_template_string, url_for

    @app.url_defaults
    def add_ref(endpoint, values):
        if endpoint == "listings.search":
            values.setdefault("ref", "mail")

    with app.test_request_context("/"):
        got = render_template_string("{{ url_for('listings.search')|safe }}")
        assert got == url_for("listings.search") and "ref=mail" in got


def test_template_url_for_outside_a_request_is_flasks(app):
    """Mails and jobs render templates with only an app context."""
    from flask import render_template_string, url_for

    app.config["SERVER_NAME"] = "market.test"
    with app.app_context():
        got = render_template_string(
            "{{ url_for('main.index', _external=True) }}|{{ static_url('css/site.css') }}"
            "|{{ url_for('listings.detail', listing_id=3, _external=True) }}"
        )
        expected = "|".join(
            [
                url_for("main.index", _external=True),
                url_for(
                    "static", filename="css/site.css", v=__import__("marketplace_kit").__version__
                ),
                url_for("listings.detail", listing_id=3, _external=True),
            ]
        )
        assert got == expected
