import io

import pytest

from marketplace_kit.core.listings import images
from marketplace_kit.errors import PermissionDenied, ValidationError
from marketplace_kit.events import commit

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 32


@pytest.mark.mk_config({"listings": {"max_images": 3, "max_image_mb": 1}})
def test_add_validate_order_remove(app, user_factory, listing_factory):
    author = user_factory()
    listing = listing_factory(author=author)
    first = images.add_image(listing, author, PNG)
    second = images.add_image(listing, author, JPEG)
    third = images.add_image(listing, author, WEBP)
    commit()
    assert [i.content_type for i in listing.images] == ["image/png", "image/jpeg", "image/webp"]
    assert images.image_file(first).read_bytes() == PNG
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
    path = images.image_file(first)
    images.remove_image(listing, author, first.id)
    commit()
    assert not path.exists() and [i.id for i in listing.images] == [third.id, second.id]


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
    assert served.status_code == 200 and served.data == PNG
    assert served.mimetype == "image/png"
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
