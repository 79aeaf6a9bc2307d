"""Exact money: integer micro-dollars inside, 6-decimal strings on the wire, never float."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

MICROS_PER_DOLLAR = 1_000_000
MAX_DOLLARS = 1_000_000


class MoneyError(ValueError):
    """The value is not an acceptable amount of money."""


def parse_usd(value: object) -> int:
    """Parse a string or number of dollars into micro-dollars, refusing anything inexact.

    Accepts at most 6 fractional digits, finite, 0 <= value <= 1,000,000.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal, float)):
        raise MoneyError("must be a decimal string or a number")
    if isinstance(value, float):
        # Floats only reach here from code that did not parse JSON with Decimal; repr is exact enough
        # to detect precision, and anything that does not round-trip is refused below.
        value = repr(value)
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, ValueError):
        raise MoneyError("must be a decimal number of dollars, e.g. \"4.20\"") from None
    if not amount.is_finite():
        raise MoneyError("must be finite")
    if amount < 0:
        raise MoneyError("must not be negative")
    if amount > MAX_DOLLARS:
        raise MoneyError(f"must be at most {MAX_DOLLARS}")
    micros = amount * MICROS_PER_DOLLAR
    if micros != micros.to_integral_value():
        raise MoneyError("has more than 6 fractional digits")
    return int(micros)


def format_usd(micros: int) -> str:
    """Micro-dollars as the contract's exact string: `"4.200000"`."""
    sign = "-" if micros < 0 else ""
    whole, frac = divmod(abs(int(micros)), MICROS_PER_DOLLAR)
    return f"{sign}{whole}.{frac:06d}"


def format_dollars(micros: int) -> str:
    """Micro-dollars for people: `$4.20`, and `<$0.01` for a positive amount below a cent."""
    micros = int(micros)
    if 0 < micros < 10_000:
        return "<$0.01"
    cents = (Decimal(micros) / 10_000).quantize(Decimal(1), rounding="ROUND_HALF_UP")
    return f"${int(cents) // 100:,}.{int(cents) % 100:02d}"


def percent(part: int, whole: int) -> float:
    """Part of whole as a percent with one decimal place (half up); 0.0 when whole is 0."""
    if whole <= 0:
        return 0.0
    tenths = (Decimal(part) * 1000 / Decimal(whole)).quantize(Decimal(1), rounding="ROUND_HALF_UP")
    return float(tenths) / 10
