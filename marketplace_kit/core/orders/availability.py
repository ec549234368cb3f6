"""Which listings are free for a period: the search filter behind ``available_start/end``.

A listing type takes part in availability search when some plugin answers
``mk_listing_availability`` for it with a SQL condition on ``listings``. The
core answers for every type whose transaction process reserves slots with the
``reserve_slot`` action: a listing is free when fewer than ``capacity`` of its
orders that still hold a slot overlap the period (the same rule the action
enforces when a booking is placed). Conditions from several plugins for one
type must all hold (e.g. a plugin adds the provider's working hours). Types
nobody answers for are not bookable by period and drop out of such a search.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, and_, false, func, or_, select

from ..listings.models import Listing
from ..listings.types import ListingType, listing_types
from .actions import SlotParams
from .models import Order
from .registry import all_processes


def slot_rule(listing_type: ListingType) -> dict[str, Any] | None:
    """``{"capacity", "free_states"}`` of the type's latest process, if it reserves slots."""
    versions = all_processes().get(listing_type.process)
    if not versions:
        return None
    process = versions[max(versions)]
    for transition in process.transitions.values():
        for action in transition.actions:
            if action.name == "reserve_slot":
                return SlotParams().load(dict(action.params))
    return None


def slot_condition(
    listing_type: ListingType, start: datetime, end: datetime
) -> ColumnElement[bool] | None:
    """The core's answer: fewer than ``capacity`` slot-holding orders overlap [start, end)."""
    rule = slot_rule(listing_type)
    if rule is None:
        return None
    taken = (
        select(func.count(Order.id))
        .where(
            Order.listing_id == Listing.id,
            Order.booking_start < end,
            Order.booking_end > start,
            Order.state.not_in(rule["free_states"]),
        )
        .correlate(Listing)
        .scalar_subquery()
    )
    return taken < rule["capacity"]


def _answers(listing_type: ListingType, start: datetime, end: datetime) -> list[Any]:
    from ...app import state

    hook = state(current_app).pm.hook.mk_listing_availability
    return [c for c in hook(listing_type=listing_type, start=start, end=end) if c is not None]


def bookable_types() -> list[str]:
    """Listing types some plugin can tell availability for (the search form shows the filter).

    Asked once per set of registered plugins (every search page shows the form; asking
    builds each answering plugin's SQL condition)."""
    from ...app import state

    key = frozenset(id(p) for p in state(current_app).pm.get_plugins())
    cached = current_app.extensions.get("mk_bookable_types")
    if cached is None or cached[0] != key:
        probe = datetime(2000, 1, 1), datetime(2000, 1, 2)
        names = [name for name, lt in listing_types().items() if _answers(lt, *probe)]
        cached = current_app.extensions["mk_bookable_types"] = (key, names)
    return list(cached[1])


def availability_condition(start: datetime, end: datetime) -> ColumnElement[bool]:
    """Listings of a bookable type that are free for the whole of [start, end)."""
    parts = []
    for name, lt in listing_types().items():
        answers = _answers(lt, start, end)
        if answers:
            parts.append(and_(Listing.listing_type == name, *answers))
    return or_(*parts) if parts else false()
