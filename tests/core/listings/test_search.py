import re

import pytest
from sqlalchemy import text

from marketplace_kit.core.listings.search import SearchQuery, search_listings
from marketplace_kit.errors import ValidationError
from marketplace_kit.extensions import db


def titles(**kw):
    return [item.title for item in search_listings(SearchQuery(**kw)).listings]


@pytest.fixture
def catalog(listing_factory, category_factory, user_factory):
    home = category_factory("home")
    furniture = category_factory("furniture", parent=home)
    bikes = category_factory("bikes")
    author = user_factory()
    make = listing_factory
    return {
        "sofa": make(
            title="Grey sofa",
            description="Comfortable three seater",
            price_amount=30000,
            category=furniture,
            author=author,
            latitude=52.52,
            longitude=13.405,
        ),
        "lamp": make(
            title="Desk lamp",
            description="Warm light",
            price_amount=2500,
            category=home,
            latitude=52.50,
            longitude=13.30,
        ),
        "bike": make(
            title="Road bike",
            description="Carbon frame, 54 cm",
            price_amount=90000,
            category=bikes,
            latitude=48.85,
            longitude=2.35,
            public_data={"condition": "used"},
        ),
        "zh": make(
            title="二手自行车出售",
            description="九成新，送车锁",  # noqa: RUF001
            price_amount=40000,
            category=bikes,
            latitude=31.23,
            longitude=121.47,
            public_data={"condition": "like_new"},
        ),
        "ru": make(
            title="Велосипед горный",
            description="Отличное состояние, Москва",
            price_amount=15000,
            category=bikes,
            latitude=55.75,
            longitude=37.62,
        ),
        "draft": make(title="Secret sofa draft", status="draft", category=furniture),
        "private": make(
            title="Plain chair", private_data={"note": "sofa"}, protected_data={"code": "sofa"}
        ),
    }


def test_keywords_prefix_and_published_only(catalog):
    assert titles(q="sofa") == ["Grey sofa"]
    assert titles(q="comfort") == ["Grey sofa"]  # prefix match
    assert titles(q="SOFA grey") == ["Grey sofa"]
    assert titles(q="sofa lamp") == []


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("自行车", "二手自行车出售"),
        ("二手", "二手自行车出售"),
        ("车锁", "二手自行车出售"),
        ("车", "二手自行车出售"),
        ("велосипед", "Велосипед горный"),
        ("ВЕЛОСИПЕД", "Велосипед горный"),
        ("москва", "Велосипед горный"),
    ],
)
def test_chinese_and_russian(catalog, q, expected):
    assert titles(q=q) == [expected]


def test_chinese_phrase_does_not_match_scattered_characters(catalog):
    assert titles(q="自车") == []


@pytest.mark.parametrize(
    "q",
    [
        '"',
        "'",
        'sofa"',
        "so'fa",
        "%",
        "_",
        "*",
        "sofa OR lamp",
        "NOT sofa",
        "NEAR(sofa lamp)",
        "a:b",
        "title:sofa",
        "-sofa",
        "^sofa",
        "(sofa",
        "sofa)",
        "\\",
        "' OR 1=1 --",
        "\x00",
        "ǅ" * 500,
    ],
)
def test_injection_attempts_are_plain_text(catalog, q):
    result = search_listings(SearchQuery(q=q))
    for listing in result.listings:
        assert listing.status == "published"
    if q in ("sofa OR lamp", "NOT sofa"):
        # Operators are ordinary words: "or"/"not" must also match, so nothing does.
        assert result.listings == []


def test_percent_is_not_a_wildcard(catalog):
    assert titles(q="%ofa") == []  # the word "ofa" is not a prefix of anything


def test_category_includes_descendants(catalog):
    assert set(titles(category="home")) == {"Grey sofa", "Desk lamp"}
    assert titles(category="furniture") == ["Grey sofa"]
    with pytest.raises(ValidationError):
        titles(category="nope")


def test_keywords_in_a_category_include_descendants(catalog, db_dialect):
    assert titles(q="sofa", category="home") == ["Grey sofa"]
    assert titles(q="sofa", category="furniture", sort="newest") == ["Grey sofa"]
    assert titles(q="sofa", category="bikes") == []
    assert set(titles(q="bike", category="bikes")) == {"Road bike"}
    assert titles(q="自行车", category="bikes") == ["二手自行车出售"]
    # the same search within 50 km (SQLite reads the box first, then tests the matches)
    assert titles(q="lamp", category="home", lat=52.52, lng=13.405, radius_km=20) == ["Desk lamp"]
    result = search_listings(SearchQuery(q="sofa", category="home", facets=True))
    assert result.facets["category"] == {"furniture": 1, "home": 1}


@pytest.mark.parametrize("q", ["c", "/c/", "/c/1", "c 1", "_c1", "1"])
def test_category_tokens_cannot_be_searched_for(catalog, q):
    """No query matches the category tokens of the documents (``/c/<id>``): the lamp (in
    a category, no word starting with "c" or "1") is never found."""
    assert "Desk lamp" not in titles(q=q)
    assert catalog["lamp"].category_id is not None


def test_moving_a_category_moves_its_listings_in_keyword_search(catalog, user_factory, app):
    from marketplace_kit.core.listings.categories import get_category, update_category

    operator = user_factory(roles=["admin"])
    furniture = get_category("furniture")
    update_category(operator, furniture, slug="furniture", names=furniture.names, parent="bikes")
    db.session.commit()
    assert titles(q="sofa", category="bikes") == ["Grey sofa"]
    assert titles(q="sofa", category="home") == []
    update_category(operator, furniture, slug="furniture", names=furniture.names, parent=None)
    db.session.commit()
    assert titles(q="sofa", category="bikes") == []
    assert titles(q="sofa", category="furniture") == ["Grey sofa"]


def test_price_range_type_and_attribute_filters(catalog):
    assert set(titles(min_price=20000, max_price=50000)) == {"Grey sofa", "二手自行车出售"}
    assert titles(listing_type="product", attributes={"condition": "used"}) == ["Road bike"]
    with pytest.raises(ValidationError) as exc:
        titles(attributes={"note": "sofa"})
    assert "attributes" in exc.value.errors
    with pytest.raises(ValidationError):
        titles(listing_type="spaceship")


def test_private_and_protected_data_are_not_searched(catalog):
    assert titles(q="sofa") == ["Grey sofa"]
    assert "Plain chair" not in titles(q="code")


def test_radius_sorted_by_distance(catalog):
    result = search_listings(SearchQuery(lat=52.51, lng=13.40, radius_km=20))
    assert [h.listing.title for h in result.hits] == ["Grey sofa", "Desk lamp"]
    assert result.hits[0].distance_km < result.hits[1].distance_km < 20
    far = titles(lat=52.51, lng=13.40, radius_km=1000, sort="distance")
    assert far == ["Grey sofa", "Desk lamp", "Road bike"]
    assert titles(lat=52.51, lng=13.40, radius_km=20, q="lamp") == ["Desk lamp"]


def test_sorts_and_cursor_pagination(catalog):
    assert titles(sort="price_asc")[:2] == ["Plain chair", "Desk lamp"]
    seen, cursor = [], None
    while True:
        result = search_listings(SearchQuery(sort="price_desc", limit=2, cursor=cursor))
        seen.extend(item.price_amount for item in result.listings)
        cursor = result.next_cursor
        if not cursor:
            break
    assert seen == sorted(seen, reverse=True) and len(seen) == 6
    newest = [item.id for item in search_listings(SearchQuery(sort="newest")).listings]
    assert newest == sorted(newest, reverse=True)
    with pytest.raises(ValidationError):
        search_listings(SearchQuery(cursor="not-a-cursor"))
    with pytest.raises(ValidationError):
        search_listings(SearchQuery(sort="distance"))


def test_relevance_pagination(listing_factory):
    for i in range(5):
        listing_factory(title=f"Oak table {i}", description="oak " * i)
    first = search_listings(SearchQuery(q="oak", limit=3))
    assert len(first.listings) == 3 and first.next_cursor
    second = search_listings(SearchQuery(q="oak", limit=3, cursor=first.next_cursor))
    assert len(second.listings) == 2 and second.next_cursor is None
    assert {x.id for x in first.listings}.isdisjoint({x.id for x in second.listings})


def test_facets(catalog):
    result = search_listings(SearchQuery(facets=True))
    assert result.facets["category"] == {"bikes": 3, "furniture": 1, "home": 2}
    assert result.facets["listing_type"] == {"product": 6}
    result = search_listings(SearchQuery(q="sofa", facets=True))
    assert result.facets["category"] == {"furniture": 1, "home": 1}
    assert result.facets["listing_type"] == {"product": 1}


@pytest.mark.parametrize("q", [None, "bike", "sofa"])
def test_facet_counts_are_the_same_in_one_pass_or_two(catalog, db_dialect, q):
    from marketplace_kit.core.listings.search import (
        count_facets,
        facet_statements,
        filtered,
        validate_query,
    )

    def facet_counts(base, *, one_pass):
        return count_facets(facet_statements(base, one_pass=one_pass))

    query = SearchQuery(q=q)
    validate_query(query)
    base = filtered(query, db_dialect)
    assert facet_counts(base, one_pass=True) == facet_counts(base, one_pass=False)


def test_search_hook_can_be_replaced(app, register_plugin, catalog):
    from marketplace_kit import hookimpl
    from marketplace_kit.core.listings.search import SearchResult

    class Engine:
        @hookimpl
        def mk_search_listings(self, query):
            return SearchResult(hits=[], next_cursor=None, facets={"engine": {"x": 1}})

    register_plugin(Engine())
    assert search_listings(SearchQuery(q="sofa")).facets == {"engine": {"x": 1}}


@pytest.mark.parametrize("keyword", [None, "item"], ids=["radius", "radius+keyword"])
def test_radius_query_uses_the_location_index(app, user_factory, db_dialect, keyword):
    import random

    from sqlalchemy import insert

    from marketplace_kit.core.listings.models import Listing
    from marketplace_kit.core.listings.search import filtered

    author = user_factory()
    rnd = random.Random(4)
    rows = [
        {
            "author_id": author.id,
            "listing_type": "product",
            "title": f"Item {i}",
            "description": "",
            "price_amount": 100,
            "currency": "USD",
            "pricing_unit": "item",
            "status": "published",
            "public_data": {},
            "protected_data": {},
            "private_data": {},
            "latitude": rnd.uniform(-60, 70),
            "longitude": rnd.uniform(-180, 180),
            "search_text": "item",
        }
        for i in range(3000)
    ]
    db.session.execute(insert(Listing), rows)
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    query = SearchQuery(q=keyword, lat=52.5, lng=13.4, radius_km=10, sort="distance")
    stmt = filtered(query, db_dialect)
    compiled = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
    if db_dialect == "sqlite":
        plan = db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
        details = " | ".join(row[-1] for row in plan)
        assert "ix_listings_status_lat_lng" in details, details
        assert not re.search(r"SCAN listings(?!_fts)", details), details  # the FTS index is fine
        # a keyword is tested against the matching ids, not used to look listings up by id
        assert "PRIMARY KEY" not in details, details
    else:
        plan = "\n".join(r[0] for r in db.session.execute(text(f"EXPLAIN {compiled}")))
        assert "ix_listings_status_lat_lng" in plan, plan
        assert "Seq Scan on listings" not in plan, plan


def test_rating_sort_pages_through_rated_then_unrated_listings_exactly(listing_factory):
    from sqlalchemy import update

    from marketplace_kit.core.listings.models import Listing
    from marketplace_kit.core.listings.search import encode_cursor

    ratings = [4.5, None, 3.0, 4.5, None, 5.0, 3.0, None, 4.5, 1.0, None]
    ids = []
    for n, rating in enumerate(ratings):
        listing = listing_factory(title=f"Rated {n}")
        db.session.execute(
            update(Listing).where(Listing.id == listing.id).values(provider_rating=rating)
        )
        ids.append(listing.id)
    db.session.commit()
    rated = sorted(
        (r, i) for r, i in zip(ratings, ids, strict=True) if r is not None
    )  # ascending; reversed below
    expected = [i for _, i in reversed(rated)] + sorted(
        (i for r, i in zip(ratings, ids, strict=True) if r is None), reverse=True
    )
    assert [x.id for x in search_listings(SearchQuery(sort="rating")).listings] == expected
    for limit in range(1, len(ids) + 1):
        seen, cursor, pages = [], None, 0
        while True:
            page = search_listings(SearchQuery(sort="rating", limit=limit, cursor=cursor))
            assert len(page.listings) <= limit
            seen.extend(x.id for x in page.listings)
            pages += 1
            cursor = page.next_cursor
            if not cursor:
                break
        assert seen == expected, limit
        assert pages == -(-len(ids) // limit)  # no empty last page
    # with min_rating the unrated ones are never reached
    found = search_listings(SearchQuery(sort="rating", min_rating=3, limit=20))
    assert [x.id for x in found.listings] == [i for _, i in reversed(rated) if _ >= 3]
    assert found.next_cursor is None
    # a cursor in the unrated section (r = 0) continues there
    after = sorted((i for r, i in zip(ratings, ids, strict=True) if r is None), reverse=True)
    page = search_listings(
        SearchQuery(sort="rating", cursor=encode_cursor({"s": "rating", "r": 0, "id": after[1]}))
    )
    assert [x.id for x in page.listings] == after[2:]
    for bad in (-1, 6, "4", True, float("nan")):
        with pytest.raises(ValidationError):
            search_listings(
                SearchQuery(sort="rating", cursor=encode_cursor({"s": "rating", "r": bad, "id": 1}))
            )


def test_searches_of_one_shape_share_statements_that_hold_no_values(catalog, db_dialect):
    from marketplace_kit.core.listings.search import _build, plan, statements, validate_query

    def shape_of(**kw):
        query = SearchQuery(**kw)
        validate_query(query)
        return plan(query, db_dialect)

    sofa, sofa_params = shape_of(q="sofa", category="home", min_price=4321, lat=52.51, lng=13.49)
    bike, bike_params = shape_of(q="bike", category="bikes", min_price=5, lat=48.8, lng=2.3)
    assert sofa == bike and sofa_params != bike_params
    assert shape_of(q="sofa")[0] != shape_of(q="sofa", min_price=1)[0]
    before = _build.cache_info().hits
    assert titles(q="sofa", category="home", min_price=4321) == ["Grey sofa"]
    assert titles(q="bike", category="bikes", min_price=5) == ["Road bike"]
    assert _build.cache_info().hits > before
    st = statements(sofa)
    for stmt in (st.hits, st.base):
        sql = str(stmt.compile(db.engine))
        for value in ("sofa", "bike", "4321", "52.51", "13.49", "/c/"):
            assert value not in sql


def test_hits_are_cards_that_load_the_listing_for_anything_else(catalog):
    card = search_listings(SearchQuery(q="sofa")).listings[0]
    assert type(card).__name__ == "ListingCard"
    assert card == catalog["sofa"] and card.price == catalog["sofa"].price
    # the row holds what a card shows, never the description or protected/private data
    assert {"description", "protected_data", "private_data", "_listing"}.isdisjoint(card.__dict__)
    # a name no Listing has is absent without loading it (permission checks probe such names)
    assert getattr(card, "party_ids", None) is None and "_listing" not in card.__dict__
    # public data is the card's own (parsed when read, SQLite sends it as JSON text)
    assert card.public_data == catalog["sofa"].public_data and "_listing" not in card.__dict__
    bike = search_listings(SearchQuery(q="bike", attributes={"condition": "used"})).listings[0]
    assert bike.public_data == {"condition": "used"} and "_listing" not in bike.__dict__
    assert card.description == "Comfortable three seater"  # loads the listing
    assert card.listing is catalog["sofa"]
    with pytest.raises(AttributeError):
        card._sa_instance_state  # noqa: B018  (a card is no ORM object)
    full = search_listings(SearchQuery(q="sofa", full=True)).listings[0]
    assert full is catalog["sofa"]
