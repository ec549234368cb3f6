"""Listing images: validated by magic bytes and size, stored under the instance path.

Files live in ``<instance>/<[listings] storage_folder>/listings/<listing id>/<random>.<ext>``;
the database keeps their order. No thumbnails are generated (the core has no
image library); pages scale images with CSS.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from ...errors import NotFound, ValidationError
from ...extensions import db
from ..access import require
from .models import Listing, ListingImage

SIGNATURES: tuple[tuple[bytes, int, str, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", "png"),
    (b"GIF87a", 0, "image/gif", "gif"),
    (b"GIF89a", 0, "image/gif", "gif"),
    (b"WEBP", 8, "image/webp", "webp"),
)


def _settings() -> dict[str, Any]:
    from ...app import state

    return state(current_app).settings.listings


def storage_root() -> Path:
    return Path(current_app.instance_path) / _settings()["storage_folder"]


def sniff(data: bytes) -> tuple[str, str] | None:
    """``(content type, extension)`` from the file's first bytes, or ``None``."""
    for magic, offset, content_type, ext in SIGNATURES:
        if data[offset : offset + len(magic)] == magic:
            if ext == "webp" and not data.startswith(b"RIFF"):
                continue
            return content_type, ext
    return None


def add_image(listing: Listing, user: Any, data: bytes) -> ListingImage:
    """Store ``data`` as the listing's last image."""
    require(user, "listing.edit", listing)
    settings = _settings()
    limit = settings["max_image_mb"] * 1024 * 1024
    if not data:
        raise ValidationError(errors={"image": ["The file is empty."]})
    if len(data) > limit:
        raise ValidationError(
            errors={"image": [f"The file is larger than {settings['max_image_mb']} MB."]}
        )
    kind = sniff(data)
    if kind is None:
        raise ValidationError(errors={"image": ["Upload a JPEG, PNG, GIF or WebP image."]})
    count = db.session.scalar(
        select(func.count(ListingImage.id)).where(ListingImage.listing_id == listing.id)
    )
    if count >= settings["max_images"]:
        raise ValidationError(
            errors={"image": [f"A listing has at most {settings['max_images']} images."]}
        )
    position = db.session.scalar(
        select(func.max(ListingImage.position)).where(ListingImage.listing_id == listing.id)
    )
    rel = f"listings/{listing.id}/{secrets.token_hex(12)}.{kind[1]}"
    path = storage_root() / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    image = ListingImage(
        listing_id=listing.id,
        position=(position if position is not None else -1) + 1,
        path=rel,
        content_type=kind[0],
        size=len(data),
    )
    db.session.add(image)
    db.session.flush()
    db.session.expire(listing, ["images"])
    return image


def get_image(listing: Listing, image_id: int) -> ListingImage:
    image = db.session.get(ListingImage, image_id) if 0 < image_id < 2**31 else None
    if image is None or image.listing_id != listing.id:
        raise NotFound("No such image.")
    return image


def image_file(image: ListingImage) -> Path:
    return storage_root() / image.path


def remove_image(listing: Listing, user: Any, image_id: int) -> None:
    require(user, "listing.edit", listing)
    image = get_image(listing, image_id)
    path = image_file(image)
    db.session.delete(image)
    db.session.flush()
    db.session.expire(listing, ["images"])
    if path.exists():
        os.remove(path)


def reorder_images(listing: Listing, user: Any, image_ids: list[int]) -> None:
    """Set the order; ``image_ids`` must name every image of the listing once."""
    require(user, "listing.edit", listing)
    images = {
        i.id: i
        for i in db.session.scalars(
            select(ListingImage).where(ListingImage.listing_id == listing.id)
        )
    }
    if len(image_ids) != len(images) or sorted(image_ids) != sorted(images):
        raise ValidationError(errors={"order": ["List every image of the listing exactly once."]})
    for position, image_id in enumerate(image_ids):
        images[image_id].position = position
    db.session.flush()
    db.session.expire(listing, ["images"])
