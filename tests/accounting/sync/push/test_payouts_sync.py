"""Gateway payouts to Xero, against the sandbox over real HTTP, one turn at a time in this process.

What the merchant's bookkeeper checks: the bank feed's deposit of `net` matches one Xero
transaction on the payout bank account, and the clearing account holds nothing for the payments the
payout settled; the fees sit on the fees account with the tax type chosen. And in the portal: a
payout waits, saying why, until its payments are in Xero, its accounts are chosen and the
connection has Xero's bank transactions permission.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings

from accounting.books.line_accounts import channel_chart_refresh
from accounting.books.payment_accounts import (
    channel_payment_accounts_refresh,
    channel_payment_accounts_set,
    payment_accounts_cached,
)
from accounting.books.payouts import RECONNECT_FOR_PAYOUTS, channel_payouts_set, connect_scopes
from accounting.sync.models import RecordKind, SyncState, WaitingFor
from stores.payments import payment_record
from stores.payouts import payout_record
from stores.services import invoice_create
from tests.accounting.sync.conftest import connect_channel, sandbox_org
from tests.accounting.sync.turns import drain, row_of
from tests.factories import StoreFactory
from xero_sandbox import testing

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

DAY = dt.date(2026, 3, 2)
WITH_BANK = [*settings.XERO_SCOPES, "accounting.banktransactions"]


def payouts_channel(name: str, *, clearing: str, scopes: list[str] | None = None):
    org = sandbox_org(name, scopes=scopes or WITH_BANK)
    channel = connect_channel(org=org, store=StoreFactory.create(currency="GBP"), account_nominal_code="200")
    channel_chart_refresh(channel=channel)
    channel_payment_accounts_refresh(channel=channel)
    ids = {a["code"]: a["account_id"] for a in payment_accounts_cached(channel=channel) or []}
    channel_payment_accounts_set(channel=channel, choices={"": ids["090"], "card": ids[clearing]})
    return org, channel, ids


def card_sales(channel, *prices: str, start: int = 1):
    payments = []
    for n, price in enumerate(prices, start=start):
        invoice = invoice_create(
            store=channel.store, number=f"P-{n}", customer_name=f"Buyer {n}", customer_email=f"b{n}@example.com",
            issue_date=DAY, due_date=DAY,
            lines=[{"description": "Lamp", "quantity": Decimal("1"), "unit_price": Decimal(price),
                    "tax_rate": Decimal("20")}],
        )  # fmt: skip
        payments.append(payment_record(invoice=invoice, amount=invoice.total, date=DAY, method="card"))
    return payments


def card_payout(channel, payments, *, fees: str = "2.61"):
    gross = sum((p.amount for p in payments), Decimal(0))
    payout, _ = payout_record(
        store=channel.store, reference="po_1QXa", method="card", currency="GBP", date=DAY + dt.timedelta(days=2),
        gross=gross, fees=Decimal(fees), net=gross - Decimal(fees), payments=[p.pk for p in payments],
    )  # fmt: skip
    return payout


def test_a_payout_from_a_payments_clearing_account_is_one_receive_of_net_and_empties_the_clearing(sandbox):
    org, channel, ids = payouts_channel("Card Payouts Ltd", clearing="605")
    channel_payouts_set(channel=channel, payouts={"card": {"payout_account_id": ids["090"], "fees_account": "404",
                                                          "fees_tax_type": "EXEMPTINPUT"}})  # fmt: skip
    payout = card_payout(channel, card_sales(channel, "50.00", "25.00"))
    drain(channel)

    [deposit] = testing.bank_transactions(organisation=org.tenant_id)
    assert (deposit["Type"], deposit["BankAccount"]["Code"], deposit["Reference"]) == ("RECEIVE", "090", "po_1QXa")
    assert Decimal(str(deposit["Total"])) == payout.net == Decimal("87.39")
    assert [(line["AccountCode"], Decimal(str(line["LineAmount"]))) for line in deposit["LineItems"]] == [
        ("605", Decimal("90.00")), ("404", Decimal("-2.61")),
    ]  # fmt: skip
    assert testing.account_balance(organisation=org.tenant_id, code="605") == Decimal("0.00")
    assert testing.bank_transfers(organisation=org.tenant_id) == []
    row = row_of(channel, payout, kind=RecordKind.PAYOUT)
    assert (row.state, row.xero_id) == (SyncState.SYNCED, deposit["BankTransactionID"])

    drain(channel)  # nothing is sent twice
    assert len(testing.bank_transactions(organisation=org.tenant_id)) == 1

    # The next payout costs one call: its gateway contact is known by now.
    later = card_sales(channel, "10.00", start=3)
    drain(channel)
    before = testing.request_count(organisation=org.tenant_id)
    payout_record(store=channel.store, reference="po_2", method="card", currency="GBP", date=DAY, gross="12.00",
                  fees="0.38", net="11.62", payments=[later[0].pk])  # fmt: skip
    drain(channel)
    assert testing.request_count(organisation=org.tenant_id) - before == 1
    assert testing.account_balance(organisation=org.tenant_id, code="605") == Decimal("0.00")


def test_a_payout_from_a_clearing_bank_account_is_a_transfer_of_net_and_a_spend_of_the_fees(sandbox):
    org, channel, ids = payouts_channel("Bank Clearing Ltd", clearing="091")
    channel_payouts_set(channel=channel, payouts={"card": {"payout_account_id": ids["090"], "fees_account": "404",
                                                          "fees_tax_type": "EXEMPTINPUT"}})  # fmt: skip
    payout = card_payout(channel, card_sales(channel, "40.00"), fees="1.50")
    drain(channel)

    [transfer] = testing.bank_transfers(organisation=org.tenant_id)
    assert (transfer["FromBankAccount"]["Code"], transfer["ToBankAccount"]["Code"]) == ("091", "090")
    assert Decimal(str(transfer["Amount"])) == payout.net == Decimal("46.50")
    spends = [t for t in testing.bank_transactions(organisation=org.tenant_id) if t["Type"] == "SPEND"]
    assert [(s["BankAccount"]["Code"], Decimal(str(s["Total"]))) for s in spends] == [("091", Decimal("1.50"))]
    assert testing.account_balance(organisation=org.tenant_id, code="091") == Decimal("0.00")


def test_a_payout_waits_for_its_accounts_then_for_the_bank_permission_saying_so(sandbox):
    without = [s for s in WITH_BANK if s != "accounting.banktransactions"]
    org, channel, ids = payouts_channel("Waiting Payouts Ltd", clearing="605", scopes=without)
    payout = card_payout(channel, card_sales(channel, "10.00"), fees="0.50")
    drain(channel)

    row = row_of(channel, payout, kind=RecordKind.PAYOUT)
    assert (row.state, row.waiting_for) == (SyncState.WAITING, WaitingFor.PAYMENT_ACCOUNTS)
    assert row.last_error == (
        "No payout bank account is chosen for payouts of “card”: choose one under Payment accounts on the channel page."
    )
    assert "accounting.banktransactions" not in connect_scopes(channel=channel, base=list(settings.XERO_SCOPES))

    card = {"payout_account_id": ids["090"], "fees_account": "404", "fees_tax_type": "EXEMPTINPUT"}
    queued = channel_payouts_set(channel=channel, payouts={"card": card})
    assert queued == 1
    drain(channel)
    row.refresh_from_db()
    assert (row.state, row.last_error) == (SyncState.PENDING, RECONNECT_FOR_PAYOUTS)
    assert testing.bank_transactions(organisation=org.tenant_id) == []
    assert connect_scopes(channel=channel, base=list(settings.XERO_SCOPES))[-1] == "accounting.banktransactions"
