import pytest
from marshmallow import Schema, fields, validate

from marketplace_kit import hookimpl
from marketplace_kit.core.listings import service
from marketplace_kit.core.listings.types import ListingType, listing_types
from marketplace_kit.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    PluginError,
    ValidationError,
)
from marketplace_kit.events import commit


class TutoringAttributes(Schema):
    subject = fields.String(required=True, validate=validate.OneOf(["maths", "music"]))
    level = fields.Integer(validate=validate.Range(1, 5))
    phone = fields.String(metadata={"scope": "private"})


class TutoringPlugin:
    mk_plugin_name = "tutoring"

    @hookimpl
    def mk_register_listing_types(self, app):
        return [
            ListingType(
                name="tutoring",
                label="Tutoring",
                schema=TutoringAttributes,
                author_side="request",
                process="booking",
                searchable=("subject",),
                filterable=("subject", "level"),
                pricing_units=("hour",),
            )
        ]


def make(user, **kw):
    data = {"listing_type": "product", "title": "Road bike", "price_amount": 25000}
    data.update(kw)
    return service.create_listing(user, **data)


def test_core_types_registered(app):
    types = listing_types(app)
    assert {"product", "service"} <= set(types)
    assert types["service"].process == "booking"
    assert types["product"].author_side == "offer"


def test_plugin_type_registered_and_used(app_factory, user_factory):
    app = app_factory(extra_plugins=[TutoringPlugin()])
    with app.app_context():
        assert listing_types(app)["tutoring"].author_side == "request"
        user = user_factory()
        listing = service.create_listing(
            user,
            listing_type="tutoring",
            title="Maths tutor wanted",
            price_amount=3000,
            pricing_unit="hour",
            attributes={"subject": "maths", "level": 3, "phone": "+1 555"},
        )
        commit()
        assert listing.public_data == {"subject": "maths", "level": 3}
        assert listing.private_data == {"phone": "+1 555"}
        assert "maths" in listing.search_text
        with pytest.raises(ValidationError) as exc:
            service.create_listing(
                user,
                listing_type="tutoring",
                title="x tutor",
                price_amount=1,
                pricing_unit="hour",
                attributes={"subject": "chemistry"},
            )
        assert "subject" in exc.value.errors["attributes"]


def test_duplicate_listing_type_names_both_plugins(app_factory):
    class Other(TutoringPlugin):
        mk_plugin_name = "other_tutoring"

    with pytest.raises(PluginError) as exc:
        app_factory(extra_plugins=[TutoringPlugin(), Other()])
    assert "'tutoring'" in str(exc.value) and "'other_tutoring'" in str(exc.value)


def test_type_with_private_filterable_attribute_is_rejected(app_factory):
    class Bad:
        mk_plugin_name = "bad_type"

        @hookimpl
        def mk_register_listing_types(self, app):
            return [
                ListingType(
                    name="leaky", label="Leaky", schema=TutoringAttributes, filterable=("phone",)
                )
            ]

    with pytest.raises(PluginError, match=r"bad_type.*phone.*public"):
        app_factory(extra_plugins=[Bad()])


def test_create_validates_and_splits_extended_data(app, user_factory):
    user = user_factory()
    listing = make(
        user,
        attributes={
            "condition": "used",
            "brand": "Giant",
            "pickup_instructions": "Ring twice",
            "supplier_reference": "INV-9",
        },
        latitude=52.52,
        longitude=13.405,
        address="Berlin",
        quantity=2,
    )
    commit()
    assert listing.status == "draft"
    assert listing.public_data == {"condition": "used", "brand": "Giant"}
    assert listing.protected_data == {"pickup_instructions": "Ring twice"}
    assert listing.private_data == {"supplier_reference": "INV-9"}
    assert "giant" in listing.search_text and "ring" not in listing.search_text
    assert "inv" not in listing.search_text


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"listing_type": "spaceship"}, "listing_type"),
        ({"price_amount": -1}, "price_amount"),
        ({"price_amount": 10**14}, "price_amount"),
        ({"price_amount": 12.5}, "price_amount"),
        ({"currency": "EUR"}, "currency"),
        ({"currency": "XXXX"}, "currency"),
        ({"title": "x"}, "title"),
        ({"pricing_unit": "hour"}, "pricing_unit"),
        ({"attributes": {"condition": "shiny"}}, "attributes"),
        ({"attributes": {"colour": "red"}}, "attributes"),
        ({"latitude": 91, "longitude": 0}, "latitude"),
        ({"latitude": 10}, "latitude"),
        ({"category": "nope"}, "category"),
        ({"quantity": -3}, "quantity"),
    ],
)
def test_create_rejects_bad_input(app, user_factory, changes, field):
    with pytest.raises(ValidationError) as exc:
        make(user_factory(), **changes)
    assert field in exc.value.errors


def test_status_flow(app, user_factory):
    user = user_factory()
    listing = make(user)
    service.publish_listing(listing, user)
    commit()
    assert listing.status == "published" and listing.published_at is not None
    service.pause_listing(listing, user)
    with pytest.raises(Conflict):
        service.pause_listing(listing, user)
    service.publish_listing(listing, user)
    service.close_listing(listing, user)
    commit()
    assert listing.status == "closed"
    with pytest.raises(Conflict):
        service.publish_listing(listing, user)
    with pytest.raises(Conflict):
        service.update_listing(listing, user, title="Reopened bike")


def test_only_author_edits(app, user_factory):
    author, other = user_factory(), user_factory()
    listing = make(author)
    commit()
    with pytest.raises(PermissionDenied):
        service.update_listing(listing, other, title="Mine now")
    with pytest.raises(PermissionDenied):
        service.publish_listing(listing, other)
    service.update_listing(listing, author, title="Racing bike", attributes={"brand": "Trek"})
    commit()
    assert listing.title == "Racing bike" and listing.public_data["brand"] == "Trek"
    service.update_listing(listing, author, attributes={"brand": None})
    assert "brand" not in listing.public_data


def test_drafts_are_hidden_from_others(app, user_factory):
    author, other = user_factory(), user_factory()
    listing = make(author)
    commit()
    assert service.get_listing(listing.id, author) is listing
    with pytest.raises(NotFound):
        service.get_listing(listing.id, other)
    with pytest.raises(NotFound):
        service.get_listing(listing.id, None)


@pytest.mark.mk_config({"listings": {"require_approval": True}})
def test_moderation(app, user_factory):
    author = user_factory()
    moderator = user_factory(roles=["moderator"])
    listing = make(author)
    service.publish_listing(listing, author)
    commit()
    assert listing.status == "pending"
    with pytest.raises(PermissionDenied):
        service.approve_listing(listing, author)
    with pytest.raises(ValidationError):
        service.reject_listing(listing, moderator, "")
    service.reject_listing(listing, moderator, "Photos missing")
    commit()
    assert listing.status == "draft" and listing.moderation_note == "Photos missing"
    service.publish_listing(listing, author)
    service.approve_listing(listing, moderator)
    commit()
    assert listing.status == "published" and listing.moderation_note is None
    # An edit by the author sends it back to moderation.
    service.update_listing(listing, author, title="Edited bike")
    assert listing.status == "pending"


def test_visible_attributes(app, user_factory):
    author, other = user_factory(), user_factory()
    support = user_factory(roles=["support"])
    listing = make(
        author,
        attributes={"brand": "Giant", "pickup_instructions": "Gate 4", "supplier_reference": "S1"},
    )
    commit()
    assert service.visible_attributes(listing, None) == {"public": {"brand": "Giant"}}
    assert service.visible_attributes(listing, other) == {"public": {"brand": "Giant"}}
    mine = service.visible_attributes(listing, author)
    assert mine["protected"] == {"pickup_instructions": "Gate 4"}
    assert mine["private"] == {"supplier_reference": "S1"}
    assert service.visible_attributes(listing, support)["private"] == {"supplier_reference": "S1"}
