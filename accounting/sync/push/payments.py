"""Send a claimed batch of payment rows: one PUT /Payments of up to 50 payments, each to its
invoice in Xero and into the account chosen for its method; and remove an invoice's payments in
Xero before the invoice is voided (Xero refuses to void an invoice that has payments).

The ledger sends a payment only once its invoice's row is synced (`turn.due_rows`), so each one
names an InvoiceID Xero issued. A payment whose answer was lost is looked up among its invoice's
payments in Xero (same amount, date and reference, not already another row's) before any resend.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from accounting.books.payment_accounts import (
    payment_account_for,
    payment_account_missing_message,
)
from accounting.models import AccountingChannel
from accounting.providers.xero import mapping
from accounting.providers.xero.answers import element_refusal
from accounting.providers.xero.client import XeroClient
from accounting.providers.xero.values import CLOSED, XeroStatus, text
from accounting.sync.models import AttemptOutcome, RecordKind, SyncAttempt, SyncRecord, WaitingFor
from accounting.sync.push.base import Push
from accounting.sync.push.outcomes import Outcome, rejected, skipped, synced, waiting
from accounting.sync.push.summarise import payments_summarise
from stores.models import InvoiceStatus, Payment, PaymentSource

Pair = tuple[SyncRecord, Payment]


class PaymentsPush(Push):
    """Send the claimed payment rows of the channel in one PUT /Payments.

    A refused payments scope is not the channel's connection failing: its payments wait for a
    reconnect, its invoices go on."""

    needs_payments_scope = True

    def push(self) -> None:
        payments = Payment.objects.select_related("invoice").in_bulk([r.object_id for r in self.rows])
        channel, client, outcomes = self.channel, self.client, self.outcomes
        # Payments of invoices in a daily summary join it; its push sends them per method.
        rows = payments_summarise(channel=channel, rows=self.rows, outcomes=outcomes)
        pairs = _sendable(channel=channel, rows=rows, payments=payments, outcomes=outcomes)
        invoice_ids = _invoice_ids(channel=channel, pairs=pairs)
        pairs = _resolve_lost_answers(
            channel=channel, client=client, pairs=pairs, invoice_ids=invoice_ids, outcomes=outcomes
        )
        group = _prepare(channel=channel, pairs=pairs, invoice_ids=invoice_ids, outcomes=outcomes)
        if not group:
            return
        rows = [row for row, _p in group]
        elements = self.write(
            "payments", parts=_key_parts(rows), rows=rows,
            call=lambda key: client.payments_create(payments=[payload for _r, payload in group], idempotency_key=key),
        )  # fmt: skip
        outcomes.update(_element_outcomes(group=group, elements=elements))


def _sendable(
    *, channel: AccountingChannel, rows: list[SyncRecord], payments: dict[Any, Payment], outcomes: dict[int, Outcome]
) -> list[Pair]:
    pairs: list[Pair] = []
    for row in rows:
        payment = payments.get(row.object_id)
        if payment is None:
            outcomes[row.pk] = skipped(reason="The payment was deleted from the store.")
        elif payment.source == PaymentSource.XERO:
            outcomes[row.pk] = skipped(reason="The payment was made in Xero: nothing to send back.")
        elif row.xero_id:
            # Payments are never edited: one already in Xero stays as it is.
            outcomes[row.pk] = synced(xero_id=row.xero_id, payload_hash="", attempt=AttemptOutcome.UNCHANGED)
        elif payment.invoice.status == InvoiceStatus.VOID:
            outcomes[row.pk] = skipped(reason="The invoice is void in the store: the payment is not sent.")
        else:
            pairs.append((row, payment))
    return pairs


def _invoice_ids(*, channel: AccountingChannel, pairs: list[Pair]) -> dict[int, str]:
    """Return {store invoice id: Xero InvoiceID} of the pairs' invoices (their rows are synced)."""
    return dict(
        SyncRecord.objects.filter(
            channel=channel, kind=RecordKind.INVOICE, object_id__in={p.invoice_id for _r, p in pairs}
        )
        .exclude(xero_id="")
        .values_list("object_id", "xero_id")
    )


def _resolve_lost_answers(
    *, channel: AccountingChannel, client: XeroClient, pairs: list[Pair], invoice_ids: dict[int, str],
    outcomes: dict[int, Outcome],
) -> list[Pair]:  # fmt: skip
    """Look up, among their invoices' payments in Xero, payments whose earlier write may have
    happened; adopt those found (same amount, date and reference, not held by another row)."""
    unsure = [(row, payment) for row, payment in pairs if row.needs_lookup]
    if not unsure:
        return pairs
    held = set(
        SyncRecord.objects.filter(channel=channel, kind=RecordKind.PAYMENT)
        .exclude(xero_id="")
        .values_list("xero_id", flat=True)
    )
    adopted: set[int] = set()
    for invoice_id in {p.invoice_id for _r, p in unsure}:
        found = client.invoice_by_id(invoice_id=invoice_ids[invoice_id]) if invoice_id in invoice_ids else None
        candidates = [p for p in (getattr(found, "payments", None) or []) if text(p.status) != XeroStatus.DELETED]
        for row, payment in (pair for pair in unsure if pair[1].invoice_id == invoice_id):
            match = next((c for c in candidates if str(c.payment_id) not in held and _same(c, payment)), None)
            if match is None:
                continue
            held.add(str(match.payment_id))
            adopted.add(row.pk)
            outcomes[row.pk] = synced(
                xero_id=str(match.payment_id), payload_hash="", attempt=AttemptOutcome.FOUND,
                message=f"Found in Xero as {match.payment_id}.", xero_status=XeroStatus.AUTHORISED,
            )  # fmt: skip
    return [(row, payment) for row, payment in pairs if row.pk not in adopted]


def _same(found: Any, payment: Payment) -> bool:
    return (
        Decimal(str(found.amount)) == payment.amount
        and found.date == payment.date
        and (found.reference or "") == mapping.payment_reference(payment)
    )


def _prepare(
    *, channel: AccountingChannel, pairs: list[Pair], invoice_ids: dict[int, str], outcomes: dict[int, Outcome]
) -> list[tuple[SyncRecord, Any]]:
    """Return the payloads to send; a payment without an account chosen for its method waits,
    sending nothing, saying where to choose one."""
    group = []
    for row, payment in pairs:
        account = payment_account_for(channel=channel, method=payment.method)
        if account is None:
            message = payment_account_missing_message(method=payment.method)
            outcomes[row.pk] = waiting(on=WaitingFor.PAYMENT_ACCOUNTS, messages=[message])
            continue
        payload = mapping.invoice_payment_payload(
            invoice_id=invoice_ids[payment.invoice_id], account_id=account.account_id, amount=payment.amount,
            date=payment.date, reference=mapping.payment_reference(payment),
        )  # fmt: skip
        group.append((row, payload))
    return group


def _key_parts(rows: list[SyncRecord]) -> list[str]:
    """Each row and its latest refusal: a refused request wrote nothing, so its retry is a new
    request; a lost answer keeps its key, so its resend within Xero's window is a replay."""
    latest: dict[int, int] = {}
    for record_id, pk in SyncAttempt.objects.filter(
        record__in=rows, outcome__in=[AttemptOutcome.VALIDATION, AttemptOutcome.LOCAL]
    ).values_list("record_id", "pk"):
        latest[record_id] = max(pk, latest.get(record_id, 0))
    return [f"{row.pk}:{latest.get(row.pk, 0)}" for row in rows]


def _element_outcomes(*, group: list[tuple[SyncRecord, Any]], elements: list[Any]) -> dict[int, Outcome]:
    outcomes: dict[int, Outcome] = {}
    for position, (row, _payload) in enumerate(group):
        element = elements[position] if position < len(elements) else None
        if element is None:
            outcomes[row.pk] = rejected(messages=["Xero's answer did not include this payment."])
            continue
        refusal = element_refusal(element)
        if refusal is not None:
            outcomes[row.pk] = rejected(messages=refusal.messages)
        elif not element.payment_id:
            outcomes[row.pk] = rejected(messages=["Xero did not return a payment id."])
        else:
            outcomes[row.pk] = synced(
                xero_id=str(element.payment_id), payload_hash="", xero_status=XeroStatus.AUTHORISED
            )
    return outcomes


def payments_remove_before_void(*, channel: AccountingChannel, client: XeroClient, xero_invoice_id: str) -> int:
    """Remove every payment Xero holds on the invoice (POST Status DELETED), as Xero requires
    before it voids an invoice; return how many were removed. Their ledger rows say so."""
    found = client.invoice_by_id(invoice_id=xero_invoice_id)
    if found is None or Decimal(str(found.amount_credited or 0)) > 0:
        return 0
    removed = []
    for payment in getattr(found, "payments", None) or []:
        if text(payment.status) == XeroStatus.DELETED or not payment.payment_id:
            continue
        client.payment_delete(
            payment_id=str(payment.payment_id), idempotency_key=f"cp-payment-delete-{payment.payment_id}"
        )
        removed.append(str(payment.payment_id))
    if removed:
        SyncRecord.objects.filter(channel=channel, kind=RecordKind.PAYMENT, xero_id__in=removed).update(
            xero_status=XeroStatus.DELETED, xero_refs={"deleted": True}
        )
    return len(removed)


def voids_prepare(*, channel: AccountingChannel, client: XeroClient, group: list[Any]) -> None:
    """Before invoices are voided in Xero, remove the payments Xero holds on them: Xero voids only
    an invoice with no payment and no credit allocated. `group`: (row, payload, digest) of the
    invoice updates. An invoice with credit allocated keeps its payments: its void fails with
    what to do (`invoice_status.updates_against_held`), and nothing is half done."""
    for row, payload, _digest in group:
        if text(payload.status) == XeroStatus.VOIDED and row.xero_id and row.xero_status not in CLOSED:
            payments_remove_before_void(channel=channel, client=client, xero_invoice_id=row.xero_id)
