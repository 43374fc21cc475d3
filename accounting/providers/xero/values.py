"""The values Xero's answers carry, named once: statuses, account classes and types.

The rest of the portal compares what Xero answered against these, never against spelled-out
strings. StrEnum members equal their text ("PAID" == XeroStatus.PAID), so a status stored on a
ledger row compares alike. Payload builders give SDK models plain strings (`.value`), so that
what is sent and hashed never depends on how the SDK treats a str subclass.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class XeroStatus(StrEnum):
    """The status of a sales document (invoice, credit note) or of a payment in Xero."""

    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    AUTHORISED = "AUTHORISED"
    PAID = "PAID"
    VOIDED = "VOIDED"
    DELETED = "DELETED"


# A document Xero holds as ended: nothing more can be sent to it.
CLOSED = (XeroStatus.VOIDED, XeroStatus.DELETED)


class RecordStatus(StrEnum):
    """The status of an account, contact or tax rate in Xero."""

    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"
    DELETED = "DELETED"


class AccountClass(StrEnum):
    """The class of an account in the chart (`Class`)."""

    ASSET = "ASSET"
    EQUITY = "EQUITY"
    EXPENSE = "EXPENSE"
    LIABILITY = "LIABILITY"
    REVENUE = "REVENUE"


class AccountType(StrEnum):
    """The account types the portal tells apart (`Type`; Xero has more)."""

    BANK = "BANK"
    SALES = "SALES"
    REVENUE = "REVENUE"
    OTHERINCOME = "OTHERINCOME"


class SystemAccount(StrEnum):
    """The system accounts the portal tells apart (`SystemAccount`; Xero has more)."""

    ROUNDING = "ROUNDING"


class ContactField(StrEnum):
    """The contact fields Xero serves `where` filters on efficiently (its "efficient data
    retrieval" guide), by the name a filter gives them."""

    NAME = "Name"
    EMAIL = "EmailAddress"
    NUMBER = "ContactNumber"


class ElementStatus(StrEnum):
    """An element's `StatusAttributeString` in a `summarizeErrors=false` answer."""

    OK = "OK"
    ERROR = "ERROR"


def text(value: Any) -> str:
    """Return the text of a value as Xero sent it: an SDK enum's value, a string as it is, "" for None."""
    return str(getattr(value, "value", value) or "")
