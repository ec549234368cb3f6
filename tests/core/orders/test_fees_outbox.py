"""Fee rules (first match wins per side) and the outbox's delivery and retries."""

from __future__ import annotations

import pytest

from marketplace_kit.core.orders import outbox
from marketplace_kit.core.orders.fees import fee_lines
from marketplace_kit.events import commit
from marketplace_kit.hookspecs import hookimpl
from marketplace_kit.money import Money

RULES = [
    {"name": "vip", "provider": 7, "charged_to": "provider", "percent": "2"},
    {
        "name": "services",
        "listing_type": "service",
        "charged_to": "both",
        "percent": "10",
        "maximum": 1001,
    },
    {"name": "tiny", "charged_to": "customer", "fixed": 25, "minimum": 100},
    {"name": "default", "charged_to": "provider", "percent": "12.5", "minimum": 50},
]


def lines(subtotal, listing_type="product", provider_id=1, category=None):
    return [
        (ln.code, ln.payer, ln.money.amount)
        for ln in fee_lines(
            RULES,
            Money(subtotal, "USD"),
            listing_type=listing_type,
            category=category,
            provider_id=provider_id,
        )
    ]


def test_first_match_wins_on_each_side():
    assert lines(10000) == [("tiny", "customer", 100), ("default", "provider", 1250)]
    assert lines(10000, provider_id=7) == [("tiny", "customer", 100), ("vip", "provider", 200)]


def test_both_sides_split_one_fee_without_losing_a_cent():
    # 10 % of 9999 = 1000 (half up) -> 500 + 500; the maximum 1001 caps 20000 -> 501 + 500.
    assert lines(9999, listing_type="service") == [
        ("services", "customer", 500),
        ("services", "provider", 500),
    ]
    assert lines(20000, listing_type="service") == [
        ("services", "customer", 501),
        ("services", "provider", 500),
    ]


def test_minimum_and_a_provider_fee_never_above_the_subtotal():
    assert lines(100) == [("tiny", "customer", 100), ("default", "provider", 50)]
    assert lines(30) == [("tiny", "customer", 100), ("default", "provider", 30)]


def test_category_rules_match_only_their_category():
    rules = [{"name": "books", "category": "books", "charged_to": "provider", "fixed": 10}]
    got = fee_lines(
        rules, Money(500, "USD"), listing_type="product", category="books", provider_id=1
    )
    assert [ln.money.amount for ln in got] == [10]
    got = fee_lines(
        rules, Money(500, "USD"), listing_type="product", category="toys", provider_id=1
    )
    assert got == []


def test_failed_delivery_stays_in_the_outbox_and_is_retried(app_factory):
    calls = []

    class Flaky:
        mk_plugin_name = "flaky"

        @staticmethod
        @hookimpl
        def mk_outbox_message(topic, payload):
            calls.append(payload["n"])
            if len(calls) == 1:
                raise ConnectionError("smtp down")

    app = app_factory(extra_plugins=[Flaky])
    with app.app_context():
        outbox.add("notification", {"n": 1})
        commit()  # the delivery job runs at once in tests, and fails
        (message,) = outbox.pending()
        assert message.attempts == 1
        assert "smtp down" in message.last_error
        assert outbox.deliver() == 1
        assert outbox.pending() == []
        assert calls == [1, 1]
        assert outbox.deliver() == 0


def test_fee_rules_are_validated(app_factory):
    from marketplace_kit.errors import ConfigError

    with pytest.raises(ConfigError, match=r"\[fees\] rules.0.charged_to"):
        app_factory({"fees": {"rules": [{"name": "x", "charged_to": "everyone"}]}})
