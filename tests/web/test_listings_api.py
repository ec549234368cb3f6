import pytest
from marshmallow import Schema, fields, validate

from marketplace_kit import hookimpl
from marketplace_kit.core.listings.types import ListingType


def auth(token):
    return {"Authorization": f"Bearer {token}"}


PRODUCT = {
    "listing_type": "product",
    "title": "Road bike",
    "description": "Carbon frame",
    "price_amount": 25000,
    "attributes": {
        "condition": "used",
        "pickup_instructions": "Back door",
        "supplier_reference": "SECRET-REF",
    },
}


def test_create_publish_read_and_no_leaks(client, user_factory, api_token_factory):
    author, other = user_factory(), user_factory()
    token, other_token = api_token_factory(author), api_token_factory(other)
    resp = client.post("/api/v1/listings/", json=PRODUCT, headers=auth(token))
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert body["status"] == "draft"
    assert body["attributes"]["private"] == {"supplier_reference": "SECRET-REF"}
    lid = body["id"]
    assert client.get(f"/api/v1/listings/{lid}", headers=auth(other_token)).status_code == 404
    resp = client.post(f"/api/v1/listings/{lid}/publish", headers=auth(token))
    assert resp.status_code == 200 and resp.json["status"] == "published"

    for headers in ({}, auth(other_token)):
        resp = client.get(f"/api/v1/listings/{lid}", headers=headers)
        assert resp.status_code == 200
        assert resp.json["attributes"] == {"public": {"condition": "used"}}
        assert "SECRET-REF" not in resp.get_data(as_text=True)
        assert "Back door" not in resp.get_data(as_text=True)
        resp = client.get("/api/v1/listings/?q=bike", headers=headers)
        assert [i["id"] for i in resp.json["items"]] == [lid]
        text = resp.get_data(as_text=True)
        assert "SECRET-REF" not in text and "Back door" not in text
    assert client.get("/api/v1/listings/?q=secret").json["items"] == []


def test_update_and_status(client, user_factory, api_token_factory):
    author, other = user_factory(), user_factory()
    token = api_token_factory(author)
    lid = client.post("/api/v1/listings/", json=PRODUCT, headers=auth(token)).json["id"]
    resp = client.patch(
        f"/api/v1/listings/{lid}",
        json={"title": "Gravel bike", "attributes": {"condition": None}},
        headers=auth(token),
    )
    assert resp.status_code == 200
    assert resp.json["title"] == "Gravel bike"
    assert resp.json["attributes"]["public"] == {}
    resp = client.patch(
        f"/api/v1/listings/{lid}", json={"title": "Mine"}, headers=auth(api_token_factory(other))
    )
    assert resp.status_code == 404  # drafts of others do not exist for them
    client.post(f"/api/v1/listings/{lid}/publish", headers=auth(token))
    resp = client.patch(
        f"/api/v1/listings/{lid}", json={"title": "Mine"}, headers=auth(api_token_factory(other))
    )
    assert resp.status_code == 403
    assert (
        client.post(f"/api/v1/listings/{lid}/pause", headers=auth(token)).json["status"] == "paused"
    )
    assert client.post(f"/api/v1/listings/{lid}/pause", headers=auth(token)).status_code == 409
    assert (
        client.post(f"/api/v1/listings/{lid}/close", headers=auth(token)).json["status"] == "closed"
    )
    mine = client.get("/api/v1/listings/mine", headers=auth(token)).json["items"]
    assert [m["id"] for m in mine] == [lid]


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"listing_type": "spaceship"}, "listing_type"),
        ({"price_amount": -5}, "price_amount"),
        ({"price_amount": 10**16}, "price_amount"),
        ({"price_amount": "12.50"}, "price_amount"),
        ({"currency": "EUR"}, "currency"),
        ({"attributes": {"condition": "shiny"}}, "attributes"),
        ({"attributes": "nope"}, "attributes"),
    ],
)
def test_bad_input_is_422(client, user_factory, api_token_factory, patch, field):
    token = api_token_factory(user_factory())
    resp = client.post("/api/v1/listings/", json={**PRODUCT, **patch}, headers=auth(token))
    assert resp.status_code == 422, resp.json
    assert resp.mimetype == "application/problem+json"
    assert field in resp.json["errors"]


def test_auth_and_scopes(client, user_factory, api_token_factory):
    assert client.post("/api/v1/listings/", json=PRODUCT).status_code == 401
    token = api_token_factory(user_factory(), scopes=("read",))
    assert client.post("/api/v1/listings/", json=PRODUCT, headers=auth(token)).status_code == 403


@pytest.mark.parametrize(
    "query",
    [
        "q=%25",
        "q=%22",
        "q=sofa%27%20OR%201%3D1",
        "q=NEAR(a%20b)",
        "sort=nope",
        "cursor=zzz",
        "lat=10",
        "limit=1000",
        "min_price=-1",
        "attr.supplier_reference=x",
        "bogus=1",
        "category=none",
        "radius_km=5",
    ],
)
def test_search_bad_input_never_500(client, listing_factory, query):
    listing_factory(title="Sofa")
    resp = client.get(f"/api/v1/listings/?{query}")
    assert resp.status_code in (200, 422), resp.get_data(as_text=True)


def test_search_cursor_and_facets(client, listing_factory):
    for i in range(5):
        listing_factory(title=f"Chair {i}", price_amount=100 * (i + 1))
    resp = client.get("/api/v1/listings/?sort=price_asc&limit=2&facets=true")
    body = resp.json
    assert [i["price"]["amount"] for i in body["items"]] == [100, 200]
    assert body["facets"]["listing_type"] == {"product": 5}
    nxt = client.get(f"/api/v1/listings/?sort=price_asc&limit=2&cursor={body['next_cursor']}")
    assert [i["price"]["amount"] for i in nxt.json["items"]] == [300, 400]


class GigAttributes(Schema):
    skill = fields.String(required=True, validate=validate.OneOf(["design", "code"]))
    budget_note = fields.String(metadata={"scope": "protected"})


class GigPlugin:
    mk_plugin_name = "gigs"

    @hookimpl
    def mk_register_listing_types(self, app):
        return [
            ListingType(
                name="gig",
                label="Gig",
                schema=GigAttributes,
                author_side="request",
                process="inquiry",
                filterable=("skill",),
                pricing_units=("project",),
            )
        ]


def test_plugin_type_through_api(app_factory, user_factory, api_token_factory):
    app = app_factory(extra_plugins=[GigPlugin()])
    with app.app_context():
        client = app.test_client()
        token = api_token_factory(user_factory())
        types = {t["name"]: t for t in client.get("/api/v1/listings/types").json}
        assert types["gig"]["author_side"] == "request"
        assert {f["name"]: f["scope"] for f in types["gig"]["fields"]} == {
            "skill": "public",
            "budget_note": "protected",
        }
        body = {
            "listing_type": "gig",
            "title": "Logo design",
            "price_amount": 50000,
            "pricing_unit": "project",
            "attributes": {"skill": "design", "budget_note": "flexible"},
        }
        resp = client.post("/api/v1/listings/", json=body, headers=auth(token))
        assert resp.status_code == 201, resp.json
        client.post(f"/api/v1/listings/{resp.json['id']}/publish", headers=auth(token))
        found = client.get("/api/v1/listings/?listing_type=gig&attr.skill=design").json["items"]
        assert [f["title"] for f in found] == ["Logo design"]
        assert found[0]["attributes"] == {"public": {"skill": "design"}}
        resp = client.post(
            "/api/v1/listings/", json={**body, "attributes": {}}, headers=auth(token)
        )
        assert resp.status_code == 422 and "skill" in resp.json["errors"]["attributes"]


def test_openapi_documents_listings(client):
    spec = client.get("/api/v1/openapi.json").json
    assert "/api/v1/listings/" in spec["paths"]
    assert "post" in spec["paths"]["/api/v1/listings/{listing_id}/publish"]


@pytest.mark.mk_config({"listings": {"require_approval": True}})
def test_moderation_api(client, user_factory, api_token_factory):
    author_token = api_token_factory(user_factory())
    mod_token = api_token_factory(user_factory(roles=["moderator"]))
    lid = client.post("/api/v1/listings/", json=PRODUCT, headers=auth(author_token)).json["id"]
    resp = client.post(f"/api/v1/listings/{lid}/publish", headers=auth(author_token))
    assert resp.json["status"] == "pending"
    assert client.get("/api/v1/listings/pending", headers=auth(author_token)).status_code == 403
    pending = client.get("/api/v1/listings/pending", headers=auth(mod_token)).json["items"]
    assert [p["id"] for p in pending] == [lid]
    # Moderators see private data of the listing they review.
    assert pending[0]["attributes"]["private"] == {"supplier_reference": "SECRET-REF"}
    assert (
        client.post(f"/api/v1/listings/{lid}/approve", headers=auth(author_token)).status_code
        == 403
    )
    bad = client.post(
        f"/api/v1/listings/{lid}/reject", json={"reason": ""}, headers=auth(mod_token)
    )
    assert bad.status_code == 422
    resp = client.post(
        f"/api/v1/listings/{lid}/reject", json={"reason": "Add photos"}, headers=auth(mod_token)
    )
    assert resp.json["status"] == "draft"
    mine = client.get(f"/api/v1/listings/{lid}", headers=auth(author_token)).json
    assert mine["moderation_note"] == "Add photos"
    client.post(f"/api/v1/listings/{lid}/publish", headers=auth(author_token))
    resp = client.post(f"/api/v1/listings/{lid}/approve", headers=auth(mod_token))
    assert resp.json["status"] == "published"


def test_favourites_and_saved_searches_api(
    client, user_factory, listing_factory, api_token_factory
):
    listing = listing_factory(title="Teapot")
    token = api_token_factory(user_factory())
    assert (
        client.put(f"/api/v1/listings/{listing.id}/favourite", headers=auth(token)).status_code
        == 204
    )
    favs = client.get("/api/v1/listings/favourites", headers=auth(token)).json["items"]
    assert [f["id"] for f in favs] == [listing.id]
    client.delete(f"/api/v1/listings/{listing.id}/favourite", headers=auth(token))
    assert client.get("/api/v1/listings/favourites", headers=auth(token)).json["items"] == []
    resp = client.post(
        "/api/v1/listings/saved-searches",
        json={"name": "Teapots", "params": {"q": "teapot", "max_price": 5000}},
        headers=auth(token),
    )
    assert resp.status_code == 201
    for bad in ({"sort": "x"}, {"lat": "north"}, {"min_price": "cheap"}, {"q": 5}):
        resp = client.post(
            "/api/v1/listings/saved-searches",
            json={"name": "Bad", "params": bad},
            headers=auth(token),
        )
        assert resp.status_code == 422, bad
    saved = client.get("/api/v1/listings/saved-searches", headers=auth(token)).json
    assert [s["name"] for s in saved] == ["Teapots"]
    other = api_token_factory(user_factory())
    sid = saved[0]["id"]
    assert (
        client.delete(f"/api/v1/listings/saved-searches/{sid}", headers=auth(other)).status_code
        == 404
    )
    assert (
        client.delete(f"/api/v1/listings/saved-searches/{sid}", headers=auth(token)).status_code
        == 204
    )


@pytest.mark.parametrize("listing_id", [2**31, 2**63, 10**30])
def test_huge_ids_are_404(client, listing_id):
    assert client.get(f"/api/v1/listings/{listing_id}").status_code == 404
    assert client.get(f"/listings/{listing_id}").status_code == 404
