"""Listing search: one service for the pages, the API and plugins.

:func:`search_listings` asks the firstresult hook ``mk_search_listings``; the
core's default (:func:`default_search`, registered trylast) uses the
database's own full-text engine (SQLite FTS5 / PostgreSQL tsvector + GIN, see
``search_ddl``), a latitude/longitude index for radius queries (bounding box,
then haversine), keyset cursors, and facet counts per category and type.
Only published listings and public data are ever searched or returned.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import (
    BigInteger,
    Float,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
    tuple_,
    type_coerce,
)
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.elements import ColumnElement

from ...errors import NotFound, ValidationError
from ...extensions import db
from ..db import plain_rows
from .categories import (
    CategoryInfo,
    categories_by_id,
    descendant_ids,
    find_category,
    path_ids,
)
from .documents import fts5_query, query_terms, tsquery
from .models import Listing
from .rows import CARD_COLUMNS, ListingCard
from .types import listing_types

SORTS = ("relevance", "newest", "price_asc", "price_desc", "distance", "rating")
EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = 111.045
MAX_RADIUS_KM = 1000.0
#: Up to this radius a keyword search reads the box first (see ``text_match``).
BOX_FIRST_KM = 50.0
#: Relevance ranks at most this many matches (the newest ones), so a term that
#: matches a large share of listings costs the same as a rare one.
RANK_WINDOW = 1000
MAX_LIMIT = 100
MAX_PRICE = 10**15
MAX_INT = 2**63 - 1  # BIGINT (prices)
MAX_ID = 2**31 - 1  # INTEGER (ids, integer attributes)
#: Longest period an availability search may ask about.
MAX_AVAILABILITY_SPAN = timedelta(days=90)


@dataclass
class SearchQuery:
    q: str | None = None
    category: str | None = None
    listing_type: str | None = None
    min_price: int | None = None
    max_price: int | None = None
    #: Only listings whose provider's rating (``listings.provider_rating``) is at least this.
    min_rating: float | None = None
    lat: float | None = None
    lng: float | None = None
    radius_km: float | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    #: free for the whole period [available_start, available_end) (bookable types only)
    available_start: datetime | None = None
    available_end: datetime | None = None
    author_id: int | None = None
    sort: str | None = None
    cursor: str | None = None
    limit: int = 24
    facets: bool = False
    #: Hits as ``Listing`` objects with every column and image (the API) instead of the
    #: :class:`ListingCard` rows that cards show.
    full: bool = False


@dataclass
class SearchHit:
    #: a :class:`ListingCard`, or with ``SearchQuery.full`` the ``Listing``
    listing: Any
    distance_km: float | None = None


@dataclass
class SearchResult:
    hits: list[SearchHit]
    next_cursor: str | None
    facets: dict[str, dict[str, int]] | None = None

    @property
    def listings(self) -> list[Any]:
        return [h.listing for h in self.hits]


def search_listings(query: SearchQuery) -> SearchResult:
    """Validate ``query`` and ask the ``mk_search_listings`` hook."""
    from ...app import state

    validate_query(query)
    return state(current_app).pm.hook.mk_search_listings(query=query)


# ---------------------------------------------------------------------------
# validation and cursors
# ---------------------------------------------------------------------------


def validate_query(query: SearchQuery) -> None:
    errors: dict[str, list[str]] = {}
    if query.sort is None:
        query.sort = (
            "distance"
            if query.lat is not None and query.q is None
            else ("relevance" if query_terms(query.q) else "newest")
        )
    if query.sort not in SORTS:
        errors["sort"] = [f"Must be one of: {', '.join(SORTS)}."]
    if query.sort == "relevance" and not query_terms(query.q):
        query.sort = "newest"
    if not 1 <= int(query.limit) <= MAX_LIMIT:
        errors["limit"] = [f"Between 1 and {MAX_LIMIT}."]
    for name in ("min_price", "max_price"):
        value = getattr(query, name)
        if isinstance(value, int) and value > MAX_PRICE:
            errors[name] = [f"At most {MAX_PRICE}."]
        elif value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            errors[name] = ["A whole number of minor units, 0 or more."]
    if query.min_rating is not None and (
        isinstance(query.min_rating, bool)
        or not isinstance(query.min_rating, int | float)
        or not 1 <= query.min_rating <= 5
    ):
        errors["min_rating"] = ["Between 1 and 5."]
    if (query.lat is None) != (query.lng is None):
        errors["lat"] = ["Give both lat and lng."]
    if query.lat is not None:
        if not -90 <= query.lat <= 90:
            errors["lat"] = ["Between -90 and 90."]
        if query.lng is None or not -180 <= query.lng <= 180:
            errors["lng"] = ["Between -180 and 180."]
        if query.radius_km is not None and not 0 < query.radius_km <= MAX_RADIUS_KM:
            errors["radius_km"] = [f"Between 0 and {MAX_RADIUS_KM:g}."]
    elif query.radius_km is not None:
        errors["radius_km"] = ["Give lat and lng with a radius."]
    if query.sort == "distance" and query.lat is None:
        errors["sort"] = ["Sorting by distance needs lat and lng."]
    _validate_period(query, errors)
    if query.listing_type and query.listing_type not in listing_types():
        errors["listing_type"] = ["Unknown listing type."]
    filterable = filterable_attributes(query.listing_type)
    for key in query.attributes:
        if key not in filterable:
            errors.setdefault("attributes", []).append(f"{key!r} cannot be filtered on.")
    if errors:
        raise ValidationError("The search parameters are invalid.", errors=errors)


def _validate_period(query: SearchQuery, errors: dict[str, list[str]]) -> None:
    start, end = query.available_start, query.available_end
    if start is None and end is None:
        return
    if start is None or end is None:
        errors["available_start"] = ["Give both the start and the end of the period."]
        return
    # naive datetimes are UTC; aware ones are converted to UTC
    start = start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)
    end = end.replace(tzinfo=UTC) if end.tzinfo is None else end.astimezone(UTC)
    if end <= start:
        errors["available_end"] = ["The end must be after the start."]
    elif end - start > MAX_AVAILABILITY_SPAN:
        errors["available_end"] = [f"At most {MAX_AVAILABILITY_SPAN.days} days after the start."]
    query.available_start, query.available_end = start, end


def filterable_attributes(listing_type: str | None) -> dict[str, Any]:
    """``{attribute: marshmallow field}`` that may be filtered on (for one type, or any)."""
    out: dict[str, Any] = {}
    for name, lt in listing_types().items():
        if listing_type and name != listing_type:
            continue
        fields_ = lt.schema_fields()
        for attr in lt.filterable:
            out.setdefault(attr, fields_[attr])
    return out


def encode_cursor(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str | None, sort: str) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, binascii.Error, UnicodeError):
        data = None
    if not isinstance(data, dict) or data.get("s") != sort:
        raise ValidationError(errors={"cursor": ["Invalid cursor."]})
    return data


# ---------------------------------------------------------------------------
# the default implementation: a search's shape and its values
# ---------------------------------------------------------------------------


def _dialect() -> str:
    return db.session.get_bind().dialect.name


@dataclass(frozen=True)
class Shape:
    """How a search's statements look, without any of its values (those are bound
    parameters, see :func:`plan`). Searches of one shape share one set of statements
    (:func:`statements`, built once per process), so a search costs the database's time
    plus binding its values, not building and hashing a statement every time."""

    dialect: str
    sort: str
    terms: bool = False
    #: ``category_id IN :mk_categories`` (a category without terms; with terms the
    #: documents' category tokens carry it, inside ``:mk_fts`` / ``:mk_tsq``)
    category_ids: bool = False
    listing_type: bool = False
    min_price: bool = False
    max_price: bool = False
    min_rating: bool = False
    author: bool = False
    #: ``"point"`` (lat/lng, no radius), ``"box"`` (radius), ``"lat-box"`` (a radius whose box
    #: crosses a meridian of +-180: only its latitudes bound it)
    located: str = ""
    #: SQLite, terms within ``BOX_FIRST_KM``: read the box first (see ``text_match``)
    box_first: bool = False
    #: ``(name, "bool" | "int" | "str")`` per attribute filter
    attributes: tuple[tuple[str, str], ...] = ()
    #: the period itself: plugins build its condition from the values (never shared)
    availability: tuple[datetime, datetime] | None = None
    cursor: bool = False
    #: sort by rating with a cursor in the rated section (``r`` > 0)
    rated_cursor: bool = False
    full: bool = False


def plan(query: SearchQuery, dialect: str) -> tuple[Shape, dict[str, Any]]:
    """The shape of a validated ``query`` and the values of its bound parameters."""
    sort = query.sort or "newest"
    cursor = decode_cursor(query.cursor, sort)
    params: dict[str, Any] = {"mk_limit": int(query.limit) + 1}
    shape: dict[str, Any] = {"dialect": dialect, "sort": sort, "full": query.full}
    terms = query_terms(query.q)
    category = _category(query)
    if terms:
        shape["terms"] = True
        cat_id = category.id if category else None
        if dialect == "postgresql":
            params["mk_tsq"] = tsquery(terms, cat_id)
            params["mk_rank_tsq"] = tsquery(terms)
        else:
            params["mk_fts"] = fts5_query(terms, cat_id)
    elif category is not None:
        shape["category_ids"] = True
        params["mk_categories"] = descendant_ids(category)
    for name in ("listing_type", "min_price", "max_price", "author_id"):
        value = getattr(query, name)
        if value is not None and value != "":
            shape["author" if name == "author_id" else name] = True
            params["mk_" + name] = value
    if query.min_rating is not None:
        shape["min_rating"] = True
        params["mk_min_rating"] = float(query.min_rating)
    if query.lat is not None:
        params.update(
            mk_lat=query.lat, mk_lng=query.lng, mk_coslat=math.cos(math.radians(query.lat))
        )
        shape["located"] = "point"
        if query.radius_km is not None:
            lat_lo, lat_hi, lng_lo, lng_hi = bounding_box(query.lat, query.lng, query.radius_km)
            params.update(mk_radius=query.radius_km, mk_lat_lo=lat_lo, mk_lat_hi=lat_hi)
            shape["located"] = "lat-box"
            if lng_lo >= -180 and lng_hi <= 180:
                params.update(mk_lng_lo=lng_lo, mk_lng_hi=lng_hi)
                shape["located"] = "box"
        shape["box_first"] = bool(
            terms and dialect == "sqlite" and (query.radius_km or MAX_RADIUS_KM) <= BOX_FIRST_KM
        )
    fields_ = filterable_attributes(query.listing_type) if query.attributes else {}
    attributes = []
    for i, (key, value) in enumerate(query.attributes.items()):
        kind, params[f"mk_attr_{i}"] = _attribute_value(key, value, fields_[key])
        attributes.append((key, kind))
    shape["attributes"] = tuple(attributes)
    if query.available_start is not None and query.available_end is not None:
        shape["availability"] = (query.available_start, query.available_end)
    if cursor:
        shape["cursor"] = True
        _cursor_params(cursor, sort, params, shape)
    elif sort == "relevance":
        params["mk_offset"] = 0
    return Shape(**shape), params


def _cursor_params(
    cursor: dict[str, Any], sort: str, params: dict[str, Any], shape: dict[str, Any]
) -> None:
    if sort == "relevance":
        offset = _int(cursor, "o")
        if not 0 <= offset < RANK_WINDOW:
            raise ValidationError(errors={"cursor": ["Invalid cursor."]})
        params["mk_offset"] = offset
        return
    params["mk_after_id"] = _int(cursor, "id")
    if sort.startswith("price"):
        params["mk_after_price"] = _int(cursor, "p")
    elif sort == "distance":
        params["mk_after_distance"] = _number(cursor, "d", 2 * math.pi * EARTH_RADIUS_KM)
    elif sort == "rating":
        r = _number(cursor, "r", 5)
        params["mk_after_rating"] = float(r)
        shape["rated_cursor"] = bool(r)


def _number(cursor: dict[str, Any], key: str, bound: float) -> float:
    value = cursor.get(key)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 <= value <= bound
    ):
        raise ValidationError(errors={"cursor": ["Invalid cursor."]})
    return value


def text_match(shape: Shape) -> ColumnElement[bool]:
    """The keyword condition (``:mk_tsq`` / ``:mk_fts``), with a category in the shape also
    that category or below it: the document carries a token per category on its path, so
    the full-text index answers both at once instead of intersecting the matches with the
    category's listings. ``box_first`` (SQLite): read the listings through the location
    index and test each against the set of matching ids, instead of looking up every match
    by id (a common term in a small radius: 5-18 ms instead of 30-260 ms at 1M listings)."""
    if shape.dialect == "postgresql":
        return text(
            "listings.search_vector @@ to_tsquery('simple'::regconfig, :mk_tsq)"
        ).bindparams(bindparam("mk_tsq", type_=String))
    matches = text("SELECT rowid FROM listings_fts WHERE listings_fts MATCH :mk_fts").bindparams(
        bindparam("mk_fts", type_=String)
    )
    if shape.box_first:  # unary + keeps SQLite from driving the query by the ids
        return literal_column("+listings.id").in_(matches)
    return Listing.id.in_(matches)


def distance_expr(dialect: str) -> ColumnElement[float]:
    """Haversine distance in km from (``:mk_lat``, ``:mk_lng``) to each listing."""
    least = "least" if dialect == "postgresql" else "min"
    snippet = text(
        f"(2 * {EARTH_RADIUS_KM} * asin(sqrt({least}("
        "power(sin(radians(listings.latitude - :mk_lat) / 2), 2) "
        "+ :mk_coslat * cos(radians(listings.latitude)) "
        "* power(sin(radians(listings.longitude - :mk_lng) / 2), 2), 1.0))))"
    ).bindparams(*(bindparam(name, type_=Float) for name in ("mk_lat", "mk_lng", "mk_coslat")))
    return type_coerce(snippet, Float)


def bounding_box(lat: float, lng: float, radius_km: float) -> tuple[float, float, float, float]:
    dlat = radius_km / KM_PER_DEGREE
    cos_lat = math.cos(math.radians(lat))
    dlng = 360.0 if cos_lat < 1e-6 else radius_km / (KM_PER_DEGREE * cos_lat)
    return lat - dlat, lat + dlat, lng - dlng, lng + dlng


def filtered(query: SearchQuery, dialect: str) -> Select:
    """``SELECT listings.id`` with every filter of a validated ``query`` applied (no sort,
    no cursor), its values bound."""
    shape, params = plan(query, dialect)
    return statements(shape).base.params(params)


def conditions(shape: Shape, *, with_text: bool = True) -> list[ColumnElement[bool]]:
    """The WHERE conditions of ``shape`` (``with_text=False``: without the keyword match)."""
    conds: list[ColumnElement[bool]] = [Listing.status == "published"]
    if shape.terms and with_text:
        conds.append(text_match(shape))
    if shape.category_ids:
        conds.append(Listing.category_id.in_(bindparam("mk_categories", expanding=True)))
    if shape.listing_type:
        conds.append(Listing.listing_type == bindparam("mk_listing_type"))
    if shape.min_price:
        conds.append(Listing.price_amount >= bindparam("mk_min_price"))
    if shape.max_price:
        conds.append(Listing.price_amount <= bindparam("mk_max_price"))
    if shape.min_rating:
        conds.append(Listing.provider_rating >= bindparam("mk_min_rating"))
    if shape.author:
        conds.append(Listing.author_id == bindparam("mk_author_id"))
    if shape.located in ("box", "lat-box"):
        conds.append(Listing.latitude.between(bindparam("mk_lat_lo"), bindparam("mk_lat_hi")))
        if shape.located == "box":
            conds.append(Listing.longitude.between(bindparam("mk_lng_lo"), bindparam("mk_lng_hi")))
        conds.append(distance_expr(shape.dialect) <= bindparam("mk_radius", type_=Float))
    elif shape.located == "point":
        conds.append(Listing.latitude.is_not(None))
    for i, (key, kind) in enumerate(shape.attributes):
        value = Listing.public_data[key]
        typed = (
            value.as_boolean()
            if kind == "bool"
            else value.as_integer()
            if kind == "int"
            else value.as_string()
        )
        conds.append(typed == bindparam(f"mk_attr_{i}"))
    if shape.availability is not None:
        from ..orders.availability import availability_condition

        conds.append(availability_condition(*shape.availability))
    return conds


def _category(query: SearchQuery) -> CategoryInfo | None:
    if not query.category:
        return None
    try:
        return find_category(query.category)
    except NotFound:
        raise ValidationError(errors={"category": ["Unknown category."]}) from None


def _attribute_value(key: str, value: Any, fld: Any) -> tuple[str, Any]:
    """``(kind, value)`` of an attribute filter, as its condition compares it."""
    from marshmallow import fields as mf

    try:
        if isinstance(fld, mf.Boolean):
            truthy = (
                value
                if isinstance(value, bool)
                else str(value).lower() in {"1", "true", "yes", "on"}
            )
            return "bool", truthy
        if isinstance(fld, mf.Integer):
            number = int(value)
            if abs(number) > MAX_ID:
                raise ValueError(number)
            return "int", number
    except (TypeError, ValueError):
        raise ValidationError(errors={"attributes": [f"{key!r}: invalid value."]}) from None
    return "str", str(value)[:200]


def _cover_image_id() -> Any:
    from .models import ListingImage

    return (
        select(ListingImage.id)
        .where(ListingImage.listing_id == Listing.id)
        .order_by(*ListingImage.gallery_order())
        .limit(1)
        .scalar_subquery()
    )


#: Every column and every image (one more statement whatever the page size): the API.
FULL_LOADS = (selectinload(Listing.images),)


@functools.cache
def card_columns() -> tuple[Any, ...]:
    """The columns of :class:`ListingCard` rows, the cover image's id last (built once:
    the home page and favourites select them on every request). ``public_data`` comes as
    the database gives it (SQLite: the JSON text), parsed when a card reads it: no card
    template of the core reads it, and parsing it for every hit was a tenth of a rare
    term's search."""
    table_ = Listing.__table__
    return (
        *(
            type_coerce(table_.c[name], String).label(name)
            if name == "public_data"
            else table_.c[name]
            for name in CARD_COLUMNS
        ),
        _cover_image_id().label("cover_id"),
    )


def cards(statement: Select, params: dict[str, Any] | None = None) -> list[ListingCard]:
    """The cards of a statement selecting :func:`card_columns` (first)."""
    return [ListingCard.from_row(row) for row in plain_rows(statement, params)]


def load_authors(listings: list[Listing]) -> None:
    """Load the authors of ``listings`` in one statement and set ``listing.author``, instead
    of one query per listing when it is first read."""
    from sqlalchemy.orm.attributes import set_committed_value

    from ..users.models import User

    todo = [listing for listing in listings if "author" not in listing.__dict__]
    if not todo:
        return
    ids = sorted({listing.author_id for listing in todo})
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
    for listing in todo:
        set_committed_value(listing, "author", users.get(listing.author_id))


@dataclass(frozen=True)
class Statements:
    """A shape's statements: ``base`` (the matching ids), ``hits`` (the page; for the
    rating sort its rated section, ``unrated`` the rest) and ``facets`` (the counts over
    ``base``, see :func:`facet_statements`)."""

    base: Select
    hits: Select
    facets: tuple[Select, ...]
    unrated: Select | None = None


def statements(shape: Shape) -> Statements:
    """The statements of ``shape``: built once per process and shape (a search with an
    availability period builds its own: plugins write that condition from the period)."""
    if shape.availability is not None:
        return _build.__wrapped__(shape)
    return _build(shape)


@functools.lru_cache(maxsize=512)
def _build(shape: Shape) -> Statements:
    conds = conditions(shape)
    base = select(Listing.id).where(and_(*conds))
    facets = facet_statements(base, one_pass=shape.terms)
    loads = FULL_LOADS if shape.full else ()
    limit = bindparam("mk_limit", type_=Integer)
    dist = distance_expr(shape.dialect) if shape.located else None
    columns: list[Any] = [Listing] if shape.full else list(card_columns())
    if dist is not None:
        columns.append(dist.label("distance"))

    if shape.sort == "relevance":
        if shape.dialect == "postgresql":
            # ts_rank of the newest matches (their documents read with them, not by a
            # second lookup of each): higher is better
            window = (
                select(Listing.id, literal_column("listings.search_vector").label("document"))
                .where(*conds)
                .order_by(Listing.id.desc())
                .limit(RANK_WINDOW)
                .subquery()
            )
            rank = func.ts_rank(
                window.c.document,
                text("to_tsquery('simple'::regconfig, :mk_rank_tsq)").bindparams(
                    bindparam("mk_rank_tsq", type_=String)
                ),
            )
            scored = select(window.c.id.label("id"), rank.label("score")).subquery()
        else:
            # One MATCH: the newest matches (FTS5 walks its index by rowid, descending,
            # so it stops after the window) with their bm25 score: lower is better.
            fts = table("listings_fts", column("rowid"))
            scored = (
                select(
                    Listing.id.label("id"),
                    func.bm25(literal_column("listings_fts")).label("score"),
                )
                .select_from(fts.join(Listing.__table__, Listing.id == fts.c.rowid))
                .where(
                    text("listings_fts MATCH :mk_fts").bindparams(
                        bindparam("mk_fts", type_=String)
                    ),
                    *conditions(shape, with_text=False),
                )
                .order_by(fts.c.rowid.desc())
                .limit(RANK_WINDOW)
                .subquery()
            )

        # The page's ids by score first, then only their rows (not the window's).
        def best_first(score: Any) -> Any:  # ts_rank: higher is better; bm25: lower
            return score.desc() if shape.dialect == "postgresql" else score.asc()

        page = (
            select(scored.c.id, scored.c.score)
            .order_by(best_first(scored.c.score), scored.c.id.desc())
            .offset(bindparam("mk_offset", type_=Integer))
            .limit(limit)
            .subquery()
        )
        hits = (
            select(*columns)
            .join(page, page.c.id == Listing.id)
            .order_by(best_first(page.c.score), Listing.id.desc())
        )
        return Statements(base, hits.options(*loads), facets)

    stmt = select(*columns).where(*conds)
    after_id = bindparam("mk_after_id", type_=Integer)
    if shape.sort == "newest":
        if shape.cursor:
            stmt = stmt.where(Listing.id < after_id)
        stmt = stmt.order_by(Listing.id.desc())
    elif shape.sort in ("price_asc", "price_desc"):
        key = tuple_(Listing.price_amount, Listing.id)
        after = tuple_(bindparam("mk_after_price", type_=BigInteger), after_id)
        if shape.sort == "price_asc":
            if shape.cursor:
                stmt = stmt.where(key > after)
            stmt = stmt.order_by(Listing.price_amount.asc(), Listing.id.asc())
        else:
            if shape.cursor:
                stmt = stmt.where(key < after)
            stmt = stmt.order_by(Listing.price_amount.desc(), Listing.id.desc())
    elif shape.sort == "rating":
        # Best rated first, unrated providers last (the cursor's ``r`` is 0 in that
        # section). Each section is read on its own so that both walk the
        # ``(status, provider_rating, id)`` index in order.
        rated = stmt.where(Listing.provider_rating.is_not(None))
        unrated = stmt.where(Listing.provider_rating.is_(None))
        if shape.cursor:
            rated = rated.where(
                tuple_(Listing.provider_rating, Listing.id)
                < tuple_(bindparam("mk_after_rating", type_=Float), after_id)
            )
            if not shape.rated_cursor:
                unrated = unrated.where(Listing.id < after_id)
        return Statements(
            base,
            facets=facets,
            hits=rated.options(*loads)
            .order_by(Listing.provider_rating.desc(), Listing.id.desc())
            .limit(limit),
            unrated=unrated.options(*loads).order_by(Listing.id.desc()).limit(limit),
        )
    else:  # distance
        assert dist is not None
        # The page's ids and distances first, from the location index alone, then
        # those rows: no full row is read for the other listings in the box.
        nearest = select(Listing.id.label("id"), dist.label("distance")).where(*conds)
        if shape.cursor:
            d = bindparam("mk_after_distance", type_=Float)
            nearest = nearest.where(or_(dist > d, and_(dist == d, Listing.id > after_id)))
        page = nearest.order_by(dist.asc(), Listing.id.asc()).limit(limit).subquery()
        stmt = (
            select(*columns[:-1], page.c.distance)
            .join(page, page.c.id == Listing.id)
            .order_by(page.c.distance.asc(), Listing.id.asc())
        )
        return Statements(base, stmt.options(*loads), facets)
    return Statements(base, stmt.options(*loads).limit(limit), facets)


def default_search(query: SearchQuery) -> SearchResult:
    shape, params = plan(query, _dialect())
    st = statements(shape)
    limit = int(query.limit)

    def run(stmt: Select, values: dict[str, Any]) -> list[tuple[Any, Any]]:
        """``(listing or card, distance or None)`` per row."""
        if shape.full:
            rows = db.session.execute(stmt, values).all()
            return [(row[0], row[1] if shape.located else None) for row in rows]
        at = len(ListingCard.KEYS)
        return [
            (ListingCard.from_row(row), row[at] if shape.located else None)
            for row in plain_rows(stmt, values)
        ]

    if shape.sort == "rating":
        rows: list[tuple[Any, Any]] = []
        if not shape.cursor or shape.rated_cursor:
            rows = run(st.hits, params)
        if len(rows) <= limit and query.min_rating is None:
            rows += run(st.unrated, {**params, "mk_limit": limit + 1 - len(rows)})
    else:
        rows = run(st.hits, params)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        if shape.sort == "relevance":
            offset = params["mk_offset"] + limit
            if offset < RANK_WINDOW:
                next_cursor = encode_cursor({"s": "relevance", "o": offset})
        else:
            last, distance = rows[-1]
            data: dict[str, Any] = {"s": shape.sort, "id": last.id}
            if shape.sort.startswith("price"):
                data["p"] = last.price_amount
            if shape.sort == "distance":
                data["d"] = distance
            if shape.sort == "rating":
                data["r"] = last.provider_rating or 0.0
            next_cursor = encode_cursor(data)
    hits = [SearchHit(x, None if d is None else float(d)) for x, d in rows]
    facets = count_facets(st.facets, params) if query.facets else None
    return SearchResult(hits=hits, next_cursor=next_cursor, facets=facets)


def _int(cursor: dict[str, Any], key: str) -> int:
    value = cursor.get(key)
    bound = MAX_INT if key == "p" else MAX_ID
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > bound:
        raise ValidationError(errors={"cursor": ["Invalid cursor."]})
    return value


def facet_statements(base: Select, *, one_pass: bool = False) -> tuple[Select, ...]:
    """The statements that count the listings ``base`` selects per type and category.

    ``one_pass`` (a keyword search: few matches, found through the full-text index):
    one statement counts per (type, category). Without it (browsing: most listings),
    two statements, each answered from its column's index, are faster than one sort
    of every listing (100k: 150 against 270 ms)."""
    ids = base.subquery()
    listings = Listing.__table__

    def count_by(*columns: Any) -> Select:
        return (
            select(*columns, func.count()).join(ids, ids.c.id == listings.c.id).group_by(*columns)
        )

    if one_pass:
        return (count_by(listings.c.listing_type, listings.c.category_id),)
    return (count_by(listings.c.listing_type), count_by(listings.c.category_id))


def count_facets(
    statements_: tuple[Select, ...], params: dict[str, Any] | None = None
) -> dict[str, dict[str, int]]:
    """Counts of the listings per category (rolled up to the ancestors) and type: runs
    :func:`facet_statements` (as plain rows, ``core.db.plain_rows``) with ``params``."""
    by_type: dict[str, int] = {}
    by_cat: dict[int | None, int] = {}  # None: listings without a category (no facet)
    if len(statements_) == 1:  # one pass: (type, category, count)
        for listing_type, category_id, n in plain_rows(statements_[0], params):
            by_type[listing_type] = by_type.get(listing_type, 0) + n
            by_cat[category_id] = by_cat.get(category_id, 0) + n
    else:
        by_type = dict(plain_rows(statements_[0], params).all())
        by_cat = dict(plain_rows(statements_[1], params).all())
    cats = categories_by_id()
    categories: dict[str, int] = {}
    for cat_id, count in by_cat.items():
        for cid in path_ids(cat_id, cats):
            slug = cats[cid].slug
            categories[slug] = categories.get(slug, 0) + count
    return {
        "category": dict(sorted(categories.items())),
        "listing_type": dict(sorted(by_type.items())),
    }
