"""Send a claimed batch of daily summaries, each in the writes Xero needs one after another:

1. the summary invoice (ACCREC, AUTHORISED, dated its day): created once (PUT), updated (POST)
   while Xero allows when its entries changed; its number is fixed when the summary is made, so a
   lost answer is looked up by it before any resend;
2. the day's payments: one Xero payment per payment method (into the method's account) of the
   payment entries not sent yet, in one PUT /Payments;
3. the day's refunds: one credit note, allocated to the summary, paid out per method
   (`summary_refunds`).

Each step's Xero id is saved as soon as Xero accepted it (the summary's `xero_id`, each payment
entry's `xero_ref`), so a retry goes on from the first step not done and never repeats one.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Max
from django.utils import timezone

from accounting.books.cache import sales_account_code
from accounting.books.line_accounts import channel_line_accounts
from accounting.books.payment_accounts import (
    channel_allows_payments,
    payment_account_for,
    payment_account_missing_message,
)
from accounting.books.posting import summary_contact_name
from accounting.books.tracking import channel_tracking_row, invoice_tracking
from accounting.models import AccountingChannel, payment_method_key
from accounting.providers.xero import mapping
from accounting.providers.xero.answers import element_refusal
from accounting.providers.xero.client import XeroClient
from accounting.providers.xero.values import CLOSED, XeroStatus, text
from accounting.sync.models import (
    DailySummary,
    EntryKind,
    SummaryEntry,
    SyncRecord,
    WaitingFor,
)
from accounting.sync.push.base import Push, latest_refusal
from accounting.sync.push.contacts import Customer, contacts_resolve
from accounting.sync.push.outcomes import Outcome, rejected, skipped, synced, waiting
from accounting.sync.push.summarise import SummaryStop
from accounting.sync.push.summary_refunds import refunds_send
from stores.models import Payment

ZERO = Decimal("0.00")
TAX_MODE_AMOUNT_TYPES = {"exclusive": "Exclusive", "inclusive": "Inclusive", "no_tax": "NoTax"}


class SummaryPush(Push):
    """Send the claimed summary rows of the channel, one after another, each in its steps."""

    def push(self) -> None:
        summaries = DailySummary.objects.in_bulk([row.object_id for row in self.rows])
        for row in self.rows:
            summary = summaries.get(row.object_id)
            if summary is None:
                self.outcomes[row.pk] = skipped(reason="The summary was removed.")
                continue
            self.current = row.pk
            try:
                self.outcomes[row.pk] = self._send(row=row, summary=summary)
            except SummaryStop as stop:
                self.outcomes[row.pk] = stop.outcome

    current: int | None = None

    def failure_outcome(self, row: SyncRecord, error: Any) -> Outcome:
        if row.pk == self.current or row.pk in self.writing:
            return super().failure_outcome(row, error)
        wait = float(getattr(error, "retry_after", 0.0)) or 5.0
        return Outcome(state="pending", attempt="", wait=wait, count_attempt=False)

    def _send(self, *, row: SyncRecord, summary: DailySummary) -> Outcome:
        entries = list(summary.entries.all())
        invoices = [entry for entry in entries if entry.kind == EntryKind.INVOICE]
        total = sum((entry.total for entry in invoices), ZERO)
        if not summary.xero_id and not any(entry.lines for entry in invoices):
            return skipped(reason="Nothing to send: the day's invoices add up to nothing.")
        digest = ""
        if any(not entry.sent for entry in invoices) or not summary.xero_id or row.needs_lookup:
            digest = self._invoice_send(row=row, summary=summary, invoices=invoices, total=total)
        note = self._payments_send(row=row, summary=summary, entries=entries)
        if any(entry.kind == EntryKind.REFUND and not entry.sent for entry in entries):
            contact_id = self._contact(channel=self.channel, client=self.client)
            refunds_send(step=self, row=row, summary=summary, entries=entries, contact_id=contact_id)
        count = len({entry.invoice_id for entry in invoices})
        message = f"{count} invoice{'s' if count != 1 else ''}, {total} {summary.currency}." + (
            f" {note}" if note else ""
        )
        return synced(
            xero_id=summary.xero_id, payload_hash=digest or row.payload_hash, xero_status=XeroStatus.AUTHORISED,
            message=message,
        )  # fmt: skip

    def _invoice_send(
        self, *, row: SyncRecord, summary: DailySummary, invoices: list[SummaryEntry], total: Decimal
    ) -> str:
        channel, client = self.channel, self.client
        amounts = TAX_MODE_AMOUNT_TYPES.get(summary.tax_mode, "Exclusive")
        accounts = channel_line_accounts(channel=channel, sales=sales_account_code(channel=channel, client=client))
        try:
            items, _rounding = mapping.summary_lines_plan(
                day=summary.day,
                parts=[({k: Decimal(v) for k, v in entry.lines.items()}, entry.adjusts) for entry in invoices],
                amounts=amounts,
                store_total=total,
                rounding=mapping.SummaryRounding(accounts.rounding, accounts.rounding_tax_type),
                tracking=invoice_tracking(channel_tracking_row(channel=channel)),
            )
        except mapping.LineAccountUnset as exc:
            raise SummaryStop(waiting(on=WaitingFor.LINE_ACCOUNTS, messages=[str(exc)])) from None
        if row.needs_lookup and not summary.xero_id:
            self._adopt(summary=summary)
        contact_id = self._contact(channel=channel, client=client)
        count = len({entry.invoice_id for entry in invoices})
        payload = mapping.summary_payload(
            number=summary.number, contact_id=contact_id, day=summary.day, currency_code=summary.currency,
            amounts=amounts, items=items, reference=f"Daily summary: {count} invoice{'s' if count != 1 else ''}",
        )  # fmt: skip
        digest = mapping.payload_hash(payload)
        if summary.xero_id and digest == row.payload_hash:
            return digest
        if summary.xero_id:
            payload.invoice_id = summary.xero_id
        send = client.invoices_update if summary.xero_id else client.invoices_create
        [element] = self.write(
            "summary-update" if summary.xero_id else "summary", parts=[f"{row.pk}:{digest}:{latest_refusal(row)}"],
            rows=[row], call=lambda key: send(invoices=[payload], idempotency_key=key),
        )  # fmt: skip
        refusal = element_refusal(element)
        if refusal is not None:
            raise SummaryStop(rejected(messages=[*refusal.messages, refusal.fix] if refusal.fix else refusal.messages))
        if not element.invoice_id:
            raise SummaryStop(rejected(messages=["Xero did not return an invoice id."]))
        summary.xero_id = str(element.invoice_id)
        DailySummary.objects.filter(pk=summary.pk).update(
            xero_id=summary.xero_id, sent_total=total, sent_at=timezone.now()
        )
        SummaryEntry.objects.filter(pk__in=[entry.pk for entry in invoices]).update(sent=True)
        SyncRecord.objects.filter(pk=row.pk, claim=row.claim).update(payload_hash=digest, xero_id=summary.xero_id)
        row.payload_hash = digest
        return digest

    def _adopt(self, *, summary: DailySummary) -> None:
        """Adopt the summary Xero holds under its number (an earlier write whose answer was lost)."""
        for found in self.client.invoices_by_number(numbers=[summary.number]):
            if found.invoice_number == summary.number and found.invoice_id and text(found.status) not in CLOSED:
                summary.xero_id = str(found.invoice_id)
                DailySummary.objects.filter(pk=summary.pk).update(xero_id=summary.xero_id)
                return

    def _contact(self, *, channel: AccountingChannel, client: XeroClient) -> str:
        customer = Customer(name=summary_contact_name(channel=channel), email="")
        resolution = contacts_resolve(client=client, customers=[customer])
        if customer.key in resolution.errors:
            raise SummaryStop(rejected(messages=[f"Contact: {resolution.errors[customer.key]}"]))
        return resolution.contact_ids[customer.key]

    def _payments_send(self, *, row: SyncRecord, summary: DailySummary, entries: list[SummaryEntry]) -> str:
        """Send the payment entries not sent yet, one Xero payment per method; return a note."""
        unsent = [entry for entry in entries if entry.kind == EntryKind.PAYMENT and not entry.sent]
        if not unsent:
            return ""
        channel = self.channel
        if not channel_allows_payments(channel=channel):
            return "The day's payments wait: reconnect to give the channel Xero's payments scope."
        by_method: dict[str, list[SummaryEntry]] = defaultdict(list)
        for entry in unsent:
            by_method[payment_method_key(entry.method)].append(entry)  # "Card " and "card" are one
        dates = dict(
            Payment.objects.filter(pk__in=[entry.object_id for entry in unsent])
            .values("invoice_id")
            .annotate(last=Max("date"))
            .values_list("invoice_id", "last")
        )
        group = []
        for method, grouped in sorted(by_method.items()):
            account = payment_account_for(channel=channel, method=method)
            if account is None:
                raise SummaryStop(
                    waiting(on=WaitingFor.PAYMENT_ACCOUNTS, messages=[payment_account_missing_message(method=method)])
                )
            amount = sum((entry.total for entry in grouped), ZERO)
            date = max([summary.day, *(dates[e.invoice_id] for e in grouped if e.invoice_id in dates)])
            payload = mapping.invoice_payment_payload(
                invoice_id=summary.xero_id, account_id=account.account_id, amount=amount, date=date,
                reference=f"{' '.join(grouped[0].method.split())} {summary.day:%d %b %Y}"[:255],
            )  # fmt: skip
            group.append((grouped, payload))
        if row.needs_lookup:
            group = self._payments_found(summary=summary, group=group)
        if group:
            parts = [f"{summary.pk}:" + ",".join(str(e.pk) for e in grouped) for grouped, _p in group]
            elements = self.write(
                "summary-payments", parts=parts, rows=[row],
                call=lambda key: self.client.payments_create(payments=[p for _g, p in group], idempotency_key=key),
            )  # fmt: skip
            refused = []
            for (grouped, _payload), element in zip(group, elements, strict=False):
                refusal = element_refusal(element)
                if refusal is not None:
                    refused += refusal.messages
                    continue
                SummaryEntry.objects.filter(pk__in=[e.pk for e in grouped]).update(
                    sent=True, xero_ref=str(element.payment_id)
                )
            if refused:
                raise SummaryStop(rejected(messages=refused))
        return ""

    def _payments_found(self, *, summary: DailySummary, group: list[tuple[list[SummaryEntry], Any]]) -> list[Any]:
        """Adopt the payments Xero already holds on the summary (a write whose answer was lost)."""
        found = self.client.invoice_by_id(invoice_id=summary.xero_id)
        held = [p for p in (getattr(found, "payments", None) or []) if text(p.status) != XeroStatus.DELETED]
        taken = set(
            SummaryEntry.objects.filter(summary=summary).exclude(xero_ref="").values_list("xero_ref", flat=True)
        )
        left = []
        for grouped, payload in group:
            match = next(
                (
                    p for p in held
                    if str(p.payment_id) not in taken and Decimal(str(p.amount)) == Decimal(str(payload.amount))
                    and (p.reference or "") == payload.reference
                ),
                None,
            )  # fmt: skip
            if match is None:
                left.append((grouped, payload))
                continue
            taken.add(str(match.payment_id))
            SummaryEntry.objects.filter(pk__in=[e.pk for e in grouped]).update(
                sent=True, xero_ref=str(match.payment_id)
            )
        return left
