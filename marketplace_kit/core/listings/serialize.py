"""Listing -> plain data for a given viewer (the API and JSON views use this).

Only the extended data the viewer may see is included (see
:func:`marketplace_kit.core.listings.service.visible_attributes`).
"""

from __future__ import annotations

from typing import Any

from flask import url_for

from .categories import category_by_id
from .service import can_view, visible_attributes


def listing_data(listing: Any, viewer: Any, *, distance_km: float | None = None) -> dict[str, Any]:
    if not can_view(listing, viewer):  # pragma: no cover - callers check first
        raise ValueError("viewer may not see this listing")
    data: dict[str, Any] = {
        "id": listing.id,
        "listing_type": listing.listing_type,
        "title": listing.title,
        "description": listing.description,
        "price": {"amount": listing.price_amount, "currency": listing.currency},
        "pricing_unit": listing.pricing_unit,
        "quantity": listing.quantity,
        "status": listing.status,
        "category": category.slug if (category := category_by_id(listing.category_id)) else None,
        "address": listing.address,
        "latitude": listing.latitude,
        "longitude": listing.longitude,
        "author": {"id": listing.author_id, "display_name": listing.author.display_name},
        "provider_rating": listing.provider_rating,
        "provider_review_count": listing.provider_review_count or 0,
        "images": [
            {
                "id": img.id,
                "position": img.position,
                "content_type": img.content_type,
                "url": url_for("listings.image", listing_id=listing.id, image_id=img.id),
                "thumbnail_url": url_for(
                    "listings.thumbnail", listing_id=listing.id, image_id=img.id
                ),
            }
            for img in listing.images
        ],
        "attributes": visible_attributes(listing, viewer),
        "created_at": listing.created_at,
        "updated_at": listing.updated_at,
        "published_at": listing.published_at,
    }
    if viewer is not None and getattr(viewer, "id", None) == listing.author_id:
        data["moderation_note"] = listing.moderation_note
    if distance_km is not None:
        data["distance_km"] = round(distance_km, 3)
    return data
