"""Money: integer minor units and ISO 4217 currencies. No floats ever hold an amount.

An amount is an ``int`` of the currency's minor unit (cents for USD, fen for CNY, yen for
JPY). Every amount that reaches the ledger is bounded by :data:`MAX_AMOUNT`, so that even a
million of them summed stays inside a 64-bit ``BIGINT`` column.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from shoplabel.errors import AmountOverflow, UnknownCurrency

__all__ = ["CURRENCIES", "MAX_AMOUNT", "check_amount", "check_currency", "format_amount"]

#: Currency code -> number of decimal places of its minor unit (ISO 4217).
CURRENCIES: Final = MappingProxyType(
    {
        "AUD": 2,
        "BRL": 2,
        "CAD": 2,
        "CHF": 2,
        "CNY": 2,
        "EUR": 2,
        "GBP": 2,
        "HKD": 2,
        "INR": 2,
        "JPY": 0,
        "KRW": 0,
        "MXN": 2,
        "SGD": 2,
        "TWD": 2,
        "USD": 2,
    }
)

#: Largest absolute amount of one ledger posting (10^12 minor units: 10 billion dollars).
#: 10^6 such postings still sum below 2^63.
MAX_AMOUNT: Final = 10**12


def check_currency(code: object) -> str:
    """The currency code if known.

    Raises:
        UnknownCurrency: not a code of :data:`CURRENCIES`.
    """
    if not isinstance(code, str) or code not in CURRENCIES:
        raise UnknownCurrency(
            f"unknown currency {code!r}; known: {', '.join(sorted(CURRENCIES))}",
            details={"field": "currency"},
        )
    return code


def check_amount(amount: int, *, what: str) -> int:
    """``amount`` if its magnitude fits :data:`MAX_AMOUNT`.

    Raises:
        AmountOverflow: the amount (or the sum that produced it) is too large.
    """
    if abs(amount) > MAX_AMOUNT:
        raise AmountOverflow(
            f"{what}: {amount} minor units exceeds the limit of {MAX_AMOUNT}",
            details={"field": what, "limit": MAX_AMOUNT},
        )
    return amount


def format_amount(amount: int, currency: str) -> str:
    """``1234, 'USD'`` -> ``'12.34'``; exact decimal text, for exports and pages."""
    places = CURRENCIES.get(currency, 2)
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), 10**places)
    return f"{sign}{whole}" if places == 0 else f"{sign}{whole}.{frac:0{places}d}"
