"""Avatars, plugin profile sections and the /api/v1/me API."""

from __future__ import annotations

import io

import pytest
from marshmallow import Schema, fields, validate

from marketplace_kit import hookimpl
from marketplace_kit.core.users.models import User
from marketplace_kit.core.users.profiles import ProfileSection
from marketplace_kit.extensions import db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
WEBP = b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 32


def test_avatar_upload_page(client, user_factory):
    user = user_factory()
    client.login(user)
    resp = client.post(
        "/account/avatar",
        data={"csrf_token": client.csrf_token(), "avatar": (io.BytesIO(PNG), "me.png")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 303
    db.session.expire_all()
    key = db.session.get(User, user.id).avatar_key
    assert key.startswith(f"avatars/{user.id}-") and key.endswith(".png")
    img = client.get("/media/" + key)
    assert img.status_code == 200 and img.mimetype == "image/png" and img.data == PNG
    assert f'src="/media/{key}"' in client.get(f"/users/{user.id}").text
    # replacing deletes the old file
    client.post(
        "/account/avatar",
        data={"csrf_token": client.csrf_token(), "avatar": (io.BytesIO(WEBP), "x.webp")},
        content_type="multipart/form-data",
    )
    assert client.get("/media/" + key).status_code == 404
    client.submit("/account/avatar/remove")
    db.session.expire_all()
    assert db.session.get(User, user.id).avatar_key is None


@pytest.mark.mk_config({"users": {"avatar_max_kb": 16}})
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GIF89a" + b"\x00" * (17 * 1024), "At most 16 KB."),
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "Upload a PNG, JPEG, GIF or WebP"),
        (b"%PDF-1.4 pretending.png", "Upload a PNG, JPEG, GIF or WebP"),
        (b"", "Choose an image file."),
    ],
)
def test_bad_avatars_are_refused(client, user_factory, data, message):
    user = user_factory()
    client.login(user)
    resp = client.post(
        "/account/avatar",
        data={"csrf_token": client.csrf_token(), "avatar": (io.BytesIO(data), "a.png")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert message in resp.text
    db.session.expire_all()
    assert db.session.get(User, user.id).avatar_key is None


def test_avatar_needs_csrf(client, user_factory):
    client.login(user_factory())
    resp = client.post(
        "/account/avatar",
        data={"avatar": (io.BytesIO(PNG), "a.png")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 400


def test_media_refuses_path_tricks(client):
    assert client.get("/media/avatars/..%2F..%2Fmarketplace.sqlite3").status_code == 404
    assert client.get("/media/avatars/nothing.png").status_code == 404


class SkillsSchema(Schema):
    headline = fields.String(
        required=True, validate=validate.Length(max=20), metadata={"label": "Headline"}
    )
    years = fields.Integer(validate=validate.Range(0, 80), metadata={"label": "Years"})
    insured = fields.Boolean(metadata={"label": "Insured"})


class SkillsPlugin:
    mk_plugin_name = "skills"

    @hookimpl
    def mk_register_profile_sections(self, app):
        return [ProfileSection(key="skills", title="Skills", schema=SkillsSchema)]


@pytest.fixture
def skills_app(app_factory):
    app = app_factory(extra_plugins=[SkillsPlugin()])
    with app.app_context():
        yield app


def test_plugin_profile_fields_on_form_and_profile(skills_app):
    from marketplace_kit.core.users.service import create_user
    from marketplace_kit.events import commit

    client = skills_app.test_client()
    user = create_user("sk@example.com", "Sk")
    commit()
    client.login(user)
    form = client.get("/account/profile").text
    assert 'name="section__skills__headline"' in form and "Skills" in form
    base = {"display_name": "Sam", "bio": "", "locale": ""}
    resp = client.submit(
        "/account/profile",
        {**base, "section__skills__headline": "x" * 30, "section__skills__years": "-1"},
    )
    assert resp.status_code == 200
    assert 'id="section__skills__headline-errors"' in resp.text
    assert 'id="section__skills__years-errors"' in resp.text
    db.session.expire_all()
    assert db.session.get(User, user.id).display_name != "Sam"  # nothing half-saved
    resp = client.submit(
        "/account/profile",
        {
            **base,
            "section__skills__headline": "Plumber",
            "section__skills__years": "12",
            "section__skills__insured": "y",
        },
    )
    assert resp.status_code == 302
    db.session.expire_all()
    fresh = db.session.get(User, user.id)
    assert fresh.extended_data["skills"] == {"headline": "Plumber", "years": 12, "insured": True}
    public = client.get(f"/users/{user.id}").text
    assert "Plumber" in public and "Years" in public


def test_duplicate_profile_sections_stop_with_both_names(app_factory):
    from marketplace_kit.core.users.profiles import profile_sections
    from marketplace_kit.errors import PluginError

    class Other:
        mk_plugin_name = "other"

        @hookimpl
        def mk_register_profile_sections(self, app):
            return [ProfileSection(key="skills", title="Mine", schema=SkillsSchema)]

    app = app_factory(extra_plugins=[SkillsPlugin(), Other()])
    with app.app_context(), pytest.raises(PluginError) as err:
        profile_sections()
    assert "skills" in str(err.value) and "other" in str(err.value)


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_api_me_and_patch(client, user_factory, api_token_factory):
    user = user_factory(email="me@example.com", account_type="business")
    token = api_token_factory(user)
    me = client.get("/api/v1/me", headers=auth(token))
    assert me.status_code == 200
    assert me.json["email"] == "me@example.com" and me.json["account_type"] == "business"
    resp = client.patch(
        "/api/v1/me",
        json={"display_name": "New Name", "company_name": "Co", "service_area": "Paris"},
        headers=auth(token),
    )
    assert resp.status_code == 200 and resp.json["display_name"] == "New Name"
    bad = client.patch("/api/v1/me", json={"display_name": ""}, headers=auth(token))
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert "display_name" in bad.json["errors"]
    public = client.get(f"/api/v1/users/{user.id}")
    assert public.status_code == 200
    assert public.json["service_area"] == "Paris" and "email" not in public.json
    assert client.get("/api/v1/users/424242").status_code == 404
    assert client.get("/api/v1/me").status_code == 401


def test_api_individual_cannot_set_company(client, user_factory, api_token_factory):
    token = api_token_factory(user_factory())
    resp = client.patch("/api/v1/me", json={"company_name": "X"}, headers=auth(token))
    assert resp.status_code == 422


def test_api_read_token_cannot_write(client, user_factory, api_token_factory):
    token = api_token_factory(user_factory(), scopes=("read",))
    assert client.get("/api/v1/me", headers=auth(token)).status_code == 200
    resp = client.patch("/api/v1/me", json={"display_name": "Y"}, headers=auth(token))
    assert resp.status_code == 403


def test_api_avatar(client, user_factory, api_token_factory):
    token = api_token_factory(user_factory())
    bad = client.put(
        "/api/v1/me/avatar",
        data={"avatar": (io.BytesIO(b"not an image"), "a.png")},
        headers=auth(token),
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and "avatar" in bad.json["errors"]
    ok = client.put(
        "/api/v1/me/avatar",
        data={"avatar": (io.BytesIO(PNG), "a.png")},
        headers=auth(token),
        content_type="multipart/form-data",
    )
    assert ok.status_code == 200 and ok.json["avatar_url"].endswith(".png")
    assert client.delete("/api/v1/me/avatar", headers=auth(token)).status_code == 204


def test_api_password_change(client, user_factory, api_token_factory):
    token = api_token_factory(user_factory())
    weak = client.post(
        "/api/v1/me/password",
        json={"current_password": "correct horse battery staple", "password": "password"},
        headers=auth(token),
    )
    assert weak.status_code == 422 and "password" in weak.json["errors"]
    wrong = client.post(
        "/api/v1/me/password",
        json={"current_password": "nope", "password": "violet tangerine orbit"},
        headers=auth(token),
    )
    assert wrong.status_code == 422 and "current_password" in wrong.json["errors"]
    ok = client.post(
        "/api/v1/me/password",
        json={
            "current_password": "correct horse battery staple",
            "password": "violet tangerine orbit",
        },
        headers=auth(token),
    )
    assert ok.status_code == 204


def test_api_profile_sections(skills_app):
    from marketplace_kit.core.users.service import create_user
    from marketplace_kit.core.users.tokens import create_token
    from marketplace_kit.events import commit

    user = create_user("api-sk@example.com", "Sk")
    commit()
    _t, secret = create_token(user, "t", ["read", "write"])
    commit()
    client = skills_app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    bad = client.patch(
        "/api/v1/me",
        json={"sections": {"skills": {"headline": "x", "years": 200}}},
        headers=headers,
    )
    assert bad.status_code == 422 and "skills.years" in bad.json["errors"]
    unknown = client.patch("/api/v1/me", json={"sections": {"nope": {}}}, headers=headers)
    assert unknown.status_code == 422
    ok = client.patch(
        "/api/v1/me",
        json={"display_name": "Skilled", "sections": {"skills": {"headline": "Tiler", "years": 3}}},
        headers=headers,
    )
    assert ok.status_code == 200
    assert ok.json["sections"]["skills"] == {"headline": "Tiler", "years": 3}
    public = client.get(f"/api/v1/users/{user.id}").json
    assert public["sections"] == {"skills": {"headline": "Tiler", "years": 3}}


def test_openapi_documents_the_users_api(client):
    spec = client.get("/api/v1/openapi.json").json
    for path in (
        "/api/v1/me",
        "/api/v1/me/avatar",
        "/api/v1/tokens",
        "/api/v1/tokens/{token_id}",
        "/api/v1/auth/register",
        "/api/v1/auth/tokens",
        "/api/v1/operator/verification",
        "/api/v1/operator/audit",
    ):
        assert path in spec["paths"], path
    assert spec["paths"]["/api/v1/me"]["get"]["security"] == [{"bearerAuth": []}]
