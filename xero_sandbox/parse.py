"""Read values the way Xero accepts them in request bodies."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


class BadValue(ValueError):
    """A field value Xero would refuse; the message is shown to the caller."""


def parse_date(value: Any, *, field: str) -> dt.date | None:
    """Return a date from `/Date(ms±zzzz)/`, `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS`; None when blank."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    match = MS_DATE.match(text)
    if match:
        moment = dt.datetime.fromtimestamp(int(match.group(1)) / 1000, tz=dt.UTC)
        return moment.date()
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise BadValue(f"{field} '{text}' is not a valid date") from None


def parse_decimal(value: Any, *, field: str, default: Decimal | None = None) -> Decimal | None:
    """Return a Decimal from a JSON number or numeric string; `default` when absent."""
    if value in (None, ""):
        return default
    if isinstance(value, bool):
        raise BadValue(f"{field} must be a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise BadValue(f"{field} must be a number") from None
    if not number.is_finite():
        raise BadValue(f"{field} must be a number")
    return number


def text(value: Any) -> str:
    """Return a trimmed string for an optional text field."""
    return "" if value is None else str(value).strip()
