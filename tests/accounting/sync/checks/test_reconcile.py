"""Reconciliation and drift, against the sandbox over real HTTP, one turn at a time in this process.

What the merchant's accountant checks: after a clean sync the store's totals per day equal what
Xero holds and no record differs; an invoice voided or edited in Xero after it was sent is said so
on its page, in the ledger and in the reconciliation, and a later store change to an edited one
waits for the operator's choice instead of being sent over Xero's.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounting.books.payouts import channel_payouts_set
from accounting.checks.reconcile.actions import difference_act
from accounting.checks.reconcile.run import reconciliation_run, reconciliation_start
from accounting.inbound.poll import channel_poll
from accounting.sync.ledger.actions import DriftChoice, drift_settle
from accounting.sync.models import Drift, ReconciliationState, RecordKind, SyncState, WaitingFor
from stores.models import InvoiceStatus
from stores.services import invoice_create, invoice_update
from tests.accounting.sync.push.test_payouts_sync import DAY, card_payout, card_sales, payouts_channel
from tests.accounting.sync.turns import drain, one_line, row_of
from xero_sandbox import testing

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

WEEK = (DAY - dt.timedelta(days=1), DAY + dt.timedelta(days=5))


def reconcile(channel, span=WEEK):
    started = reconciliation_start(channel=channel, date_from=span[0], date_to=span[1], by="ops", queue=False)
    done = reconciliation_run(reconciliation_id=started.pk)
    assert done is not None and done.state == ReconciliationState.DONE, done and done.error
    return done


def synced_payout_channel(name: str):
    org, channel, ids = payouts_channel(name, clearing="605")
    channel_payouts_set(channel=channel, payouts={"card": {"payout_account_id": ids["090"], "fees_account": "404",
                                                          "fees_tax_type": "EXEMPTINPUT"}})  # fmt: skip
    payments = card_sales(channel, "50.00", "25.00")
    card_payout(channel, payments)
    unpaid = invoice_create(
        store=channel.store, number="P-9", customer_name="Buyer 9", customer_email="b9@example.com",
        issue_date=DAY, due_date=DAY, lines=one_line("Shade", "12.00"),
    )  # fmt: skip
    drain(channel)
    return org, channel, unpaid


def test_after_a_clean_sync_the_totals_agree_and_no_record_differs(sandbox):
    _org, channel, _unpaid = synced_payout_channel("Clean Books Ltd")

    done = reconcile(channel)

    assert done.differences == []
    sale_day = next(t for t in done.totals if t["date"] == DAY.isoformat())
    assert sale_day["store"] == sale_day["xero"]
    assert sale_day["store"]["invoices"] == "102.00"  # 60.00 + 30.00 + 12.00 (the first two with VAT)
    assert sale_day["store"]["payments"] == "90.00"
    payout_day = next(t for t in done.totals if t["date"] == (DAY + dt.timedelta(days=2)).isoformat())
    assert (payout_day["store"]["payouts"], payout_day["xero"]["payouts"]) == ("87.39", "87.39")
    assert not any(t["differs"] for t in done.totals)
    # Invoices, payments, bank transactions and transfers: one page each, every answer's bytes counted.
    assert done.calls == done.estimate_calls == 4
    assert done.bytes_read > 1000
    assert done.records == 6


def test_a_second_look_at_the_same_dates_reads_only_what_changed_in_xero_since_the_first(sandbox):
    org, channel, _unpaid = synced_payout_channel("Second Look Ltd")
    first = reconcile(channel)

    testing.invoice_edit(organisation=org.tenant_id, invoice_number="P-9", unit_amount=Decimal("15.00"))
    again = reconcile(channel, span=(WEEK[0], WEEK[1] - dt.timedelta(days=1)))

    assert first.read_since is None and first.started_at is not None
    assert again.read_since is not None and again.read_since < first.started_at  # If-Modified-Since
    assert again.calls == again.estimate_calls == 4  # one read per resource, each answering what changed
    assert again.bytes_read < first.bytes_read / 2
    [changed] = again.differences
    assert (changed["kind"], changed["record"]["number"], changed["xero"]["total"]) == ("total_differs", "P-9", "15.00")


def test_a_reconciliation_of_a_bad_range_is_refused_and_nothing_is_saved(sandbox):
    _org, channel, _ = synced_payout_channel("Range Ltd")
    for date_from, date_to, message in [
        (DAY, DAY - dt.timedelta(days=1), "ends before it starts"),
        (DAY, DAY + dt.timedelta(days=400), "at most 366 days"),
        (None, DAY, "both dates"),
    ]:
        with pytest.raises(ValidationError, match=message):
            reconciliation_start(channel=channel, date_from=date_from, date_to=date_to, queue=False)
    assert not channel.reconciliations.exists()


def test_an_invoice_voided_in_xero_is_said_so_on_its_row_and_in_the_reconciliation_until_acknowledged(sandbox):
    org, channel, unpaid = synced_payout_channel("Void Watch Ltd")

    testing.invoice_void(organisation=org.tenant_id, invoice_number="P-9")
    channel_poll(channel_id=channel.pk)

    unpaid.refresh_from_db()
    row = row_of(channel, unpaid)
    assert unpaid.status == InvoiceStatus.VOID  # the store follows Xero's void, with its date
    assert (row.xero_drift, row.drift_open) == (Drift.VOIDED, True)
    assert row.drift_text.startswith("Voided in Xero on ")
    done = reconcile(channel)
    [voided] = done.differences
    assert (voided["kind"], voided["record"]["number"], voided["xero"]["status"]) == ("voided_in_xero", "P-9", "VOIDED")
    assert voided["message"] == "Voided in Xero: the store followed Xero"
    assert voided["actions"] == ["accept", "open"]

    assert "acknowledged" in difference_act(reconciliation=done, index=0, action="accept", by="ops")

    row.refresh_from_db()
    assert row.drift_open is False
    assert reconcile(channel, span=(WEEK[0], WEEK[1] - dt.timedelta(days=1))).differences == []


def test_an_invoice_edited_in_xero_holds_the_next_store_change_until_the_operator_chooses(sandbox):
    org, channel, unpaid = synced_payout_channel("Edit Watch Ltd")

    testing.invoice_edit(organisation=org.tenant_id, invoice_number="P-9", unit_amount=Decimal("15.00"))
    channel_poll(channel_id=channel.pk)

    row = row_of(channel, unpaid)
    assert (row.xero_drift, row.xero_drift_note) == (Drift.CHANGED, "total 15.00 in Xero, 12.00 in the store")
    [changed] = reconcile(channel).differences
    assert (changed["kind"], changed["store"]["total"], changed["xero"]["total"]) == ("total_differs", "12.00", "15.00")
    assert changed["actions"] == ["send", "accept", "open"]

    # The store changes the invoice: it is not sent over Xero's edit, it waits for a choice.
    invoice_update(invoice=unpaid, lines=one_line("Shade", "13.00"))
    drain(channel)
    row.refresh_from_db()
    assert (row.state, row.waiting_for) == (SyncState.WAITING, WaitingFor.DRIFT)
    assert _xero_total(org, "P-9") == Decimal("15.00")

    assert drift_settle(record=row, choice=DriftChoice.STORE, by="ops")
    drain(channel)

    row.refresh_from_db()
    assert (row.state, row.drift_open) == (SyncState.SYNCED, False)
    assert _xero_total(org, "P-9") == Decimal("13.00")
    assert row.attempts.filter(message__startswith="Store wins, chosen by ops").exists()


def test_accepting_xeros_total_keeps_the_store_change_unsent_and_later_reconciliations_quiet(sandbox):
    org, channel, _unpaid = synced_payout_channel("Accept Ltd")
    testing.invoice_edit(organisation=org.tenant_id, invoice_number="P-9", unit_amount=Decimal("15.00"))
    channel_poll(channel_id=channel.pk)
    done = reconcile(channel)

    assert "accepted" in difference_act(reconciliation=done, index=0, action="accept", by="ops")
    with pytest.raises(ValidationError, match="Already done"):
        difference_act(reconciliation=done, index=0, action="send", by="ops")

    again = reconcile(channel, span=(WEEK[0], WEEK[1] - dt.timedelta(days=1)))
    assert again.differences == []
    assert "1 accepted earlier" in again.step
    assert _xero_total(org, "P-9") == Decimal("15.00")


def test_records_not_in_xero_are_listed_with_a_send_action_that_sends_them(sandbox):
    _org, channel, _ = synced_payout_channel("Missing Ltd")
    late = invoice_create(
        store=channel.store, number="P-10", customer_name="Buyer 10", customer_email="b10@example.com",
        issue_date=DAY, due_date=DAY, lines=one_line("Lamp", "8.00"),
    )  # fmt: skip  # recorded, not sent yet
    done = reconcile(channel)

    [missing] = done.differences
    assert (missing["kind"], missing["record"]["number"], missing["xero"]) == ("missing_in_xero", "P-10", {})
    assert missing["message"] == "Not in Xero: waiting to be sent"
    difference_act(reconciliation=done, index=0, action="send", by="ops")
    drain(channel)

    assert row_of(channel, late).state == SyncState.SYNCED
    assert reconcile(channel, span=(WEEK[0], WEEK[1] - dt.timedelta(days=1))).differences == []
    assert row_of(channel, late, kind=RecordKind.INVOICE).xero_id


def _xero_total(org, number: str) -> Decimal:
    invoice = next(i for i in testing.invoices(organisation=org.tenant_id) if i["InvoiceNumber"] == number)
    return Decimal(str(invoice["Total"]))
