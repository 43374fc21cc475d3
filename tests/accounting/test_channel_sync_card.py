"""The channel page's "Sync" card: counts, Xero's reasons, why sending is paused, and Retry."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounting.models import ConnectionState
from accounting.sync.ledger.summary import PAUSED_INACTIVE, PAUSED_NEEDS_RECONNECT
from accounting.sync.models import RecordKind, SyncRecord, SyncState
from accounting.sync.push.outcomes import records_finish, rejected, synced
from accounting.sync.schedule.turn import rows_claim
from accounting.views.common import queued_for_retry_message
from stores.services import invoice_create, product_create
from tests.accounting.conftest import connect_locally
from tests.factories import AccountingChannelFactory, StoreFactory
from tests.pages import messages_of

pytestmark = pytest.mark.django_db

ACCOUNT_REFUSED = "Account code '999' is not a valid code for this document."
ITEM_REFUSED = "Item code 'TEA-01' is already used by an archived item."


def new_invoice(store, number: str):
    line = {"description": "Tea", "quantity": Decimal("1"), "unit_price": Decimal("3.00")}
    return invoice_create(
        store=store, number=number, customer_name="Bo", issue_date=dt.date(2026, 11, 2),
        due_date=dt.date(2026, 12, 2), lines=[line],
    )  # fmt: skip


def send(channel, kind: str, *, limit: int = 1000, failed: dict[int, str] | None = None) -> list[SyncRecord]:
    """Claim the channel's due rows of `kind` as a worker turn does; record Xero's answers.

    Rows whose object id is in `failed` are refused by Xero with that message; the others are accepted.
    """
    failed = failed or {}
    rows = rows_claim(channel=channel, kind=kind, limit=limit)
    outcomes = {
        row.pk: rejected(messages=[failed[row.object_id]])
        if row.object_id in failed
        else synced(xero_id=f"xero-{row.object_id}", payload_hash="h")
        for row in rows
    }
    records_finish(rows=rows, outcomes=outcomes)
    return rows


def row_of(channel, obj, kind: str = RecordKind.INVOICE) -> SyncRecord:
    return SyncRecord.objects.get(channel=channel, kind=kind, object_id=obj.pk)


@pytest.fixture
def sending_channel(channel):
    return connect_locally(channel, tenant_id="t-1", tenant_name="Demo Company (UK)", is_active=True, add_products=True)


def page(client, channel) -> str:
    response = client.get(reverse("accounting:channel-detail", args=[channel.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_card_shows_counts_last_synced_and_each_failure_with_xeros_message(member_client, store, sending_channel):
    good, bad = new_invoice(store, "A-1"), new_invoice(store, "A-2")
    send(sending_channel, RecordKind.INVOICE, failed={bad.pk: ACCOUNT_REFUSED})
    product = product_create(store=store, sku="TEA-01", name="Tea", unit_price=Decimal("3"))
    send(sending_channel, RecordKind.PRODUCT, failed={product.pk: ITEM_REFUSED})
    new_invoice(store, "A-3")
    new_invoice(store, "A-4")
    last = send(sending_channel, RecordKind.INVOICE, limit=1)[0]  # A-3 is accepted ...
    rows_claim(channel=sending_channel, kind=RecordKind.INVOICE, limit=1)  # ... A-4 is on its way ...
    new_invoice(store, "A-5")  # ... and A-5 waits.

    html = page(member_client, sending_channel)

    assert '<h2 id="sync-title">Sync</h2>' in html
    for state, count in [("pending", 1), ("in-flight", 1), ("synced", 2), ("failed", 2), ("skipped", 0)]:
        assert f'<dd id="sync-{state}">{count}</dd>' in html, state
    assert row_of(sending_channel, good).state == SyncState.SYNCED
    last.refresh_from_db()
    assert f'<dd id="sync-last-synced"><time datetime="{last.synced_at:%Y-%m-%dT%H:%M:%S}' in html
    assert f'<td class="sync-message">{escape(ACCOUNT_REFUSED)}</td>' in html
    assert f'<td class="sync-message">{escape(ITEM_REFUSED)}</td>' in html
    invoice_url = reverse("stores:invoice-detail", args=[store.pk, bad.pk])
    product_url = reverse("stores:product-edit", args=[store.pk, product.pk])
    assert f'Invoice <a href="{invoice_url}">A-2</a>' in html
    assert f'Product <a href="{product_url}">TEA-01</a>' in html
    assert html.index("TEA-01</a>") < html.index("A-2</a>")  # most recent failure first
    assert html.count(">Retry</button>") == 2
    assert ">Retry all failed</button>" in html
    assert "Sending is paused" not in html
    # Below the connection card, above the settings.
    assert html.index("<h2>Connection</h2>") < html.index('id="sync-title"') < html.index("<h2>Settings</h2>")


def test_a_channel_with_nothing_failed_shows_no_failure_table(member_client, store, sending_channel):
    new_invoice(store, "A-1")
    send(sending_channel, RecordKind.INVOICE)
    html = page(member_client, sending_channel)
    assert '<dd id="sync-synced">1</dd>' in html and '<dd id="sync-failed">0</dd>' in html
    assert '<p class="help">No failures.</p>' in html and "Retry all failed" not in html


@pytest.mark.parametrize(
    ("fields", "reason", "detail"),
    [
        ({"is_active": False}, PAUSED_INACTIVE, None),
        (
            {"connection_state": ConnectionState.NEEDS_RECONNECT, "state_reason": "Xero refused the refresh token."},
            PAUSED_NEEDS_RECONNECT,
            "Xero refused the refresh token.",
        ),
    ],
)
def test_a_channel_that_does_not_send_says_why_its_rows_wait(
    member_client, store, sending_channel, fields, reason, detail
):
    new_invoice(store, "A-1")
    for name, value in fields.items():
        setattr(sending_channel, name, value)
    sending_channel.save()

    html = page(member_client, sending_channel)

    sync_card = html[html.index('id="sync"') :]
    assert f"<strong>{reason}</strong>" in sync_card
    if detail:
        assert f"<p>{detail}</p>" in sync_card
    assert "<p>Pending records wait here and are sent once the channel is sending again.</p>" in sync_card
    assert '<dd id="sync-pending">1</dd>' in sync_card


def test_retry_makes_the_failed_row_pending_and_due_now(member_client, store, sending_channel):
    bad, other = new_invoice(store, "A-1"), new_invoice(store, "A-2")
    send(sending_channel, RecordKind.INVOICE, failed={bad.pk: ACCOUNT_REFUSED, other.pk: ACCOUNT_REFUSED})
    row = row_of(sending_channel, bad)
    before = timezone.now()

    response = member_client.post(
        reverse("accounting:channel-sync-retry", args=[sending_channel.pk, row.pk]), follow=True
    )

    assert response.redirect_chain == [(reverse("accounting:channel-detail", args=[sending_channel.pk]) + "#sync", 302)]
    assert messages_of(response) == [queued_for_retry_message(count=1, sending=True)]
    row.refresh_from_db()
    assert (row.state, row.attempt_count) == (SyncState.PENDING, 0)
    assert row.next_attempt_at is not None
    assert before <= row.next_attempt_at <= timezone.now()
    assert row_of(sending_channel, other).state == SyncState.FAILED
    html = response.content.decode()
    assert '<dd id="sync-pending">1</dd>' in html and '<dd id="sync-failed">1</dd>' in html


def test_retry_all_requeues_every_failed_row_and_leaves_synced_ones(member_client, store, sending_channel):
    invoices = [new_invoice(store, f"A-{n}") for n in range(3)]
    send(sending_channel, RecordKind.INVOICE, failed={i.pk: ACCOUNT_REFUSED for i in invoices[:2]})

    response = member_client.post(reverse("accounting:channel-sync-retry-all", args=[sending_channel.pk]), follow=True)

    assert messages_of(response) == [queued_for_retry_message(count=2, sending=True)]
    states = [row_of(sending_channel, i).state for i in invoices]
    assert states == [SyncState.PENDING, SyncState.PENDING, SyncState.SYNCED]
    response = member_client.post(reverse("accounting:channel-sync-retry-all", args=[sending_channel.pk]), follow=True)
    assert messages_of(response) == ["Nothing to retry: no record of this channel has failed."]


def test_retry_on_a_paused_channel_says_when_the_rows_go(member_client, store, sending_channel):
    bad = new_invoice(store, "A-1")
    send(sending_channel, RecordKind.INVOICE, failed={bad.pk: ACCOUNT_REFUSED})
    sending_channel.is_active = False
    sending_channel.save()

    response = member_client.post(reverse("accounting:channel-sync-retry-all", args=[sending_channel.pk]), follow=True)

    assert messages_of(response) == [queued_for_retry_message(count=1, sending=False)]


def test_retry_is_post_only(member_client, sending_channel):
    assert member_client.get(reverse("accounting:channel-sync-retry-all", args=[sending_channel.pk])).status_code == 405


def test_a_record_of_another_channel_answers_404(member_client, store, sending_channel):
    other_channel = AccountingChannelFactory.create(store=store, name="Spare books")
    invoice = new_invoice(store, "A-1")
    foreign_row = row_of(other_channel, invoice)
    SyncRecord.objects.filter(pk=foreign_row.pk).update(state=SyncState.FAILED, last_error=ACCOUNT_REFUSED)

    response = member_client.post(reverse("accounting:channel-sync-retry", args=[sending_channel.pk, foreign_row.pk]))

    assert response.status_code == 404
    assert SyncRecord.objects.get(pk=foreign_row.pk).state == SyncState.FAILED


def test_another_organizations_member_gets_404_on_both_retry_urls(outsider_client, store, sending_channel):
    bad = new_invoice(store, "A-1")
    send(sending_channel, RecordKind.INVOICE, failed={bad.pk: ACCOUNT_REFUSED})
    row = row_of(sending_channel, bad)

    one = outsider_client.post(reverse("accounting:channel-sync-retry", args=[sending_channel.pk, row.pk]))
    every = outsider_client.post(reverse("accounting:channel-sync-retry-all", args=[sending_channel.pk]))

    assert (one.status_code, every.status_code) == (404, 404)
    row.refresh_from_db()
    assert (row.state, row.last_error) == (SyncState.FAILED, ACCOUNT_REFUSED)


def fail_invoices(store, channel, count: int, start: int) -> None:
    invoices = [new_invoice(store, f"F-{start + n}") for n in range(count)]
    send(channel, RecordKind.INVOICE, failed={i.pk: f"Refused F-{start + n}" for n, i in enumerate(invoices)})


def test_the_page_costs_the_same_queries_whatever_the_number_of_failures(
    member_client, store, sending_channel, django_assert_max_num_queries
):
    product = product_create(store=store, sku="TEA-01", name="Tea", unit_price=Decimal("3"))
    send(sending_channel, RecordKind.PRODUCT, failed={product.pk: ITEM_REFUSED})
    fail_invoices(store, sending_channel, 1, start=0)
    url = reverse("accounting:channel-detail", args=[sending_channel.pk])
    with CaptureQueriesContext(connection) as small:
        assert member_client.get(url).status_code == 200

    fail_invoices(store, sending_channel, 28, start=1)
    with django_assert_max_num_queries(len(small)):
        html = member_client.get(url).content.decode()

    assert '<dd id="sync-failed">30</dd>' in html
    assert '<p class="help">The 20 most recent of 30 failed records.</p>' in html
    assert html.count(">Retry</button>") == 20


def test_failures_of_another_store_are_not_on_the_page(member_client, organization, store, sending_channel):
    other_store = StoreFactory.create(organization=organization, name="Outlet")
    other = AccountingChannelFactory.create(store=other_store)
    bad = new_invoice(other_store, "OUT-1")
    SyncRecord.objects.filter(channel=other, object_id=bad.pk).update(state=SyncState.FAILED, last_error="Elsewhere")

    html = page(member_client, sending_channel)

    assert '<dd id="sync-failed">0</dd>' in html and "Elsewhere" not in html
