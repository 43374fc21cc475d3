"""The channel's sync ledger page (filters, failures by cause, Retry / Skip by cause and by row),
the live progress JSON of the channel page, and the connection health card (no Xero needed)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounting.sync.ledger.forms import END_BEFORE_START
from accounting.sync.ledger.page import NO_RATE_YET, day_budget_text, rate_estimate_text
from accounting.sync.models import Drift, RecordKind, SyncAttempt, SyncRecord, SyncState, XeroOrganisationFacts
from accounting.views.common import queued_for_retry_message
from accounting.views.ledger import skipped_message
from stores.payments import payment_record
from stores.payouts import payout_record
from tests.accounting.conftest import connect_locally
from tests.accounting.test_channel_sync_card import ACCOUNT_REFUSED, new_invoice, send
from tests.pages import messages_of

pytestmark = pytest.mark.django_db

CONTACT_REFUSED = "Contact {uuid} is archived."
UUIDS = ["0f8e2a1c-1111-4d5e-9f00-aaaaaaaaaaaa", "7b3c9d2e-2222-4e6f-8a11-bbbbbbbbbbbb"]


@pytest.fixture
def sending_channel(channel):
    return connect_locally(channel, tenant_id="t-1", tenant_name="Demo Company (UK)", is_active=True)


def ledger(client, channel, **params) -> str:
    response = client.get(reverse("accounting:channel-ledger", args=[channel.pk]), params)
    assert response.status_code == 200
    return response.content.decode()


def invoices_failed(store, channel, *, account: int, contact: int, good: int = 0) -> dict[str, list]:
    """Send `account` + `contact` + `good` new invoices; Xero refuses the first two groups."""
    made: dict[str, list] = {"account": [], "contact": [], "good": []}
    failed: dict[int, str] = {}
    n = SyncRecord.objects.count()
    for group, count in (("account", account), ("contact", contact), ("good", good)):
        for _ in range(count):
            n += 1
            invoice = new_invoice(store, f"L-{n}")
            made[group].append(invoice)
            if group == "account":
                failed[invoice.pk] = ACCOUNT_REFUSED
            elif group == "contact":
                failed[invoice.pk] = CONTACT_REFUSED.format(uuid=UUIDS[len(made[group]) % 2])
    send(channel, RecordKind.INVOICE, failed=failed)
    return made


def test_failures_are_grouped_by_cause_with_counts_ids_taken_out(member_client, store, sending_channel):
    invoices_failed(store, sending_channel, account=3, contact=2, good=1)

    html = ledger(member_client, sending_channel)

    causes = html[html.index('id="causes-title"') : html.index('id="rows-title"')]
    assert "Account code &#x27;999&#x27; is not a valid code for this document." in causes
    assert "3 invoices" in causes
    # Two messages that differ only by Xero's contact id are one cause.
    assert "Contact … is archived." in causes and "2 invoices" in causes
    assert causes.index("999") < causes.index("Contact …")  # most frequent first
    assert causes.count(">Retry all with this cause</button>") == 2


def test_retry_all_with_a_cause_queues_only_that_cause(member_client, store, sending_channel):
    made = invoices_failed(store, sending_channel, account=3, contact=2)
    cause = SyncRecord.objects.filter(object_id=made["account"][0].pk).values_list("error_cause", flat=True).get()

    response = member_client.post(
        reverse("accounting:channel-ledger-retry-cause", args=[sending_channel.pk]), {"cause": cause}, follow=True
    )

    assert messages_of(response) == [queued_for_retry_message(count=3, sending=True)]
    states = dict(SyncRecord.objects.values_list("object_id", "state"))
    assert {states[i.pk] for i in made["account"]} == {SyncState.PENDING}
    assert {states[i.pk] for i in made["contact"]} == {SyncState.FAILED}


def test_skip_all_with_a_cause_skips_and_notes_who(member_client, member, store, sending_channel):
    made = invoices_failed(store, sending_channel, account=2, contact=2)
    cause = SyncRecord.objects.filter(object_id=made["contact"][0].pk).values_list("error_cause", flat=True).get()

    response = member_client.post(
        reverse("accounting:channel-ledger-skip-cause", args=[sending_channel.pk]), {"cause": cause}, follow=True
    )

    assert messages_of(response) == [skipped_message(count=2)]
    rows = SyncRecord.objects.filter(object_id__in=[i.pk for i in made["contact"]])
    assert {r.state for r in rows} == {SyncState.SKIPPED}
    notes = SyncAttempt.objects.filter(record__in=rows).values_list("message", flat=True)
    assert list(notes).count(f"Skipped by {member.get_username()}.") == 2
    assert SyncRecord.objects.filter(state=SyncState.FAILED).count() == 2


def test_a_row_is_skipped_then_retried_from_the_ledger_keeping_the_filters(member_client, store, sending_channel):
    made = invoices_failed(store, sending_channel, account=1, contact=0)
    row = SyncRecord.objects.get(object_id=made["account"][0].pk)
    back = reverse("accounting:channel-ledger", args=[sending_channel.pk]) + "?state=failed"

    response = member_client.post(
        reverse("accounting:channel-ledger-skip", args=[sending_channel.pk, row.pk]), {"next": back}
    )
    assert response["Location"] == back
    row.refresh_from_db()
    assert row.state == SyncState.SKIPPED

    member_client.post(reverse("accounting:channel-ledger-retry", args=[sending_channel.pk, row.pk]))
    row.refresh_from_db()
    assert row.state == SyncState.PENDING


def test_filters_by_state_kind_text_and_date(member_client, store, sending_channel):
    made = invoices_failed(store, sending_channel, account=2, contact=0, good=2)
    failed_number, synced_number = made["account"][0].number, made["good"][0].number

    by_state = ledger(member_client, sending_channel, state="failed")
    assert f">{failed_number}</a>" in by_state and f">{synced_number}</a>" not in by_state

    by_text = ledger(member_client, sending_channel, q=synced_number)
    assert f">{synced_number}</a>" in by_text and f">{failed_number}</a>" not in by_text
    by_error = ledger(member_client, sending_channel, q="not a valid code")
    assert f">{failed_number}</a>" in by_error and f">{synced_number}</a>" not in by_error

    assert '<p class="help">No record matches these filters.</p>' in ledger(
        member_client, sending_channel, kind="product"
    )
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert '<p class="help">No record matches these filters.</p>' in ledger(
        member_client, sending_channel, date_from=tomorrow
    )
    today = timezone.localdate().isoformat()
    assert f">{failed_number}</a>" in ledger(member_client, sending_channel, date_from=today, date_to=today)


def test_bad_filter_input_is_shown_and_kept(member_client, store, sending_channel):
    invoices_failed(store, sending_channel, account=1, contact=0)
    response = member_client.get(
        reverse("accounting:channel-ledger", args=[sending_channel.pk]),
        {"date_from": "2026-12-09", "date_to": "2026-12-01", "q": "L-1"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"date_to": [END_BEFORE_START]}
    assert 'value="L-1"' in response.content.decode()  # what the user typed stays in the form


@pytest.mark.parametrize("rows", [3, 60])
def test_the_ledger_page_costs_the_same_queries_whatever_the_rows(
    member_client, store, sending_channel, django_assert_num_queries, rows
):
    invoices_failed(store, sending_channel, account=rows // 3, contact=rows // 3, good=rows - 2 * (rows // 3))
    url = reverse("accounting:channel-ledger", args=[sending_channel.pk])
    # The page's own: channel, count of matching rows, the page of rows (labels included), causes,
    # counts by state. The rest is the portal's for any page (user, memberships, session).
    with django_assert_num_queries(LEDGER_QUERIES):
        assert member_client.get(url, {"q": "L", "state": "failed"}).status_code == 200


# Includes the alert banner of base.html (one query on every portal page).
LEDGER_QUERIES = 13


def test_progress_json_counts_rate_and_estimate(member_client, store, sending_channel):
    invoices_failed(store, sending_channel, account=1, contact=0, good=3)
    for n in range(4):
        new_invoice(store, f"W-{n}")
    XeroOrganisationFacts.objects.create(
        tenant_id="t-1", day_limit=1000, day_remaining=990, day_reported_at=timezone.now(), minute_remaining=55
    )

    data = member_client.get(reverse("accounting:channel-sync-progress", args=[sending_channel.pk])).json()

    assert data["counts"] == {"pending": 4, "in_flight": 0, "synced": 3, "failed": 1, "skipped": 0, "waiting": 0}
    assert (data["total"], data["waiting"], data["settled"], data["percent"]) == (8, 4, 4, 50)
    # 3 synced just now: over the 30 s floor, 6 a minute; 4 waiting take 40 s.
    assert data["rate_per_minute"] == 6.0
    assert data["eta_seconds"] == 40 and data["eta_text"] == "under a minute"
    assert data["day_remaining"] == 990 and data["minute_remaining"] == 55
    assert data["summary"] == rate_estimate_text(rate_per_minute=6.0, eta_seconds=40)


def test_channel_page_shows_progress_and_health_without_javascript(member_client, store, sending_channel):
    sending_channel.scopes = "offline_access accounting.invoices"
    sending_channel.last_token_refresh_at = timezone.make_aware(dt.datetime(2026, 11, 20, 9, 30))
    sending_channel.save()
    invoices_failed(store, sending_channel, account=0, contact=0, good=1)
    new_invoice(store, "W-1")

    html = member_client.get(reverse("accounting:channel-detail", args=[sending_channel.pk])).content.decode()

    assert '<strong data-field="percent">50%</strong>' in html
    assert 'href="/static/js/sync_progress.js"' in html or "js/sync_progress" in html
    assert ">Refresh</a>" in html  # JavaScript off: the numbers reload with the page
    expiry = html[html.index('id="health-refresh-expiry"') :]
    assert expiry[: expiry.index("</dd>")].count("19 Jan 2027") == 1  # 60 days after the last refresh
    missing = html[html.index('id="health-missing-scopes"') :]
    missing = missing[: missing.index("</dd>")]
    assert "accounting.contacts" in missing and "accounting.settings" in missing
    assert "accounting.invoices" not in missing
    assert ">Test connection</button>" in html


def test_another_organizations_member_gets_404_everywhere(outsider_client, store, sending_channel):
    invoices_failed(store, sending_channel, account=1, contact=0)
    row = SyncRecord.objects.get()
    pk = sending_channel.pk
    gets = [reverse("accounting:channel-ledger", args=[pk]), reverse("accounting:channel-sync-progress", args=[pk])]
    posts = [
        reverse("accounting:channel-ledger-retry-cause", args=[pk]),
        reverse("accounting:channel-ledger-skip-cause", args=[pk]),
        reverse("accounting:channel-ledger-skip", args=[pk, row.pk]),
        reverse("accounting:channel-ledger-retry", args=[pk, row.pk]),
        reverse("accounting:channel-test-connection", args=[pk]),
    ]
    for url in gets:
        assert outsider_client.get(url).status_code == 404, url
    for url in posts:
        assert outsider_client.post(url, {"cause": row.error_cause}).status_code == 404, url
    row.refresh_from_db()
    assert row.state == SyncState.FAILED


def test_a_backlog_past_the_days_budget_says_how_many_days(member_client, store, sending_channel, settings):
    settings.SYNC_BATCH_SIZE = 10  # a call carries about 5 records
    for n in range(30):
        new_invoice(store, f"W-{n}")
    XeroOrganisationFacts.objects.create(
        tenant_id="t-1", day_limit=1000, day_remaining=4, day_reported_at=timezone.now()
    )

    data = member_client.get(reverse("accounting:channel-sync-progress", args=[sending_channel.pk])).json()

    assert (data["waiting"], data["fits_today"], data["days_needed"]) == (30, 20, 2)
    assert data["summary"] == f"{NO_RATE_YET} {day_budget_text(fits_today=20, waiting=30, days_needed=2)}"


def test_payments_refunds_and_payouts_are_named_by_their_invoice_and_reference_and_drift_is_said(
    member_client, store, sending_channel
):
    invoice = new_invoice(store, "LB-1")
    payment = payment_record(invoice=invoice, amount=Decimal("3.00"), date=dt.date(2026, 11, 2), method="card")
    payout_record(store=store, reference="po_ledger_1", method="card", currency="GBP",
                              date=dt.date(2026, 11, 4), gross="3.00", fees="0.10", net="2.90",
                              payments=[payment.pk])  # fmt: skip
    SyncRecord.objects.filter(channel=sending_channel, kind=RecordKind.INVOICE, object_id=invoice.pk).update(
        xero_drift=Drift.VOIDED, xero_drift_at=dt.datetime(2026, 11, 5, 9, 30, tzinfo=dt.UTC)
    )

    html = ledger(member_client, sending_channel)

    invoice_url = reverse("stores:invoice-detail", args=[store.pk, invoice.pk])
    assert f'Payment of <a href="{invoice_url}">LB-1</a>' in html
    assert f'Payout <a href="{reverse("stores:payouts", args=[store.pk])}">po_ledger_1</a>' in html
    assert "Product #" not in html
    assert "Voided in Xero on 5 Nov 2026 09:30 UTC" in html
