"""Xero's OAuth scopes as the portal uses them: which one each resource needs, and what a consent allows."""

from __future__ import annotations

from collections.abc import Iterable

# The granular scope each resource needs: named when Xero answers 401 AuthorizationUnsuccessful.
SCOPES = {
    "payment": "accounting.payments",
    "invoice": "accounting.invoices",
    "credit_note": "accounting.invoices",
    "allocation": "accounting.invoices",
    "contact": "accounting.contacts",
    "bank_trans": "accounting.banktransactions",
}
SETTINGS_SCOPE = "accounting.settings"
# Payments are allowed by the granular scope, or by the broad one of apps created before March 2026.
PAYMENTS_SCOPES = ("accounting.payments", "accounting.transactions")


# Bank transactions and transfers (payouts): the granular scope, or the broad one of older apps.
BANK_SCOPE = "accounting.banktransactions"
BANK_SCOPES = (BANK_SCOPE, "accounting.transactions")


def allows_bank_transactions(granted: Iterable[str]) -> bool:
    """Return whether a consent that granted `granted` covers Xero's BankTransactions and BankTransfers."""
    return bool(set(granted) & set(BANK_SCOPES))


def allows_payments(granted: Iterable[str]) -> bool:
    """Return whether a consent that granted `granted` covers Xero's Payments."""
    return bool(set(granted) & set(PAYMENTS_SCOPES))


def scope_of(method_name: str) -> str:
    """Return the scope the client method called `method_name` needs (by the resource it names)."""
    return next((scope for word, scope in SCOPES.items() if word in method_name), SETTINGS_SCOPE)
