"""Send a claimed batch of invoice rows: one PUT of up to 50 new invoices (and one POST for
changed ones already in Xero), each element's outcome recorded on its own row."""

from __future__ import annotations

from typing import Any

from django.db.models import Max, QuerySet

from accounting.books.cache import (
    sales_account_code,
    sales_account_forget,
    sales_tax_rates_forget,
)
from accounting.books.line_accounts import channel_line_accounts
from accounting.books.tracking import channel_tracking_row, invoice_tracking
from accounting.models import AccountingChannel
from accounting.providers.xero import mapping
from accounting.providers.xero.answers import Refusal, element_refusal
from accounting.providers.xero.client import XeroClient
from accounting.providers.xero.errors import XeroRequestTooLarge
from accounting.providers.xero.values import CLOSED, text
from accounting.sync.ledger.batch_writes import numbers_write
from accounting.sync.models import AttemptOutcome, SyncAttempt, SyncRecord, WaitingFor, XeroContactLink, XeroItemLink
from accounting.sync.push.base import Push
from accounting.sync.push.contacts import contacts_resolve, customer_of
from accounting.sync.push.invoice_books import with_enabled_currency, with_tax_types
from accounting.sync.push.invoice_numbers import numbers_taken_settle
from accounting.sync.push.invoice_status import updates_against_held
from accounting.sync.push.items import items_available
from accounting.sync.push.outcomes import Outcome, rejected, skipped, synced, waiting
from accounting.sync.push.payments import voids_prepare
from accounting.sync.push.summarise import invoices_summarise
from stores.models import Invoice, InvoiceLine, InvoiceStatus

Pair = tuple[SyncRecord, Invoice]
Prepared = tuple[SyncRecord, Any, str]  # row, SDK Invoice, payload hash


class InvoicesPush(Push):
    """Send the claimed invoice rows of the channel: one PUT of the new invoices, one POST of the
    changed ones already in Xero (each in halves while Xero finds it too large)."""

    def push(self) -> None:
        channel, client, outcomes = self.channel, self.client, self.outcomes
        invoices = invoices_of(self.rows)
        refusals: dict[int, Refusal] = {}
        # The days this channel posts as one summary invoice: those rows go into their summaries.
        rows = invoices_summarise(channel=channel, client=client, rows=self.rows, invoices=invoices, outcomes=outcomes)
        live = _sendable(rows=rows, invoices=invoices, outcomes=outcomes)
        live = _resolve_lost_answers(channel=channel, client=client, pairs=live, outcomes=outcomes)
        creates, updates = _prepare(channel=channel, client=client, pairs=live, outcomes=outcomes)
        voids_prepare(channel=channel, client=client, group=updates)  # Xero voids only unpaid invoices
        updates = updates_against_held(
            channel=channel, client=client, group=updates, invoices=invoices, outcomes=outcomes
        )
        # Creates and updates never share a key: a PUT whose answer was lost and the POST that
        # follows its look-up may carry the same rows and hashes, and Xero refuses a key reused
        # with a different request.
        for group, send, label in (
            (creates, client.invoices_create, "invoices"),
            (updates, client.invoices_update, "invoice-updates"),
        ):
            if group:
                _numbers_remember(group)
                self._send_fitting(send=send, label=label, group=group, refusals=refusals)
        numbers_taken_settle(
            channel=channel, client=client, pairs=live, creates=creates, refusals=refusals, outcomes=outcomes
        )
        _forget_refused_contacts(tenant=client.tenant_id, pairs=live, refusals=refusals)
        _forget_refused_items(tenant=client.tenant_id, refusals=refusals)
        _forget_refused_tax_rates(channel=channel, refusals=refusals)
        if any(refusal.account_code_refused for refusal in refusals.values()):
            sales_account_forget(channel=channel)

    def _send_fitting(self, *, send: Any, label: str, group: list[Prepared], refusals: dict[int, Refusal]) -> None:
        """Send a group in one request, in halves when Xero finds it too large."""
        try:
            elements = self.write(
                label, parts=_key_parts(group), rows=[row for row, _p, _d in group],
                call=lambda key: send(invoices=[payload for _r, payload, _d in group], idempotency_key=key),
            )  # fmt: skip
        except XeroRequestTooLarge as exc:
            self.writing = set()
            if len(group) == 1:
                self.outcomes[group[0][0].pk] = rejected(
                    messages=[f"{exc.message} Split the invoice."], http_status=413
                )
                return
            half = len(group) // 2
            for part in (group[:half], group[half:]):
                self._send_fitting(send=send, label=label, group=part, refusals=refusals)
            return
        self.outcomes.update(_element_outcomes(group=group, elements=elements, refusals=refusals))


def invoices_of(rows: list[SyncRecord]) -> dict[Any, Invoice]:
    """Return the rows' invoices, each with its lines (and their products) at hand for
    `invoice.lines.all()`: two queries, the products joined to the lines' query.

    The lines are attached as `prefetch_related` would, without the filtered queryset it
    builds per invoice (cloning those cost more than reading the lines).
    """
    invoices = Invoice.objects.in_bulk([r.object_id for r in rows])
    lines: dict[int, list[InvoiceLine]] = {pk: [] for pk in invoices}
    for line in InvoiceLine.objects.filter(invoice_id__in=list(invoices)).select_related("product__parent"):
        line.invoice = invoices[line.invoice_id]
        lines[line.invoice_id].append(line)
    for pk, invoice in invoices.items():
        cached: QuerySet[InvoiceLine] = QuerySet(model=InvoiceLine)
        cached._result_cache = lines[pk]
        cached._prefetch_done = True  # type: ignore[attr-defined]
        invoice._prefetched_objects_cache = {"lines": cached}  # type: ignore[attr-defined]
    return invoices


def _forget_refused_contacts(*, tenant: str, pairs: list[Pair], refusals: dict[int, Refusal]) -> None:
    """Forget the remembered contact of invoices Xero refused over their contact (archived or
    deleted in Xero meanwhile), so that their next attempt finds or creates it afresh."""
    stale = [
        customer_of(invoice).key for row, invoice in pairs if row.pk in refusals and refusals[row.pk].contact_refused
    ]
    if stale:
        XeroContactLink.objects.filter(tenant_id=tenant, customer_key__in=stale).delete()


def _forget_refused_tax_rates(*, channel: AccountingChannel, refusals: dict[int, Refusal]) -> None:
    """Forget the cached tax rates when Xero refused a tax type (archived or deleted in Xero
    meanwhile), so that the next attempt looks them up afresh."""
    if any(refusal.tax_type_refused for refusal in refusals.values()):
        sales_tax_rates_forget(channel=channel)


def _forget_refused_items(*, tenant: str, refusals: dict[int, Refusal]) -> None:
    """Forget the remembered items Xero refused on an invoice's lines, so that the next attempt
    looks them up afresh (and creates them when "Create Nonexistent Products" is on)."""
    codes = {code for refusal in refusals.values() for code in refusal.item_codes}
    if codes:
        XeroItemLink.objects.filter(tenant_id=tenant, code__in=codes).delete()


def _sendable(*, rows: list[SyncRecord], invoices: dict[Any, Invoice], outcomes: dict[int, Outcome]) -> list[Pair]:
    pairs: list[Pair] = []
    for row in rows:
        invoice = invoices.get(row.object_id)
        if invoice is None:
            outcomes[row.pk] = skipped(reason="The invoice was deleted from the store.")
        elif invoice.status == InvoiceStatus.VOID and not row.xero_id:
            outcomes[row.pk] = skipped(reason="The invoice is void in the store and was never sent.")
        elif invoice.status == InvoiceStatus.VOID and row.xero_status in CLOSED:
            # Voided in Xero (learnt from Xero's webhook or the poll): nothing left to send.
            outcomes[row.pk] = synced(
                xero_id=row.xero_id, payload_hash=row.payload_hash, xero_status=row.xero_status,
                attempt=AttemptOutcome.UNCHANGED,
            )  # fmt: skip
        else:
            pairs.append((row, invoice))
    return pairs


def _resolve_lost_answers(
    *, channel: AccountingChannel, client: XeroClient, pairs: list[Pair], outcomes: dict[int, Outcome]
) -> list[Pair]:
    """Look up, by number, invoices whose earlier write may have happened; adopt those found.

    A found invoice is the version that write carried (its hash was saved before the write),
    which may be older than the store's now: the row keeps Xero's id and goes on through
    `_prepare`, which sends the current version as an update only when it differs.
    """
    unsure = {
        row.xero_number or mapping.xero_invoice_number(channel=channel, invoice=invoice): row
        for row, invoice in pairs
        if row.needs_lookup and not row.xero_id
    }
    if not unsure:
        return pairs
    found_rows = []
    for found in client.invoices_by_number(numbers=list(unsure)):
        row = unsure.get(found.invoice_number or "")
        if row is not None and found.invoice_id and text(found.status) not in CLOSED:
            row.xero_id = str(found.invoice_id)
            row.xero_status = text(found.status)
            row.needs_lookup = False
            found_rows.append(row)
    # The look-up is part of the row's history even if the update that follows fails; the
    # adopted id is saved with the row's outcome (records_finish writes `xero_id`).
    SyncAttempt.objects.bulk_create(
        SyncAttempt(record=row, outcome=AttemptOutcome.FOUND, message=f"Found in Xero as {row.xero_id}.")
        for row in found_rows
    )
    return pairs


def _key_parts(group: list[Prepared]) -> list[str]:
    """Return the parts of a batch's Idempotency-Key: each row, its payload, and its latest
    refusal. A request Xero refused wrote nothing, so its retry (after an operator's retry, or
    once a refused item or contact exists again) is a new request; reusing the key would only
    replay the refusal. A lost answer keeps its key, so its resend is a replay."""
    refused = dict(
        SyncAttempt.objects.filter(record__in=[row for row, _p, _d in group], outcome=AttemptOutcome.VALIDATION)
        .values("record_id")
        .annotate(last=Max("pk"))
        .values_list("record_id", "last")
    )
    return [f"{row.pk}:{digest}:{refused.get(row.pk, 0)}" for row, _p, digest in group]


def _numbers_remember(group: list[Prepared]) -> None:
    """Save the numbers about to be sent before the write, for a look-up should its answer be lost.

    A create also saves the hash of the version it carries: should the look-up find the
    invoice, that is the version Xero holds, so an unchanged invoice is adopted as it is and a
    changed one is sent as an update. (An update keeps the hash of what Xero held before, as
    its lost answer is resolved by sending it again.)
    """
    for row, payload, digest in group:
        row.xero_number = payload.invoice_number or row.xero_number  # a status change carries no number
        if not row.xero_id:
            row.payload_hash = digest
    numbers_write(rows=[(row.pk, row.xero_number, row.payload_hash) for row, _p, _d in group])


def _prepare(
    *, channel: AccountingChannel, client: XeroClient, pairs: list[Pair], outcomes: dict[int, Outcome]
) -> tuple[list[Prepared], list[Prepared]]:
    """Return the payloads to create and to update; unchanged and unmappable rows get outcomes."""
    if not pairs:
        return [], []
    account = sales_account_code(channel=channel, client=client)
    accounts = channel_line_accounts(channel=channel, sales=account)
    tax_types, pairs = with_tax_types(channel=channel, client=client, pairs=pairs, outcomes=outcomes, accounts=accounts)
    if not pairs:
        return [], []
    pairs = with_enabled_currency(channel=channel, client=client, pairs=pairs, outcomes=outcomes)
    if not pairs:
        return [], []
    customers = {customer_of(i) for _r, i in pairs}
    contacts = contacts_resolve(client=client, customers=sorted(customers, key=lambda c: c.key))
    products = {p.pk: p for _r, i in pairs for p in mapping.line_item_products(i)}
    turn = pairs[0][0].claim
    codes = (
        items_available(channel=channel, client=client, products=list(products.values()), turn=turn)
        if products
        else set()
    )
    tracking = channel_tracking_row(channel=channel)
    creates: list[Prepared] = []
    updates: list[Prepared] = []
    for row, invoice in pairs:
        customer = customer_of(invoice).key
        if customer in contacts.errors:
            outcomes[row.pk] = rejected(messages=[f"Contact: {contacts.errors[customer]}"])
            continue
        try:
            payload = mapping.invoice_payload(
                invoice=invoice, channel=channel, contact_id=contacts.contact_ids[customer],
                account_code=account, item_codes=codes, tax_types=tax_types, accounts=accounts,
                tracking=invoice_tracking(tracking, country=invoice.customer_country),
            )  # fmt: skip
        except mapping.LineAccountUnset as exc:
            outcomes[row.pk] = waiting(on=WaitingFor.LINE_ACCOUNTS, messages=[str(exc)])
            continue
        except mapping.TaxTypeUnmapped as exc:
            outcomes[row.pk] = waiting(on=WaitingFor.TAX_MAPPING, messages=[str(exc)])
            continue
        except mapping.MappingError as exc:
            outcomes[row.pk] = rejected(messages=[str(exc)], http_status=None, attempt=AttemptOutcome.LOCAL)
            continue
        if invoice.status == InvoiceStatus.VOID and row.xero_status:
            # Void by the status Xero holds, not by the channel's setting (it may have changed).
            payload.status = mapping.xero_invoice_status(invoice=invoice, channel=channel, xero_status=row.xero_status)
        # The hash covers what the store says, not Xero's id, so a create and an update compare.
        digest = mapping.payload_hash(payload)
        if row.xero_id:
            payload.invoice_id = row.xero_id
        if row.xero_id and digest == row.payload_hash:
            outcomes[row.pk] = synced(xero_id=row.xero_id, payload_hash=digest, attempt=AttemptOutcome.UNCHANGED)
        else:
            (updates if row.xero_id else creates).append((row, payload, digest))
    return creates, updates


def _element_outcomes(
    *, group: list[Prepared], elements: list[Any], refusals: dict[int, Refusal]
) -> dict[int, Outcome]:
    """Return each row's outcome from its element of the answer; note Xero's typed refusals."""
    by_number = {e.invoice_number: e for e in elements if getattr(e, "invoice_number", None)}
    outcomes: dict[int, Outcome] = {}
    for position, (row, payload, digest) in enumerate(group):
        element = by_number.get(payload.invoice_number)
        if element is None and position < len(elements):
            element = elements[position]
        if element is None:
            outcomes[row.pk] = rejected(messages=["Xero's answer did not include this invoice."])
            continue
        refusal = element_refusal(element)
        if refusal is not None:
            refusals[row.pk] = refusal
            outcomes[row.pk] = rejected(messages=[*refusal.messages, refusal.fix] if refusal.fix else refusal.messages)
        elif not element.invoice_id:
            outcomes[row.pk] = rejected(messages=["Xero did not return an invoice id."])
        else:
            status = text(element.status) or text(payload.status)
            outcomes[row.pk] = synced(
                xero_id=str(element.invoice_id), payload_hash=digest, xero_status=status,
                message=mapping.rounding_note(payload),
            )  # fmt: skip
    return outcomes
