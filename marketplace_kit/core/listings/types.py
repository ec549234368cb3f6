"""Listing types: what plugins register through ``mk_register_listing_types``.

A type's marshmallow schema validates the listing's attributes; each field's
``metadata={"scope": "public" | "protected" | "private"}`` (default public)
says which extended-data bucket it is stored in. ``searchable`` attributes are
added to the full-text document and ``filterable`` ones can be filtered on;
both must be public fields, so search can never reveal protected or private data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from marshmallow import RAISE, Schema, fields, validate

from ...errors import NotFound, PluginError

SCOPES = ("public", "protected", "private")
AUTHOR_SIDES = ("offer", "request")
EXTENSION_KEY = "mk_listing_types"


@dataclass(frozen=True)
class ReviewCriterion:
    """A per-criterion rating (1-5) reviews of this type's orders may give, e.g. punctuality.

    ``name`` is lower_snake_case (the key in a review's ``criteria``); ``label``
    is shown on the review form (translate it with ``lazy_gettext``).
    """

    name: str
    label: Any


@dataclass(frozen=True)
class ListingType:
    """A kind of listing.

    ``author_side`` is ``"offer"`` (a provider offers it) or ``"request"`` (a
    customer asks for it). ``process`` names the transaction process its orders
    follow. ``templates`` may name ``card``, ``detail`` and ``form_fields``
    templates that replace the generic ones.
    """

    name: str
    label: Any
    schema: type[Schema]
    author_side: str = "offer"
    process: str = "purchase"
    searchable: tuple[str, ...] = ()
    filterable: tuple[str, ...] = ()
    templates: dict[str, str] = field(default_factory=dict)
    pricing_units: tuple[str, ...] = ("item",)
    stocked: bool = False
    #: Optional per-criterion ratings of reviews of this type's orders.
    review_criteria: tuple[ReviewCriterion, ...] = ()

    def schema_fields(self) -> dict[str, fields.Field]:
        return dict(self._fields)

    @cached_property
    def _fields(self) -> dict[str, fields.Field]:
        return dict(self.schema().fields)

    def scope_of(self, name: str) -> str:
        f = self.schema_fields()[name]
        return (f.metadata or {}).get("scope", "public")

    def template(self, part: str) -> str:
        return self.templates.get(part) or f"listings/parts/{part}.html"

    def validate_definition(self, plugin: str) -> None:
        def bad(msg: str) -> PluginError:
            return PluginError(f"plugin {plugin!r}: listing type {self.name!r}: {msg}")

        if not self.name or not self.name.replace("_", "").isalnum() or not self.name.islower():
            raise bad("name must be lower_snake_case")
        if self.author_side not in AUTHOR_SIDES:
            raise bad(f"author_side must be one of {AUTHOR_SIDES}")
        if not (isinstance(self.schema, type) and issubclass(self.schema, Schema)):
            raise bad("schema must be a marshmallow Schema class")
        from .models import PRICING_UNITS

        if not self.pricing_units or set(self.pricing_units) - set(PRICING_UNITS):
            raise bad(f"pricing_units must be a non-empty subset of {PRICING_UNITS}")
        seen: set[str] = set()
        for criterion in self.review_criteria:
            if not isinstance(criterion, ReviewCriterion):
                raise bad("review_criteria must be ReviewCriterion items")
            if not criterion.name.replace("_", "").isalnum() or not criterion.name.islower():
                raise bad(f"review criterion {criterion.name!r} must be lower_snake_case")
            if criterion.name in seen:
                raise bad(f"review criterion {criterion.name!r} is listed twice")
            seen.add(criterion.name)
        schema_fields = self.schema_fields()
        for fname, f in schema_fields.items():
            scope = (f.metadata or {}).get("scope", "public")
            if scope not in SCOPES:
                raise bad(f"field {fname!r} has scope {scope!r}; expected one of {SCOPES}")
        for kind in ("searchable", "filterable"):
            for attr in getattr(self, kind):
                if attr not in schema_fields:
                    raise bad(f"{kind} attribute {attr!r} is not a field of its schema")
                if self.scope_of(attr) != "public":
                    raise bad(f"{kind} attribute {attr!r} must be a public field")


def register_listing_types(app: Flask) -> None:
    """Collect ``mk_register_listing_types`` (duplicates stop startup naming both plugins)."""
    from ...app import state

    found = state(app).pm.collect(
        "mk_register_listing_types", "listing type", key=lambda t: t.name, app=app
    )
    types: dict[str, ListingType] = {}
    for name, (plugin, lt) in found.items():
        if not isinstance(lt, ListingType):
            raise PluginError(
                f"plugin {plugin!r}: mk_register_listing_types must return ListingType items"
            )
        lt.validate_definition(plugin)
        types[name] = lt
    app.extensions[EXTENSION_KEY] = types


def listing_types(app: Flask | None = None) -> dict[str, ListingType]:
    return (app or current_app).extensions[EXTENSION_KEY]


def get_listing_type(name: str) -> ListingType:
    try:
        return listing_types()[name]
    except KeyError:
        raise NotFound(f"Unknown listing type {name!r}.") from None


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


# ---------------------------------------------------------------------------
# The core's two plain types
# ---------------------------------------------------------------------------


class ProductAttributes(StrictSchema):
    condition = fields.String(
        validate=validate.OneOf(["new", "like_new", "used", "for_parts"]),
        metadata={"label": _l("Condition")},
    )
    brand = fields.String(validate=validate.Length(max=80), metadata={"label": _l("Brand")})
    pickup_instructions = fields.String(
        validate=validate.Length(max=500),
        metadata={"label": _l("Pickup instructions"), "scope": "protected", "widget": "textarea"},
    )
    supplier_reference = fields.String(
        validate=validate.Length(max=120),
        metadata={"label": _l("Supplier reference (only you see this)"), "scope": "private"},
    )


class ServiceAttributes(StrictSchema):
    service_area = fields.String(
        validate=validate.Length(max=120), metadata={"label": _l("Service area")}
    )
    duration_minutes = fields.Integer(
        validate=validate.Range(5, 60 * 24 * 30), metadata={"label": _l("Duration (minutes)")}
    )
    remote = fields.Boolean(metadata={"label": _l("Can be done remotely")})
    access_notes = fields.String(
        validate=validate.Length(max=500),
        metadata={
            "label": _l("Access notes for customers"),
            "scope": "protected",
            "widget": "textarea",
        },
    )
    internal_notes = fields.String(
        validate=validate.Length(max=500),
        metadata={"label": _l("Internal notes (only you see this)"), "scope": "private"},
    )
