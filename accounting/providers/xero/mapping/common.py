"""What every payload builder shares: money rounding, the mapping errors, and reading answers.

Pure functions: no calls to Xero here. Money is quantized before the SDK sees it (the SDK sends
floats), dates are `date`s.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from xero_python.accounting.models import Account, CurrencyCode
from xero_python.api_client.serializer import serialize

from accounting.providers.xero.values import AccountType, ElementStatus, RecordStatus, text

FOUR_DP = Decimal("0.0001")
TWO_DP = Decimal("0.01")
HUNDRED = Decimal("100")
# Xero's own order of preference for a default sales account among REVENUE-class accounts.
SALES_ACCOUNT_TYPES = (AccountType.SALES, AccountType.REVENUE, AccountType.OTHERINCOME)


class MappingError(ValueError):
    """Raise when a store record cannot be expressed as a Xero record; the message says why."""


class LineAccountUnset(MappingError):
    """A line needs an account the operator has not chosen yet (Line accounts card)."""


class TaxTypeUnmapped(MappingError):
    """A line's rate has no Xero tax type chosen yet (Tax mapping card)."""


def quantize(value: Decimal, places: Decimal = FOUR_DP) -> Decimal:
    return Decimal(value).quantize(places, rounding=ROUND_HALF_UP)


def percent_text(rate: Decimal) -> str:
    """Return a rate as people write it: 20, 12.5, 0."""
    written = f"{Decimal(rate).normalize():f}"
    return "0" if written in ("-0", "0") else written


def currency(code: str) -> CurrencyCode:
    """Return Xero's currency code; raise MappingError for one Xero does not know."""
    try:
        return CurrencyCode(code)
    except ValueError:
        raise MappingError(f"Xero does not know the currency '{code}'.") from None


def pick_sales_account(accounts: Iterable[Account]) -> str:
    """Return the code of the organisation's default sales account among REVENUE accounts."""
    candidates = [a for a in accounts if a.code and _active(a)]
    for wanted in SALES_ACCOUNT_TYPES:
        for account in candidates:
            if text(account.type) == wanted:
                return str(account.code)
    return str(candidates[0].code) if candidates else ""


def _active(account: Any) -> bool:
    """Return whether an account is ACTIVE (one without a status counts as active)."""
    return (text(getattr(account, "status", None)) or RecordStatus.ACTIVE) == RecordStatus.ACTIVE


def element_errors(element: Any) -> list[str]:
    """Return Xero's validation messages of one element of a summarizeErrors=false answer."""
    messages = [e.message for e in (element.validation_errors or []) if getattr(e, "message", None)]
    if not messages and text(getattr(element, "status_attribute_string", None)) == ElementStatus.ERROR:
        messages = ["Xero refused this record without a message."]
    return messages


def payload_hash(model: Any) -> str:
    """Return a stable digest of an SDK model as it would be sent."""
    body = json.dumps(serialize(model), sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()
