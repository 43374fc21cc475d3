"""Changes to invoices Xero already holds follow what Xero holds now, not what was last sent.

A bookkeeper may approve a draft, record a payment or allocate a credit note in Xero between two
sends. Before an update batch goes, the invoices' current state is read (one GET by IDs): the
status never goes back (no DRAFT onto AUTHORISED), a store void becomes a status-only DELETED or
VOIDED by what Xero holds, and a change to an invoice Xero holds as PAID, VOIDED or with money
allocated fails with why instead of being sent (and refused) again and again.
"""

from __future__ import annotations

from typing import Any

from accounting.models import AccountingChannel
from accounting.providers.xero import mapping
from accounting.providers.xero.client import XeroClient
from accounting.providers.xero.status import HeldInvoice, update_plan
from accounting.providers.xero.values import XeroStatus
from accounting.sync.models import AttemptOutcome, SyncRecord
from accounting.sync.push.outcomes import Outcome, rejected, synced
from stores.models import Invoice, InvoiceStatus

Prepared = tuple[SyncRecord, Any, str]  # row, SDK Invoice, payload hash


def updates_against_held(
    *,
    channel: AccountingChannel,
    client: XeroClient,
    group: list[Prepared],
    invoices: dict[Any, Invoice],
    outcomes: dict[int, Outcome],
) -> list[Prepared]:
    """Return the updates of `group` shaped by what Xero holds; the others get their outcome."""
    if not group:
        return group
    held = {
        str(i.invoice_id): HeldInvoice.of(i) for i in client.invoices_by_ids(ids=[r.xero_id for r, _p, _d in group])
    }
    kept: list[Prepared] = []
    for row, payload, digest in group:
        state = held.get(row.xero_id)
        if state is None:  # not found by id: send as is, Xero's answer says why
            kept.append((row, payload, digest))
            continue
        row.xero_status = state.status
        invoice = invoices[row.object_id]
        wanted = (
            XeroStatus.VOIDED.value
            if invoice.status == InvoiceStatus.VOID
            else mapping.xero_invoice_status(invoice=invoice, channel=channel)
        )
        plan = update_plan(wanted=wanted, held=state)
        if plan.refusal:
            outcomes[row.pk] = rejected(messages=[plan.refusal], http_status=None, attempt=AttemptOutcome.LOCAL)
        elif plan.done:
            outcomes[row.pk] = synced(
                xero_id=row.xero_id, payload_hash=digest, attempt=AttemptOutcome.UNCHANGED, xero_status=state.status
            )
        elif plan.status_only:
            kept.append((row, mapping.status_change_payload(invoice_id=row.xero_id, status=plan.status), digest))
        else:
            payload.status = plan.status or None
            kept.append((row, payload, digest))
    return kept
