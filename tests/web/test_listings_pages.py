import re

import pytest
from marshmallow import Schema, fields, validate

from marketplace_kit import hookimpl
from marketplace_kit.core.listings.models import Listing
from marketplace_kit.core.listings.types import ListingType
from marketplace_kit.extensions import db

FORM = {
    "title": "Oak dining table",
    "description": "Seats six",
    "price": "120.50",
    "pricing_unit": "item",
    "quantity": "1",
    "category": "",
    "address": "Berlin",
    "latitude": "52.52",
    "longitude": "13.40",
    "attr_condition": "used",
    "attr_brand": "Ikea",
    "attr_pickup_instructions": "Courtyard door",
    "attr_supplier_reference": "PRIVATE-42",
}


def test_create_through_generic_form_and_publish(client, user_factory):
    user = user_factory()
    client.login(user)
    page = client.get("/listings/new/product")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="attr_condition"' in html and "<select" in html
    assert 'for="attr_supplier_reference"' in html
    resp = client.submit("/listings/new/product", FORM)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    listing = db.session.scalars(db.select(Listing)).one()
    assert listing.price_amount == 12050 and listing.status == "draft"
    assert listing.private_data == {"supplier_reference": "PRIVATE-42"}
    assert client.get(f"/listings/{listing.id}/publish").status_code == 405  # no GET changes
    client.submit(f"/listings/{listing.id}/publish")
    db.session.refresh(listing)
    assert listing.status == "published"
    mine = client.get("/listings/mine").get_data(as_text=True)
    assert "Oak dining table" in mine


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"price": "abc"}, "price", "12.50"),
        ({"price": "-5"}, "price", "at least"),
        ({"price": "99999999999999"}, "price", "at most"),
        ({"price": "1.999"}, "price", "12.50"),
        ({"attr_condition": "shiny"}, "attr_condition", "Not a valid choice"),
        ({"title": "x"}, "title", "between 3 and 200"),
        ({"latitude": "95"}, "latitude", "between"),
        ({"category": "nope"}, "category", "Unknown category"),
    ],
)
def test_form_errors_next_to_fields(client, user_factory, changes, field, message):
    client.login(user_factory())
    resp = client.submit("/listings/new/product", {**FORM, **changes})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert f'id="{field}-errors"' in html
    assert message.lower() in html.lower()
    assert db.session.scalar(db.select(db.func.count(Listing.id))) == 0


def test_pages_require_login(client):
    for path in ("/listings/new/product", "/listings/mine"):
        resp = client.get(path)
        assert resp.status_code == 302
        assert resp.headers["Location"].startswith("/login?next=")


def test_unknown_type_is_404(client, user_factory):
    client.login(user_factory())
    assert client.get("/listings/new/spaceship").status_code == 404


def test_detail_hides_private_and_protected_from_others(client, user_factory, listing_factory):
    author, other = user_factory(), user_factory()
    listing = listing_factory(
        author=author,
        title="Vintage lamp",
        public_data={"brand": "Artek"},
        protected_data={"pickup_instructions": "Door code 1234"},
        private_data={"supplier_reference": "SUPPLIER-99"},
    )
    for viewer in (None, other):
        client.logout()
        if viewer:
            client.login(viewer)
        html = client.get(f"/listings/{listing.id}").get_data(as_text=True)
        assert "Artek" in html
        assert "1234" not in html and "SUPPLIER-99" not in html
        search = client.get("/listings/?q=lamp").get_data(as_text=True)
        assert "Vintage lamp" in search and "SUPPLIER-99" not in search
        assert "Vintage lamp" not in client.get("/listings/?q=supplier").get_data(as_text=True)
    client.login(author)
    html = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert "1234" in html and "SUPPLIER-99" in html


def test_search_page_filters_facets_and_languages(client, listing_factory, category_factory):
    bikes = category_factory(
        "bikes", names={"en": "Bikes", "zh_Hans": "自行车", "ru": "Велосипеды"}
    )
    listing_factory(title="二手自行车", category=bikes, price_amount=30000)
    listing_factory(title="Горный велосипед", category=bikes, price_amount=20000)
    listing_factory(title="Desk", price_amount=5000)
    html = client.get("/listings/?q=自行车").get_data(as_text=True)
    assert "二手自行车" in html and "Горный" not in html
    html = client.get("/listings/?q=велосипед").get_data(as_text=True)
    assert "Горный велосипед" in html and "二手自行车" not in html
    html = client.get("/listings/?category=bikes&max_price=250").get_data(as_text=True)
    assert "Горный велосипед" in html and "二手自行车" not in html and "Desk" not in html
    html = client.get("/listings/").get_data(as_text=True)
    assert "(2)" in html  # category facet count
    html = client.get("/listings/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "自行车" in html


def _facet_entries(html: str) -> list[str]:
    """The category facet's entries as text: ``"name (n)"``, ``"[name] (n)"`` for the chosen
    one, ``"> "`` per indentation level."""
    nav = html.split('class="facets"', 1)[1].split("</nav>", 1)[0]
    block = nav.split("<h2>", 2)[1].split("</ul>", 1)[0]
    out = []
    for item in block.split("<li>")[1:]:
        item = item.split("</li>", 1)[0]
        depth = item.count("· ")
        name = re.sub(r"<strong[^>]*>(.*?)</strong>", r"[\1]", item)
        name = re.sub(r"<[^>]+>", "", name).replace("· ", "").strip()
        out.append("> " * depth + " ".join(name.split()))
    return out


def test_category_facet_drills_down(client, listing_factory, category_factory):
    home = category_factory("home")
    furniture = category_factory("furniture", parent=home)
    chairs = category_factory("chairs", parent=furniture)
    bikes = category_factory("bikes")
    for cat in (chairs, chairs, furniture, bikes):
        listing_factory(category=cat)

    assert _facet_entries(client.get("/listings/").get_data(as_text=True)) == [
        "Home (3)",
        "Bikes (1)",
    ]
    html = client.get("/listings/?category=home").get_data(as_text=True)
    assert _facet_entries(html) == ["All categories", "[Home] (3)", "> Furniture (3)"]
    assert 'href="/listings/?category=furniture"' in html and 'href="/listings/"' in html
    html = client.get("/listings/?category=chairs&sort=newest").get_data(as_text=True)
    assert _facet_entries(html) == [
        "All categories",
        "Home",
        "> Furniture",
        "> > [Chairs] (2)",
    ]
    assert 'href="/listings/?category=home&amp;sort=newest"' in html
    # the filter form still offers every category, indented
    assert '<option value="chairs" selected>· · Chairs</option>' in html


@pytest.mark.parametrize(
    "query",
    [
        "q=%25%27%22",
        "min_price=abc",
        "lat=x&lng=1",
        "lat=1",
        "sort=distance",
        "cursor=%%%",
        "type=spaceship",
        "category=missing",
        "radius_km=9999&lat=1&lng=1",
        "lat=nan&lng=1",
    ],
)
def test_search_page_bad_input_never_500(client, listing_factory, query):
    listing_factory(title="Sofa")
    resp = client.get(f"/listings/?{query}")
    assert resp.status_code == 200


def test_pause_close_and_permissions(client, user_factory, listing_factory):
    author, other = user_factory(), user_factory()
    listing = listing_factory(author=author)
    client.login(other)
    assert client.submit(f"/listings/{listing.id}/pause").status_code == 403
    assert client.get(f"/listings/{listing.id}/edit").status_code == 403
    client.login(author)
    client.submit(f"/listings/{listing.id}/pause")
    db.session.refresh(listing)
    assert listing.status == "paused"
    client.logout()
    assert client.get(f"/listings/{listing.id}").status_code == 404
    client.login(author)
    client.submit(f"/listings/{listing.id}/close")
    db.session.refresh(listing)
    assert listing.status == "closed"


def test_edit_form(client, user_factory, listing_factory):
    author = user_factory()
    listing = listing_factory(author=author, title="Old title", public_data={"brand": "Acme"})
    client.login(author)
    page = client.get(f"/listings/{listing.id}/edit").get_data(as_text=True)
    assert 'value="Old title"' in page and 'value="Acme"' in page
    form = {**FORM, "title": "New title", "attr_brand": "", "price": "10"}
    resp = client.submit(f"/listings/{listing.id}/edit", form)
    assert resp.status_code == 302
    db.session.refresh(listing)
    assert listing.title == "New title" and "brand" not in listing.public_data
    assert listing.price_amount == 1000


@pytest.mark.mk_config({"listings": {"require_approval": True}})
def test_moderation_pages(client, user_factory, listing_factory):
    author = user_factory()
    moderator = user_factory(roles=["moderator"])
    listing = listing_factory(author=author, status="draft")
    client.login(author)
    client.submit(f"/listings/{listing.id}/publish")
    db.session.refresh(listing)
    assert listing.status == "pending"
    assert client.get("/console/listings").status_code == 403
    client.login(moderator)
    assert "Listing" in client.get("/console/listings").get_data(as_text=True)
    resp = client.submit(f"/console/listings/{listing.id}/reject", {"reason": ""})
    assert resp.status_code == 422
    client.submit(f"/console/listings/{listing.id}/reject", {"reason": "Blurry photos"})
    db.session.refresh(listing)
    assert listing.status == "draft" and listing.moderation_note == "Blurry photos"
    client.login(author)
    assert "Blurry photos" in client.get(f"/listings/{listing.id}").get_data(as_text=True)
    client.submit(f"/listings/{listing.id}/publish")
    client.login(moderator)
    client.submit(f"/console/listings/{listing.id}/approve")
    db.session.refresh(listing)
    assert listing.status == "published"


def test_categories_page(client, user_factory):
    client.login(user_factory())
    assert client.get("/console/categories").status_code == 403
    client.login(user_factory(roles=["admin"]))
    resp = client.submit(
        "/console/categories",
        {"slug": "garden", "name_en": "Garden", "name_zh_Hans": "花园", "name_ru": "Сад"},
    )
    assert resp.status_code == 302
    html = client.get("/console/categories").get_data(as_text=True)
    assert "花园" in html and "Сад" in html
    resp = client.submit("/console/categories", {"slug": "Bad Slug", "name_en": "x"})
    assert resp.status_code == 422 and 'id="slug-errors"' in resp.get_data(as_text=True)


def test_favourites_and_saved_searches(client, user_factory, listing_factory):
    user = user_factory()
    listing = listing_factory(title="Blue kettle")
    client.login(user)
    client.submit(f"/listings/{listing.id}/favourite")
    assert "Blue kettle" in client.get("/listings/favourites").get_data(as_text=True)
    client.submit(f"/listings/{listing.id}/favourite")
    assert "Blue kettle" not in client.get("/listings/favourites").get_data(as_text=True)
    resp = client.submit("/listings/searches?q=kettle&max_price=20", {"name": "Kettles"})
    assert resp.status_code == 302
    html = client.get("/listings/searches").get_data(as_text=True)
    assert "Kettles" in html and "q=kettle" in html


def test_cards_show_the_first_image_as_cover(client, user_factory, listing_factory):
    """Cards read the cover's id in the search's own statement; it follows the images' order."""
    import io

    from PIL import Image

    from marketplace_kit.core.listings import images
    from marketplace_kit.events import commit

    def png(colour: tuple[int, int, int]) -> bytes:
        out = io.BytesIO()
        Image.new("RGB", (8, 8), colour).save(out, "PNG")
        return out.getvalue()

    listing = listing_factory(title="Copper pan")
    bare = listing_factory(title="Copper lid")
    first = images.add_image(listing, listing.author, png((200, 10, 10)))
    second = images.add_image(listing, listing.author, png((10, 10, 200)))
    commit()
    user = user_factory()
    client.login(user)
    client.submit(f"/listings/{listing.id}/favourite")

    def thumbs(url: str) -> list[str]:
        html = client.get(url).get_data(as_text=True)
        return re.findall(r'src="(/listings/\d+/images/\d+/thumb[^"]*)"', html)

    cover = f"/listings/{listing.id}/images/{first.id}/thumb"
    for url in ("/listings/?q=copper", "/", "/listings/favourites"):
        assert thumbs(url) == [cover], url
    html = client.get("/listings/?q=copper").get_data(as_text=True)
    assert "Copper lid" in html and html.count("thumb-empty") == 1
    images.reorder_images(listing, listing.author, [second.id, first.id])
    commit()
    for url in ("/listings/?q=copper", "/", "/listings/favourites"):
        assert thumbs(url) == [f"/listings/{listing.id}/images/{second.id}/thumb"], url
    assert bare.cover_id is None


def test_listing_page_reads_a_row_not_orm_objects(
    app, client, user_factory, listing_factory, category_factory
):
    """The page shows the listing, its author, category and images in gallery order from
    plain rows: a visitor's view builds no ORM object of any of them."""
    import io

    from PIL import Image
    from sqlalchemy import event

    from marketplace_kit.core.listings import images
    from marketplace_kit.core.listings.models import Category, ListingImage
    from marketplace_kit.core.users.models import User
    from marketplace_kit.events import commit

    def png(colour: tuple[int, int, int]) -> bytes:
        out = io.BytesIO()
        Image.new("RGB", (8, 8), colour).save(out, "PNG")
        return out.getvalue()

    author = user_factory(display_name="Mira Potter")
    pots = category_factory("pots", names={"en": "Pots", "ru": "Кастрюли"})
    listing = listing_factory(title="Copper pot", author=author, category=pots)
    first = images.add_image(listing, author, png((200, 10, 10)))
    second = images.add_image(listing, author, png((10, 10, 200)))
    images.reorder_images(listing, author, [second.id, first.id])
    commit()
    listing_id, order = listing.id, [str(second.id), str(first.id)]
    db.session.expunge_all()

    built: list[str] = []

    def loaded(target, _context):
        built.append(type(target).__name__)

    for model in (Listing, User, Category, ListingImage):
        event.listen(model, "load", loaded)
    try:
        html = client.get(f"/listings/{listing_id}").get_data(as_text=True)
        ru = client.get(f"/listings/{listing_id}", headers={"Accept-Language": "ru"})
    finally:
        for model in (Listing, User, Category, ListingImage):
            event.remove(model, "load", loaded)
    assert built == []
    assert "Mira Potter" in html and 'href="/listings/?category=pots">Pots</a>' in html
    assert re.findall(r'<a href="/listings/\d+/images/(\d+)">', html) == order
    assert re.findall(r'property="og:image" content="[^"]*/images/(\d+)"', html) == order[:1]
    assert ">Кастрюли</a>" in ru.get_data(as_text=True)


class RecipeAttributes(Schema):
    cuisine = fields.String(required=True, validate=validate.OneOf(["thai", "italian"]))
    servings = fields.Integer(validate=validate.Range(1, 20), metadata={"label": "Servings"})
    vegetarian = fields.Boolean()
    allergens_note = fields.String(metadata={"scope": "private", "widget": "textarea"})


class ChefPlugin:
    mk_plugin_name = "chefs"

    @hookimpl
    def mk_register_listing_types(self, app):
        return [
            ListingType(
                name="private_chef",
                label="Private chef",
                schema=RecipeAttributes,
                process="booking",
                filterable=("cuisine",),
                pricing_units=("person",),
            )
        ]


def test_plugin_type_through_generic_form(app_factory, user_factory):
    app = app_factory(extra_plugins=[ChefPlugin()])
    with app.app_context():
        client = app.test_client()
        client.login(user_factory())
        html = client.get("/listings/new/private_chef").get_data(as_text=True)
        assert 'name="attr_cuisine"' in html and 'type="checkbox"' in html
        assert "<textarea" in html and "Servings" in html
        data = {
            "title": "Thai dinner at home",
            "price": "45",
            "pricing_unit": "person",
            "attr_cuisine": "thai",
            "attr_servings": "4",
            "attr_vegetarian": "y",
            "attr_allergens_note": "No peanuts",
        }
        bad = client.submit("/listings/new/private_chef", {**data, "attr_servings": "99"})
        assert bad.status_code == 422 and 'id="attr_servings-errors"' in bad.get_data(as_text=True)
        missing = client.submit("/listings/new/private_chef", {**data, "attr_cuisine": ""})
        assert missing.status_code == 422
        resp = client.submit("/listings/new/private_chef", data)
        assert resp.status_code == 302, resp.get_data(as_text=True)
        listing = db.session.scalars(db.select(Listing)).one()
        assert listing.public_data == {"cuisine": "thai", "servings": 4, "vegetarian": True}
        assert listing.private_data == {"allergens_note": "No peanuts"}


def test_the_listing_form_shows_the_categorys_attribute_hints(
    client, user_factory, listing_factory, category_factory
):
    furniture = category_factory(
        "furniture", names={"en": "Furniture"}, attribute_hints=["condition", "material"]
    )
    category_factory("books", names={"en": "Books"})  # no hints: not listed
    user = user_factory()
    client.login(user)
    new = client.get("/listings/new/product").text
    assert "What to mention, by category" in new
    assert "<dt>Furniture</dt><dd>Condition, material</dd>" in new  # the type's label, or the name
    assert "<dt>Books</dt>" not in new and "usually mention" not in new
    listing = listing_factory(author=user, category=furniture)
    edit = client.get(f"/listings/{listing.id}/edit").text
    assert "Listings in Furniture usually mention: Condition, material." in edit
