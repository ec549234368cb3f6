"""The core's listing types, default search, commands and listing permissions."""

from __future__ import annotations

from typing import Any

import click
from flask import Flask
from flask_babel import lazy_gettext as _l

from ..core.listings.search import SearchQuery, SearchResult, default_search
from ..core.listings.types import (
    ListingType,
    ProductAttributes,
    ReviewCriterion,
    ServiceAttributes,
    register_listing_types,
)
from ..hookspecs import hookimpl


@hookimpl
def mk_register_listing_types(app: Flask) -> list[ListingType]:
    return [
        ListingType(
            name="product",
            label=_l("Product"),
            schema=ProductAttributes,
            author_side="offer",
            process="purchase",
            searchable=("brand",),
            filterable=("condition",),
            pricing_units=("item",),
            stocked=True,
            review_criteria=(
                ReviewCriterion("as_described", _l("As described")),
                ReviewCriterion("communication", _l("Communication")),
            ),
        ),
        ListingType(
            name="service",
            label=_l("Service"),
            schema=ServiceAttributes,
            author_side="offer",
            process="booking",
            searchable=("service_area",),
            filterable=("remote",),
            pricing_units=("hour", "day", "project", "person", "item"),
            review_criteria=(
                ReviewCriterion("punctuality", _l("Punctuality")),
                ReviewCriterion("quality", _l("Quality of work")),
            ),
        ),
    ]


@hookimpl
def mk_configure(app: Flask) -> None:
    register_listing_types(app)


@hookimpl(trylast=True)
def mk_search_listings(query: SearchQuery) -> SearchResult:
    return default_search(query)


@hookimpl
def mk_permission_allowed(user: Any, action: str, resource: Any) -> bool | None:
    # Answers before the core's trylast default; plugins registered later answer first.
    # Operators who moderate listings may see their protected and private data.
    if action in ("listing.view_private", "listing.view_protected") and user is not None:
        roles = set(getattr(user, "roles", None) or [])
        if getattr(user, "is_active", False) and roles & {"admin", "moderator", "support"}:
            return True
    return None


@click.group("categories")
def categories_cli() -> None:
    """The category tree."""


@categories_cli.command("sync")
def categories_sync() -> None:
    """Create or update categories from [categories] tree (matched by slug)."""
    from ..core.listings.categories import sync_from_config
    from ..events import commit

    count = sync_from_config()
    commit()
    click.echo(f"{count} categories synced from the config.")


@hookimpl
def mk_register_commands() -> list[click.Command]:
    return [categories_cli]


@hookimpl
def mk_main_menu_links(user: Any) -> list[Any]:
    from ..web.menus import Link

    links = [Link(label=_l("Browse"), url="/listings/", order=10, key="listings")]
    if user is not None:
        links.append(
            Link(label=_l("My listings"), url="/listings/mine", order=20, key="my_listings")
        )
    return links
