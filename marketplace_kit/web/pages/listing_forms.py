"""Create/edit forms generated from a listing type's marshmallow schema.

String fields become text inputs (``metadata["widget"] = "textarea"`` for a
text area), a ``OneOf`` validator becomes a select, Integer/Float/Decimal become
number inputs and Boolean a checkbox. Labels come from ``metadata["label"]``.
Validation is the listing service's (the schema's); its errors are shown next
to the fields.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from marshmallow import fields as mf
from marshmallow import validate as mv
from wtforms import (
    BooleanField,
    DecimalField,
    Field,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ...core.listings.categories import flatten
from ...core.listings.types import ListingType
from ...money import Money, currency_exponent
from ..forms import choice
from ..i18n import locale_code

ATTR_PREFIX = "attr_"

UNIT_LABELS = {
    "item": _l("per item"),
    "hour": _l("per hour"),
    "day": _l("per day"),
    "project": _l("per project"),
    "person": _l("per person"),
}


def _choices(fld: mf.Field) -> list[Any] | None:
    validators = list(getattr(fld, "validators", []) or [])
    for v in validators:
        if isinstance(v, mv.OneOf):
            return list(v.choices)
    return None


def attribute_field(name: str, fld: mf.Field) -> Field:
    meta = fld.metadata or {}
    label = meta.get("label") or name.replace("_", " ").capitalize()
    required = [InputRequired()] if fld.required else [Optional()]
    choices = _choices(fld)
    if isinstance(fld, mf.Boolean):
        return BooleanField(label)
    if choices is not None:
        opts = [choice("", "—")] + [
            choice(str(c), str(meta.get("choice_labels", {}).get(c, c))) for c in choices
        ]
        return SelectField(label, choices=opts, validators=required)
    if isinstance(fld, mf.Integer):
        return IntegerField(label, validators=required)
    if isinstance(fld, mf.Float | mf.Decimal):
        return DecimalField(label, validators=required)
    if meta.get("widget") == "textarea":
        return TextAreaField(label, validators=required)
    return StringField(label, validators=required)


def form_class(lt: ListingType) -> type[FlaskForm]:
    locale = locale_code()

    class ListingForm(FlaskForm):
        title = StringField(_l("Title"), validators=[InputRequired(), Length(3, 200)])
        description = TextAreaField(_l("Description"), validators=[Length(max=20000)])
        price = StringField(_l("Price"), validators=[InputRequired()])
        pricing_unit = SelectField(
            _l("Pricing unit"), choices=[choice(u, UNIT_LABELS[u]) for u in lt.pricing_units]
        )
        category = SelectField(
            _l("Category"),
            choices=[choice("", "—")]
            + [
                choice(n.category.slug, "· " * n.depth + n.category.name(locale)) for n in flatten()
            ],
            validate_choice=False,  # optional; the listing service checks the slug
        )
        address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
        latitude = DecimalField(
            _l("Latitude"), validators=[Optional(), NumberRange(-90, 90)], places=None
        )
        longitude = DecimalField(
            _l("Longitude"), validators=[Optional(), NumberRange(-180, 180)], places=None
        )

    if lt.stocked:
        ListingForm.quantity = IntegerField(
            _l("Quantity in stock"), validators=[Optional(), NumberRange(0, 1_000_000)]
        )
    for name, fld in lt.schema_fields().items():
        setattr(ListingForm, ATTR_PREFIX + name, attribute_field(name, fld))
    return ListingForm


def attribute_names(form: FlaskForm) -> list[str]:
    return [f.name[len(ATTR_PREFIX) :] for f in form if f.name.startswith(ATTR_PREFIX)]


def form_to_data(form: FlaskForm, lt: ListingType, currency: str) -> tuple[dict[str, Any], dict]:
    """The service keyword arguments from a submitted form, and parse errors by field."""
    errors: dict[str, list[str]] = {}
    data: dict[str, Any] = {
        "title": form.title.data or "",
        "description": form.description.data or "",
        "pricing_unit": form.pricing_unit.data,
        "category": form.category.data or None,
        "address": form.address.data or None,
        "latitude": float(form.latitude.data) if form.latitude.data is not None else None,
        "longitude": float(form.longitude.data) if form.longitude.data is not None else None,
        "currency": currency,
    }
    try:
        data["price_amount"] = Money.from_decimal(
            Decimal((form.price.data or "").strip().replace(",", "")), currency
        ).amount
    except (InvalidOperation, ValueError):
        errors["price"] = [str(_l("Enter an amount such as 12.50."))]
        data["price_amount"] = None
    if lt.stocked:
        data["quantity"] = form.quantity.data
    attrs: dict[str, Any] = {}
    schema_fields = lt.schema_fields()
    for name in attribute_names(form):
        value = getattr(form, ATTR_PREFIX + name).data
        fld = schema_fields[name]
        if isinstance(fld, mf.Boolean):
            attrs[name] = bool(value)
        elif value in (None, ""):
            continue
        elif isinstance(fld, mf.Float):
            attrs[name] = float(value)
        elif isinstance(fld, mf.Decimal):
            attrs[name] = str(value)
        else:
            attrs[name] = value
    data["attributes"] = attrs
    return data, errors


def fill_form(form: FlaskForm, listing: Any, attributes: dict[str, Any]) -> None:
    form.title.data = listing.title
    form.description.data = listing.description
    form.price.data = str(listing.price.to_decimal())
    form.pricing_unit.data = listing.pricing_unit
    form.category.data = listing.category.slug if listing.category is not None else ""
    form.address.data = listing.address
    form.latitude.data = listing.latitude
    form.longitude.data = listing.longitude
    if hasattr(form, "quantity"):
        form.quantity.data = listing.quantity
    for name in attribute_names(form):
        if name in attributes:
            getattr(form, ATTR_PREFIX + name).data = attributes[name]


def apply_errors(form: FlaskForm, errors: dict[str, Any]) -> list[str]:
    """Put service errors next to the form fields; return those that fit no field."""
    mapping = {"price_amount": "price", "currency": "price"}
    leftover: list[str] = []
    for key, messages in errors.items():
        if key == "attributes" and isinstance(messages, dict):
            for attr, msgs in messages.items():
                field = getattr(form, ATTR_PREFIX + attr, None)
                target = field.errors if field is not None else leftover
                target.extend(_flat(msgs))
            continue
        field = getattr(form, mapping.get(key, key), None)
        if field is not None and isinstance(field, Field):
            if not isinstance(field.errors, list):
                field.errors = list(field.errors)
            field.errors.extend(_flat(messages))
        else:
            leftover.extend(_flat(messages))
    return leftover


def _flat(messages: Any) -> list[str]:
    if isinstance(messages, str):
        return [messages]
    if isinstance(messages, dict):
        return [m for v in messages.values() for m in _flat(v)]
    return [str(m) for m in messages]


def price_to_minor(value: str | None, currency: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return Money.from_decimal(Decimal(value.strip()), currency).amount
    except (InvalidOperation, ValueError, AttributeError):
        return -1


def minor_to_str(amount: int | None, currency: str) -> str:
    if amount is None:
        return ""
    return str(Decimal(amount).scaleb(-currency_exponent(currency)))
