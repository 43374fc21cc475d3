"""Xero's high-volume rule: big organisations refuse Invoices/Contacts reads that are not optimised.

Source: the "Optimised use of the where filter" and "Optimised ordering" sections of Xero's
Invoices and Contacts pages (developer.xero.com/documentation/api/accounting/…) and its
"efficient data retrieval" guide; the answer's wording and shape: pyxero#373, xero-python#148,
Xero-NetStandard#604 (`HighVolumeException`, ErrorNumber 51).

Optimised: the fields below with the operators listed, alone or joined with AND; OR only between
`InvoiceID ==` terms; the dedicated list parameters (IDs, InvoiceNumbers, ContactIDs, Statuses),
searchTerm and paging. Contact fields must not be wrapped in ToLower()/ToUpper() (they already
match case-insensitively). Anything else (OR-joined terms, Contains/StartsWith, other fields,
ordering on other fields, an unfiltered read without paging) is refused with a 400.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from xero_sandbox.api.responses import single_error
from xero_sandbox.api.where import WhereError, WhereShape, where_shape

from .common import ApiError, Call

EQUALS = frozenset({"=="})
RANGE = frozenset({"==", "<", ">", "<=", ">="})
# Filters that narrow a read as Xero's optimised parameters do.
LIST_PARAMETERS = ("IDs", "InvoiceNumbers", "ContactIDs", "Statuses", "searchTerm", "SearchTerm")


@dataclass(frozen=True)
class Rules:
    """What one endpoint serves efficiently to a high-volume organisation."""

    resource: str
    singular: str
    fields: dict[str, frozenset[str]]
    order: frozenset[str]
    or_fields: frozenset[str] = frozenset()


CONTACTS = Rules(
    resource="Contacts",
    singular="Contact",
    fields={"Name": EQUALS, "EmailAddress": EQUALS, "AccountNumber": EQUALS},
    order=frozenset({"ContactID", "UpdatedDateUTC", "Name"}),
)
INVOICES = Rules(
    resource="Invoices",
    singular="Invoice",
    fields={
        "Status": EQUALS,
        "Contact.ContactID": EQUALS,
        "Contact.Name": EQUALS,
        "Contact.ContactNumber": EQUALS,
        "Reference": EQUALS,
        "InvoiceNumber": EQUALS,
        "InvoiceID": EQUALS,
        "Date": RANGE,
        "Type": EQUALS,
        "AmountDue": RANGE,
        "AmountPaid": EQUALS,
        "DueDate": RANGE,
    },
    order=frozenset({"InvoiceID", "UpdatedDateUTC", "Date"}),
    or_fields=frozenset({"InvoiceID"}),
)


def refusal(rules: Rules) -> ApiError:
    """Return Xero's answer to an un-optimised read of a high-volume organisation."""
    message = (
        f"Your request is not filtering {rules.resource} efficiently, given the extremely high volume for this "
        "organisation. Please check https://developer.xero.com/documentation/api/efficient-data-retrieval "
        f"for tips on making {rules.singular} retrieval more efficient."
    )
    return ApiError(400, single_error(51, "HighVolumeException", message))


def _where_is_optimised(shape: WhereShape, rules: Rules) -> bool:
    by_lower = {name.lower(): operators for name, operators in rules.fields.items()}
    for term in shape.terms:
        operators = by_lower.get(term.field.lower())
        if operators is None or term.operator not in operators or term.folded:
            return False
    if shape.uses_or:
        or_fields = {name.lower() for name in rules.or_fields}
        return all(term.field.lower() in or_fields and term.operator == "==" for term in shape.terms)
    return True


def _order_is_optimised(call: Call, rules: Rules) -> bool:
    optimised = {name.lower() for name in rules.order}
    for part in call.query.get("order", "").split(","):
        words = part.split()
        if words and words[0].lower() not in optimised:
            return False
    return True


def _narrowed(call: Call, shape: WhereShape) -> bool:
    """Return True when the read is paged (summaryOnly pages too, Xero says) or narrowed by any filter."""
    paged = "page" in call.query or call.query.get("summaryOnly", "").lower() == "true"
    if paged or shape.terms or call.headers.get("If-Modified-Since"):
        return True
    return any(call.query.get(name, "").strip() for name in LIST_PARAMETERS)


def is_high_volume(call: Call, records: QuerySet[Any]) -> bool:
    """Return True for an organisation flagged high volume, or holding more records than the setting."""
    if call.organisation.high_volume:
        return True
    threshold = int(settings.XERO_SANDBOX_HIGH_VOLUME_RECORDS)
    return records[: threshold + 1].count() > threshold


def high_volume_check(call: Call, *, rules: Rules, fields: dict[str, str], records: QuerySet[Any]) -> None:
    """Raise Xero's HighVolumeException when a high-volume organisation is read inefficiently.

    `records` is every record of the resource in the organisation (counted only when needed).
    A `where` that cannot be parsed is left for the caller to refuse with its own message.
    """
    try:
        shape = where_shape(call.query.get("where", ""), fields)
    except WhereError:
        return
    efficient = _where_is_optimised(shape, rules) and _order_is_optimised(call, rules) and _narrowed(call, shape)
    if not efficient and is_high_volume(call, records):
        raise refusal(rules)
