"""Render bank transactions and bank transfers in the Accounting API's JSON shapes (the spec's
BankTransaction and BankTransfer schemas and examples)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from xero_sandbox.models import Account, BankTransaction, BankTransactionLine, BankTransfer

from .render import compact, contact_json, line_item_json, money, ms_date, ms_datetime


def bank_account_json(account: Account) -> dict[str, Any]:
    """A bank account as a bank transaction or a transfer names it (the spec examples' three fields)."""
    return {"AccountID": str(account.account_id), "Code": account.code, "Name": account.name}


def bank_transaction_json(transaction: BankTransaction, *, unitdp: int = 2) -> dict[str, Any]:
    """Render a bank transaction; contact, bank account and lines (with tracking) should be prefetched."""
    return compact(
        {
            "BankTransactionID": str(transaction.bank_transaction_id),
            "BankAccount": bank_account_json(transaction.bank_account),
            "Type": transaction.type,
            "Reference": transaction.reference,
            "IsReconciled": transaction.is_reconciled,
            "CurrencyRate": float(transaction.currency_rate),
            "Contact": contact_json(transaction.contact, summary=True),
            "Date": ms_date(transaction.date),
            "Status": transaction.status,
            "LineAmountTypes": transaction.line_amount_types,
            "LineItems": [line_item_json(line, unitdp=unitdp) for line in transaction.line_items.all()],
            "SubTotal": money(transaction.sub_total),
            "TotalTax": money(transaction.total_tax),
            "Total": money(transaction.total),
            "UpdatedDateUTC": ms_datetime(transaction.updated_at),
            "CurrencyCode": transaction.currency_code,
            "Url": transaction.url or None,
            "HasAttachments": False,
        }
    )


def bank_transactions_related(transactions: QuerySet[BankTransaction]) -> QuerySet[BankTransaction]:
    """What rendering needs, in a few queries."""
    lines = BankTransactionLine.objects.select_related("tracking_option_1__category", "tracking_option_2__category")
    return transactions.select_related("contact", "bank_account").prefetch_related(
        Prefetch("line_items", queryset=lines)
    )


def _tracking_json(*options: Any) -> list[dict[str, Any]]:
    return [
        {
            "TrackingCategoryID": str(option.category.tracking_category_id),
            "TrackingOptionID": str(option.tracking_option_id),
            "Name": option.category.name,
            "Option": option.name,
        }
        for option in options
        if option is not None
    ]


def bank_transfer_json(transfer: BankTransfer) -> dict[str, Any]:
    """Render a bank transfer; its accounts and tracking options should be selected."""
    return {
        "BankTransferID": str(transfer.bank_transfer_id),
        "CreatedDateUTC": ms_datetime(transfer.created_at),
        "Date": ms_date(transfer.date),
        "Status": transfer.status,
        "FromBankAccount": bank_account_json(transfer.from_account),
        "ToBankAccount": bank_account_json(transfer.to_account),
        "Amount": money(transfer.amount),
        "FromBankTransactionID": str(transfer.from_bank_transaction_id),
        "ToBankTransactionID": str(transfer.to_bank_transaction_id),
        "FromIsReconciled": transfer.from_is_reconciled,
        "ToIsReconciled": transfer.to_is_reconciled,
        "Reference": transfer.reference,
        "CurrencyRate": float(transfer.currency_rate),
        "HasAttachments": False,
        "FromTracking": _tracking_json(transfer.from_tracking_1, transfer.from_tracking_2),
        "ToTracking": _tracking_json(transfer.to_tracking_1, transfer.to_tracking_2),
    }


def bank_transfers_related(transfers: QuerySet[BankTransfer]) -> QuerySet[BankTransfer]:
    return transfers.select_related(
        "from_account",
        "to_account",
        "from_tracking_1__category",
        "from_tracking_2__category",
        "to_tracking_1__category",
        "to_tracking_2__category",
    )
