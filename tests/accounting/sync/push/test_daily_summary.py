"""Posting per day, against the sandbox over real HTTP, one turn at a time in this process.

What the merchant's accountant checks in Xero: one invoice for the day whose total is the sum of
the day's store invoices to the cent, none of them as invoices of their own, the day's payments
one per method; a later change lands once, in the summary while Xero lets it change, otherwise as
a dated adjustment in the next open summary. And in the portal: a switch that would post a day
both ways is refused, saying from which day it could start.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounting.books.line_accounts import channel_chart_refresh, channel_line_accounts_set
from accounting.books.payment_accounts import (
    channel_payment_accounts_refresh,
    channel_payment_accounts_set,
    payment_accounts_cached,
)
from accounting.models import PostingMode
from accounting.services.posting import PostingChoice, channel_posting_set
from accounting.sync.models import SUMMARISED, DailySummary, EntryKind, RecordKind, SummaryEntry, SyncState
from stores.payments import payment_record, refund_record
from stores.services import invoice_create, invoice_update
from tests.accounting.sync.conftest import connect_channel, sandbox_org
from tests.accounting.sync.turns import drain, row_of
from tests.factories import StoreFactory
from xero_sandbox import testing
from xero_sandbox.models import Allocation, CreditNote
from xero_sandbox.models import Payment as SandboxPayment

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

DAY = dt.date(2026, 3, 2)
LINES = [  # (price, rate, discount): prices whose tax rounds differently line by line than summed
    ("10.33", "20", None), ("7.77", "20", "10"), ("19.99", "5", None), ("4.45", "20", None), ("3.10", "0", None),
]  # fmt: skip


def summary_channel(name: str, *, grace: int = 30, **fields):
    org = sandbox_org(name)
    store = StoreFactory.create(currency="GBP", time_zone="Europe/London")
    channel = connect_channel(org=org, store=store, account_nominal_code="200", **fields)
    channel_chart_refresh(channel=channel)
    channel_line_accounts_set(channel=channel, values={"rounding_account": "860", "discount_mode": "line"})
    channel_payment_accounts_refresh(channel=channel)
    ids = {a["code"]: a["account_id"] for a in payment_accounts_cached(channel=channel) or []}
    channel_payment_accounts_set(channel=channel, choices={"": ids["090"], "card": ids["605"]})
    choice = PostingChoice(mode=PostingMode.DAILY_SUMMARY, starts_on=DAY, grace_minutes=grace)
    channel_posting_set(channel=channel, choice=choice)
    return org, channel


def day_invoice(channel, number: str, price: str, rate: str, discount: str | None = None, *, day: dt.date = DAY):
    line = {"description": f"Goods {number}", "quantity": Decimal("3"), "unit_price": Decimal(price),
            "tax_rate": Decimal(rate)}  # fmt: skip
    if discount:
        line["discount_rate"] = Decimal(discount)
    return invoice_create(
        store=channel.store, number=number, customer_name=f"Customer {number}", customer_email=f"{number}@example.com",
        issue_date=day, due_date=day, lines=[line],
    )  # fmt: skip


def xero_invoices(org) -> dict[str, dict]:
    return {i["InvoiceNumber"]: i for i in testing.invoices(organisation=org.tenant_id)}


def money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def test_five_invoices_of_a_closed_day_are_one_xero_invoice_with_the_days_payments(sandbox):
    org, channel = summary_channel("Summary Shop Ltd")
    invoices = [day_invoice(channel, f"S-{n}", *spec) for n, spec in enumerate(LINES, start=1)]
    payment_record(invoice=invoices[0], amount=invoices[0].total, date=DAY, method="card")
    payment_record(invoice=invoices[1], amount=invoices[1].total, date=DAY, method="Card ")
    payment_record(invoice=invoices[2], amount=invoices[2].total, date=DAY, method="bank transfer")
    drain(channel)

    held = xero_invoices(org)
    assert list(held) == ["DAY-20260302-GBP"], "one Xero invoice for the day, none of the five on its own"
    summary = held["DAY-20260302-GBP"]
    expected = sum((invoice.total for invoice in invoices), Decimal(0))
    assert money(summary["Total"]) == expected
    assert summary["Contact"]["Name"] == f"{channel.store.name} sales"
    assert summary["Date"].startswith("/Date(") or summary["Date"]
    paid = invoices[0].total + invoices[1].total + invoices[2].total
    assert money(summary["AmountPaid"]) == paid
    assert money(summary["AmountDue"]) == expected - paid
    payments = SandboxPayment.objects.filter(account__organisation__tenant_id=org.tenant_id)
    assert sorted((p.account.code, p.amount) for p in payments) == sorted(
        [("605", invoices[0].total + invoices[1].total), ("090", invoices[2].total)]
    ), "one payment per method, into the method's account"
    # Lines by account and tax type, and a rounding line closing Xero's per-line tax to the store's.
    lines = {(line["AccountCode"], line.get("TaxType")) for line in summary["LineItems"]}
    assert {("200", "OUTPUT2"), ("200", "RROUTPUT"), ("200", "ZERORATEDOUTPUT")} <= lines

    record = DailySummary.objects.get(channel=channel)
    assert sorted(record.entries.filter(kind=EntryKind.INVOICE).values_list("number", flat=True)) == [
        f"S-{n}" for n in range(1, 6)
    ]
    for invoice in invoices:
        row = row_of(channel, invoice)
        assert (row.state, row.xero_status, row.xero_id) == (SyncState.SYNCED, SUMMARISED, "")
    assert row_of(channel, record, kind=RecordKind.SUMMARY).xero_id == summary["InvoiceID"]


def test_a_day_still_open_waits_until_it_closes_plus_the_grace(sandbox):
    org, channel = summary_channel("Open Day Ltd", grace=45)
    today = channel.store.today()
    invoice = day_invoice(channel, "T-1", "12.00", "20", day=today)
    drain(channel)

    assert xero_invoices(org) == {}
    row = row_of(channel, DailySummary.objects.get(channel=channel, day=today), kind=RecordKind.SUMMARY)
    assert row.state == SyncState.PENDING
    assert row.next_attempt_at == channel.store.day_end(today) + dt.timedelta(minutes=45)
    assert row_of(channel, invoice).xero_status == SUMMARISED


def test_a_change_lands_once_in_the_summary_or_as_a_dated_adjustment(sandbox):
    org, channel = summary_channel("Changing Day Ltd")
    first = day_invoice(channel, "A-1", "10.00", "20")
    second = day_invoice(channel, "A-2", "20.00", "20")
    drain(channel)
    assert money(xero_invoices(org)["DAY-20260302-GBP"]["Total"]) == Decimal("108.00")

    # Nothing paid yet: Xero lets the summary change, so the summary itself is updated.
    invoice_update(invoice=first, lines=[{"description": "Goods", "quantity": Decimal("3"),
                                          "unit_price": Decimal("15.00"), "tax_rate": Decimal("20")}])  # fmt: skip
    drain(channel)
    assert money(xero_invoices(org)["DAY-20260302-GBP"]["Total"]) == Decimal("126.00")
    assert list(xero_invoices(org)) == ["DAY-20260302-GBP"]

    # Paid: Xero no longer lets it change; the difference goes to the next open summary, dated.
    payment_record(invoice=second, amount=second.total, date=DAY, method="card")
    drain(channel)
    invoice_update(invoice=first, lines=[{"description": "Goods", "quantity": Decimal("2"),
                                          "unit_price": Decimal("15.00"), "tax_rate": Decimal("20")}])  # fmt: skip
    drain(channel)
    assert money(xero_invoices(org)["DAY-20260302-GBP"]["Total"]) == Decimal("126.00")
    adjustment = SummaryEntry.objects.get(invoice_id=first.pk, adjusts=DAY)
    assert adjustment.summary.day == channel.store.today()
    assert adjustment.total == Decimal("-18.00")
    entries = SummaryEntry.objects.filter(invoice_id=first.pk, kind=EntryKind.INVOICE)
    assert sum((e.total for e in entries), Decimal(0)) == Decimal("36.00"), "the entries sum to the store's total"


def test_a_switch_that_would_post_a_day_both_ways_is_refused_and_says_from_when(sandbox):
    org = sandbox_org("Switching Ltd")
    channel = connect_channel(org=org, store=StoreFactory.create(currency="GBP"), account_nominal_code="200")
    day_invoice(channel, "P-1", "10.00", "20")
    drain(channel)
    assert "P-1" in xero_invoices(org)

    with pytest.raises(ValidationError) as refused:
        channel_posting_set(channel=channel, choice=PostingChoice(mode=PostingMode.DAILY_SUMMARY, starts_on=DAY))
    assert refused.value.message_dict["posting_from"] == [
        "Invoice P-1 of 02 Mar 2026 was already sent to Xero as its own invoice: summaries can start on "
        "03 Mar 2026 at the earliest."
    ]
    assert not channel.posting_periods.exists()

    later = DAY + dt.timedelta(days=1)
    channel_posting_set(channel=channel, choice=PostingChoice(mode=PostingMode.DAILY_SUMMARY, starts_on=later))
    day_invoice(channel, "P-2", "10.00", "20", day=later)
    day_invoice(channel, "P-3", "10.00", "20", day=DAY)  # before the switch: still one by one
    drain(channel)
    assert sorted(xero_invoices(org)) == ["DAY-20260303-GBP", "P-1", "P-3"]

    with pytest.raises(ValidationError) as back:
        channel_posting_set(channel=channel, choice=PostingChoice(mode=PostingMode.PER_INVOICE, starts_on=later))
    assert back.value.message_dict["posting_from"] == [
        "03 Mar 2026 already has a daily summary: invoices can go one by one from 04 Mar 2026 at the earliest."
    ]
    assert timezone.now()  # the channel kept its periods
    assert list(channel.posting_periods.values_list("mode", "starts_on")) == [(PostingMode.DAILY_SUMMARY, later)]


def test_the_days_refunds_are_one_credit_note_allocated_to_the_summary_and_paid_back_per_method(sandbox):
    org, channel = summary_channel("Refunding Day Ltd")
    paid = day_invoice(channel, "R-1", "10.00", "20")  # 36.00
    unpaid = day_invoice(channel, "R-2", "20.00", "20")  # 72.00
    payment_record(invoice=paid, amount=paid.total, date=DAY, method="card")
    refund_record(invoice=paid, date=DAY, amount=Decimal("12.00"), method="card")  # money back to the card
    refund_record(invoice=unpaid, date=DAY, amount=Decimal("24.00"))  # credit only: the customer owes less
    drain(channel)

    notes = CreditNote.objects.filter(organisation__tenant_id=org.tenant_id)
    assert [(note.credit_note_number, note.total) for note in notes] == [("DAY-20260302-GBP-CN1", Decimal("36.00"))]
    [allocation] = Allocation.objects.filter(credit_note=notes[0])
    assert allocation.amount == Decimal("24.00")
    [refund_payment] = SandboxPayment.objects.filter(credit_note=notes[0])
    assert (refund_payment.account.code, refund_payment.amount) == ("605", Decimal("12.00"))
    summary = xero_invoices(org)["DAY-20260302-GBP"]
    assert money(summary["Total"]) == Decimal("108.00")
    # What Xero says is owed is what the store says is owed.
    paid.refresh_from_db()
    unpaid.refresh_from_db()
    assert money(summary["AmountDue"]) == paid.amount_due + unpaid.amount_due == Decimal("48.00")

    drain(channel)  # nothing is sent twice
    assert CreditNote.objects.filter(organisation__tenant_id=org.tenant_id).count() == 1
    assert SandboxPayment.objects.filter(credit_note=notes[0]).count() == 1
