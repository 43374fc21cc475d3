"""Billing API lists cost the same number of SQL queries whatever their length."""

from __future__ import annotations

from decimal import Decimal

import pytest

from stores.payments import payment_record, refund_record
from tests.factories import AccountingChannelFactory, InvoiceFactory, ProductFactory, StoreFactory

pytestmark = pytest.mark.django_db

# Per request: the API key with its organization, then the list's own queries (no transaction
# per request: ATOMIC_REQUESTS is off).
REQUEST_OVERHEAD = 1


def _make(kind: str, store, n: int) -> None:
    if kind == "stores":
        StoreFactory.create_batch(n, organization=store.organization)
    elif kind == "products":
        main = ProductFactory.create(store=store)
        ProductFactory.create_batch(n - 1, store=store, parent=main)
    elif kind == "invoices":
        AccountingChannelFactory.create(store=store)  # its ledger rows are the invoices' sync state
        for invoice in InvoiceFactory.create_batch(n, store=store, lines=3):
            payment_record(invoice=invoice, amount=Decimal("10.00"), date=invoice.issue_date, method="card")
            line = invoice.lines.first()
            refund_record(invoice=invoice, date=invoice.issue_date, lines=[{"invoice_line": line, "quantity": 1}])
    else:
        AccountingChannelFactory.create_batch(n, store=store)


# kind → (URL, queries of the list itself)
LISTS = {
    "stores": ("/api/v1/stores/", 2),  # count, page
    "products": ("/api/v1/stores/{store}/products/", 3),  # store, count, page (+ parent joined)
    # store, count, page, lines, payments, refunds, refund lines, sync ledger rows
    "invoices": ("/api/v1/stores/{store}/invoices/", 8),
    "accounting-channels": ("/api/v1/stores/{store}/accounting-channels/", 4),  # store, count, page, tax mappings
}


@pytest.mark.parametrize("kind", list(LISTS))
@pytest.mark.parametrize("size", [1, 30])
def test_list_query_count_is_constant(api, store, django_assert_num_queries, kind, size):
    url, own_queries = LISTS[kind]
    _make(kind, store, size)
    with django_assert_num_queries(REQUEST_OVERHEAD + own_queries):
        response = api.get(url.format(store=store.pk))
    assert response.status_code == 200
    assert len(response.json()["results"]) == size + (1 if kind == "stores" else 0)
