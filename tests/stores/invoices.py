"""Invoices as the store-rule tests make them: two mugs at 10.00 + 20% = 24.00, issued on DAY."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from stores.services import invoice_create
from tests.factories import StoreFactory

DAY = datetime.date(2026, 11, 2)


def _lines(*extra):
    return [
        {"description": "Mug", "quantity": Decimal("2"), "unit_price": Decimal("10.00"), "tax_rate": Decimal("20")},
        *extra,
    ]


def _invoice(store=None, **fields):
    """An issued invoice of 2 × 10.00 + 20% = 24.00 (plus any extra lines)."""
    lines = fields.pop("lines", _lines())
    fields.setdefault("number", "INV-1")
    fields.setdefault("due_date", DAY + datetime.timedelta(days=30))
    return invoice_create(
        store=store or StoreFactory.create(), customer_name="Ada", issue_date=DAY, lines=lines, **fields
    )


def _refused(call, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        call(**kwargs)
    return caught.value.message_dict
