"""The store's Payouts tab and the invoice page's payout column: what a bookkeeper checks when a
gateway's deposit lands (which payments it settled, from which invoices)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from stores.payments import payment_record
from stores.payouts import payout_record
from stores.services import invoice_create

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 2)


def test_the_payouts_tab_lists_each_payout_with_its_invoices_and_the_invoice_names_its_payout(member_client, store):
    invoice = invoice_create(
        store=store, number="INV-7", customer_name="Ada", issue_date=DAY, due_date=DAY,
        lines=[{"description": "Mug", "quantity": 1, "unit_price": Decimal("50"), "tax_rate": Decimal("20")}],
    )  # fmt: skip
    payment = payment_record(invoice=invoice, amount=invoice.total, date=DAY, method="card")
    payout, _ = payout_record(store=store, reference="po_77", method="card", currency="GBP", date=DAY,
                              gross="60.00", fees="1.75", net="58.25", payments=[payment.pk])  # fmt: skip

    tab = member_client.get(reverse("stores:payouts", args=[store.pk])).content.decode()
    invoice_url = reverse("stores:invoice-detail", args=[store.pk, invoice.pk])
    assert f'<tr id="payout-{payout.pk}">' in tab
    assert "<td>po_77</td>" in tab and '<td class="num">58.25</td>' in tab
    assert f'<a href="{invoice_url}">INV-7</a>' in tab

    page = member_client.get(invoice_url).content.decode()
    assert f'<a href="{reverse("stores:payouts", args=[store.pk])}#payout-{payout.pk}">po_77</a> (2 Nov 2026)' in page
