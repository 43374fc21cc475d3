"""Payments and refunds to Xero, against the sandbox over real HTTP: a paid invoice lands PAID with
its payment in the account chosen for its method; refunds become credit notes (allocated to the
invoice for the credit kept, paid back for the money returned); a channel without the payments
scope says so and its payments wait; lost answers make no duplicates.

What a bookkeeper checks: Xero's invoice owes exactly what the store says (`AmountDue` equals the
store's `amount_due`), every payment and credit note is in Xero once, in the right account.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils.html import escape

from accounting.books.payment_accounts import (
    RECONNECT_FOR_PAYMENTS,
    channel_payment_accounts_refresh,
    channel_payment_accounts_set,
    payment_accounts_cached,
)
from accounting.sync.models import RecordKind, SyncRecord, SyncState, WaitingFor
from drills.waiting import wait_for
from stores.payments import payment_record, refund_record
from stores.services import invoice_create
from tests.accounting.sync.conftest import SandboxOrg, connect_channel, sandbox_org
from tests.accounting.sync.turns import drain, row_of
from tests.factories import StoreFactory
from xero_sandbox import testing
from xero_sandbox.models import Allocation, CreditNote, IdempotencyRecord, RequestLog
from xero_sandbox.models import Payment as SandboxPayment

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

DAY = dt.date(2026, 3, 2)
CARD_ACCOUNT = "605"  # the UK books' "Card Payments Clearing" (EnablePaymentsToAccount)
BANK_ACCOUNT = "090"  # "Business Bank Account" (BANK)
WITHOUT_PAYMENTS = ["offline_access", "accounting.invoices", "accounting.contacts", "accounting.settings"]


def choose_accounts(channel, *, default: str = BANK_ACCOUNT, card: str = CARD_ACCOUNT) -> dict[str, str]:
    """Read the organisation's payment accounts from Xero and choose as an operator would."""
    channel_payment_accounts_refresh(channel=channel)
    ids = {a["code"]: a["account_id"] for a in payment_accounts_cached(channel=channel) or []}
    channel_payment_accounts_set(channel=channel, choices={"": ids[default], "card": ids[card]})
    return ids


def invoice_of(channel, *, number: str, net: str = "100"):
    """A store invoice of one line at 20% (total = net × 1.2)."""
    line = {"description": "Lamp", "quantity": Decimal("1"), "unit_price": Decimal(net), "tax_rate": Decimal("20")}
    return invoice_create(
        store=channel.store, number=number, customer_name="Ada Buyer", customer_email="ada@example.com",
        issue_date=DAY, due_date=DAY + dt.timedelta(days=30), lines=[line],
    )  # fmt: skip


def xero_invoice(org: SandboxOrg, number: str) -> dict:
    return next((i for i in testing.invoices(organisation=org.tenant_id) if i["InvoiceNumber"] == number), {})


def money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def test_a_card_paid_invoice_lands_in_xero_paid_into_the_card_account(celery_worker, sandbox):
    org = sandbox_org("Card Shop Ltd")
    channel = connect_channel(org=org, store=StoreFactory.create(currency="GBP"))
    ids = choose_accounts(channel)

    with transaction.atomic():  # as a checkout records it: the invoice and its payment at once
        invoice = invoice_of(channel, number="C-100")
        payment = payment_record(invoice=invoice, amount=invoice.total, date=DAY, method="card", reference="ch_3PaY")

    paid = wait_for(lambda: xero_invoice(org, "C-100").get("Status") == "PAID", timeout=60)
    assert paid
    held = xero_invoice(org, "C-100")
    assert money(held["Total"]) == invoice.total == Decimal("120.00")
    assert money(held["AmountDue"]) == Decimal("0.00")
    [sent] = held["Payments"]
    assert (money(sent["Amount"]), sent["Reference"]) == (Decimal("120.00"), "ch_3PaY")
    assert sent["Account"] == {"AccountID": ids[CARD_ACCOUNT], "Code": CARD_ACCOUNT}
    row = wait_for(
        lambda: SyncRecord.objects.filter(kind=RecordKind.PAYMENT, object_id=payment.pk, state="synced").first(),
        timeout=30,
    )
    assert row is not None
    assert row.xero_id == sent["PaymentID"]


def test_partial_refunds_become_credit_notes_allocated_or_paid_back_and_xero_owes_what_the_store_says(org):
    """Invoice 120.00 (100 + 20% VAT), 50.00 paid by card, then two partial refunds:

    - 30.00 credited, no money back: credit note CN1 of 30.00, allocated to the invoice (Xero allows
      it: the invoice still owes 70.00). The invoice then owes 40.00.
    - 20.00 paid back to the card: credit note CN2 of 20.00 and a refund payment of 20.00 out of it
      from the card account (CN2 PAID). Money that went back lowers what was paid, not what is owed,
      so CN2 is not allocated: the invoice still owes 40.00, as the store says
      (120 − 50 paid − 50 credited + 20 refunded).

    Xero then holds: the invoice AUTHORISED, AmountPaid 50.00, AmountCredited 30.00, AmountDue 40.00.
    """
    channel = connect_channel(org=org, store=StoreFactory.create(currency="GBP"))
    ids = choose_accounts(channel)
    invoice = invoice_of(channel, number="R-1")
    payment_record(invoice=invoice, amount=Decimal("50.00"), date=DAY, method="card")
    credit = refund_record(invoice=invoice, date=DAY, amount=Decimal("30.00"), reason="Scratched lamp")
    back = refund_record(invoice=invoice, date=DAY, amount=Decimal("20.00"), reason="Late delivery", method="card")

    drain(channel)

    invoice.refresh_from_db()
    held = xero_invoice(org, "R-1")
    assert (held["Status"], money(held["AmountPaid"]), money(held["AmountCredited"])) == (
        "AUTHORISED", Decimal("50.00"), Decimal("30.00"),
    )  # fmt: skip
    assert money(held["AmountDue"]) == invoice.amount_due == Decimal("40.00")
    notes = {n.credit_note_number: n for n in CreditNote.objects.filter(organisation__tenant_id=org.tenant_id)}
    assert set(notes) == {"R-1-CN1", "R-1-CN2"}
    cn1, cn2 = notes["R-1-CN1"], notes["R-1-CN2"]
    assert (cn1.type, cn1.status, cn1.total, cn1.remaining_credit) == ("ACCRECCREDIT", "PAID", Decimal("30.00"), 0)
    assert [(a.invoice.invoice_number, a.amount) for a in cn1.allocations.all()] == [("R-1", Decimal("30.00"))]
    assert (cn2.status, cn2.total, cn2.allocations.count()) == ("PAID", Decimal("20.00"), 0)
    [refund_payment] = SandboxPayment.objects.filter(credit_note=cn2)
    assert (refund_payment.amount, str(refund_payment.account.account_id)) == (Decimal("20.00"), ids[CARD_ACCOUNT])
    # The credit notes carry the invoice's VAT: 20% inclusive in the refunded amounts.
    assert (cn1.total_tax, cn2.total_tax) == (Decimal("5.00"), Decimal("3.33"))
    rows = {r.object_id: r for r in SyncRecord.objects.filter(channel=channel, kind=RecordKind.REFUND)}
    assert rows[credit.pk].xero_id == str(cn1.credit_note_id) and rows[credit.pk].state == SyncState.SYNCED
    assert rows[back.pk].xero_refs["refund_payment_id"] == str(refund_payment.payment_id)


def test_a_partial_refund_is_one_credit_note_allocated_for_the_credit_kept_and_paid_out_for_the_money_returned(
    org,
):
    """Invoice 120.00, 50.00 paid by card, then ONE refund of 80.00 of which 50.00 went back to the
    card (as a Shopify refund of lines worth 80.00 with a 50.00 transaction): one credit note of 80.00,
    30.00 of it allocated to the invoice (the credit kept) and 50.00 paid out of it to the card account.

    Xero then holds: the invoice owing 40.00 as the store says (120 − 50 paid − 80 credited + 50
    returned), the credit note used up (PAID, nothing left)."""
    channel = connect_channel(org=org, store=StoreFactory.create(currency="GBP"))
    ids = choose_accounts(channel)
    invoice = invoice_of(channel, number="P-1")
    payment_record(invoice=invoice, amount=Decimal("50.00"), date=DAY, method="card")
    refund = refund_record(
        invoice=invoice, date=DAY, amount=Decimal("80.00"), amount_returned=Decimal("50.00"), method="card",
        reference="re_80", reason="Lamp returned",
    )  # fmt: skip

    drain(channel)

    invoice.refresh_from_db()
    held = xero_invoice(org, "P-1")
    assert (held["Status"], money(held["AmountPaid"]), money(held["AmountCredited"])) == (
        "AUTHORISED", Decimal("50.00"), Decimal("30.00"),
    )  # fmt: skip
    assert money(held["AmountDue"]) == invoice.amount_due == Decimal("40.00")
    [note] = CreditNote.objects.filter(organisation__tenant_id=org.tenant_id)
    assert (note.credit_note_number, note.status, note.total, note.remaining_credit) == (
        "P-1-CN1", "PAID", Decimal("80.00"), 0,
    )  # fmt: skip
    assert [(a.invoice.invoice_number, a.amount) for a in note.allocations.all()] == [("P-1", Decimal("30.00"))]
    [refund_payment] = SandboxPayment.objects.filter(credit_note=note)
    assert (refund_payment.amount, str(refund_payment.account.account_id), refund_payment.reference) == (
        Decimal("50.00"), ids[CARD_ACCOUNT], "re_80",
    )  # fmt: skip
    row = row_of(channel, refund, kind=RecordKind.REFUND)
    assert (row.state, row.xero_id) == (SyncState.SYNCED, str(note.credit_note_id))
    assert row.xero_refs["refund_payment_id"] == str(refund_payment.payment_id)
    assert row.xero_refs["allocation_id"] == str(note.allocations.get().allocation_id)


def test_a_payment_waits_for_its_invoice_and_for_an_account_saying_where_to_choose(org):
    channel = connect_channel(org=org, store=StoreFactory.create(currency="GBP"))
    invoice = invoice_of(channel, number="W-1")
    payment = payment_record(invoice=invoice, amount=Decimal("10.00"), date=DAY, method="paypal")

    drain(channel)

    row = row_of(channel, payment, kind=RecordKind.PAYMENT)
    assert (row.state, row.waiting_for) == (SyncState.WAITING, WaitingFor.PAYMENT_ACCOUNTS)
    assert row.last_error == (
        "No Xero account is chosen for payments by “paypal”: choose one (or a default) under Payment accounts on "
        "the channel page."
    )
    assert xero_invoice(org, "W-1")["Payments"] == []

    choose_accounts(channel)  # a default: paypal payments go there; the waiting payment is retried
    drain(channel)

    [sent] = xero_invoice(org, "W-1")["Payments"]
    assert sent["Account"]["Code"] == BANK_ACCOUNT
    assert row_of(channel, payment, kind=RecordKind.PAYMENT).state == SyncState.SYNCED


def test_a_channel_without_the_payments_scope_says_reconnect_and_its_payments_wait(
    sandbox, clean_redis, member_client, organization
):
    app = testing.app_create(name="App without payments")
    organisation = testing.organisation_create(name="No Payments Ltd")
    token = testing.token_issue(app=app, organisations=[organisation], scopes=WITHOUT_PAYMENTS)
    org = SandboxOrg("No Payments Ltd", str(organisation.tenant_id), app.client_id, app.client_secret, token)
    channel = connect_channel(
        org=org, store=StoreFactory.create(organization=organization, currency="GBP"), scopes=" ".join(WITHOUT_PAYMENTS)
    )
    choose_accounts(channel)
    invoice = invoice_of(channel, number="S-1")
    payment = payment_record(invoice=invoice, amount=invoice.total, date=DAY, method="card")

    drain(channel)

    assert row_of(channel, invoice).state == SyncState.SYNCED
    assert row_of(channel, payment, kind=RecordKind.PAYMENT).state == SyncState.PENDING  # waits, not failed
    assert xero_invoice(org, "S-1")["AmountPaid"] == 0
    assert testing.request_count(organisation=org.tenant_id, path_contains="Payments") == 0
    page = member_client.get(reverse("accounting:channel-detail", args=[channel.pk]))
    notice = f"<strong>Reconnect to allow payments.</strong> {escape(RECONNECT_FOR_PAYMENTS)}</div>"
    assert notice in page.content.decode()

    # The merchant reconnects and allows payments: the consent now carries the scope.
    granted = testing.token_issue(app=app, organisations=[organisation])
    channel.refresh_from_db()
    channel.token_set, channel.scopes = granted, " ".join(granted["scope"])
    channel.save()
    drain(channel)

    assert xero_invoice(org, "S-1")["Status"] == "PAID"
    assert row_of(channel, payment, kind=RecordKind.PAYMENT).state == SyncState.SYNCED
    page = member_client.get(reverse("accounting:channel-detail", args=[channel.pk]))
    assert "Reconnect to allow payments" not in page.content.decode()


@pytest.mark.parametrize("ignore_idempotency", [False, True], ids=["key-honoured", "key-ignored"])
def test_answers_lost_after_commit_make_no_duplicate_payment_credit_note_or_allocation(org, ignore_idempotency):
    channel = connect_channel(org=org, store=StoreFactory.create(currency="GBP"))
    choose_accounts(channel)
    invoice = invoice_of(channel, number="F-1")
    drain(channel)
    payment_record(invoice=invoice, amount=Decimal("50.00"), date=DAY, method="card")
    refund_record(invoice=invoice, date=DAY, amount=Decimal("30.00"))
    refund_record(invoice=invoice, date=DAY, amount=Decimal("20.00"), method="card")
    # A partial refund: its credit note is allocated (20.00) and paid out (10.00), each once.
    refund_record(invoice=invoice, date=DAY, amount=Decimal("30.00"), amount_returned=Decimal("10.00"), method="card")

    # Every write is committed in Xero and its answer lost (the connection reset after the commit).
    testing.faults_set(organisation=org.tenant_id, drop_share=1.0, ignore_idempotency=ignore_idempotency)
    drain(channel, timeout=60)
    testing.faults_clear(organisation=org.tenant_id)

    tenant = org.tenant_id
    for path in ("Payments", "CreditNotes", "Allocations"):
        # Each kind of write really lost its answer at least once.
        assert testing.request_count(organisation=tenant, method="PUT", path_contains=path, status=0) >= 1, path
    invoice.refresh_from_db()
    held = xero_invoice(org, "F-1")
    assert len(held["Payments"]) == 1
    refund_payments = SandboxPayment.objects.filter(account__organisation__tenant_id=tenant, credit_note__isnull=False)
    assert sorted(p.amount for p in refund_payments) == [Decimal("10.00"), Decimal("20.00")]
    allocations = Allocation.objects.filter(invoice__organisation__tenant_id=tenant)
    assert sorted(a.amount for a in allocations) == [Decimal("20.00"), Decimal("30.00")]
    assert CreditNote.objects.filter(organisation__tenant_id=tenant).count() == 3
    assert not CreditNote.objects.filter(organisation__tenant_id=tenant).exclude(status="PAID").exists()
    # 120 − 50 paid − 80 credited + 30 returned
    assert money(held["AmountDue"]) == invoice.amount_due == Decimal("20.00")
    rows = SyncRecord.objects.filter(channel=channel, kind__in=[RecordKind.PAYMENT, RecordKind.REFUND])
    assert {r.state for r in rows} == {SyncState.SYNCED}
    assert all(not r.needs_lookup for r in rows)
    # Every write carried an Idempotency-Key (kept by Xero, or ignored as this organisation does).
    writes = RequestLog.objects.filter(organisation__tenant_id=tenant, method__in=["PUT", "POST"])
    assert writes.count() >= 6 and not writes.filter(idempotency_key="").exists()
    kept = IdempotencyRecord.objects.filter(organisation__tenant_id=tenant).values_list("key", flat=True)
    kept_here = {key.split("-")[1] for key in kept if not key.startswith(("cp-contacts", "cp-invoices"))}
    assert kept_here == (set() if ignore_idempotency else {"payments", "credit", "allocation", "refund"})


def test_voiding_a_paid_invoice_removes_its_payment_in_xero_then_voids_it(org):
    from stores.services import invoice_void

    channel = connect_channel(org=org, store=StoreFactory.create(currency="GBP"))
    choose_accounts(channel)
    invoice = invoice_of(channel, number="V-1")
    payment = payment_record(invoice=invoice, amount=invoice.total, date=DAY, method="card")
    drain(channel)
    assert xero_invoice(org, "V-1")["Status"] == "PAID"

    invoice_void(invoice=invoice)
    drain(channel)

    held = xero_invoice(org, "V-1")
    assert (held["Status"], held["Payments"], held["AmountPaid"]) == ("VOIDED", [], 0)
    [removed] = SandboxPayment.objects.filter(
        invoice__invoice_number="V-1", account__organisation__tenant_id=org.tenant_id
    )
    assert removed.status == "DELETED"
    assert row_of(channel, invoice).state == SyncState.SYNCED
    assert row_of(channel, payment, kind=RecordKind.PAYMENT).xero_status == "DELETED"
