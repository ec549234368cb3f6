"""Favourites (a user follows a listing or a provider) and saved searches."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ...errors import NotFound, ValidationError
from ...extensions import db
from ..access import require
from .models import Favourite, Listing, SavedSearch
from .rows import ListingCard
from .search import (
    FULL_LOADS,
    SearchQuery,
    card_columns,
    cards,
    search_listings,
    validate_query,
)

SAVED_SEARCH_KEYS = (
    "q",
    "category",
    "listing_type",
    "min_price",
    "max_price",
    "min_rating",
    "lat",
    "lng",
    "radius_km",
    "attributes",
)
MAX_SAVED_SEARCHES = 50


def _find(user: Any, listing: Listing | None, provider: Any | None) -> Favourite | None:
    stmt = select(Favourite).where(Favourite.user_id == user.id)
    if listing is not None:
        stmt = stmt.where(Favourite.listing_id == listing.id)
    else:
        stmt = stmt.where(Favourite.provider_id == provider.id)
    return db.session.scalar(stmt)


def add_favourite(user: Any, *, listing: Listing | None = None, provider: Any = None) -> Favourite:
    """Follow a listing or a provider; following twice is a no-op."""
    if (listing is None) == (provider is None):
        raise ValidationError(errors={"listing": ["Give a listing or a provider."]})
    if provider is not None and provider.id == user.id:
        raise ValidationError(errors={"provider": ["You cannot follow yourself."]})
    existing = _find(user, listing, provider)
    if existing is not None:
        return existing
    fav = Favourite(
        user_id=user.id,
        listing_id=listing.id if listing is not None else None,
        provider_id=provider.id if provider is not None else None,
    )
    db.session.add(fav)
    db.session.flush()
    return fav


def remove_favourite(user: Any, *, listing: Listing | None = None, provider: Any = None) -> None:
    existing = _find(user, listing, provider)
    if existing is not None:
        db.session.delete(existing)


def is_favourite(user: Any, listing: Listing) -> bool:
    return user is not None and _find(user, listing, None) is not None


def favourite_listings(user: Any, *, full: bool = False) -> list[Listing] | list[ListingCard]:
    """The published listings ``user`` follows, newest favourite first: as cards, or with
    ``full`` as ``Listing`` objects with their images (the API)."""
    stmt = (
        select(*((Listing,) if full else card_columns()))
        .join(Favourite, Favourite.listing_id == Listing.id)
        .where(Favourite.user_id == user.id, Listing.status == "published")
        .order_by(Favourite.id.desc())
    )
    if full:
        return list(db.session.scalars(stmt.options(*FULL_LOADS)))
    return cards(stmt)


def clean_params(params: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(params) - set(SAVED_SEARCH_KEYS))
    if unknown:
        raise ValidationError(errors={k: ["Cannot be saved in a search."] for k in unknown})
    clean = {k: v for k, v in params.items() if v not in (None, "", {})}
    validate_query(SearchQuery(**clean))
    return clean


def save_search(
    user: Any, name: str, params: dict[str, Any], *, notify: bool = False
) -> SavedSearch:
    require(user, "listing.create")  # any signed-in member
    name = (name or "").strip()
    if not 1 <= len(name) <= 120:
        raise ValidationError(errors={"name": ["Between 1 and 120 characters."]})
    count = len(saved_searches_of(user))
    if count >= MAX_SAVED_SEARCHES:
        raise ValidationError(errors={"name": [f"At most {MAX_SAVED_SEARCHES} saved searches."]})
    newest = db.session.scalar(select(Listing.id).order_by(Listing.id.desc()).limit(1)) or 0
    saved = SavedSearch(
        user_id=user.id, name=name, params=clean_params(params), notify=notify, last_seen_id=newest
    )
    db.session.add(saved)
    db.session.flush()
    return saved


def saved_searches_of(user: Any) -> list[SavedSearch]:
    stmt = select(SavedSearch).where(SavedSearch.user_id == user.id).order_by(SavedSearch.id)
    return list(db.session.scalars(stmt))


def get_saved_search(user: Any, saved_id: int) -> SavedSearch:
    saved = db.session.get(SavedSearch, saved_id) if 0 < saved_id < 2**31 else None
    if saved is None or saved.user_id != user.id:
        raise NotFound("No such saved search.")
    return saved


def delete_saved_search(user: Any, saved_id: int) -> None:
    db.session.delete(get_saved_search(user, saved_id))


def new_matches(saved: SavedSearch, *, limit: int = 50) -> list[Listing]:
    """Published listings matching ``saved`` that appeared since it was last checked.

    Advances ``last_seen_id``; the notifications area calls this from a job.
    """
    result = search_listings(SearchQuery(**saved.params, sort="newest", limit=limit))
    fresh = [x for x in result.listings if x.id > saved.last_seen_id]
    if fresh:
        saved.last_seen_id = max(x.id for x in fresh)
    return fresh
