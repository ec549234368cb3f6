"""Listing images: validated by magic bytes and size, stored under the instance path.

Files live in ``<instance>/<[listings] storage_folder>/listings/<listing id>/<random>.<ext>``;
the database keeps their order. Uploads are decoded with Pillow (a file that only
looks like an image is refused), turned upright from their EXIF orientation,
stripped of metadata (phone photos carry GPS positions), scaled down to
``max_image_px`` and re-encoded; a WebP thumbnail (``thumbnail_px`` on its
longest side) is written beside each image for cards and lists. GIFs are kept
as uploaded (animation); their thumbnail is the first frame.
"""

from __future__ import annotations

import io
import os
import secrets
import warnings
from pathlib import Path
from typing import Any

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError
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


#: Pillow format name -> (content type, extension) of what we store.
FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "GIF": ("image/gif", "gif"),
    "WEBP": ("image/webp", "webp"),
}
THUMB_SUFFIX = ".thumb.webp"


def _decode(data: bytes) -> Image.Image:
    """Open and fully decode ``data``; refuse anything Pillow cannot read or that is too big."""
    bad = ValidationError(errors={"image": ["The file is not a readable image."]})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in FORMATS:
                raise bad
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise bad from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationError(errors={"image": ["The image has too many pixels."]}) from exc
    return image


def _normalised(image: Image.Image, data: bytes, max_px: int) -> tuple[bytes, str, str]:
    """The bytes to store: upright, without metadata, at most ``max_px`` on its longest side."""
    fmt = image.format or "PNG"
    if fmt == "GIF":
        return data, *FORMATS["GIF"]  # re-encoding would drop the animation; GIF has no EXIF
    image = ImageOps.exif_transpose(image)
    image.thumbnail((max_px, max_px))
    out = io.BytesIO()
    if fmt == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=88, optimize=True, progressive=True)
    elif fmt == "WEBP":
        image.save(out, "WEBP", quality=88)
    else:
        image.save(out, "PNG", optimize=True)
    return out.getvalue(), *FORMATS[fmt]


def make_thumbnail(image: Image.Image, size: int) -> bytes:
    image = ImageOps.exif_transpose(image)
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    image.thumbnail((size, size))
    out = io.BytesIO()
    image.save(out, "WEBP", quality=80, method=4)
    return out.getvalue()


def thumbnail_file(image: ListingImage) -> Path:
    """The thumbnail's path; written now if it is missing (images stored before thumbnails)."""
    path = storage_root() / (image.path + THUMB_SUFFIX)
    if not path.exists():
        source = image_file(image)
        if not source.exists():
            raise NotFound("No such image.")
        with Image.open(source) as img:
            img.load()
            path.write_bytes(make_thumbnail(img, _settings()["thumbnail_px"]))
    return path


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
    if sniff(data) is None:
        raise ValidationError(errors={"image": ["Upload a JPEG, PNG, GIF or WebP image."]})
    decoded = _decode(data)
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
    stored, content_type, ext = _normalised(decoded, data, settings["max_image_px"])
    rel = f"listings/{listing.id}/{secrets.token_hex(12)}.{ext}"
    path = storage_root() / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(stored)
    (storage_root() / (rel + THUMB_SUFFIX)).write_bytes(
        make_thumbnail(decoded, settings["thumbnail_px"])
    )
    image = ListingImage(
        listing_id=listing.id,
        position=(position if position is not None else -1) + 1,
        path=rel,
        content_type=content_type,
        size=len(stored),
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
    for file in (path, storage_root() / (image.path + THUMB_SUFFIX)):
        if file.exists():
            os.remove(file)


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
