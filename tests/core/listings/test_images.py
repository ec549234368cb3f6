import io

import pytest
from PIL import Image

from marketplace_kit.core.listings import images
from marketplace_kit.errors import PermissionDenied, ValidationError
from marketplace_kit.events import commit


def picture(fmt: str = "PNG", size=(40, 30), exif: bytes | None = None, **save) -> bytes:
    out = io.BytesIO()
    img = Image.new("RGB", size, (200, 80, 40))
    if exif is not None:
        save["exif"] = exif
    img.save(out, fmt, **save)
    return out.getvalue()


PNG, JPEG, WEBP = picture("PNG"), picture("JPEG"), picture("WEBP")


@pytest.mark.mk_config({"listings": {"max_images": 3, "max_image_mb": 1}})
def test_add_validate_order_remove(app, user_factory, listing_factory):
    author = user_factory()
    listing = listing_factory(author=author)
    first = images.add_image(listing, author, PNG)
    second = images.add_image(listing, author, JPEG)
    third = images.add_image(listing, author, WEBP)
    commit()
    assert [i.content_type for i in listing.images] == ["image/png", "image/jpeg", "image/webp"]
    with Image.open(images.image_file(first)) as stored:
        assert stored.format == "PNG" and stored.size == (40, 30)
    for bad in (b"", b"<?php echo 1; ?>", b"GIF8", b"RIFF0000WAVE", b"\x89PNG" + b"\x00" * 10):
        with pytest.raises(ValidationError):
            images.add_image(listing, author, bad)
    with pytest.raises(ValidationError, match="Invalid"):
        images.add_image(listing, author, PNG)  # fourth image
    with pytest.raises(PermissionDenied):
        images.add_image(listing, user_factory(), PNG)
    images.reorder_images(listing, author, [third.id, first.id, second.id])
    commit()
    assert [i.id for i in listing.images] == [third.id, first.id, second.id]
    with pytest.raises(ValidationError):
        images.reorder_images(listing, author, [third.id])
    path, thumb = images.image_file(first), images.thumbnail_file(first)
    assert thumb.exists()
    images.remove_image(listing, author, first.id)
    commit()
    assert not path.exists() and not thumb.exists()
    assert [i.id for i in listing.images] == [third.id, second.id]


def test_magic_bytes_without_a_real_image_are_refused(app, user_factory, listing_factory):
    author = user_factory()
    listing = listing_factory(author=author)
    for fake in (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, b"\xff\xd8\xff\xe0" + b"\x00" * 64):
        with pytest.raises(ValidationError, match="Invalid") as exc:
            images.add_image(listing, author, fake)
        assert exc.value.errors["image"] == ["The file is not a readable image."]
    assert listing.images == []


@pytest.mark.mk_config({"listings": {"max_image_px": 400, "thumbnail_px": 64}})
def test_large_photos_are_scaled_and_stripped_of_metadata(app, user_factory, listing_factory):
    author = user_factory()
    listing = listing_factory(author=author)
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° to show upright
    exif[0x010F] = "PhoneMaker"  # camera make, stands in for GPS and the rest
    image = images.add_image(listing, author, picture("JPEG", (1200, 800), exif=exif.tobytes()))
    commit()
    with Image.open(images.image_file(image)) as stored:
        assert stored.size == (267, 400)  # turned upright, longest side 400
        assert not stored.getexif() and "exif" not in stored.info
    with Image.open(images.thumbnail_file(image)) as thumb:
        assert thumb.format == "WEBP" and max(thumb.size) == 64
    assert image.size == images.image_file(image).stat().st_size


def test_thumbnail_is_made_for_images_stored_before_thumbnails(app, user_factory, listing_factory):
    author = user_factory()
    listing = listing_factory(author=author)
    image = images.add_image(listing, author, PNG)
    commit()
    thumb = images.thumbnail_file(image)
    thumb.unlink()
    assert images.thumbnail_file(image).exists()


def test_animated_gif_is_kept(app, user_factory, listing_factory):
    author = user_factory()
    listing = listing_factory(author=author)
    frames = [Image.new("P", (10, 10), c) for c in (1, 2)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    image = images.add_image(listing, author, out.getvalue())
    commit()
    assert images.image_file(image).read_bytes() == out.getvalue()
    assert images.thumbnail_file(image).exists()


def test_decompression_bomb_is_refused(app, user_factory, listing_factory, monkeypatch):
    author = user_factory()
    listing = listing_factory(author=author)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(ValidationError) as exc:
        images.add_image(listing, author, picture("PNG", (100, 100)))
    assert exc.value.errors["image"] == ["The image has too many pixels."]


@pytest.mark.mk_config({"listings": {"max_image_mb": 1}})
def test_oversize(app, user_factory, listing_factory):
    author = user_factory()
    listing = listing_factory(author=author)
    with pytest.raises(ValidationError) as exc:
        images.add_image(listing, author, PNG + b"\x00" * (1024 * 1024))
    assert "1 MB" in exc.value.errors["image"][0]


def test_pages_and_api(client, user_factory, listing_factory, api_token_factory):
    author = user_factory()
    listing = listing_factory(author=author)
    client.login(author)
    resp = client.submit(
        f"/listings/{listing.id}/images",
        {"image": (io.BytesIO(PNG), "photo.png")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    bad = client.submit(
        f"/listings/{listing.id}/images",
        {"image": (io.BytesIO(b"not an image"), "evil.png")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and "JPEG, PNG" in bad.get_data(as_text=True)
    image_id = listing.images[0].id
    client.logout()
    served = client.get(f"/listings/{listing.id}/images/{image_id}")
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert Image.open(io.BytesIO(served.data)).size == (40, 30)
    thumb = client.get(f"/listings/{listing.id}/images/{image_id}/thumb")
    assert thumb.status_code == 200 and thumb.mimetype == "image/webp"
    assert client.get(f"/listings/{listing.id}/images/{image_id + 99}/thumb").status_code == 404
    token = api_token_factory(author)
    headers = {"Authorization": f"Bearer {token}"}
    resp = client.post(
        f"/api/v1/listings/{listing.id}/images",
        data={"image": (io.BytesIO(JPEG), "x.jpg")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert resp.status_code == 201 and resp.json["content_type"] == "image/jpeg"
    bad = client.post(
        f"/api/v1/listings/{listing.id}/images",
        data={"image": (io.BytesIO(b"%PDF-1.4"), "x.pdf")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and "image" in bad.json["errors"]
    new_id = resp.json["id"]
    order = client.put(
        f"/api/v1/listings/{listing.id}/images/order",
        json={"order": [new_id, image_id]},
        headers=headers,
    )
    assert [i["id"] for i in order.json["images"]] == [new_id, image_id]
    assert (
        client.delete(f"/api/v1/listings/{listing.id}/images/{new_id}", headers=headers).status_code
        == 204
    )
