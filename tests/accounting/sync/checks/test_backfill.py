"""Backfill of a date range: a preview (invoices, Xero calls, time at the limits) before anything is
queued, then ordinary pending rows that the turns send through the limiter.

A new channel already queues every invoice its store holds (`ledger_backfill`); what it lacks is
history that arrived without the model signals, e.g. a bulk import of older invoices.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from accounting.checks.backfill import LAST_BEFORE_FIRST
from accounting.sync.models import SyncRecord, SyncState
from stores.models import Invoice, InvoiceLine
from tests.accounting.sync.conftest import connect_channel
from tests.accounting.sync.turns import drain
from tests.factories import StoreFactory
from xero_sandbox import testing

CALLS_NOTE = "(invoices in batches of 50, plus a look-up and a create per 50 new contacts)"

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def bulk_history(store, *, count: int, issued: dt.date, prefix: str, customers: int = 3) -> None:
    """Import `count` invoices in bulk (no per-row signals, so no ledger rows), as a data import does.
    Each carries its total (one line of 2.00 at 0%): the portal sends Xero the store's total."""
    invoices = Invoice.objects.bulk_create(
        Invoice(store=store, number=f"{prefix}{n:04d}", customer_name=f"Customer {n % customers}", currency="GBP",
                issue_date=issued, due_date=issued + dt.timedelta(days=30), subtotal=Decimal("2.00"),
                total=Decimal("2.00"))
        for n in range(count)
    )  # fmt: skip
    InvoiceLine.objects.bulk_create(
        InvoiceLine(invoice=i, description="History", quantity=Decimal("1"), unit_price=Decimal("2")) for i in invoices
    )


@pytest.fixture
def channel(org, organization):
    return connect_channel(org=org, store=StoreFactory.create(organization=organization), account_nominal_code="200")


def test_the_preview_counts_invoices_calls_and_time_then_queueing_sends_them_through_the_limiter(
    channel, org, member_client
):
    bulk_history(channel.store, count=60, issued=dt.date(2025, 3, 10), prefix="H25-")
    bulk_history(channel.store, count=5, issued=dt.date(2024, 6, 1), prefix="H24-")  # outside the range
    url = reverse("accounting:channel-backfill", args=[channel.pk])

    page = member_client.get(url, {"date_from": "2025-01-01", "date_to": "2025-12-31"}).content.decode()

    assert SyncRecord.objects.filter(channel=channel).count() == 0  # a preview queues nothing
    assert '<dd id="backfill-invoices">60</dd>' in page
    # 60 invoices in batches of 50: 2 calls; 3 new customers: a look-up and a create; 4 in all.
    assert f'<dd id="backfill-calls">about 4 {CALLS_NOTE}</dd>' in page
    assert (
        '<dd id="backfill-time">at least 1 minute at 60 calls a minute; '
        "fits today's budget (1000 of 1000 calls left)</dd>"
    ) in page
    assert '<button type="submit" class="btn btn-primary">Queue 60 invoices</button>' in page

    response = member_client.post(url, {"date_from": "2025-01-01", "date_to": "2025-12-31"}, follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "60 invoices queued for Xero: they are sent at the pace of Xero's limits while the channel is active."
    ]
    assert SyncRecord.objects.filter(channel=channel, state=SyncState.PENDING).count() == 60
    drain(channel)
    assert SyncRecord.objects.filter(channel=channel, state=SyncState.SYNCED).count() == 60
    numbers = {i["InvoiceNumber"] for i in testing.invoices(organisation=org.tenant_id)}
    assert len(numbers) == 60 and all(n.startswith("H25-") for n in numbers)

    # Asked again, the range holds nothing more to queue.
    page = member_client.get(url, {"date_from": "2025-01-01", "date_to": "2025-12-31"}).content.decode()
    assert '<dd id="backfill-invoices">0</dd>' in page and "Nothing to queue in this range." in page


def test_a_backlog_past_the_day_budget_is_previewed_in_days(channel, org, member_client):
    from django.utils import timezone

    from accounting.sync.models import XeroOrganisationFacts

    bulk_history(channel.store, count=120, issued=dt.date(2025, 3, 10), prefix="H25-", customers=120)
    XeroOrganisationFacts.objects.create(
        tenant_id=org.tenant_id, day_limit=1000, day_remaining=4, day_reported_at=timezone.now()
    )
    url = reverse("accounting:channel-backfill", args=[channel.pk])
    page = member_client.get(url, {"date_from": "2025-03-10", "date_to": "2025-03-10"}).content.decode()
    # 3 invoice batches + 3 look-ups + 3 creates of 120 new contacts = 9 calls; 4 left today.
    assert f'<dd id="backfill-calls">about 9 {CALLS_NOTE}</dd>' in page
    assert (
        '<dd id="backfill-time">at least 1 minute at 60 calls a minute; '
        "about 2 days at 1000 calls a day (4 left today)</dd>"
    ) in page


def test_a_reversed_range_is_refused_with_nothing_queued_and_the_dates_kept(channel, member_client):
    bulk_history(channel.store, count=2, issued=dt.date(2025, 3, 10), prefix="H25-")
    url = reverse("accounting:channel-backfill", args=[channel.pk])

    response = member_client.post(url, {"date_from": "2025-12-31", "date_to": "2025-01-01"})

    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["form"].errors == {"date_to": [LAST_BEFORE_FIRST]}
    assert 'value="2025-12-31"' in html and 'value="2025-01-01"' in html
    assert SyncRecord.objects.filter(channel=channel).count() == 0
