"""Invoice numbers Xero already holds: adopt Xero's invoice when it is the store's, else say why not.

A store that was synced by another tool (or a send whose record was lost) meets Xero's "number
must be unique" refusal. The refused invoice is looked up by its number (`InvoiceNumbers=`): when
Xero's contact and total agree with the store's, the row adopts Xero's invoice; when they do not,
it fails showing both versions, so that the operator can tell which one is right.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from accounting.models import AccountingChannel
from accounting.providers.xero.answers import Refusal
from accounting.providers.xero.client import XeroClient
from accounting.providers.xero.values import CLOSED, text
from accounting.sync.models import AttemptOutcome, SyncRecord
from accounting.sync.push.outcomes import Outcome, rejected, synced
from stores.models import Invoice


def numbers_taken_settle(
    *,
    channel: AccountingChannel,
    client: XeroClient,
    pairs: list[tuple[SyncRecord, Invoice]],
    creates: list[tuple[SyncRecord, Any, str]],
    refusals: dict[int, Refusal],
    outcomes: dict[int, Outcome],
) -> None:
    """Settle the created invoices Xero refused because it already holds their number."""
    taken = {payload.invoice_number: (row, payload, digest) for row, payload, digest in creates
             if row.pk in refusals and refusals[row.pk].number_taken}  # fmt: skip
    if not taken:
        return
    invoices = {row.pk: invoice for row, invoice in pairs}
    held = {
        found.invoice_number: found
        for found in client.invoices_by_number(numbers=list(taken))
        if found.invoice_id and text(found.status) not in CLOSED
    }
    for number, (row, payload, digest) in taken.items():
        theirs = held.get(number)
        if theirs is None:
            continue  # Xero's refusal stands as it is
        mine = _version(channel=channel, invoice=invoices[row.pk], contact_id=str(payload.contact.contact_id))
        if _agree(mine, _their_version(theirs)):
            refusals.pop(row.pk, None)
            outcomes[row.pk] = synced(
                xero_id=str(theirs.invoice_id), payload_hash=digest, attempt=AttemptOutcome.ADOPTED,
                xero_status=text(theirs.status),
                message=f"Xero already held invoice {number} with the same contact and total: adopted it.",
            )  # fmt: skip
        else:
            outcomes[row.pk] = rejected(messages=[_mismatch(number, mine=mine, theirs=_their_version(theirs))])


def _version(*, channel: AccountingChannel, invoice: Invoice, contact_id: str) -> dict[str, Any]:
    # Xero's total is the store's: a rounding line closes any gap per-line rounding leaves.
    total = invoice.total
    return {"contact_id": contact_id, "name": invoice.customer_name, "total": Decimal(total),
            "currency": invoice.currency}  # fmt: skip


def _their_version(theirs: Any) -> dict[str, Any]:
    contact = theirs.contact
    try:
        total = Decimal(str(theirs.total)).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError):
        total = None
    return {
        "contact_id": str(getattr(contact, "contact_id", "") or ""),
        "name": str(getattr(contact, "name", "") or ""),
        "total": total,
        "currency": text(theirs.currency_code),
    }


def _agree(mine: dict[str, Any], theirs: dict[str, Any]) -> bool:
    same_contact = mine["contact_id"] == theirs["contact_id"] or mine["name"].casefold() == theirs["name"].casefold()
    return same_contact and theirs["total"] == mine["total"] and theirs["currency"] in ("", mine["currency"])


def _mismatch(number: str, *, mine: dict[str, Any], theirs: dict[str, Any]) -> str:
    return (
        f"Xero already holds invoice {number} for {theirs['name'] or 'another contact'}, total "
        f"{theirs['total']} {theirs['currency']}; the store's is for {mine['name']}, total {mine['total']} "
        f"{mine['currency']}. Remove or renumber one of them in Xero (or change the channel's invoice "
        "number prefix), then retry."
    )
