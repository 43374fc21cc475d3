"""The local Xero's state: developer apps and identity, organisations and their books, operations."""

from .accounting import (
    Account,
    Contact,
    Currency,
    Invoice,
    Item,
    LineItem,
    Organisation,
    Payment,
    TaxRate,
)
from .banking import BankTransaction, BankTransactionLine, BankTransfer
from .credit_notes import Allocation, CreditNote, CreditNoteLine
from .identity import AppTier, AuthorizationCode, Connection, DeveloperApp, Grant, OrganisationUser, RefreshToken
from .operations import IdempotencyRecord, RequestLog, WebhookDelivery
from .tracking import TrackingCategory, TrackingOption

__all__ = [
    "Account",
    "Allocation",
    "AppTier",
    "AuthorizationCode",
    "BankTransaction",
    "BankTransactionLine",
    "BankTransfer",
    "Connection",
    "Contact",
    "CreditNote",
    "CreditNoteLine",
    "Currency",
    "DeveloperApp",
    "Grant",
    "IdempotencyRecord",
    "Invoice",
    "Item",
    "LineItem",
    "Organisation",
    "OrganisationUser",
    "Payment",
    "RefreshToken",
    "RequestLog",
    "TaxRate",
    "TrackingCategory",
    "TrackingOption",
    "WebhookDelivery",
]
