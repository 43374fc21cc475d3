"""BankTransactions (GET by id, where, order, If-Modified-Since, paging; PUT create, POST update-or-create,
POST /{id} update or delete with Status DELETED): spend and receive money."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction

from xero_sandbox.api.render_banking import bank_transaction_json, bank_transactions_related
from xero_sandbox.api.responses import envelope, not_found
from xero_sandbox.models import BankTransaction
from xero_sandbox.services.bank_transactions import BankTransactionResult, bank_transactions_save
from xero_sandbox.services.documents import ZERO_ID

from .common import ApiError, Call, batch_answer, changed_since, filtered, ordered, paged

FIELDS = {
    "BankTransactionID": "bank_transaction_id",
    "Type": "type",
    "Status": "status",
    "Reference": "reference",
    "Date": "date",
    "IsReconciled": "is_reconciled",
    "Contact.ContactID": "contact__contact_id",
    "Contact.Name": "contact__name",
    "BankAccount.AccountID": "bank_account__account_id",
    "BankAccount.Code": "bank_account__code",
    "BankAccount.Name": "bank_account__name",
    "SubTotal": "sub_total",
    "TotalTax": "total_tax",
    "Total": "total",
    "CurrencyCode": "currency_code",
    "UpdatedDateUTC": "updated_at",
}
ORDER_FIELDS = {
    "BankTransactionID": "bank_transaction_id",
    "UpdatedDateUTC": "updated_at",
    "Date": "date",
    "Type": "type",
    "Status": "status",
    "Reference": "reference",
    "Total": "total",
}


def _get(call: Call) -> tuple[int, dict[str, Any]]:
    transactions = BankTransaction.objects.filter(organisation=call.organisation)
    if call.ident:
        try:
            wanted = uuid.UUID(call.ident)
        except ValueError:
            raise ApiError(404, not_found()) from None
        found = bank_transactions_related(transactions.filter(bank_transaction_id=wanted)).first()
        if found is None:
            raise ApiError(404, not_found())
        return 200, envelope("BankTransactions", [bank_transaction_json(found, unitdp=call.unitdp)])
    transactions = changed_since(call, transactions)
    transactions, pagination = paged(call, ordered(call, filtered(call, transactions, FIELDS), ORDER_FIELDS))
    records = [bank_transaction_json(t, unitdp=call.unitdp) for t in bank_transactions_related(transactions)]
    return 200, envelope("BankTransactions", records, **pagination)


def _as_failed(result: BankTransactionResult) -> dict[str, Any]:
    """A failed new bank transaction comes back with the all-zero id, as a failed new invoice does."""
    if result.errors and result.creating:
        return {**result.submitted, "BankTransactionID": ZERO_ID}
    return result.submitted


def bank_transactions_handle(call: Call) -> tuple[int, dict[str, Any]]:
    if call.method == "GET":
        return _get(call)
    records = call.records("BankTransactions")
    if call.ident and call.method == "POST":
        records = [{**records[0], "BankTransactionID": call.ident}] if isinstance(records[0], dict) else records
    elif call.ident:
        detail = "Bank transactions are created with PUT /BankTransactions."
        raise ApiError(405, {"Title": "Method Not Allowed", "Status": 405, "Detail": detail})
    with transaction.atomic():
        results = bank_transactions_save(
            organisation=call.organisation, payloads=records, update=call.method == "POST", unitdp=call.unitdp
        )
    ids = [r.transaction.pk for r in results if r.transaction]
    saved = {t.pk: t for t in bank_transactions_related(BankTransaction.objects.filter(pk__in=ids))}
    return batch_answer(
        call,
        "BankTransactions",
        [
            (
                bank_transaction_json(saved[r.transaction.pk], unitdp=call.unitdp) if r.transaction else None,
                _as_failed(r),
                r.errors,
            )
            for r in results
        ],
    )
