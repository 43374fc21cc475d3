"""The store's invoice and product pages: a sync badge per channel, the Xero id with its link,
each attempt with Xero's answer, and Retry / Skip of one record."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounting.sync.ledger.actions import sync_record_skip
from accounting.sync.models import AttemptOutcome, RecordKind, SyncAttempt, SyncRecord, SyncState
from accounting.sync.push.outcomes import Outcome, records_finish, rejected, synced
from accounting.sync.schedule.turn import rows_claim
from organizations.models import Membership
from stores.services import invoice_create, product_create
from tests.accounting.conftest import connect_locally
from tests.factories import AccountingChannelFactory, StoreFactory

pytestmark = pytest.mark.django_db

TENANT = "6d0c1c43-9b3a-4f21-8c51-2d1f0a8b7e11"
ACCOUNT_REFUSED = "Account code '999' is not a valid code for this document."
SANDBOX_API = "http://testserver/xero-sandbox/api"


@pytest.fixture
def channel(store):
    channel = AccountingChannelFactory.create(store=store, name="UK books", add_products=True)
    return connect_locally(channel, tenant_id=TENANT, tenant_name="Acme Books Ltd", is_active=True)


@pytest.fixture
def real_xero(settings):
    settings.XERO_API_URL = "https://api.xero.com"


def new_invoice(store, number: str):
    line = {"description": "Tea", "quantity": Decimal("1"), "unit_price": Decimal("3.00")}
    return invoice_create(
        store=store, number=number, customer_name="Bo", issue_date=dt.date(2026, 11, 2),
        due_date=dt.date(2026, 12, 2), lines=[line],
    )  # fmt: skip


def send(channel, kind: str, *, answers: dict[int, Outcome]) -> None:
    """Claim the channel's due rows of `kind` as a worker turn does; record `answers` (by object
    id) as Xero's; rows without an answer stay in flight."""
    rows = rows_claim(channel=channel, kind=kind, limit=1000)
    records_finish(rows=[r for r in rows if r.object_id in answers], outcomes={
        r.pk: answers[r.object_id] for r in rows if r.object_id in answers
    })  # fmt: skip


def row_of(channel, obj, kind: str = RecordKind.INVOICE) -> SyncRecord:
    return SyncRecord.objects.get(channel=channel, kind=kind, object_id=obj.pk)


def table_row(html: str, text: str) -> str:
    """Return the HTML of the one table row that contains `text`."""
    rows = [row for row in re.findall(r"<tr>.*?</tr>", html, flags=re.S) if text in row]
    assert len(rows) == 1, f"{len(rows)} rows contain {text!r}"
    return rows[0]


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def invoices_in_every_state(store, channel) -> dict[str, object]:
    invoices = {key: new_invoice(store, f"INV-{key}") for key in
                ("pending", "sending", "in_xero", "paid_in_xero", "failed", "skipped")}  # fmt: skip
    later = [invoices["pending"]]
    SyncRecord.objects.filter(object_id__in=[i.pk for i in later]).update(
        next_attempt_at=dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
    )
    send(channel, RecordKind.INVOICE, answers={
        invoices["in_xero"].pk: synced(xero_id="inv-in-xero", payload_hash="h", xero_status="AUTHORISED"),
        invoices["paid_in_xero"].pk: synced(xero_id="inv-paid", payload_hash="h", xero_status="PAID"),
        invoices["failed"].pk: rejected(messages=[ACCOUNT_REFUSED]),
        invoices["skipped"].pk: rejected(messages=[ACCOUNT_REFUSED]),
    })  # fmt: skip
    sync_record_skip(record=row_of(channel, invoices["skipped"]), by="operator", reason="Paid in cash")
    return invoices


def test_the_invoice_list_shows_each_channels_state(member_client, store, channel, real_xero):
    invoices_in_every_state(store, channel)
    html = member_client.get(reverse("stores:invoices", args=[store.pk])).content.decode()
    labels = {
        "pending": "Pending", "sending": "Sending", "in_xero": "In Xero",
        "paid_in_xero": "Paid in Xero", "failed": "Failed", "skipped": "Skipped",
    }  # fmt: skip
    for key, label in labels.items():
        row = table_row(html, f">INV-{key}</a>")
        assert f'data-sync="{key}"' in row
        assert re.search(rf'class="badge badge-\w+"[^>]*>{label}</span>', row), row
    in_xero = table_row(html, ">INV-in_xero</a>")
    assert 'href="https://go.xero.com/AccountsReceivable/View.aspx?InvoiceID=inv-in-xero"' in in_xero
    assert "go.xero.com" not in table_row(html, ">INV-failed</a>")


def test_each_channel_has_its_own_badge(member_client, store, channel, real_xero):
    second = connect_locally(
        AccountingChannelFactory.create(store=store, name="US books"), tenant_id="t-us", tenant_name="US"
    )
    invoice = new_invoice(store, "INV-1")
    send(channel, RecordKind.INVOICE, answers={invoice.pk: synced(xero_id="uk-1", payload_hash="h")})
    row = table_row(member_client.get(reverse("stores:invoices", args=[store.pk])).content.decode(), ">INV-1</a>")
    assert f'data-channel="{channel.pk}" data-sync="in_xero"' in row
    assert f'data-channel="{second.pk}" data-sync="pending"' in row
    assert "UK books" in row and "US books" in row


def test_the_sandbox_links_to_its_organisation_page(member_client, store, channel, settings):
    settings.XERO_API_URL = SANDBOX_API
    invoice = new_invoice(store, "INV-1")
    send(channel, RecordKind.INVOICE, answers={invoice.pk: synced(xero_id="inv-1", payload_hash="h")})
    row = table_row(member_client.get(reverse("stores:invoices", args=[store.pk])).content.decode(), ">INV-1</a>")
    assert f'href="http://testserver/xero-sandbox/organisations/{TENANT}/"' in row


def test_the_product_list_shows_badges_and_real_xero_items_are_not_linked(member_client, store, channel, real_xero):
    tea = product_create(store=store, sku="TEA-01", name="Tea", unit_price=Decimal("3.00"))
    cup = product_create(store=store, sku="CUP-01", name="Cup", unit_price=Decimal("5.00"))
    send(channel, RecordKind.PRODUCT, answers={
        tea.pk: synced(xero_id="item-tea", payload_hash="h"), cup.pk: rejected(messages=["Code is too long"]),
    })  # fmt: skip
    html = member_client.get(reverse("stores:products", args=[store.pk])).content.decode()
    assert 'data-sync="in_xero"' in table_row(html, "<td>TEA-01</td>")
    assert 'data-sync="failed"' in table_row(html, "<td>CUP-01</td>")
    assert "View in Xero" not in html


def test_the_invoice_page_shows_xero_id_link_and_attempts(member_client, store, channel, real_xero):
    invoice = new_invoice(store, "INV-1")
    send(channel, RecordKind.INVOICE, answers={invoice.pk: rejected(messages=[ACCOUNT_REFUSED])})
    row = row_of(channel, invoice)
    SyncRecord.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now(), state=SyncState.PENDING)
    send(channel, RecordKind.INVOICE, answers={invoice.pk: synced(xero_id="inv-1", payload_hash="h")})
    response = member_client.get(reverse("stores:invoice-detail", args=[store.pk, invoice.pk]))
    html = response.content.decode()
    assert '<a class="xero-link" href="https://go.xero.com/AccountsReceivable/View.aspx?InvoiceID=inv-1"' in html
    assert ">inv-1</a>" in html
    attempts = [(a.get_outcome_display(), a.message) for a in response.context["sync"][0].attempts]
    assert attempts == [("Accepted by Xero", ""), ("Rejected by Xero", ACCOUNT_REFUSED)]
    assert escape(ACCOUNT_REFUSED) in table_row(html, "Rejected by Xero")
    # A synced row is neither retried nor skipped from here: it goes again when it changes.
    assert "record-sync" not in html and ">Retry</button>" not in html and ">Skip</button>" not in html


def test_retry_sends_a_failed_invoice_again_and_says_so(member_client, store, channel):
    invoice = new_invoice(store, "INV-1")
    send(channel, RecordKind.INVOICE, answers={invoice.pk: rejected(messages=[ACCOUNT_REFUSED])})
    row = row_of(channel, invoice)
    page = member_client.get(reverse("stores:invoice-detail", args=[store.pk, invoice.pk])).content.decode()
    retry_url = reverse("accounting:record-sync-retry", args=[store.pk, row.pk])
    assert f'action="{retry_url}"' in page
    response = member_client.post(retry_url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("stores:invoice-detail", args=[store.pk, invoice.pk]) + "#xero"
    assert messages_of(response) == ["Queued for sending to UK books again."]
    row.refresh_from_db()
    assert (row.state, row.attempt_count) == (SyncState.PENDING, 0)
    assert row.attempts.latest("created_at", "pk").message == "Retried by operator."
    assert 'data-sync="pending"' in response.content.decode()


def test_skip_stops_sending_until_retried_and_records_who_and_why(member_client, store, channel):
    invoice = new_invoice(store, "INV-1")
    send(channel, RecordKind.INVOICE, answers={invoice.pk: rejected(messages=[ACCOUNT_REFUSED])})
    row = row_of(channel, invoice)
    url = reverse("accounting:record-sync-skip", args=[store.pk, row.pk])
    response = member_client.post(url, {"reason": "  Paid in   cash "}, follow=True)
    assert messages_of(response) == ["Skipped for UK books: not sent until retried."]
    row.refresh_from_db()
    assert (row.state, row.next_attempt_at) == (SyncState.SKIPPED, None)
    note = row.attempts.latest("created_at", "pk")
    assert (note.outcome, note.message) == (AttemptOutcome.LOCAL, "Skipped by operator: Paid in cash")
    assert rows_claim(channel=channel, kind=RecordKind.INVOICE, limit=10) == []
    html = response.content.decode()
    assert 'data-sync="skipped"' in html and ">Retry</button>" in html and ">Skip</button>" not in html
    # Retried, it is due again.
    response = member_client.post(reverse("accounting:record-sync-retry", args=[store.pk, row.pk]), follow=True)
    assert messages_of(response) == ["Queued for sending to UK books again."]
    assert [r.pk for r in rows_claim(channel=channel, kind=RecordKind.INVOICE, limit=10)] == [row.pk]


def test_skip_of_a_synced_invoice_changes_nothing_and_says_so(member_client, store, channel):
    invoice = new_invoice(store, "INV-1")
    send(channel, RecordKind.INVOICE, answers={invoice.pk: synced(xero_id="inv-1", payload_hash="h")})
    row = row_of(channel, invoice)
    response = member_client.post(reverse("accounting:record-sync-skip", args=[store.pk, row.pk]), follow=True)
    assert messages_of(response) == ["Nothing to skip: the record is synced now."]
    row.refresh_from_db()
    assert row.state == SyncState.SYNCED
    assert row.attempts.count() == 1


def test_a_too_long_reason_is_refused_and_changes_nothing(member_client, store, channel):
    invoice = new_invoice(store, "INV-1")
    row = row_of(channel, invoice)
    url = reverse("accounting:record-sync-skip", args=[store.pk, row.pk])
    response = member_client.post(url, {"reason": "x" * 501}, follow=True)
    assert messages_of(response) == ["The reason is too long: at most 500 characters."]
    row.refresh_from_db()
    assert row.state == SyncState.PENDING and not row.attempts.exists()


def test_retry_of_a_product_skipped_by_the_channel_setting_is_refused(member_client, store, channel):
    channel.add_products = False
    channel.save()
    tea = product_create(store=store, sku="TEA-01", name="Tea", unit_price=Decimal("3.00"))
    row = row_of(channel, tea, RecordKind.PRODUCT)
    assert row.state == SyncState.SKIPPED
    response = member_client.post(reverse("accounting:record-sync-retry", args=[store.pk, row.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("stores:product-edit", args=[store.pk, tea.pk]) + "#xero"
    assert messages_of(response) == ["Add Products to Xero is off for this channel: turn it on to send products."]
    row.refresh_from_db()
    assert row.state == SyncState.SKIPPED and not row.attempts.exists()


def test_the_product_page_shows_its_xero_section(member_client, store, channel, settings):
    settings.XERO_API_URL = SANDBOX_API
    tea = product_create(store=store, sku="TEA-01", name="Tea", unit_price=Decimal("3.00"))
    send(channel, RecordKind.PRODUCT, answers={tea.pk: synced(xero_id="item-tea", payload_hash="h")})
    html = member_client.get(reverse("stores:product-edit", args=[store.pk, tea.pk])).content.decode()
    assert (
        f'href="http://testserver/xero-sandbox/organisations/{TENANT}/" target="_blank" rel="noopener">item-tea</a>'
        in html
    )


def test_another_organizations_rows_are_404_and_unchanged(outsider_client, store, channel):
    invoice = new_invoice(store, "INV-1")
    send(channel, RecordKind.INVOICE, answers={invoice.pk: rejected(messages=[ACCOUNT_REFUSED])})
    row = row_of(channel, invoice)
    outsiders_store = StoreFactory.create(organization=Membership.objects.get(user__username="outsider").organization)
    for action in ("record-sync-retry", "record-sync-skip"):
        assert outsider_client.post(reverse(f"accounting:{action}", args=[store.pk, row.pk])).status_code == 404
        # Their row under the outsider's own store: still 404.
        url = reverse(f"accounting:{action}", args=[outsiders_store.pk, row.pk])
        assert outsider_client.post(url).status_code == 404
    row.refresh_from_db()
    assert row.state == SyncState.FAILED and row.attempts.count() == 1


def test_a_row_of_another_store_is_404_through_ones_own_store(member_client, organization, store, channel):
    other_store = StoreFactory.create(organization=organization)
    other = connect_locally(AccountingChannelFactory.create(store=other_store), tenant_id="t2", tenant_name="T2")
    foreign = row_of(other, new_invoice(other_store, "INV-9"))
    # Same organization, wrong store in the URL: still not this store's row.
    response = member_client.post(reverse("accounting:record-sync-skip", args=[store.pk, foreign.pk]))
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.state == SyncState.PENDING


def test_retry_and_skip_are_posts_with_csrf(member, store, channel):
    row = row_of(channel, new_invoice(store, "INV-1"))
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    url = reverse("accounting:record-sync-skip", args=[store.pk, row.pk])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 403
    row.refresh_from_db()
    assert row.state == SyncState.PENDING


# Constant query counts ----------------------------------------------------------------------

REQUEST_OVERHEAD = 5  # session, user, membership, switcher's memberships, open alerts (banner)


@pytest.mark.parametrize("invoices", [1, 40])
def test_invoice_list_with_badges_costs_the_same(member_client, store, channel, django_assert_num_queries, invoices):
    connect_locally(AccountingChannelFactory.create(store=store), tenant_id="t-2", tenant_name="Two")
    made = [new_invoice(store, f"INV-{n}") for n in range(invoices)]
    send(channel, RecordKind.INVOICE, answers={i.pk: synced(xero_id=f"x-{i.pk}", payload_hash="h") for i in made})
    member_client.get(reverse("stores:list"))  # settles the session
    # store, count, invoices, their badges (rows with their channels)
    with django_assert_num_queries(REQUEST_OVERHEAD + 4):
        response = member_client.get(reverse("stores:invoices", args=[store.pk]))
    assert sum(len(i.sync_badges) for i in response.context["invoices"]) == 2 * min(invoices, 25)


@pytest.mark.parametrize("products", [1, 40])
def test_product_list_with_badges_costs_the_same(member_client, store, channel, django_assert_num_queries, products):
    for n in range(products):
        product_create(store=store, sku=f"SKU-{n:03}", name="Tea", unit_price=Decimal("1.00"))
    member_client.get(reverse("stores:list"))  # settles the session
    # store, count, products with main product and variant counts, their badges
    with django_assert_num_queries(REQUEST_OVERHEAD + 4):
        response = member_client.get(reverse("stores:products", args=[store.pk]))
    assert [b.key for p in response.context["products"] for b in p.sync_badges] == ["pending"] * min(products, 25)


@pytest.mark.parametrize("attempts", [1, 30])
def test_invoice_page_costs_the_same_whatever_its_attempts(
    member_client, store, channel, django_assert_num_queries, attempts
):
    invoice = new_invoice(store, "INV-1")
    row = row_of(channel, invoice)
    SyncAttempt.objects.bulk_create(
        SyncAttempt(record=row, outcome=AttemptOutcome.NETWORK, message=f"try {n}") for n in range(attempts)
    )
    member_client.get(reverse("stores:list"))  # settles the session
    # store, invoice, its lines (no products), its payments, its refunds, its sync rows with channels,
    # their attempts
    with django_assert_num_queries(REQUEST_OVERHEAD + 7):
        response = member_client.get(reverse("stores:invoice-detail", args=[store.pk, invoice.pk]))
    assert len(response.context["sync"][0].attempts) == min(attempts, 20)
