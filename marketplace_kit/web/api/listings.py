"""``/api/v1/listings``: search, read, create, edit, publish, pause, close.

Search uses the same service as the search page; extended data is filtered
per viewer, so protected and private attributes reach only those allowed.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_smorest import Blueprint
from marshmallow import INCLUDE, Schema, fields, validate

from ...core.console import service as console
from ...core.listings import categories as category_service
from ...core.listings import service
from ...core.listings.models import Listing
from ...core.listings.search import (
    MAX_LIMIT,
    SORTS,
    SearchQuery,
    load_authors,
    search_listings,
)
from ...core.listings.serialize import listing_data
from ...core.listings.types import listing_types
from ...errors import PermissionDenied, ValidationError
from ...events import commit
from .auth import BEARER, api_user
from .schemas import MoneySchema

bp = Blueprint("api_listings", __name__, url_prefix="/listings", description="Listings")


class AuthorSchema(Schema):
    id = fields.Integer()
    display_name = fields.String()


class ImageSchema(Schema):
    id = fields.Integer()
    position = fields.Integer()
    content_type = fields.String()
    url = fields.String(metadata={"description": "The image (metadata removed)."})
    thumbnail_url = fields.String(metadata={"description": "A WebP thumbnail for lists."})


class ListingSchema(Schema):
    id = fields.Integer()
    listing_type = fields.String()
    title = fields.String()
    description = fields.String()
    price = fields.Nested(MoneySchema)
    pricing_unit = fields.String()
    quantity = fields.Integer(allow_none=True)
    status = fields.String()
    category = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    author = fields.Nested(AuthorSchema)
    provider_rating = fields.Float(
        allow_none=True,
        metadata={"description": "The author's Bayesian-averaged rating as provider (1-5)"},
    )
    provider_review_count = fields.Integer()
    images = fields.List(fields.Nested(ImageSchema))
    attributes = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(),
        metadata={"description": "Extended data by scope; protected/private only for insiders"},
    )
    moderation_note = fields.String(allow_none=True)
    distance_km = fields.Float()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    published_at = fields.DateTime(allow_none=True)


class SearchArgs(Schema):
    class Meta:
        unknown = INCLUDE

    q = fields.String(validate=validate.Length(max=200))
    category = fields.String()
    listing_type = fields.String()
    min_price = fields.Integer(validate=validate.Range(min=0))
    max_price = fields.Integer(validate=validate.Range(min=0))
    min_rating = fields.Float(
        validate=validate.Range(1, 5),
        metadata={"description": "Only listings whose provider's rating is at least this"},
    )
    lat = fields.Float(validate=validate.Range(-90, 90))
    lng = fields.Float(validate=validate.Range(-180, 180))
    radius_km = fields.Float()
    available_start = fields.DateTime(
        metadata={
            "description": "With available_end: only listings free for the whole period "
            "(bookable types; ISO 8601, UTC when no offset is given)."
        }
    )
    available_end = fields.DateTime()
    sort = fields.String(validate=validate.OneOf(SORTS))
    cursor = fields.String(validate=validate.Length(max=500))
    limit = fields.Integer(load_default=24, validate=validate.Range(1, MAX_LIMIT))
    facets = fields.Boolean(load_default=False)


class SearchResultSchema(Schema):
    items = fields.List(fields.Nested(ListingSchema))
    next_cursor = fields.String(allow_none=True)
    facets = fields.Dict(allow_none=True)


class ListingCreateSchema(Schema):
    listing_type = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(load_default="")
    price_amount = fields.Integer(required=True, strict=True)
    currency = fields.String(load_default=None, allow_none=True)
    pricing_unit = fields.String(load_default=None, allow_none=True)
    quantity = fields.Integer(load_default=None, allow_none=True, strict=True)
    category = fields.String(load_default=None, allow_none=True)
    address = fields.String(load_default=None, allow_none=True)
    latitude = fields.Float(load_default=None, allow_none=True)
    longitude = fields.Float(load_default=None, allow_none=True)
    attributes = fields.Dict(load_default=dict)


class ListingUpdateSchema(Schema):
    title = fields.String()
    description = fields.String()
    price_amount = fields.Integer(strict=True)
    currency = fields.String()
    pricing_unit = fields.String()
    quantity = fields.Integer(allow_none=True, strict=True)
    category = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    attributes = fields.Dict(metadata={"description": "Merged; a null value removes one"})


class ListingListSchema(Schema):
    items = fields.List(fields.Nested(ListingSchema))


class TypeFieldSchema(Schema):
    name = fields.String()
    type = fields.String()
    required = fields.Boolean()
    scope = fields.String()
    choices = fields.List(fields.String(), allow_none=True)


class ListingTypeSchema(Schema):
    name = fields.String()
    label = fields.String()
    author_side = fields.String()
    process = fields.String()
    pricing_units = fields.List(fields.String())
    searchable = fields.List(fields.String())
    filterable = fields.List(fields.String())
    fields_ = fields.List(fields.Nested(TypeFieldSchema), data_key="fields")


class CategorySchema(Schema):
    slug = fields.String()
    names = fields.Dict()
    parent = fields.String(allow_none=True)
    attribute_hints = fields.List(fields.String())


def _query(args: dict[str, Any]) -> SearchQuery:
    attributes = {k[5:]: v for k, v in args.items() if k.startswith("attr.")}
    unknown = [k for k in args if k not in SearchArgs().fields and not k.startswith("attr.")]
    if unknown:
        raise ValidationError(errors={k: ["Unknown parameter."] for k in unknown})
    return SearchQuery(
        q=args.get("q"),
        category=args.get("category"),
        listing_type=args.get("listing_type"),
        min_price=args.get("min_price"),
        max_price=args.get("max_price"),
        min_rating=args.get("min_rating"),
        lat=args.get("lat"),
        lng=args.get("lng"),
        radius_km=args.get("radius_km"),
        available_start=args.get("available_start"),
        available_end=args.get("available_end"),
        sort=args.get("sort"),
        cursor=args.get("cursor"),
        limit=args["limit"],
        facets=args["facets"],
        attributes=attributes,
        full=True,
    )


@bp.get("/")
@bp.arguments(SearchArgs, location="query", as_kwargs=False)
@bp.response(200, SearchResultSchema)
@bp.doc(
    security=BEARER,
    description="Search published listings. Filter on a type's "
    "filterable attributes with `attr.<name>=value`. Pass `next_cursor` back as `cursor`.",
)
def search(args: dict[str, Any]):
    viewer = api_user("read", required=False)
    result = search_listings(_query(args))
    load_authors(result.listings)
    return {
        "items": [listing_data(h.listing, viewer, distance_km=h.distance_km) for h in result.hits],
        "next_cursor": result.next_cursor,
        "facets": result.facets,
    }


@bp.post("/")
@bp.arguments(ListingCreateSchema)
@bp.response(201, ListingSchema)
@bp.doc(security=BEARER)
def create(data: dict[str, Any]):
    user = api_user("write")
    listing = service.create_listing(user, **data)
    commit()
    return listing_data(listing, user)


@bp.get("/mine")
@bp.response(200, ListingListSchema)
@bp.doc(security=BEARER)
def mine():
    user = api_user("read")
    return {"items": [listing_data(x, user) for x in service.listings_of(user)]}


@bp.get("/types")
@bp.response(200, ListingTypeSchema(many=True))
def types():
    out = []
    for lt in listing_types().values():
        fields_out = []
        for name, fld in lt.schema_fields().items():
            choices = None
            for v in [fld.validate, *getattr(fld, "validators", [])]:
                if isinstance(v, validate.OneOf):
                    choices = [str(c) for c in v.choices]
            fields_out.append(
                {
                    "name": name,
                    "type": type(fld).__name__,
                    "required": fld.required,
                    "scope": lt.scope_of(name),
                    "choices": choices,
                }
            )
        out.append(
            {
                "name": lt.name,
                "label": str(lt.label),
                "author_side": lt.author_side,
                "process": lt.process,
                "pricing_units": list(lt.pricing_units),
                "searchable": list(lt.searchable),
                "filterable": list(lt.filterable),
                "fields_": fields_out,
            }
        )
    return out


@bp.get("/categories")
@bp.response(200, CategorySchema(many=True))
def categories():
    slugs = {c.id: c.slug for c in category_service.all_categories()}
    return [
        {
            "slug": n.category.slug,
            "names": n.category.names,
            "parent": slugs.get(n.category.parent_id),
            "attribute_hints": n.category.attribute_hints,
        }
        for n in category_service.flatten()
    ]


@bp.get("/<int:listing_id>")
@bp.response(200, ListingSchema)
@bp.doc(security=BEARER)
def read(listing_id: int):
    viewer = api_user("read", required=False)
    return listing_data(service.get_listing(listing_id, viewer), viewer)


@bp.patch("/<int:listing_id>")
@bp.arguments(ListingUpdateSchema)
@bp.response(200, ListingSchema)
@bp.doc(security=BEARER)
def update(data: dict[str, Any], listing_id: int):
    user = api_user("write")
    listing = service.get_listing(listing_id, user)
    service.update_listing(listing, user, **data)
    commit()
    return listing_data(listing, user)


def _status_view(action: str):
    def view(listing_id: int):
        user = api_user("write")
        listing: Listing = service.get_listing(listing_id, user)
        getattr(service, f"{action}_listing")(listing, user)
        commit()
        return listing_data(listing, user)

    view.__name__ = action
    view.__doc__ = f"{action.title()} a listing (its author; closing also operators)."
    return view


for _action in ("publish", "pause", "close"):
    bp.route(f"/<int:listing_id>/{_action}", methods=["POST"], endpoint=_action)(
        bp.doc(security=BEARER)(bp.response(200, ListingSchema)(_status_view(_action)))
    )


class ImageUploadSchema(Schema):
    image = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class ImageOrderSchema(Schema):
    order = fields.List(fields.Integer(), required=True)


@bp.post("/<int:listing_id>/images")
@bp.arguments(ImageUploadSchema, location="files")
@bp.response(201, ImageSchema)
@bp.doc(security=BEARER, description="Upload an image (multipart field `image`).")
def upload_image(files: dict[str, Any], listing_id: int):
    from ...core.listings import images

    user = api_user("write")
    listing = service.get_listing(listing_id, user)
    image = images.add_image(listing, user, files["image"].read())
    commit()
    return {"id": image.id, "position": image.position, "content_type": image.content_type}


@bp.put("/<int:listing_id>/images/order")
@bp.arguments(ImageOrderSchema)
@bp.response(200, ListingSchema)
@bp.doc(security=BEARER)
def order_images(data: dict[str, Any], listing_id: int):
    from ...core.listings import images

    user = api_user("write")
    listing = service.get_listing(listing_id, user)
    images.reorder_images(listing, user, data["order"])
    commit()
    return listing_data(listing, user)


@bp.delete("/<int:listing_id>/images/<int:image_id>")
@bp.response(204)
@bp.doc(security=BEARER)
def delete_image(listing_id: int, image_id: int):
    from ...core.listings import images

    user = api_user("write")
    listing = service.get_listing(listing_id, user)
    images.remove_image(listing, user, image_id)
    commit()


# ---------------------------------------------------------------------------
# moderation
# ---------------------------------------------------------------------------


class RejectSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(3, 500))


@bp.get("/pending")
@bp.response(200, ListingListSchema)
@bp.doc(security=BEARER, description="Listings waiting for approval (moderators).")
def pending():
    user = api_user("read")
    if not service.is_moderator(user):
        raise PermissionDenied("You may not moderate listings.")
    return {"items": [listing_data(x, user) for x in service.pending_listings()]}


@bp.post("/<int:listing_id>/approve")
@bp.response(200, ListingSchema)
@bp.doc(security=BEARER)
def approve(listing_id: int):
    user = api_user("write")
    listing = service.get_listing(listing_id, user)
    console.decide_listing(user, listing, approve=True, ip=request.remote_addr)
    commit()
    return listing_data(listing, user)


@bp.post("/<int:listing_id>/reject")
@bp.arguments(RejectSchema)
@bp.response(200, ListingSchema)
@bp.doc(security=BEARER)
def reject(data: dict[str, Any], listing_id: int):
    user = api_user("write")
    listing = service.get_listing(listing_id, user)
    console.decide_listing(
        user, listing, approve=False, reason=data["reason"], ip=request.remote_addr
    )
    commit()
    return listing_data(listing, user)


# ---------------------------------------------------------------------------
# favourites and saved searches
# ---------------------------------------------------------------------------


class SavedSearchSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(1, 120))
    params = fields.Dict(
        required=True,
        metadata={
            "description": "q, category, listing_type, min_price, max_price, min_rating, lat, "
            "lng, radius_km, attributes"
        },
    )
    notify = fields.Boolean(load_default=False)


@bp.get("/favourites")
@bp.response(200, ListingListSchema)
@bp.doc(security=BEARER)
def favourites():
    from ...core.listings import social

    user = api_user("read")
    return {"items": [listing_data(x, user) for x in social.favourite_listings(user, full=True)]}


@bp.put("/<int:listing_id>/favourite")
@bp.response(204)
@bp.doc(security=BEARER, description="Follow a listing (idempotent).")
def add_favourite(listing_id: int):
    from ...core.listings import social

    user = api_user("write")
    social.add_favourite(user, listing=service.get_listing(listing_id, user))
    commit()


@bp.delete("/<int:listing_id>/favourite")
@bp.response(204)
@bp.doc(security=BEARER)
def remove_favourite(listing_id: int):
    from ...core.listings import social

    user = api_user("write")
    social.remove_favourite(user, listing=service.get_listing(listing_id, user))
    commit()


@bp.get("/saved-searches")
@bp.response(200, SavedSearchSchema(many=True))
@bp.doc(security=BEARER)
def saved_searches():
    from ...core.listings import social

    return social.saved_searches_of(api_user("read"))


@bp.post("/saved-searches")
@bp.arguments(SavedSearchSchema)
@bp.response(201, SavedSearchSchema)
@bp.doc(security=BEARER)
def create_saved_search(data: dict[str, Any]):
    from ...core.listings import social

    user = api_user("write")
    try:
        saved = social.save_search(user, data["name"], data["params"], notify=data["notify"])
    except TypeError:
        raise ValidationError(errors={"params": ["Invalid search parameters."]}) from None
    commit()
    return saved


@bp.delete("/saved-searches/<int:saved_id>")
@bp.response(204)
@bp.doc(security=BEARER)
def delete_saved_search(saved_id: int):
    from ...core.listings import social

    social.delete_saved_search(api_user("write"), saved_id)
    commit()
