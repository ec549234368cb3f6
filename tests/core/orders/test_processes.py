"""Processes as validated data: registration, validation errors, versions, plugin actions."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from marshmallow import Schema, fields

from marketplace_kit.core.db import utcnow
from marketplace_kit.core.ledger import service as ledger
from marketplace_kit.core.orders import engine
from marketplace_kit.core.orders.actions import Action
from marketplace_kit.core.orders.fees import PriceLine
from marketplace_kit.core.orders.models import Order
from marketplace_kit.core.orders.processes import PURCHASE
from marketplace_kit.errors import Conflict, PluginError
from marketplace_kit.events import commit
from marketplace_kit.extensions import db
from marketplace_kit.hookspecs import hookimpl
from marketplace_kit.money import Money

SIMPLE = {
    "name": "simple",
    "version": 1,
    "states": ["open", "done"],
    "transitions": [
        {"name": "start", "from": [], "to": "open", "actors": ["customer"]},
        {"name": "finish", "from": ["open"], "to": "done", "actors": ["provider"]},
    ],
}


def plugin_with(processes=(), actions=(), name="vertical"):
    class Plugin:
        mk_plugin_name = name

        @staticmethod
        @hookimpl
        def mk_register_processes(app):
            return [copy.deepcopy(p) for p in processes]

        @staticmethod
        @hookimpl
        def mk_register_actions(app):
            return list(actions)

    return Plugin


def broken(**changes):
    raw = copy.deepcopy(SIMPLE)
    raw.update(changes)
    return raw


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (broken(states=["open"]), "unknown state 'done'"),
        (broken(states=["open", "done", "limbo"]), "unreachable state"),
        (
            broken(
                transitions=[
                    {"name": "start", "from": [], "to": "open", "actors": ["customer"]},
                    {"name": "again", "from": [], "to": "done", "actors": ["customer"]},
                ]
            ),
            "exactly one initial transition",
        ),
        (
            broken(
                transitions=[
                    {"name": "start", "from": [], "to": "open", "actors": ["customer"]},
                    {
                        "name": "finish",
                        "from": ["open"],
                        "to": "done",
                        "actors": ["provider"],
                        "actions": [{"name": "teleport"}],
                    },
                ]
            ),
            "unknown action 'teleport'",
        ),
        (
            broken(
                transitions=[
                    {"name": "start", "from": [], "to": "open", "actors": ["customer"]},
                    {
                        "name": "finish",
                        "from": ["open"],
                        "to": "done",
                        "actors": ["provider"],
                        "actions": [{"name": "refund", "params": {"mode": "most"}}],
                    },
                ]
            ),
            "bad parameters for action 'refund'",
        ),
        (
            broken(
                transitions=[
                    {"name": "start", "from": [], "to": "open", "actors": ["customer"]},
                    {"name": "finish", "from": ["open"], "to": "done", "timer": {"after": "soon"}},
                ]
            ),
            "is not a duration",
        ),
        (
            broken(
                transitions=[
                    {"name": "start", "from": [], "to": "open", "actors": ["wizard"]},
                    {"name": "finish", "from": ["open"], "to": "done", "actors": ["provider"]},
                ]
            ),
            "Must be one of",
        ),
    ],
)
def test_invalid_processes_stop_startup_naming_process_and_plugin(app_factory, raw, message):
    with pytest.raises(PluginError) as info:
        app_factory(extra_plugins=[plugin_with([raw])])
    assert "simple@1" in str(info.value)
    assert "vertical" in str(info.value)
    assert message in str(info.value)


def test_duplicate_process_version_names_both_plugins(app_factory):
    with pytest.raises(
        PluginError,
        match=r"duplicate process 'simple@1': registered by plugin '[ab]' and by plugin '[ab]'",
    ):
        app_factory(
            extra_plugins=[plugin_with([SIMPLE], name="a"), plugin_with([SIMPLE], name="b")]
        )


def test_duplicate_action_names_both_plugins(app_factory):
    dup = Action("reserve_stock", lambda ctx: None)
    with pytest.raises(PluginError, match=r"duplicate action 'reserve_stock'.*'vertical'"):
        app_factory(extra_plugins=[plugin_with(actions=[dup])])


def test_new_versions_apply_to_new_orders_and_old_orders_keep_theirs(app_factory):
    v2 = copy.deepcopy(PURCHASE)
    v2["version"] = 2
    v2["transitions"].append(
        {
            "name": "ship_unpaid",
            "from": ["pending_payment"],
            "to": "delivered",
            "actors": ["provider"],
        }
    )
    app = app_factory({"fees": {"rules": []}}, extra_plugins=[plugin_with([v2])])
    with app.app_context():
        from marketplace_kit.core.listings.models import Listing
        from marketplace_kit.core.users.service import create_user

        customer = create_user("c@example.com", "C", password_hash=None)
        provider = create_user("p@example.com", "P", password_hash=None)
        commit()
        listing = Listing(
            author_id=provider.id,
            listing_type="product",
            title="Tea",
            price_amount=500,
            currency="USD",
            status="published",
            quantity=9,
        )
        db.session.add(listing)
        commit()
        # An order that started on version 1 (before the plugin was installed) stays on it.
        old = engine.place_order("purchase", customer=customer, listing=listing)
        old.process_version = 1
        commit()
        new = engine.place_order("purchase", customer=customer, listing=listing)
        commit()
        assert new.process_version == 2
        assert "ship_unpaid" in [t.name for t in engine.allowed_transitions(new, provider)]
        assert "ship_unpaid" not in [t.name for t in engine.allowed_transitions(old, provider)]
        with pytest.raises(engine.TransitionNotAllowed):
            engine.transition(old, "ship_unpaid", provider)
        engine.transition(new, "ship_unpaid", provider)
        commit()
        assert new.state == "delivered"


class StampParams(Schema):
    colour = fields.String(required=True)


def stamp(ctx, colour):
    ctx.order.protected_data = {**ctx.order.protected_data, "stamp": colour, "by": ctx.role}


def explode(ctx):
    raise Conflict("The group is full.")


STAMPED = {
    "name": "stamped",
    "version": 1,
    "states": ["open", "stamped", "never"],
    "transitions": [
        {
            "name": "start",
            "from": [],
            "to": "open",
            "actors": ["customer"],
            "actions": [{"name": "reserve_stock"}, {"name": "calculate_price"}],
        },
        {
            "name": "stamp_it",
            "from": ["open"],
            "to": "stamped",
            "actors": ["provider"],
            "actions": [{"name": "stamp", "params": {"colour": "red"}}],
        },
        {
            "name": "doomed",
            "from": ["open"],
            "to": "never",
            "actors": ["customer"],
            "actions": [{"name": "release_stock"}, {"name": "explode"}],
        },
    ],
}


def test_plugin_actions_run_in_order_and_failures_roll_back_everything(app_factory):
    class Discount:
        mk_plugin_name = "discounts"

        @staticmethod
        @hookimpl
        def mk_order_price_lines(order, subtotal):
            return [
                PriceLine("discount", "welcome", "Welcome discount", "customer", Money(-100, "USD"))
            ]

    plugin = plugin_with(
        [STAMPED],
        [
            Action("stamp", stamp, StampParams),
            Action("explode", explode),
        ],
    )
    app = app_factory(
        {"fees": {"rules": [{"name": "c", "charged_to": "customer", "fixed": 30}]}},
        extra_plugins=[plugin, Discount],
    )
    with app.app_context():
        from marketplace_kit.core.listings.models import Listing
        from marketplace_kit.core.users.service import create_user

        customer = create_user("c@example.com", "C", password_hash=None)
        provider = create_user("p@example.com", "P", password_hash=None)
        commit()
        listing = Listing(
            author_id=provider.id,
            listing_type="product",
            title="Tea",
            price_amount=500,
            currency="USD",
            status="published",
            quantity=2,
        )
        db.session.add(listing)
        commit()
        order = engine.place_order("stamped", customer=customer, listing=listing)
        commit()
        assert [(ln.code, ln.amount) for ln in order.lines] == [
            ("item", 500),
            ("c", 30),
            ("welcome", -100),
        ]
        assert order.customer_total == Money(430, "USD")
        with pytest.raises(Conflict, match="full"):
            engine.transition(order, "doomed", customer)
        order = db.session.get(Order, order.id)
        assert order.state == "open"
        assert order.stock_reserved == 1
        assert db.session.get(Listing, listing.id).quantity == 1
        engine.transition(order, "stamp_it", provider)
        commit()
        assert order.protected_data == {"stamp": "red", "by": "provider"}


def test_listing_type_maps_to_a_process_through_config(app, listing_factory, user_factory):
    from marketplace_kit.app import state

    state(app).settings.orders["processes"]["question"] = "inquiry"
    listing = listing_factory(listing_type="question")
    order = engine.place_order(
        None, customer=user_factory(), listing=listing, params={"message": "Hi?"}
    )
    commit()
    assert order.process_name == "inquiry"


def test_booking_process_with_timer_at_the_booking_end(people, listing_factory, fund_wallet):
    listing = listing_factory(author=people["provider"], price_amount=3000, quantity=1)
    fund_wallet(people["customer"], 10000)
    start = utcnow() + timedelta(days=10)
    order = engine.place_order(
        "booking",
        customer=people["customer"],
        listing=listing,
        params={"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()},
    )
    commit()
    assert order.state == "requested"
    assert order.booking_end == start + timedelta(hours=2)
    engine.transition(order, "accept", people["provider"])
    engine.transition(order, "pay_from_wallet", people["customer"])
    commit()
    (timer,) = engine.pending_timers(order)
    end = start + timedelta(hours=2)
    # paid out [orders] booking_release_hours (24) after the end: time to open a dispute
    assert (timer.transition, timer.due_at) == ("complete", end + timedelta(hours=24))
    assert engine.run_due_timers(end + timedelta(hours=23)) == 0
    assert engine.run_due_timers(end + timedelta(hours=25)) == 1
    order = db.session.get(Order, order.id)
    assert order.state == "completed"
    assert ledger.balance_of("wallet", people["provider"], "USD") == Money(2700, "USD")
    assert ledger.verify() == []


@pytest.mark.mk_config({"orders": {"booking_release_hours": 0}})
def test_booking_release_hours_from_config(people, listing_factory, fund_wallet):
    listing = listing_factory(author=people["provider"], price_amount=3000)
    fund_wallet(people["customer"], 10000)
    start = utcnow() + timedelta(days=3)
    order = engine.place_order(
        "booking",
        customer=people["customer"],
        listing=listing,
        params={"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()},
    )
    engine.transition(order, "accept", people["provider"])
    engine.transition(order, "pay_from_wallet", people["customer"])
    commit()
    (timer,) = engine.pending_timers(order)
    assert timer.due_at == start + timedelta(hours=1)


@pytest.mark.parametrize("resolution", ["resolve_refund", "resolve_split", "unanswered"])
def test_a_paid_booking_can_be_disputed_and_resolved(
    people, listing_factory, fund_wallet, user_factory, resolution
):
    """The provider did not come: the customer disputes before the payout; the timer waits."""
    operator = user_factory(roles=["support"])
    listing = listing_factory(author=people["provider"], price_amount=3000)
    fund_wallet(people["customer"], 10000)
    start = utcnow() - timedelta(hours=3)  # the booked period is over
    order = engine.place_order(
        "booking",
        customer=people["customer"],
        listing=listing,
        params={"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()},
    )
    engine.transition(order, "accept", people["provider"])
    engine.transition(order, "pay_from_wallet", people["customer"])
    commit()
    assert "open_dispute" in [t.name for t in engine.allowed_transitions(order, people["customer"])]
    engine.transition(
        order, "open_dispute", people["customer"], {"reason": "The cleaner never came."}
    )
    commit()
    assert order.state == "disputed"
    assert [t.transition for t in engine.pending_timers(order)] == ["dispute_unanswered"]
    if resolution == "unanswered":
        assert engine.run_due_timers(utcnow() + timedelta(days=6)) == 1
        order = db.session.get(Order, order.id)
        assert order.state == "refunded"
        assert ledger.balance_of("wallet", people["customer"], "USD") == Money(10000, "USD")
    else:
        engine.transition(order, "answer_dispute", people["provider"], {"message": "I did come."})
        params = {"amount": 1000} if resolution == "resolve_split" else {}
        engine.transition(order, resolution, operator, params)
        commit()
        paid = order.customer_total.amount
        customer_back = 10000 if resolution == "resolve_refund" else 10000 - paid + 1000
        assert ledger.balance_of("wallet", people["customer"], "USD") == Money(customer_back, "USD")
    assert ledger.balance_of("escrow", order, "USD") == Money(0, "USD")
    assert ledger.verify() == []


def test_booking_refused_without_a_valid_period(people, listing_factory):
    from marketplace_kit.errors import ValidationError

    listing = listing_factory(author=people["provider"])
    start = utcnow()
    with pytest.raises(ValidationError) as info:
        engine.place_order(
            "booking",
            customer=people["customer"],
            listing=listing,
            params={"start": start.isoformat(), "end": start.isoformat()},
        )
    assert "end" in info.value.errors
    with pytest.raises(ValidationError):
        engine.place_order(
            "booking", customer=people["customer"], listing=listing, params={"start": "tuesday"}
        )


def test_booking_cancellation_applies_the_policy_copied_at_placement(
    app, people, listing_factory, fund_wallet
):
    from marketplace_kit.app import state

    listing = listing_factory(author=people["provider"], price_amount=10000, quantity=1)
    fund_wallet(people["customer"], 20000)
    start = utcnow() + timedelta(days=3)  # within 7d, before 1d: 50 % back
    order = engine.place_order(
        "booking",
        customer=people["customer"],
        listing=listing,
        params={"start": start.isoformat(), "end": (start + timedelta(days=1)).isoformat()},
    )
    commit()
    # The site's policy changes later; the order keeps the copy it was placed with.
    state(app).settings.orders["cancellation_policy"] = {"bands": [], "otherwise": 0}
    engine.transition(order, "accept", people["provider"])
    engine.transition(order, "pay_from_wallet", people["customer"])
    engine.transition(order, "cancel", people["customer"])
    commit()
    total = order.customer_total.amount  # 10500 with the 5 % buyer fee
    assert ledger.balance_of("wallet", people["customer"], "USD") == Money(
        20000 - total + total // 2, "USD"
    )
    assert ledger.balance_of("escrow", order, "USD") == Money(0, "USD")
    assert db.session.get(type(listing), listing.id).quantity == 1
    assert ledger.verify() == []


def test_negotiation_becomes_a_purchase_at_the_agreed_price(people, listing_factory):
    listing = listing_factory(author=people["provider"], price_amount=2000, quantity=3)
    talk = engine.place_order(
        "negotiation", customer=people["customer"], listing=listing, params={"amount": 1500}
    )
    commit()
    assert (talk.state, talk.unit_price_amount) == ("offered", 1500)
    engine.transition(talk, "counter", people["provider"], {"amount": 1800})
    engine.transition(talk, "accept_counter", people["customer"])
    commit()
    assert talk.state == "accepted"
    child = db.session.scalars(db.select(Order).where(Order.parent_id == talk.id)).one()
    assert (child.process_name, child.state, child.unit_price_amount) == (
        "purchase",
        "pending_payment",
        1800,
    )
    assert child.subtotal_amount == 1800
    assert db.session.get(type(listing), listing.id).quantity == 2


def test_inquiry_is_a_conversation_only(people, listing_factory):
    from marketplace_kit.errors import ValidationError

    listing = listing_factory(author=people["provider"])
    chat = engine.place_order(
        "inquiry", customer=people["customer"], listing=listing, params={"message": "Is it blue?"}
    )
    engine.transition(chat, "reply", people["provider"], {"message": "Yes."})
    commit()
    with pytest.raises(ValidationError):
        engine.transition(chat, "reply", people["provider"], {"amount": 5})
    with pytest.raises(ValidationError):
        engine.transition(chat, "reply", people["provider"], {"message": "x" * 5000})
    engine.transition(chat, "close", people["customer"])
    commit()
    assert [(e.transition, e.params.get("message")) for e in engine.timeline(chat)] == [
        ("ask", "Is it blue?"),
        ("reply", "Yes."),
        ("close", None),
    ]
    assert chat.customer_total is None
    assert ledger.entries_for_order(chat.id) == []


def test_bookings_of_one_listing_cannot_overlap(people, listing_factory, user_factory):
    from marketplace_kit.core.orders.actions import SlotTaken

    listing = listing_factory(author=people["provider"], price_amount=3000)
    start = utcnow() + timedelta(days=5)

    def book(hours_from: float, hours: float, customer=None):
        begin = start + timedelta(hours=hours_from)
        order = engine.place_order(
            "booking",
            customer=customer or user_factory(),
            listing=listing,
            params={
                "start": begin.isoformat(),
                "end": (begin + timedelta(hours=hours)).isoformat(),
            },
        )
        commit()
        return order

    first = book(0, 2)
    with pytest.raises(SlotTaken):
        book(1, 2)  # overlaps the second hour
    db.session.rollback()
    book(2, 1)  # starts when the first ends: fine
    engine.transition(first, "decline", people["provider"])
    commit()
    book(0.5, 1)  # the declined booking freed its slot
    other = listing_factory(author=people["provider"])
    engine.place_order(  # another listing is another calendar
        "booking",
        customer=people["customer"],
        listing=other,
        params={"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()},
    )
    commit()
    assert db.session.query(Order).filter(Order.listing_id == listing.id).count() == 3
