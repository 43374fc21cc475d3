"""Spend and receive money (BankTransactions) as real Xero has them, through the official SDK over real
HTTP: the granular scope, bank accounts, lines and totals, currencies, per-element answers, updates,
deletion and reconciliation, idempotency, and the balance of a clearing account."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from xero_python.accounting import (
    Account,
    BankTransaction,
    BankTransactions,
    Contact,
    CurrencyCode,
    Invoice,
    Invoices,
    LineAmountTypes,
    LineItem,
    Payment,
    Payments,
)
from xero_python.exceptions import AccountingBadRequestException, ApiException

from tests.xero_sandbox.conftest import Sdk
from xero_sandbox import testing
from xero_sandbox.models import BankTransaction as SandboxBankTransaction

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
T = 20
DAY = dt.date(2026, 11, 20)
ZERO_ID = "00000000-0000-0000-0000-000000000000"
D = Decimal  # the SDK reads money as Decimal
SCOPES = [
    "offline_access",
    "accounting.invoices",
    "accounting.payments",
    "accounting.contacts",
    "accounting.settings",
    "accounting.banktransactions",
]


@pytest.fixture
def bank(xero_sandbox, sandbox_app, sandbox_org):
    """An SDK client whose token carries `accounting.banktransactions` (the default ones do not)."""
    testing.limits_reset()
    token = testing.token_issue(app=sandbox_app, organisations=[sandbox_org], scopes=SCOPES)
    yield Sdk(base=xero_sandbox, app=sandbox_app, token=token)
    testing.limits_reset()


def _line(amount: float, account: str = "200", tax: str = "OUTPUT2", **extra) -> LineItem:
    return LineItem(description="Line", quantity=1.0, unit_amount=amount, account_code=account, tax_type=tax, **extra)


def _transaction(kind: str = "RECEIVE", *, bank: str = "090", lines=None, **extra) -> BankTransaction:
    return BankTransaction(
        type=kind, contact=Contact(name="Stripe"), bank_account=Account(code=bank), date=DAY,
        line_items=lines or [_line(100.0)], **extra,
    )  # fmt: skip


def _create(sdk, tenant, *transactions, **options):
    return sdk.accounting.create_bank_transactions(
        tenant, BankTransactions(bank_transactions=list(transactions)), summarize_errors=False, _request_timeout=T,
        **options,
    ).bank_transactions  # fmt: skip


def _messages(element) -> list[str]:
    return [e.message for e in element.validation_errors or []]


def test_bank_transactions_need_the_banktransactions_scope_and_read_only_opens_reads(
    bank, sdk, xero_sandbox, sandbox_app, sandbox_org, tenant
):
    for call in (
        lambda: sdk.accounting.get_bank_transactions(tenant, _request_timeout=T),
        lambda: _create(sdk, tenant, _transaction()),
        lambda: sdk.accounting.get_bank_transfers(tenant, _request_timeout=T),
    ):
        with pytest.raises(ApiException) as refused:
            call()
        assert refused.value.status == 401
        assert "AuthorizationUnsuccessful" in str(refused.value.body)

    reader_token = testing.token_issue(
        app=sandbox_app, organisations=[sandbox_org], scopes=["offline_access", "accounting.banktransactions.read"]
    )
    reader = Sdk(base=xero_sandbox, app=sandbox_app, token=reader_token)
    assert reader.accounting.get_bank_transactions(tenant, _request_timeout=T).bank_transactions == []
    with pytest.raises(ApiException) as refused:
        _create(reader, tenant, _transaction())
    assert refused.value.status == 401
    assert SandboxBankTransaction.objects.count() == 0


def test_receive_and_spend_money_with_lines_taxed_per_line(bank, tenant):
    receive = _transaction(
        lines=[_line(25.06), _line(25.61), _line(10.0, account="260", tax="ZERORATEDOUTPUT")],
        reference="Payout 1", url="https://shop.example.com/payouts/1",
    )  # fmt: skip
    spend = BankTransaction(
        type="SPEND", contact=Contact(name="Stationer"), bank_account=Account(code="091"), date=DAY,
        line_amount_types=LineAmountTypes.INCLUSIVE, line_items=[_line(12.0, account="461", tax="INPUT2")],
    )  # fmt: skip

    made, spent = _create(bank, tenant, receive, spend)

    assert made.status_attribute_string == "OK"
    assert (made.type, made.status, made.is_reconciled, made.currency_code.value) == (
        "RECEIVE",
        "AUTHORISED",
        False,
        "GBP",
    )
    assert (made.bank_account.code, made.bank_account.name) == ("090", "Business Bank Account")
    assert (made.sub_total, made.total_tax, made.total) == (
        D("60.67"),
        D("10.13"),
        D("70.80"),
    )  # 5.01 + 5.12 tax, per line
    assert (made.reference, made.url, made.contact.name) == ("Payout 1", "https://shop.example.com/payouts/1", "Stripe")
    assert [line.tax_amount for line in made.line_items] == [D("5.01"), D("5.12"), D(0)]
    assert (spent.type, spent.total, spent.total_tax, spent.sub_total) == ("SPEND", D(12), D(2), D(10))
    assert [c["Name"] for c in testing.contacts(organisation=tenant)] == ["Stationer", "Stripe"]

    found = bank.accounting.get_bank_transaction(tenant, made.bank_transaction_id, _request_timeout=T)
    assert found.bank_transactions[0].total == D("70.80")
    spends = bank.accounting.get_bank_transactions(tenant, where='Type=="SPEND"', _request_timeout=T)
    assert [t.bank_transaction_id for t in spends.bank_transactions] == [spent.bank_transaction_id]
    by_account = bank.accounting.get_bank_transactions(
        tenant, where='BankAccount.Code=="090" AND Status=="AUTHORISED"', order="Total DESC", page=1, _request_timeout=T
    )
    assert [t.total for t in by_account.bank_transactions] == [D("70.80")]
    assert by_account.pagination.item_count == 1
    later = bank.accounting.get_bank_transactions(tenant, if_modified_since=spent.updated_date_utc, _request_timeout=T)
    assert later.bank_transactions == []


def test_the_bank_account_must_be_an_active_account_of_type_bank(bank, tenant):
    testing.account_add(organisation=tenant, code="092", name="Old Bank", type="BANK", account_class="ASSET")
    from xero_sandbox.models import Account as SandboxAccount

    SandboxAccount.objects.filter(code="092").update(status="ARCHIVED")
    answers = _create(
        bank, tenant,
        _transaction(bank="605"),  # payments-enabled clearing account: not a bank account
        _transaction(bank="200"),
        _transaction(bank="092"),
        _transaction(bank="999"),
        BankTransaction(type="RECEIVE", contact=Contact(name="Stripe"), bank_account=Account(account_id=ZERO_ID),
                        line_items=[_line(1.0)]),
        BankTransaction(type="RECEIVE", contact=Contact(name="Stripe"), bank_account=Account(name="Bank"),
                        line_items=[_line(1.0)]),
    )  # fmt: skip

    assert [_messages(a) for a in answers] == [
        ["BankAccount: Account code '605' is not an ACTIVE bank account (Type BANK)."],
        ["BankAccount: Account code '200' is not an ACTIVE bank account (Type BANK)."],
        ["BankAccount: Account code '092' is not an ACTIVE bank account (Type BANK)."],
        ["BankAccount: Account code '999' is not an ACTIVE bank account (Type BANK)."],
        [f"BankAccount: AccountID '{ZERO_ID}' is not an ACTIVE bank account (Type BANK)."],
        ["A BankAccount must be specified with its AccountID or Code."],
    ]
    assert {a.bank_transaction_id for a in answers} == {ZERO_ID}
    assert SandboxBankTransaction.objects.count() == 0


def test_each_element_is_checked_on_its_own_with_xeros_messages(bank, tenant):
    good = _transaction(reference="good")
    answers = _create(
        bank, tenant,
        good,
        _transaction("SPEND-TRANSFER"),
        _transaction("RECEIVE-OVERPAYMENT"),
        _transaction(lines=[_line(10.0), _line(-20.0)]),
        _transaction(lines=[_line(10.0, account="091")]),
        _transaction(lines=[_line(10.0, tax="INPUT2")]),
        _transaction(lines=[_line(10.0, tax_amount=2.01)]),
        _transaction(total=11.0),
        _transaction(sub_total=99.0),
        BankTransaction(type="SPEND", contact=Contact(email_address="x@example.com"), bank_account=Account(code="090"),
                        line_items=[_line(5.0, account="429", tax="INPUT2")]),
        BankTransaction(type="SPEND", bank_account=Account(code="090"), line_items=[_line(5.0, "429", "INPUT2")]),
        _transaction(currency_code=CurrencyCode.EUR),
        _transaction(lines=[_line(10.0, discount_rate=10.0)]),
    )  # fmt: skip

    assert [a.status_attribute_string for a in answers] == ["OK"] + ["ERROR"] * 12
    assert [_messages(a) for a in answers[1:]] == [
        ["A bank transaction of Type 'SPEND-TRANSFER' cannot be created: transfers are made with PUT /BankTransfers."],
        [
            "Bank transactions of Type 'RECEIVE-OVERPAYMENT' (overpayments and prepayments) are not modelled by the "
            "sandbox: use SPEND or RECEIVE."
        ],
        ["The bank transaction total cannot be negative: money going the other way is a SPEND transaction."],
        ["Account code '091' is not a valid code for this document."],
        ["The TaxType code 'INPUT2' cannot be used with account code '200'."],
        ["Tax amount 2.01 is incorrect for OUTPUT2 tax type, should be 2.00"],
        ["The document total does not equal the total of the lines"],
        ["The document sub total does not equal the sub total of the lines"],
        [
            "The Contact must contain at least 1 of the following elements to identify the contact: Name, ContactID, "
            "ContactNumber"
        ],
        ["A Contact must be specified for this type of transaction"],
        ["The CurrencyCode EUR does not match the currency of bank account '090' (GBP)."],
        ["Discounts are only supported on sales invoices (ACCREC), not on bank transactions."],
    ]
    assert [t["Reference"] for t in testing.bank_transactions(organisation=tenant)] == ["good"]

    with pytest.raises(AccountingBadRequestException) as refused:  # summarizeErrors defaults to true
        bank.accounting.create_bank_transactions(
            tenant,
            BankTransactions(
                bank_transactions=[_transaction(reference="second"), _transaction(lines=[_line(1.0, "999")])]
            ),
            _request_timeout=T,
        )
    body = json.loads(refused.value.body)
    assert (body["Type"], body["Elements"][0]["ValidationErrors"]) == (
        "ValidationException",
        [{"Message": "Account code '999' is not a valid code for this document."}],
    )
    assert len(testing.bank_transactions(organisation=tenant)) == 2  # the valid one is still written


def test_a_foreign_currency_bank_account_keeps_its_currency_and_rate(bank, tenant):
    testing.currency_enable(organisation=tenant, code="EUR")
    testing.account_add(
        organisation=tenant, code="093", name="Euro Account", type="BANK", account_class="ASSET", currency_code="EUR"
    )
    euro_account = next(a for a in bank.accounting.get_accounts(tenant, _request_timeout=T).accounts if a.code == "093")
    assert euro_account.currency_code.value == "EUR"

    [euro, plain, wrong] = _create(
        bank, tenant,
        _transaction(bank="093", currency_rate=1.1765, lines=[_line(50.0, tax="ZERORATEDOUTPUT")]),
        _transaction(bank="090", currency_rate=1.5),
        _transaction(bank="093", currency_code=CurrencyCode.GBP),
    )  # fmt: skip

    assert (euro.currency_code.value, euro.currency_rate, euro.total) == ("EUR", D("1.1765"), D(50))
    assert (plain.currency_code.value, plain.currency_rate) == ("GBP", D(1))  # a base-currency rate stays 1
    assert _messages(wrong) == ["The CurrencyCode GBP does not match the currency of bank account '093' (EUR)."]


def test_updates_deletion_and_reconciled_transactions(bank, tenant):
    first, second, third = _create(bank, tenant, _transaction(), _transaction(), _transaction(is_reconciled=True))
    changed = bank.accounting.update_bank_transaction(
        tenant, first.bank_transaction_id,
        BankTransactions(bank_transactions=[_transaction(lines=[_line(40.0)], reference="Edited")]),
        _request_timeout=T,
    ).bank_transactions[0]  # fmt: skip
    assert (changed.bank_transaction_id, changed.total, changed.reference) == (
        first.bank_transaction_id,
        D(48),
        "Edited",
    )

    deleted = bank.accounting.update_bank_transaction(
        tenant, first.bank_transaction_id,
        BankTransactions(bank_transactions=[_transaction(status="DELETED")]), _request_timeout=T,
    ).bank_transactions[0]  # fmt: skip
    assert (deleted.status, deleted.total) == ("DELETED", D(48))  # deleted as it stood: other fields not applied
    again = bank.accounting.update_or_create_bank_transactions(
        tenant,
        BankTransactions(bank_transactions=[_transaction(bank_transaction_id=first.bank_transaction_id)]),
        summarize_errors=False, _request_timeout=T,
    ).bank_transactions[0]  # fmt: skip
    assert _messages(again) == ["Bank Transaction not of valid status for modification"]

    testing.bank_transaction_reconcile(organisation=tenant, bank_transaction_id=second.bank_transaction_id)
    reconciled = "This Bank Transaction cannot be edited as it has been reconciled with a Bank Statement."
    for transaction_id, change in (
        (second.bank_transaction_id, {"status": "DELETED"}),
        (second.bank_transaction_id, {"reference": "Late edit"}),
        (third.bank_transaction_id, {"status": "DELETED"}),  # created with IsReconciled true
    ):
        refused = bank.accounting.update_or_create_bank_transactions(
            tenant,
            BankTransactions(bank_transactions=[_transaction(bank_transaction_id=transaction_id, **change)]),
            summarize_errors=False, _request_timeout=T,
        ).bank_transactions[0]  # fmt: skip
        assert _messages(refused) == [reconciled]
    missing = bank.accounting.update_or_create_bank_transactions(
        tenant, BankTransactions(bank_transactions=[_transaction(bank_transaction_id=ZERO_ID.replace("0", "1"))]),
        summarize_errors=False, _request_timeout=T,
    ).bank_transactions[0]  # fmt: skip
    assert _messages(missing) == ["Bank Transaction ID '11111111-1111-1111-1111-111111111111' could not be found"]
    assert [t["Status"] for t in testing.bank_transactions(organisation=tenant)] == [
        "DELETED",
        "AUTHORISED",
        "AUTHORISED",
    ]

    testing.lock_date_set(organisation=tenant, lock_date=DAY)
    [locked] = _create(bank, tenant, _transaction())
    assert _messages(locked) == [
        "The document date cannot be before the period lock date, currently set at 20-Nov-2026"
    ]


def test_an_idempotency_key_replays_the_first_answer_without_a_second_write(bank, tenant):
    batch = BankTransactions(bank_transactions=[_transaction(reference="once")])
    first = bank.accounting.create_bank_transactions(tenant, batch, idempotency_key="bt-1", _request_timeout=T)
    again = bank.accounting.create_bank_transactions(tenant, batch, idempotency_key="bt-1", _request_timeout=T)

    assert again.bank_transactions[0].bank_transaction_id == first.bank_transactions[0].bank_transaction_id
    assert SandboxBankTransaction.objects.count() == 1
    assert testing.request_count(organisation=tenant, method="PUT", path_contains="/BankTransactions") == 2


def test_a_clearing_account_paid_out_to_the_bank_comes_back_to_zero(bank, tenant):
    invoices = [
        Invoice(type="ACCREC", contact=Contact(name="Jane Buyer"), date=DAY, status="AUTHORISED",
                line_amount_types=LineAmountTypes.NOTAX, line_items=[_line(amount, tax="NONE")])
        for amount in (30.0, 12.5)
    ]  # fmt: skip
    made = bank.accounting.create_invoices(tenant, Invoices(invoices=invoices), _request_timeout=T).invoices
    payments = [
        Payment(invoice=Invoice(invoice_id=i.invoice_id), account=Account(code="605"), amount=i.total, date=DAY)
        for i in made
    ]
    bank.accounting.create_payments(tenant, Payments(payments=payments), _request_timeout=T)
    assert testing.account_balance(organisation=tenant, code="605") == Decimal("42.50")

    # The payout: the payments' 42.50 less the provider's 1.30 fee lands in the bank as 41.20.
    payout = _transaction(
        line_amount_types=LineAmountTypes.NOTAX,
        lines=[_line(42.5, account="605", tax="NONE"), _line(-1.3, account="404", tax="NONE")],
    )
    [received] = _create(bank, tenant, payout)

    assert received.total == D("41.20")
    assert testing.account_balance(organisation=tenant, code="605") == Decimal("0.00")
    assert testing.account_balance(organisation=tenant, code="090") == Decimal("41.20")
    assert testing.account_balance(organisation=tenant, code="404") == Decimal("1.30")
