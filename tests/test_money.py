from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace_kit import Money


def test_money_is_integer_minor_units_only():
    with pytest.raises(TypeError):
        Money(10.5, "USD")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(True, "USD")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown currency"):
        Money(1, "XYZ")
    with pytest.raises(ValueError, match="unknown currency"):
        Money(1, "usd")


def test_arithmetic_refuses_mixed_currencies():
    assert Money(150, "USD") + Money(50, "USD") == Money(200, "USD")
    assert Money(150, "USD") - Money(200, "USD") == Money(-50, "USD")
    assert Money(150, "USD") * 3 == Money(450, "USD")
    with pytest.raises(ValueError, match="currency mismatch"):
        Money(1, "USD") + Money(1, "EUR")
    with pytest.raises(TypeError):
        Money(1, "USD") * 1.5  # type: ignore[operator]
    with pytest.raises(ValueError):
        assert Money(1, "USD") < Money(2, "CNY")


def test_decimal_round_trip_respects_the_currency_exponent():
    assert Money.from_decimal("12.34", "USD") == Money(1234, "USD")
    assert Money.from_decimal("1200", "JPY") == Money(1200, "JPY")
    assert Money.from_decimal("1.234", "KWD") == Money(1234, "KWD")
    with pytest.raises(ValueError, match="more precision"):
        Money.from_decimal("1.005", "USD")
    assert Money(1234, "USD").to_decimal() == Decimal("12.34")


def test_percent_rounds_half_up():
    assert Money(1000, "USD").percent("12.5") == Money(125, "USD")
    assert Money(999, "USD").percent(10) == Money(100, "USD")  # 99.9 -> 100


def test_formatting_matches_babel_in_every_shipped_locale():
    from babel.numbers import format_currency

    for locale in ("en", "zh_Hans", "ru", "de_DE", "ja"):
        for currency in ("USD", "JPY", "CNY", "RUB", "EUR", "KWD"):
            for amount in (0, 5, -123456789, 100000001):
                m = Money(amount, currency)
                assert m.format(locale) == format_currency(m.to_decimal(), currency, locale=locale)


def test_fast_formatting_matches_babel_for_random_amounts_and_many_locales():
    """Money.format builds the text itself where the locale's pattern allows (checked
    against Babel on probe amounts); it must give Babel's text for any amount."""
    import random

    from babel.numbers import format_currency

    from marketplace_kit.money import _formatter

    rnd = random.Random(4)
    locales = ("en", "zh_Hans", "ru", "de_CH", "es", "hi_IN", "fr_CH", "ar", "ja", "pl", "bn")
    currencies = ("USD", "EUR", "JPY", "KWD", "CNY", "RUB", "INR", "CHF")
    fast = 0
    for locale in locales:
        for currency in currencies:
            fast += _formatter(locale, currency).__name__ == "fast"
            for _ in range(60):
                amount = rnd.choice(
                    [rnd.randint(-(10**7), 10**7), rnd.randint(0, 10**15), rnd.randint(0, 999)]
                )
                m = Money(amount, currency)
                expected = format_currency(
                    m.to_decimal(), currency, locale=locale, currency_digits=True
                )
                assert m.format(locale) == expected, (locale, currency, amount)
    assert fast >= len(currencies) * 3  # en, zh_Hans and ru at least take the fast path


def test_locale_formatting():
    assert Money(123456, "USD").format("en") == "$1,234.56"
    assert Money(123456, "CNY").format("zh_Hans") == "¥1,234.56"
    assert Money(123456, "RUB").format("ru").replace("\xa0", " ") == "1 234,56 ₽"


@given(
    amount=st.integers(min_value=-(10**12), max_value=10**12),
    ratios=st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=20).filter(
        lambda r: sum(r) > 0
    ),
)
def test_allocation_never_creates_or_loses_a_minor_unit(amount, ratios):
    parts = Money(amount, "USD").allocate(ratios)
    assert sum(p.amount for p in parts) == amount
    assert len(parts) == len(ratios)
    total = sum(ratios)
    for part, ratio in zip(parts, ratios, strict=True):
        exact = Decimal(amount) * ratio / total
        assert abs(Decimal(part.amount) - exact) < 1  # within one minor unit
        if ratio == 0:
            assert part.amount == 0


def test_allocation_is_deterministic_for_remainders():
    assert [m.amount for m in Money(100, "USD").allocate([1, 1, 1])] == [34, 33, 33]
