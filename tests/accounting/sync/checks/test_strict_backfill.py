"""Issue 8's "done when", at full size: a new channel's backfill of 2,000 invoices from 1,500
distinct new customers with long e-mail addresses, into a Starter-tier, high-volume UK
organisation with a period lock date.

Every invoice ends synced, or failed with a reason that names the fix; no request goes over the
URL budget; nothing is duplicated; the calls spent fit a Starter app's day.
"""

from __future__ import annotations

import datetime as dt

import pytest

from accounting.sync.models import RecordKind, SyncState
from tests.accounting.sync.conftest import connect_channel
from tests.accounting.sync.turns import drain
from tests.factories import InvoiceFactory
from tests.xero_requests import XERO_URL_LIMIT, logged_url_lengths
from xero_sandbox import testing
from xero_sandbox.models import AppTier, DeveloperApp, RequestLog

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

LOCK_DATE = dt.date.today() - dt.timedelta(days=60)


def long_email(n: int) -> str:
    return f"customer.with.a.rather.long.address.number.{n:04d}@accounts.example-merchant-domain.co.uk"


def test_a_starter_high_volume_locked_organisation_takes_a_2000_invoice_backfill(org, live_server):
    assert DeveloperApp.objects.get(client_id=org.client_id).tier == AppTier.STARTER
    testing.organisation_settings_set(organisation=org.tenant_id, high_volume=True, lock_date=LOCK_DATE)
    channel = connect_channel(org=org, account_nominal_code="200")
    locked_day = LOCK_DATE - dt.timedelta(days=5)
    invoices = [
        InvoiceFactory.create(
            store=channel.store,
            customer_name=f"Customer {n % 1500:04d}",
            customer_email=long_email(n % 1500),
            # One in twenty is dated inside the period the bookkeeper has locked.
            issue_date=locked_day if n % 20 == 0 else dt.date.today(),
            due_date=dt.date.today() + dt.timedelta(days=30),
        )
        for n in range(2000)
    ]
    locked = {i.pk for i in invoices if i.issue_date == locked_day}

    drain(channel, timeout=900)

    rows = {r.object_id: r for r in channel.sync_records.filter(kind=RecordKind.INVOICE)}
    synced = {pk for pk, r in rows.items() if r.state == SyncState.SYNCED}
    failed = {pk: r.last_error for pk, r in rows.items() if r.state == SyncState.FAILED}
    assert len(rows) == 2000
    assert synced | set(failed) == set(rows)  # nothing left pending or in flight
    assert set(failed) == locked
    assert all("lock date" in message and "change the invoice date" in message for message in failed.values())

    held = [i["InvoiceNumber"] for i in testing.invoices(organisation=org.tenant_id)]
    assert len(held) == len(set(held)) == len(synced)  # each once: no duplicates
    contacts = testing.contacts(organisation=org.tenant_id)
    assert len({c["Name"] for c in contacts}) == len(contacts) <= 1500
    assert logged_url_lengths(base_url=live_server.url)[0][0] <= XERO_URL_LIMIT
    calls = RequestLog.objects.filter(organisation__tenant_id=org.tenant_id).count()
    # Per batch of 50 at most one contacts PUT and one invoices PUT, plus a few settings reads:
    # far inside a Starter app's 1,000 calls a day (72 when measured).
    assert calls <= 2 + 2 * 40 + 5, f"{calls} calls"
