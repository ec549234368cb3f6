"""Listing services: create, update, publish, pause, close, moderate.

Services add to ``db.session`` and queue events; callers end the unit of work
with :func:`marketplace_kit.events.commit`. Status flow::

    draft -> published (or pending when approval is required)
    pending -> published (approve) | draft (reject, with a reason)
    published <-> paused;  draft|pending|published|paused -> closed (final)
"""

from __future__ import annotations

import functools
from typing import Any

from flask import current_app
from marshmallow import ValidationError as MMValidationError
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from ...errors import Conflict, NotFound, PermissionDenied, ValidationError
from ...events import emit
from ...extensions import db
from ...money import Money, is_currency
from ..access import can, require
from ..db import plain_rows, utcnow
from .documents import document, with_categories
from .models import PRICING_UNITS, Category, Listing, ListingImage
from .rows import PAGE_COLUMNS, ListingPage
from .types import SCOPES, ListingType, get_listing_type, listing_types

TITLE_MIN, TITLE_MAX = 3, 200
DESCRIPTION_MAX = 20_000
#: Largest id the databases store (INTEGER primary keys); larger input is "not found".
MAX_ID = 2**31 - 1
ADDRESS_MAX = 300


def _settings() -> dict[str, Any]:
    from ...app import state

    return state(current_app).settings.listings


def site_currency() -> str:
    from ...app import state

    return state(current_app).settings.site["currency"]


def is_moderator(user: Any) -> bool:
    return user is not None and can(user, "listing.moderate")


# ---------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------


def check_price(amount: Any, currency: str | None) -> Money:
    currency = currency or site_currency()
    if not isinstance(currency, str) or not is_currency(currency):
        raise ValidationError(errors={"currency": ["Not a known currency code."]})
    if currency != site_currency():
        raise ValidationError(
            errors={"currency": [f"Prices on this site are in {site_currency()}."]}
        )
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ValidationError(errors={"price_amount": ["Must be a whole number of minor units."]})
    settings = _settings()
    if amount < settings["min_price"]:
        raise ValidationError(
            errors={"price_amount": [f"Must be at least {settings['min_price']}."]}
        )
    if amount > settings["max_price"]:
        raise ValidationError(
            errors={"price_amount": [f"Must be at most {settings['max_price']}."]}
        )
    return Money(amount, currency)


def split_attributes(
    lt: ListingType, attributes: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Validate ``attributes`` with the type's schema; return (public, protected, private)."""
    if not isinstance(attributes, dict):
        raise ValidationError(errors={"attributes": ["Must be an object."]})
    try:
        loaded = lt.schema().load(attributes)
    except MMValidationError as exc:
        raise ValidationError(
            "Some attributes are invalid.", errors={"attributes": exc.messages}
        ) from None
    dumped = lt.schema().dump(loaded)
    buckets: dict[str, dict[str, Any]] = {scope: {} for scope in SCOPES}
    for key, value in dumped.items():
        if value is None:
            continue
        buckets[lt.scope_of(key)][key] = value
    return buckets["public"], buckets["protected"], buckets["private"]


def all_attributes(listing: Listing) -> dict[str, Any]:
    return {
        **(listing.public_data or {}),
        **(listing.protected_data or {}),
        **(listing.private_data or {}),
    }


def visible_attributes(listing: Listing, viewer: Any) -> dict[str, dict[str, Any]]:
    """The extended data ``viewer`` may see, by scope.

    Public data is for everyone. Protected data is for the author and
    operators (and, once orders exist, the parties of an order, through the
    ``listing.view_protected`` permission). Private data is for the author and
    operators only.
    """
    out: dict[str, dict[str, Any]] = {"public": dict(listing.public_data or {})}
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return out
    insider = can(viewer, "listing.view_private", listing) or is_moderator(viewer)
    if insider or can(viewer, "listing.view_protected", listing):
        out["protected"] = dict(listing.protected_data or {})
    if insider:
        out["private"] = dict(listing.private_data or {})
    return out


def _category(value: Any) -> Category | None:
    if value in (None, ""):
        return None
    if isinstance(value, Category):
        return value
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        cat = db.session.get(Category, int(value)) if 0 < int(value) <= MAX_ID else None
    else:
        cat = db.session.scalar(select(Category).where(Category.slug == str(value)))
    if cat is None:
        raise ValidationError(errors={"category": ["Unknown category."]})
    return cat


def _location(
    address: Any, latitude: Any, longitude: Any
) -> tuple[str | None, float | None, float | None]:
    errors: dict[str, list[str]] = {}
    if address is not None and (not isinstance(address, str) or len(address) > ADDRESS_MAX):
        errors["address"] = [f"At most {ADDRESS_MAX} characters."]
    if (latitude is None) != (longitude is None):
        errors["latitude"] = ["Give both latitude and longitude, or neither."]
    coords: list[float | None] = []
    for name, value, bound in (("latitude", latitude, 90), ("longitude", longitude, 180)):
        if value is None or value == "":
            coords.append(None)
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            errors[name] = ["Must be a number."]
            coords.append(None)
            continue
        if not -bound <= number <= bound or number != number:
            errors[name] = [f"Must be between -{bound} and {bound}."]
        coords.append(number)
    if errors:
        raise ValidationError(errors=errors)
    return (address or None), coords[0], coords[1]


def _text(title: Any, description: Any) -> tuple[str, str]:
    errors: dict[str, list[str]] = {}
    title = title.strip() if isinstance(title, str) else ""
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        errors["title"] = [f"Between {TITLE_MIN} and {TITLE_MAX} characters."]
    description = description if isinstance(description, str) else ""
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = [f"At most {DESCRIPTION_MAX} characters."]
    if errors:
        raise ValidationError(errors=errors)
    return title, description


def _quantity(lt: ListingType, quantity: Any) -> int | None:
    if quantity in (None, ""):
        return None
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise ValidationError(errors={"quantity": ["Must be a whole number, 0 or more."]})
    if quantity > 1_000_000:
        raise ValidationError(errors={"quantity": ["Must be at most 1000000."]})
    return quantity


def refresh_document(listing: Listing) -> None:
    """Rebuild the listing's search document: its text (title, description, the type's
    searchable public attributes) and the tokens of its category and that category's
    ancestors (see ``documents.category_token``)."""
    from .categories import path_ids

    lt = listing_types().get(listing.listing_type)
    parts: list[Any] = [listing.title, listing.description]
    if lt is not None:
        parts.extend(str(listing.public_data.get(a, "")) for a in lt.searchable)
    if "category" in listing.__dict__:  # set on the object, perhaps not flushed yet
        category_id = listing.category.id if listing.category is not None else None
    else:
        category_id = listing.category_id
    listing.search_text = with_categories(document(parts), path_ids(category_id))


# ---------------------------------------------------------------------------
# create / update
# ---------------------------------------------------------------------------

EDITABLE = (
    "title",
    "description",
    "price_amount",
    "currency",
    "pricing_unit",
    "quantity",
    "category",
    "address",
    "latitude",
    "longitude",
    "attributes",
)


def create_listing(
    author: Any,
    *,
    listing_type: str,
    title: str,
    price_amount: int,
    description: str = "",
    currency: str | None = None,
    pricing_unit: str | None = None,
    quantity: int | None = None,
    category: Any = None,
    address: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    attributes: dict[str, Any] | None = None,
) -> Listing:
    """Add a draft listing authored by ``author``; validates everything first."""
    require(author, "listing.create")
    if listing_type not in listing_types():
        raise ValidationError(errors={"listing_type": [f"Unknown listing type {listing_type!r}."]})
    lt = get_listing_type(listing_type)
    listing = Listing(author_id=author.id, listing_type=lt.name, status="draft")
    listing.public_data, listing.protected_data, listing.private_data = {}, {}, {}
    _apply(
        listing,
        lt,
        {
            "title": title,
            "description": description,
            "price_amount": price_amount,
            "currency": currency,
            "pricing_unit": pricing_unit or lt.pricing_units[0],
            "quantity": quantity,
            "category": category,
            "address": address,
            "latitude": latitude,
            "longitude": longitude,
            "attributes": attributes or {},
        },
    )
    db.session.add(listing)
    db.session.flush()
    emit("mk_listing_changed", listing=listing, change="created")
    return listing


def update_listing(listing: Listing, user: Any, **changes: Any) -> Listing:
    """Change fields of ``listing``. ``attributes`` are merged (``None`` removes one)."""
    require(user, "listing.edit", listing)
    if listing.status == "closed":
        raise Conflict("A closed listing cannot be edited.")
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValidationError(errors={k: ["Cannot be changed."] for k in unknown})
    lt = get_listing_type(listing.listing_type)
    merged: dict[str, Any] = {
        "title": listing.title,
        "description": listing.description,
        "price_amount": listing.price_amount,
        "currency": listing.currency,
        "pricing_unit": listing.pricing_unit,
        "quantity": listing.quantity,
        "category": listing.category_id,
        "address": listing.address,
        "latitude": listing.latitude,
        "longitude": listing.longitude,
        "attributes": all_attributes(listing),
    }
    if "attributes" in changes:
        attrs = changes.pop("attributes") or {}
        if not isinstance(attrs, dict):
            raise ValidationError(errors={"attributes": ["Must be an object."]})
        combined = dict(merged["attributes"])
        for key, value in attrs.items():
            if value is None:
                combined.pop(key, None)
            else:
                combined[key] = value
        merged["attributes"] = combined
    merged.update(changes)
    old_price = listing.price
    _apply(listing, lt, merged)
    if listing.status == "published" and _settings()["require_approval"] and not is_moderator(user):
        # An edited listing goes back through moderation when approval is required.
        listing.status = "pending"
    emit("mk_listing_changed", listing=listing, change="updated")
    new_price = listing.price
    if (
        listing.status == "published"
        and new_price.currency == old_price.currency
        and new_price.amount < old_price.amount
    ):
        emit("mk_listing_price_dropped", listing=listing, old_price=old_price)
    return listing


def _apply(listing: Listing, lt: ListingType, data: dict[str, Any]) -> None:
    errors: dict[str, Any] = {}

    def collect(fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except ValidationError as exc:
            errors.update(exc.errors)
            return None

    texts = collect(_text, data["title"], data["description"])
    price = collect(check_price, data["price_amount"], data["currency"])
    if data["pricing_unit"] not in lt.pricing_units or data["pricing_unit"] not in PRICING_UNITS:
        errors["pricing_unit"] = [f"Must be one of: {', '.join(lt.pricing_units)}."]
    quantity = collect(_quantity, lt, data["quantity"])
    category = collect(_category, data["category"])
    loc = collect(_location, data["address"], data["latitude"], data["longitude"])
    buckets = collect(split_attributes, lt, data["attributes"])
    if errors:
        raise ValidationError("Some fields are invalid.", errors=errors)
    listing.title, listing.description = texts
    listing.price = price
    listing.pricing_unit = data["pricing_unit"]
    listing.quantity = quantity
    listing.category_id = category.id if category is not None else None
    listing.category = category
    listing.address, listing.latitude, listing.longitude = loc
    listing.public_data, listing.protected_data, listing.private_data = buckets
    refresh_document(listing)


# ---------------------------------------------------------------------------
# status changes
# ---------------------------------------------------------------------------


def _transition(listing: Listing, allowed_from: tuple[str, ...], to: str, verb: str) -> None:
    if listing.status not in allowed_from:
        raise Conflict(
            f"A {listing.status} listing cannot be {verb}.",
            errors={"status": [f"Is {listing.status}."]},
        )
    listing.status = to
    if to == "published" and listing.published_at is None:
        listing.published_at = utcnow()
    emit("mk_listing_changed", listing=listing, change=to)


def publish_listing(listing: Listing, user: Any) -> Listing:
    """Publish a draft or paused listing; it waits for approval when the config says so.

    ``[verification] publish_listings`` can require a verification level first.
    """
    require(user, "listing.edit", listing)
    require(user, "listing.publish", listing)
    if listing.status == "draft" and _settings()["require_approval"] and not is_moderator(user):
        _transition(listing, ("draft",), "pending", "submitted")
        listing.moderation_note = None
        return listing
    _transition(listing, ("draft", "paused"), "published", "published")
    listing.moderation_note = None
    return listing


def pause_listing(listing: Listing, user: Any) -> Listing:
    require(user, "listing.edit", listing)
    _transition(listing, ("published",), "paused", "paused")
    return listing


def close_listing(listing: Listing, user: Any) -> Listing:
    if not (can(user, "listing.edit", listing) or is_moderator(user)):
        raise PermissionDenied("You may not close this listing.")
    _transition(listing, ("draft", "pending", "published", "paused", "hidden"), "closed", "closed")
    return listing


def approve_listing(listing: Listing, operator: Any) -> Listing:
    require(operator, "listing.moderate", listing)
    _transition(listing, ("pending",), "published", "approved")
    listing.moderation_note = None
    return listing


def reject_listing(listing: Listing, operator: Any, reason: str) -> Listing:
    require(operator, "listing.moderate", listing)
    reason = (reason or "").strip()
    if not 3 <= len(reason) <= 500:
        raise ValidationError(errors={"reason": ["Give a reason (3 to 500 characters)."]})
    _transition(listing, ("pending",), "draft", "rejected")
    listing.moderation_note = reason
    return listing


# ---------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------


def can_view(listing: Listing, viewer: Any) -> bool:
    if listing.status == "published":
        return True
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    return (
        can(viewer, "listing.edit", listing)
        or is_moderator(viewer)
        or (listing.status == "hidden" and can(viewer, "reports.handle"))
    )


@functools.cache
def _detail_statement() -> Any:
    """The listing with its category, author and images (the API's representation and
    the forms read them), in one statement.

    Built once: SQLAlchemy then reuses the statement's cache key instead of
    working it out again for every page view.
    """
    return (
        select(Listing)
        .options(
            joinedload(Listing.category), joinedload(Listing.author), joinedload(Listing.images)
        )
        .where(Listing.id == bindparam("listing_id"))
    )


def get_listing(listing_id: int, viewer: Any = None) -> Listing:
    """The listing, if ``viewer`` may see it (published, or theirs, or an operator)."""
    listing = None
    if 0 < listing_id <= MAX_ID:
        result = db.session.execute(_detail_statement(), {"listing_id": listing_id})
        listing = result.unique().scalar_one_or_none()
    if listing is None or not can_view(listing, viewer):
        raise NotFound("No such listing.")
    return listing


@functools.cache
def _page_statements() -> tuple[Any, Any]:
    """The listing page's row (the listing, its author's name, its category) and its
    images' ids in gallery order; built once (see ``_detail_statement``)."""
    from ..users.models import User

    listings, users, categories = Listing.__table__, User.__table__, Category.__table__
    row = (
        select(
            *(listings.c[name] for name in PAGE_COLUMNS),
            users.c.display_name.label("author_name"),
            categories.c.slug.label("category_slug"),
            categories.c.names.label("category_names"),
        )
        .select_from(
            listings.join(users, users.c.id == listings.c.author_id).outerjoin(
                categories, categories.c.id == listings.c.category_id
            )
        )
        .where(listings.c.id == bindparam("listing_id"))
    )
    image_ids = (
        select(ListingImage.id)
        .where(ListingImage.listing_id == bindparam("listing_id"))
        .order_by(*ListingImage.gallery_order())
    )
    return row, image_ids


def listing_page(listing_id: int, viewer: Any = None) -> ListingPage:
    """The listing as its page shows it (a :class:`~.rows.ListingPage` row, no ORM
    object), if ``viewer`` may see it (as :func:`get_listing`)."""
    page = None
    if 0 < listing_id <= MAX_ID:
        row_statement, images_statement = _page_statements()
        params = {"listing_id": listing_id}
        row = plain_rows(row_statement, params).first()
        if row is not None:
            page = ListingPage.from_row(row)
            page.image_ids = tuple(plain_rows(images_statement, params).scalars())
    if page is None or not can_view(page, viewer):
        raise NotFound("No such listing.")
    return page


def pending_listings(limit: int = 100) -> list[Listing]:
    stmt = select(Listing).where(Listing.status == "pending").order_by(Listing.id).limit(limit)
    return list(db.session.scalars(stmt))


def listings_of(user: Any, status: str | None = None) -> list[Listing]:
    stmt = select(Listing).where(Listing.author_id == user.id)
    if status:
        stmt = stmt.where(Listing.status == status)
    return list(db.session.scalars(stmt.order_by(Listing.id.desc())))
