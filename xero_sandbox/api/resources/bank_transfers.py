"""BankTransfers (GET by id, where, order, includeDeleted, If-Modified-Since; PUT create; POST delete,
POST /{id} delete): money moved between two bank accounts."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.db.models import BooleanField, Value

from xero_sandbox.api.render_banking import bank_transfer_json, bank_transfers_related
from xero_sandbox.api.responses import envelope, not_found
from xero_sandbox.models import BankTransfer
from xero_sandbox.models.banking import DELETED
from xero_sandbox.services.bank_transfers import (
    BankTransferResult,
    bank_transfer_delete,
    bank_transfer_locked,
    bank_transfers_create,
    bank_transfers_delete,
)

from .common import ApiError, Call, batch_answer, changed_since, filtered, ordered

FIELDS = {
    "BankTransferID": "bank_transfer_id",
    "Amount": "amount",
    "Date": "date",
    "Reference": "reference",
    "Status": "status",
    "CurrencyRate": "currency_rate",
    "HasAttachments": "has_attachments",
    "FromBankAccount.AccountID": "from_account__account_id",
    "FromBankAccount.Code": "from_account__code",
    "FromBankAccount.Name": "from_account__name",
    "ToBankAccount.AccountID": "to_account__account_id",
    "ToBankAccount.Code": "to_account__code",
    "ToBankAccount.Name": "to_account__name",
    "FromBankTransactionID": "from_bank_transaction_id",
    "ToBankTransactionID": "to_bank_transaction_id",
    "FromIsReconciled": "from_is_reconciled",
    "ToIsReconciled": "to_is_reconciled",
    "CreatedDateUTC": "created_at",
}
ORDER_FIELDS = {"Amount": "amount", "Date": "date", "CreatedDateUTC": "created_at", "Reference": "reference"}


def _get(call: Call) -> tuple[int, dict[str, Any]]:
    transfers = BankTransfer.objects.filter(organisation=call.organisation)
    if call.ident:
        try:
            found = bank_transfers_related(transfers.filter(bank_transfer_id=uuid.UUID(call.ident))).first()
        except ValueError:
            found = None
        if found is None:
            raise ApiError(404, not_found())
        return 200, envelope("BankTransfers", [bank_transfer_json(found)])
    if call.query.get("includeDeleted", "false").lower() != "true":
        transfers = transfers.exclude(status=DELETED)
    transfers = changed_since(call, transfers).annotate(has_attachments=Value(False, output_field=BooleanField()))
    transfers = ordered(call, filtered(call, transfers, FIELDS), ORDER_FIELDS)
    return 200, envelope("BankTransfers", [bank_transfer_json(t) for t in bank_transfers_related(transfers)])


def bank_transfers_handle(call: Call) -> tuple[int, dict[str, Any]]:
    if call.method == "GET":
        return _get(call)
    if call.method == "PUT" and call.ident:
        detail = "Bank transfers are created with PUT /BankTransfers and deleted with POST."
        raise ApiError(405, {"Title": "Method Not Allowed", "Status": 405, "Detail": detail})
    records = call.records("BankTransfers")
    with transaction.atomic():
        if call.method == "PUT":
            results = bank_transfers_create(organisation=call.organisation, payloads=records)
        elif call.ident:
            found = bank_transfer_locked(organisation=call.organisation, ident=call.ident)
            if found is None:
                raise ApiError(404, not_found())
            raw = records[0] if isinstance(records[0], dict) else {}
            results = [bank_transfer_delete(transfer=found, raw=raw)]
        else:
            results = bank_transfers_delete(organisation=call.organisation, payloads=records)
    ids = [r.transfer.pk for r in results if r.transfer] + [r.target.pk for r in results if r.target]
    saved = {t.pk: t for t in bank_transfers_related(BankTransfer.objects.filter(pk__in=ids))}
    return batch_answer(
        call,
        "BankTransfers",
        [
            (bank_transfer_json(saved[r.transfer.pk]) if r.transfer else None, _as_failed(r, saved), r.errors)
            for r in results
        ],
    )


def _as_failed(result: BankTransferResult, saved: dict[int, BankTransfer]) -> dict[str, Any]:
    """A refused deletion shows the transfer it names (as it stands), then what was sent."""
    if result.target is None:
        return result.submitted
    return {**bank_transfer_json(saved[result.target.pk]), **result.submitted}
