"""Money as integer minor units plus an ISO 4217 currency code. Never floats."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import (
    NumberPattern,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    list_currencies,
)


@lru_cache(maxsize=1)
def _known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def is_currency(code: str) -> bool:
    """True when ``code`` is a known ISO 4217 currency code (upper case)."""
    return isinstance(code, str) and code.isupper() and code in _known_currencies()


def currency_exponent(code: str) -> int:
    """Number of minor-unit digits of ``code`` (USD 2, JPY 0, KWD 3)."""
    return get_currency_precision(code)


@dataclass(frozen=True, slots=True, order=False)
class Money:
    """An amount of one currency in its minor unit (cents, fen, kopecks).

    Arithmetic only combines amounts of the same currency; mixing currencies
    raises ``ValueError``. Multiplication takes integers only; use
    :meth:`allocate` or :meth:`percent` for anything that divides.
    """

    amount: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise TypeError(f"Money amount must be an int of minor units, not {self.amount!r}")
        if not is_currency(self.currency):
            raise ValueError(f"unknown currency code {self.currency!r}")

    # -- construction -------------------------------------------------------
    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def from_decimal(cls, value: Decimal | str | int, currency: str) -> Money:
        """Build from a major-unit decimal ("12.34"); rejects sub-minor precision."""
        value = Decimal(str(value))
        scaled = value.scaleb(currency_exponent(currency))
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more precision than {currency} allows")
        return cls(int(scaled), currency)

    def to_decimal(self) -> Decimal:
        return Decimal(self.amount).scaleb(-currency_exponent(self.currency))

    # -- arithmetic ---------------------------------------------------------
    def _same(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise ValueError(f"currency mismatch: {self.currency} and {other.currency}")
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._same(other).amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._same(other).amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: int) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, int):
            raise TypeError("Money can only be multiplied by an int")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other).amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other).amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other).amount

    def __bool__(self) -> bool:
        return self.amount != 0

    def percent(self, percent: Decimal | str | int) -> Money:
        """``percent`` % of this amount, rounded half-up to the minor unit."""
        raw = Decimal(self.amount) * Decimal(str(percent)) / Decimal(100)
        return Money(int(raw.to_integral_value(rounding="ROUND_HALF_UP")), self.currency)

    def allocate(self, ratios: list[int]) -> list[Money]:
        """Split into parts proportional to integer ``ratios``, losing no minor unit.

        Remainder units go one each to the parts with the largest fractional
        remainders (earlier parts first on ties), so every part is within one
        minor unit of its exact share, the result is deterministic, and the
        parts always sum to ``self``.
        """
        if not ratios or any(r < 0 for r in ratios) or sum(ratios) == 0:
            raise ValueError("ratios must be non-negative integers with a positive sum")
        total = sum(ratios)
        sign = -1 if self.amount < 0 else 1
        units = abs(self.amount)
        parts = [units * r // total for r in ratios]
        remainder = units - sum(parts)
        by_fraction = sorted(range(len(ratios)), key=lambda i: (-(units * ratios[i] % total), i))
        for i in by_fraction[:remainder]:
            parts[i] += 1
        return [Money(sign * p, self.currency) for p in parts]

    # -- presentation -------------------------------------------------------
    def format(self, locale: str = "en") -> str:
        """Localised display, exactly as ``babel.numbers.format_currency`` gives it."""
        return _formatter(locale, self.currency)(self.amount)

    def __str__(self) -> str:
        return f"{self.to_decimal()} {self.currency}"

    def to_dict(self) -> dict[str, int | str]:
        return {"amount": self.amount, "currency": self.currency}


@lru_cache(maxsize=64)
def _currency_pattern(locale: str) -> tuple[Locale, NumberPattern]:
    loc = Locale.parse(locale)
    return loc, loc.currency_formats["standard"]


#: Amounts a fast formatter must format exactly as Babel does before it is used.
_PROBES = (0, 1, 7, 99, 100, 1234, 12345, 123456, 1234567, 10**14 + 12345, -1, -123456789)


@lru_cache(maxsize=512)
def _formatter(locale: str, currency: str) -> Callable[[int], str]:
    """``amount in minor units -> text`` for one locale and currency.

    Babel's ``NumberPattern.apply`` goes through ``Decimal`` and the whole CLDR
    pattern machinery (about 40 us a price; a search page shows 24). For the
    usual patterns (a prefix and suffix around grouped digits) the text is put
    together directly from the pattern's parts; it is used only if it gives
    Babel's own result for every probe amount, else Babel formats every amount.
    """
    loc, pattern = _currency_pattern(locale)
    digits = get_currency_precision(currency)

    def babel_format(amount: int) -> str:
        value = Decimal(amount).scaleb(-digits)
        return pattern.apply(value, loc, currency=currency, currency_digits=True)

    parts = (*pattern.prefix, *pattern.suffix)
    if any("'" in part or "¤¤" in part for part in parts) or pattern.exp_prec:
        return babel_format
    symbol = get_currency_symbol(currency, loc)
    pos_prefix, neg_prefix = (p.replace("¤", symbol) for p in pattern.prefix)
    pos_suffix, neg_suffix = (p.replace("¤", symbol) for p in pattern.suffix)
    group, decimal = get_group_symbol(loc), get_decimal_symbol(loc)
    primary, secondary = pattern.grouping
    scale = 10**digits

    def fast(amount: int) -> str:
        negative = amount < 0
        whole, fraction = divmod(-amount if negative else amount, scale)
        text = str(whole)
        if len(text) > primary:
            head, groups = text[:-primary], [text[-primary:]]
            while len(head) > secondary:
                groups.append(head[-secondary:])
                head = head[:-secondary]
            groups.append(head)
            text = group.join(reversed(groups))
        if digits:
            text = f"{text}{decimal}{fraction:0{digits}d}"
        if negative:
            return f"{neg_prefix}{text}{neg_suffix}"
        return f"{pos_prefix}{text}{pos_suffix}"

    if all(fast(a) == babel_format(a) for a in _PROBES):
        return fast
    return babel_format
