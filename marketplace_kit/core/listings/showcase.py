"""What the home page shows: featured and recent listings, top categories with counts.

Each function runs a fixed number of queries whatever the number of listings
(cards load their images in one query; categories come from the shared tree).
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select

from ...extensions import db
from . import categories as category_service
from .models import Listing
from .rows import ListingCard
from .search import card_columns, cards


def featured(ids: list[int]) -> list[ListingCard]:
    """The published listings among ``ids``, in that order, as cards."""
    if not ids:
        return []
    found = {
        card.id: card
        for card in cards(
            select(*card_columns()).where(Listing.id.in_(ids), Listing.status == "published")
        )
    }
    return [found[i] for i in dict.fromkeys(ids) if i in found]


def recent(limit: int, exclude: list[int] | tuple[int, ...] = ()) -> list[ListingCard]:
    """The newest published listings, leaving out ``exclude``, as cards."""
    if limit <= 0:
        return []
    stmt = select(*card_columns()).where(Listing.status == "published")
    if exclude:
        stmt = stmt.where(Listing.id.not_in(list(exclude)))
    stmt = stmt.order_by(Listing.created_at.desc(), Listing.id.desc()).limit(limit)
    return cards(stmt)


def top_categories() -> list[tuple[category_service.CategoryInfo, int]]:
    """Top-level categories with the number of published listings in each subtree."""
    roots = category_service.tree()
    if not roots:
        return []
    direct: dict[int | None, int] = defaultdict(int)
    rows = db.session.execute(
        select(Listing.category_id, func.count(Listing.id))
        .where(Listing.status == "published")
        .group_by(Listing.category_id)
    )
    for category_id, count in rows:
        direct[category_id] = count

    def subtree(node: category_service.Node) -> int:
        return direct[node.category.id] + sum(subtree(child) for child in node.children)

    return [(node.category, subtree(node)) for node in roots]
