"""Transfers between bank accounts (BankTransfers) as real Xero has them, through the official SDK over
real HTTP: both accounts, the amount, currencies, tracking per side, deletion, balances, the page."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from xero_python.accounting import (
    Account,
    BankTransfer,
    BankTransferDelete,
    BankTransferDeleteByUrlParam,
    BankTransfers,
    BankTransfersDelete,
    TrackingReference,
)
from xero_python.exceptions import AccountingBadRequestException, NotFoundException

from tests.xero_sandbox.books.test_bank_transactions import SCOPES
from tests.xero_sandbox.conftest import Sdk
from xero_sandbox import testing
from xero_sandbox.models import BankTransfer as SandboxBankTransfer

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
T = 20
DAY = dt.date(2026, 11, 20)


@pytest.fixture
def bank(xero_sandbox, sandbox_app, sandbox_org):
    testing.limits_reset()
    token = testing.token_issue(app=sandbox_app, organisations=[sandbox_org], scopes=SCOPES)
    yield Sdk(base=xero_sandbox, app=sandbox_app, token=token)
    testing.limits_reset()


def _transfer(source: str = "090", target: str = "091", amount: float = 50.0, **extra) -> BankTransfer:
    return BankTransfer(
        from_bank_account=Account(code=source), to_bank_account=Account(code=target), amount=amount, date=DAY, **extra
    )


def _create(sdk, tenant, *transfers, **options) -> list[BankTransfer]:
    return sdk.accounting.create_bank_transfer(
        tenant, BankTransfers(bank_transfers=list(transfers)), _request_timeout=T, **options
    ).bank_transfers


def _refusal(sdk, tenant, transfer: BankTransfer) -> list[str]:
    with pytest.raises(AccountingBadRequestException) as refused:
        _create(sdk, tenant, transfer)
    body = json.loads(refused.value.body)
    assert body["Type"] == "ValidationException"
    return [e["Message"] for e in body["Elements"][0]["ValidationErrors"]]


def test_a_transfer_moves_money_between_two_bank_accounts(bank, tenant):
    [made] = _create(bank, tenant, _transfer(reference="Float top-up"), idempotency_key="tr-1")

    assert (made.status, made.amount, made.reference, made.currency_rate) == ("AUTHORISED", 50, "Float top-up", 1)
    assert (made.from_bank_account.code, made.to_bank_account.name) == ("090", "Business Savings Account")
    assert made.from_bank_transaction_id and made.to_bank_transaction_id
    assert made.from_bank_transaction_id != made.to_bank_transaction_id
    assert (made.from_is_reconciled, made.to_is_reconciled, made.created_date_utc is not None) == (False, False, True)
    assert (made.from_tracking, made.to_tracking) == ([], [])
    [replayed] = _create(bank, tenant, _transfer(reference="Float top-up"), idempotency_key="tr-1")
    assert replayed.bank_transfer_id == made.bank_transfer_id
    assert SandboxBankTransfer.objects.count() == 1

    found = bank.accounting.get_bank_transfer(tenant, made.bank_transfer_id, _request_timeout=T).bank_transfers[0]
    assert found.amount == 50.0
    listed = bank.accounting.get_bank_transfers(
        tenant, where='FromBankAccount.Code=="090" AND Amount>=50', order="Amount DESC", _request_timeout=T
    )
    assert [t.bank_transfer_id for t in listed.bank_transfers] == [made.bank_transfer_id]
    assert (
        bank.accounting.get_bank_transfers(tenant, where="HasAttachments==true", _request_timeout=T).bank_transfers
        == []
    )
    # Xero's GET BankTransactions does not list transfers between bank accounts.
    assert bank.accounting.get_bank_transactions(tenant, _request_timeout=T).bank_transactions == []
    assert testing.account_balance(organisation=tenant, code="090") == Decimal("-50.00")
    assert testing.account_balance(organisation=tenant, code="091") == Decimal("50.00")


def test_both_accounts_must_be_different_active_bank_accounts_and_the_amount_positive(bank, tenant):
    testing.currency_enable(organisation=tenant, code="EUR")
    testing.account_add(
        organisation=tenant, code="093", name="Euro Account", type="BANK", account_class="ASSET", currency_code="EUR"
    )
    cases = [
        (_transfer(target="090"), ["The FromBankAccount and ToBankAccount must be different bank accounts."]),
        (_transfer(amount=-5.0), ["The Amount of the bank transfer must be greater than zero."]),
        (_transfer(amount=0.004), ["The Amount of the bank transfer must be greater than zero."]),
        (_transfer(source="605"), ["FromBankAccount: Account code '605' is not an ACTIVE bank account (Type BANK)."]),
        (_transfer(target="200"), ["ToBankAccount: Account code '200' is not an ACTIVE bank account (Type BANK)."]),
        (
            BankTransfer(from_bank_account=Account(name="Bank"), to_bank_account=Account(code="091"), amount=1.0),
            ["A FromBankAccount must be specified with its AccountID or Code."],
        ),
        (
            _transfer(target="093"),
            ["Transfers between bank accounts of different currencies (GBP to EUR) are not supported."],
        ),
    ]
    for transfer, messages in cases:
        assert _refusal(bank, tenant, transfer) == messages
    testing.lock_date_set(organisation=tenant, lock_date=DAY)
    assert _refusal(bank, tenant, _transfer()) == [
        "The document date cannot be before the period lock date, currently set at 20-Nov-2026"
    ]
    assert SandboxBankTransfer.objects.count() == 0


def test_each_side_carries_tracking_by_ids_and_an_option_in_use_cannot_be_deleted(bank, tenant):
    region = testing.tracking_category_add(organisation=tenant, name="Region", options=["North", "South"])
    north, south = region["Options"]

    def reference(option) -> TrackingReference:
        return TrackingReference(
            tracking_category_id=region["TrackingCategoryID"], tracking_option_id=option["TrackingOptionID"]
        )

    [made] = _create(bank, tenant, _transfer(from_tracking=[reference(north)], to_tracking=[reference(south)]))

    assert [(t.name, t.option) for t in made.from_tracking] == [("Region", "North")]
    assert [(t.name, t.option) for t in made.to_tracking] == [("Region", "South")]
    with pytest.raises(AccountingBadRequestException) as refused:
        bank.accounting.delete_tracking_options(
            tenant, region["TrackingCategoryID"], north["TrackingOptionID"], _request_timeout=T
        )
    assert json.loads(refused.value.body)["Elements"][0]["ValidationErrors"] == [
        {"Message": "Tracking Option cannot be deleted because it is in use. Archive it instead."}
    ]


def test_a_transfer_is_deleted_once_unless_reconciled(bank, tenant):
    first, second, third = _create(bank, tenant, _transfer(), _transfer(amount=20.0), _transfer(amount=5.0))
    deleted = bank.accounting.delete_bank_transfer(
        tenant, first.bank_transfer_id, BankTransferDeleteByUrlParam(status="DELETED"), _request_timeout=T
    ).bank_transfers[0]
    assert (deleted.status, deleted.amount) == ("DELETED", 50.0)
    assert [t.amount for t in bank.accounting.get_bank_transfers(tenant, _request_timeout=T).bank_transfers] == [
        20.0,
        5.0,
    ]
    everything = bank.accounting.get_bank_transfers(tenant, include_deleted=True, _request_timeout=T)
    assert [t.status for t in everything.bank_transfers] == ["DELETED", "AUTHORISED", "AUTHORISED"]

    testing.bank_transfer_reconcile(organisation=tenant, bank_transfer_id=second.bank_transfer_id, from_side=False)
    answer = bank.accounting.delete_bank_transfers(
        tenant,
        BankTransfersDelete(
            bank_transfers=[
                BankTransferDelete(bank_transfer_id=first.bank_transfer_id, status="DELETED"),
                BankTransferDelete(bank_transfer_id=second.bank_transfer_id, status="DELETED"),
                BankTransferDelete(bank_transfer_id=third.bank_transfer_id, status="DELETED"),
            ]
        ),
        summarize_errors=False,
        _request_timeout=T,
    ).bank_transfers
    assert [(t.bank_transfer_id, t.amount) for t in answer] == [
        (first.bank_transfer_id, 50),
        (second.bank_transfer_id, 20),  # a refused element shows the transfer, with what was sent
        (third.bank_transfer_id, 5),
    ]
    assert [[e.message for e in t.validation_errors or []] for t in answer] == [
        ["This bank transfer has already been deleted."],
        ["This Bank Transfer cannot be deleted as it has been reconciled with a Bank Statement."],
        [],
    ]
    assert [t["Status"] for t in testing.bank_transfers(organisation=tenant)] == ["DELETED", "AUTHORISED", "DELETED"]
    assert testing.account_balance(organisation=tenant, code="091") == Decimal("20.00")
    with pytest.raises(NotFoundException):
        bank.accounting.delete_bank_transfer(
            tenant, "11111111-1111-1111-1111-111111111111", BankTransferDeleteByUrlParam(status="DELETED")
        )


def test_the_organisation_page_lists_bank_transactions_and_transfers(bank, tenant, xero_sandbox, staff_session):
    from xero_python.accounting import BankTransaction, BankTransactions, Contact, LineItem

    _create(bank, tenant, _transfer(reference="Float top-up"))
    line = LineItem(description="Payout", quantity=1.0, unit_amount=12.0, account_code="605", tax_type="NONE")
    spend = BankTransaction(
        type="RECEIVE", contact=Contact(name="Stripe"), bank_account=Account(code="090"), line_items=[line],
        reference="Payout 7",
    )  # fmt: skip
    bank.accounting.create_bank_transactions(tenant, BankTransactions(bank_transactions=[spend]), _request_timeout=T)

    page = staff_session.get(f"{xero_sandbox}/organisations/{tenant}/", timeout=T)

    assert page.status_code == 200
    assert "Bank transactions" in page.text and "Payout 7" in page.text and "GBP 12.00" in page.text
    assert "Bank transfers" in page.text and "Float top-up" in page.text and "Business Savings Account" in page.text
