"""Listings read as plain rows for the pages that show them (read models).

A page that only shows a listing does not need an ORM object: building ``Listing``
objects (and, for the listing page, its author, category and images) was a third of a
fast search's time and a quarter of a listing page's. A row here holds the columns its
page shows, with ``Listing``'s ``price`` and ``owner_id``; reading any other attribute
of ``Listing`` (``author``, ``images``, the timestamps...) loads the ``Listing`` once
and reads it there, so a template or plugin that needs more still works, at one query.
A name ``Listing`` does not have raises ``AttributeError`` without loading anything
(``getattr(row, "party_ids", None)`` in a permission check stays free).
"""

from __future__ import annotations

import json
from typing import Any

from ...extensions import db
from ...money import Money
from .models import Listing, category_name


class ListingRow:
    """A read-only listing row with the names of ``KEYS``; see the module's docstring."""

    KEYS: tuple[str, ...] = ()

    @classmethod
    def from_row(cls, row: Any) -> Any:
        obj = cls.__new__(cls)
        obj.__dict__ = dict(zip(cls.KEYS, row, strict=False))
        return obj

    @property
    def price(self) -> Money:
        return Money(self.price_amount, self.currency)

    @property
    def public_data(self) -> dict[str, Any] | None:
        """The public extended data; a row may hold it as JSON text, parsed on first use."""
        value = self.__dict__.get("public_data")
        if isinstance(value, str):
            value = self.__dict__["public_data"] = json.loads(value)
        return value

    @property
    def owner_id(self) -> int:
        return self.author_id

    @property
    def listing(self) -> Listing:
        """The ``Listing`` itself (loaded on first use)."""
        found = self.__dict__.get("_listing")
        if found is None:
            found = self.__dict__["_listing"] = db.session.get(Listing, self.id)
        return found

    def __getattr__(self, name: str) -> Any:
        # dunders and ORM internals (``_sa_instance_state``) stay absent, and so does
        # anything a Listing does not have: no query for a name that cannot be there
        if name.startswith("_") or not hasattr(Listing, name):
            raise AttributeError(name)
        return getattr(self.listing, name)

    def __eq__(self, other: object) -> bool:
        other_id = getattr(other, "id", None) if isinstance(other, ListingRow | Listing) else None
        return other_id is not None and other_id == self.id

    def __hash__(self) -> int:
        return hash(("listing", self.id))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id} {self.title!r}>"


#: The columns a listing card shows. Not the description, protected or private data (cards
#: never show them, and a search must never leak them), nor the timestamps (turning
#: SQLite's text into datetimes was a fifth of a fast search's Python time).
CARD_COLUMNS = (
    "id",
    "author_id",
    "listing_type",
    "title",
    "price_amount",
    "currency",
    "pricing_unit",
    "quantity",
    "status",
    "public_data",
    "category_id",
    "address",
    "latitude",
    "longitude",
    "provider_rating",
    "provider_review_count",
)


class ListingCard(ListingRow):
    """A listing as a card shows it (search hits, the home page, favourites): the row of
    ``CARD_COLUMNS`` and ``cover_id`` (the first image's id, read in the same statement)."""

    KEYS = (*CARD_COLUMNS, "cover_id")


#: The columns of the listing page: a card's, the description, the extended data of every
#: scope (the page shows what the viewer may see, see ``service.visible_attributes``) and
#: the moderator's note. Not the timestamps, which the page does not show.
PAGE_COLUMNS = (
    *CARD_COLUMNS,
    "description",
    "protected_data",
    "private_data",
    "moderation_note",
)


class ListingPage(ListingRow):
    """A listing as its page shows it: ``PAGE_COLUMNS``, the author's ``author_name``, the
    category's ``category_slug`` and ``category_names`` (``None`` without a category) and
    ``image_ids`` (in gallery order), read by ``service.listing_page``."""

    KEYS = (*PAGE_COLUMNS, "author_name", "category_slug", "category_names")
    image_ids: tuple[int, ...] = ()

    @property
    def cover_id(self) -> int | None:
        return self.image_ids[0] if self.image_ids else None

    def category_name(self, locale: str | None = None) -> str | None:
        """The category's name in ``locale`` (as ``Category.name``), ``None`` without one."""
        if self.category_slug is None:
            return None
        return category_name(self.category_names, self.category_slug, locale)
