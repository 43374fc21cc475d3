"""Accounting API resources: each handler takes a `Call` and returns (status, JSON body)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .bank_transactions import bank_transactions_handle
from .bank_transfers import bank_transfers_handle
from .common import Call
from .contacts import contacts_handle
from .credit_notes import credit_notes_handle
from .invoices import invoices_handle, payments_handle
from .items import items_handle
from .settings import accounts_handle, currencies_handle, organisation_handle, tax_rates_handle
from .tracking import tracking_categories_handle

Handler = Callable[[Call], tuple[int, dict[str, Any]]]

HANDLERS: dict[str, Handler] = {
    "Invoices": invoices_handle,
    "Payments": payments_handle,
    "CreditNotes": credit_notes_handle,
    "Contacts": contacts_handle,
    "Items": items_handle,
    "Accounts": accounts_handle,
    "TaxRates": tax_rates_handle,
    "Currencies": currencies_handle,
    "Organisation": organisation_handle,
    "TrackingCategories": tracking_categories_handle,
    "BankTransactions": bank_transactions_handle,
    "BankTransfers": bank_transfers_handle,
}
# Resources that answer DELETE (the spec's deleteTrackingCategory and deleteTrackingOptions).
DELETE_RESOURCES = frozenset({"TrackingCategories"})

__all__ = ["DELETE_RESOURCES", "HANDLERS", "Call", "Handler"]
