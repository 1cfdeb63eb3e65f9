"""Exact money and quantities.

Invariants:
- amounts are ``Decimal``, never float; a ``Money`` is always rounded to its
  currency's minor unit when it is created through :func:`money` or
  :meth:`Money.round`;
- arithmetic between different currencies (or units of measure) is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# ISO 4217 minor units for the currencies distributors bill in most; a
# currency not listed here is refused rather than guessed.
MINOR_UNITS: dict[str, int] = {
    "USD": 2, "CAD": 2, "EUR": 2, "GBP": 2, "MXN": 2, "AUD": 2, "NZD": 2,
    "CHF": 2, "SEK": 2, "NOK": 2, "DKK": 2, "PLN": 2, "CZK": 2, "BRL": 2,
    "CNY": 2, "INR": 2, "SGD": 2, "HKD": 2, "ZAR": 2, "JPY": 0, "KRW": 0,
    "CLP": 0, "ISK": 0, "HUF": 2, "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3,
    "TND": 3,
}

_QUANTUM: dict[str, Decimal] = {c: Decimal(1).scaleb(-d) for c, d in MINOR_UNITS.items()}

#: Decimal places a quantity (ordered, shipped, counted, in stock) is exact to,
#: from the API schema and the canonical models to the store: one precision.
QUANTITY_PLACES = 4
#: Decimal places of a unit price (prices per piece go below the minor unit);
#: extended amounts are rounded to the currency's minor unit.
PRICE_PLACES = 4
#: Decimal places of an amount of money at the edge before its currency is
#: known; an amount is then exact to its currency's minor unit (see
#: :func:`minor_unit_problem`). 3 is the most ISO 4217 uses (BHD, KWD).
AMOUNT_PLACES = max(MINOR_UNITS.values())


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were combined."""


class UnknownCurrency(ValueError):
    """A currency code that is not in the ISO 4217 table we support."""


def known_currency(code: str) -> bool:
    """Whether ``code`` is an ISO 4217 currency o2c keeps amounts in."""
    return code in _QUANTUM


def quantum(currency: str) -> Decimal:
    """The smallest unit of ``currency`` (0.01 for USD, 1 for JPY)."""
    try:
        return _QUANTUM[currency]
    except KeyError:
        raise UnknownCurrency(f"unknown currency {currency!r}") from None


def minor_unit_problem(amount: Decimal, currency: str) -> str | None:
    """Why ``amount`` is not an exact amount of ``currency`` (more decimal places
    than its minor unit), or None. Amounts are refused, never rounded silently:
    paying 10.005 USD cannot leave half a cent open on an invoice."""
    q = quantum(currency)
    if amount == amount.quantize(q):
        return None
    return (f"{amount} has more decimal places than {currency} has "
            f"(exact to {MINOR_UNITS[currency]}: e.g. {amount.quantize(q, ROUND_HALF_UP)})")


def to_decimal(value: object) -> Decimal:
    """Convert an int, str or Decimal to Decimal; floats are refused."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool | float):
        raise TypeError(f"refusing inexact value {value!r}: use str or Decimal")
    if isinstance(value, int | str):
        try:
            d = Decimal(value)
        except InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
        if not d.is_finite():
            raise ValueError(f"not a finite number: {value!r}")
        return d
    raise TypeError(f"cannot convert {type(value).__name__} to Decimal")


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in one currency."""

    amount: Decimal
    currency: str

    @staticmethod
    def zero(currency: str) -> Money:
        quantum(currency)
        return Money(Decimal(0).quantize(quantum(currency)), currency)

    def round(self) -> Money:
        """Round half up to the currency's minor unit."""
        return Money(self.amount.quantize(quantum(self.currency), ROUND_HALF_UP), self.currency)

    def _check(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency} cannot be combined")

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        if isinstance(factor, float):
            raise TypeError("refusing float factor")
        return Money(self.amount * factor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._check(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._check(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._check(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._check(other)
        return self.amount >= other.amount

    def is_zero(self) -> bool:
        return self.amount == 0

    def __str__(self) -> str:
        return f"{self.amount:,.{MINOR_UNITS.get(self.currency, 2)}f} {self.currency}"


def money(amount: object, currency: str) -> Money:
    """Build a rounded ``Money`` from an int, str or Decimal."""
    return Money(to_decimal(amount), currency).round()


class UnitMismatch(ValueError):
    """Two quantities in different units of measure were combined."""


@dataclass(frozen=True, slots=True)
class Quantity:
    """A count of something in a unit of measure (EA, CS, KG...)."""

    value: Decimal
    uom: str

    def _check(self, other: Quantity) -> None:
        if other.uom != self.uom:
            raise UnitMismatch(f"{self.uom} and {other.uom} cannot be combined")

    def __add__(self, other: Quantity) -> Quantity:
        self._check(other)
        return Quantity(self.value + other.value, self.uom)

    def __sub__(self, other: Quantity) -> Quantity:
        self._check(other)
        return Quantity(self.value - other.value, self.uom)

    def __str__(self) -> str:
        return f"{self.value.normalize():f} {self.uom}"


def qty(value: object, uom: str) -> Quantity:
    return Quantity(to_decimal(value), uom)
