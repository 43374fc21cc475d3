"""Reads of the sandbox's state for its own pages and for tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from .models import (
    Account,
    BankTransaction,
    BankTransfer,
    DeveloperApp,
    Invoice,
    Organisation,
    RequestLog,
    TrackingCategory,
)
from .models.tracking import DELETED
from .services import balances


def organisation_by_tenant(*, tenant_id: Any) -> Organisation:
    """Return the organisation of `tenant_id` or raise Http404."""
    return get_object_or_404(Organisation, tenant_id=tenant_id)


def app_by_client_id(*, client_id: str) -> DeveloperApp:
    return get_object_or_404(DeveloperApp, client_id=client_id)


def invoice_list(*, organisation: Organisation) -> QuerySet[Invoice]:
    return Invoice.objects.filter(organisation=organisation).select_related("contact").order_by("-created_at", "-pk")


def bank_transaction_list(*, organisation: Organisation, limit: int = 50) -> list[BankTransaction]:
    """The organisation's latest bank transactions (every status), newest first."""
    found = BankTransaction.objects.filter(organisation=organisation).select_related("contact", "bank_account")
    return list(found.order_by("-created_at", "-pk")[:limit])


def bank_transfer_list(*, organisation: Organisation, limit: int = 50) -> list[BankTransfer]:
    """The organisation's latest bank transfers (every status), newest first."""
    found = BankTransfer.objects.filter(organisation=organisation).select_related("from_account", "to_account")
    return list(found.order_by("-created_at", "-pk")[:limit])


def money_account_list(*, organisation: Organisation) -> list[tuple[Account, Decimal]]:
    """The organisation's bank accounts and accounts with payments enabled (clearing accounts), each with
    its net movement from payments, bank transactions and transfers (`services.balances`)."""
    accounts = Account.objects.filter(organisation=organisation).filter(Q(type="BANK") | Q(enable_payments=True))
    return [
        (account, balances.account_movement(organisation=organisation, code=account.code))
        for account in accounts.order_by("code")
    ]


def tracking_category_list(*, organisation: Organisation) -> list[TrackingCategory]:
    """The organisation's tracking categories (ACTIVE and ARCHIVED), each with `kept_options` (not deleted)."""
    categories = list(
        TrackingCategory.objects.filter(organisation=organisation).exclude(status=DELETED).prefetch_related("options")
    )
    for category in categories:
        category.kept_options = [o for o in category.options.all() if o.status != DELETED]  # type: ignore[attr-defined]
    return categories


def request_log_list(*, organisation: Organisation) -> QuerySet[RequestLog]:
    return RequestLog.objects.filter(organisation=organisation).order_by("-at", "-pk")


def request_log_lines(*, organisation: Organisation) -> Iterator[str]:
    """Yield the organisation's request log as JSON lines, oldest first."""
    rows = RequestLog.objects.filter(organisation=organisation).order_by("at", "pk")
    for row in rows.iterator(chunk_size=500):
        yield (
            json.dumps(
                {
                    "at": row.at.isoformat(),
                    "method": row.method,
                    "path": row.path,
                    "query": row.query,
                    "status": row.status,
                    "duration_ms": row.duration_ms,
                    "idempotency_key": row.idempotency_key,
                    "request_body": row.request_body,
                    "response_body": row.response_body,
                    "note": row.note,
                }
            )
            + "\n"
        )
