"""The staff page in the Django admin: every organisation's channels, those needing reconnect,
failing or with a refresh token near expiry, backlog sizes and last success; Deactivate from it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounting.models import AccountingChannel, AlertEpisode, AlertKind, ConnectionState
from accounting.sync.models import RecordKind, SyncRecord, SyncState
from tests.accounting.conftest import connect_locally
from tests.factories import AccountingChannelFactory, OrganizationFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "admin:accounting_accountingchannel_health"


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory.create(username="root", is_staff=True, is_superuser=True))
    return client


def channel_of(org_name: str, name: str, **fields) -> AccountingChannel:
    store = StoreFactory.create(organization=OrganizationFactory.create(name=org_name), name=f"{org_name} shop")
    return connect_locally(AccountingChannelFactory.create(store=store, name=name), tenant_id=f"t-{name}",
                           tenant_name=name, **fields)  # fmt: skip


def rows(channel: AccountingChannel, state: str, n: int, synced_at=None) -> None:
    start = SyncRecord.objects.count() + 1000
    SyncRecord.objects.bulk_create(
        SyncRecord(channel=channel, kind=RecordKind.INVOICE, object_id=start + i, state=state, synced_at=synced_at)
        for i in range(n)
    )


def row_of(html: str, name: str) -> str:
    match = re.search(r"<tr class=\"[^\"]*\">(?:(?!</tr>).)*?>" + re.escape(name) + r"</a>.*?</tr>", html, re.S)
    assert match, f"no row of {name}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0))).strip()


def test_the_staff_page_shows_every_organisations_channels_and_what_needs_a_hand(staff_client):
    reconnect = channel_of("Alpha", "Alpha books", connection_state=ConnectionState.NEEDS_RECONNECT, is_active=True)
    AlertEpisode.objects.create(channel=reconnect, kind=AlertKind.NEEDS_RECONNECT)
    failing = channel_of("Beta", "Beta books", is_active=True)
    rows(failing, SyncState.FAILED, 3)
    rows(failing, SyncState.PENDING, 7)
    rows(failing, SyncState.SYNCED, 2, synced_at=dt.datetime(2026, 11, 30, 9, 15, tzinfo=dt.UTC))
    stale = channel_of("Gamma", "Gamma books")
    AccountingChannel.objects.filter(pk=stale.pk).update(last_token_refresh_at=timezone.now() - dt.timedelta(days=50))

    response = staff_client.get(reverse(URL))

    html = response.content.decode()
    assert "<p>1 need reconnect · 1 failing · 1 with a refresh token near expiry · 3 channels in all.</p>" in html
    assert row_of(html, "Alpha books") == (
        "Alpha Alpha shop Alpha books Needs reconnect yes 0 0 — — Channel needs reconnect"
    )
    assert row_of(html, "Beta books").startswith("Beta Beta shop Beta books Connected yes 3 7 30 Nov 2026 09:15 ")
    expiry = (timezone.now() + dt.timedelta(days=10)).strftime("%-d %b %Y")
    assert row_of(html, "Gamma books") == f"Gamma Gamma shop Gamma books Connected no 0 0 — {expiry} (soon) —"
    # The changelist links to it.
    changelist = staff_client.get(reverse("admin:accounting_accountingchannel_changelist")).content.decode()
    assert f'href="{reverse(URL)}"' in changelist


def test_deactivate_from_the_staff_page_goes_through_the_admin_action(staff_client):
    failing = channel_of("Beta", "Beta books", is_active=True)
    response = staff_client.post(
        reverse("admin:accounting_accountingchannel_changelist"),
        {"action": "deactivate", "index": "0", "_selected_action": [failing.pk]},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == ["1 channel(s) deactivated."]
    assert AccountingChannel.objects.get(pk=failing.pk).is_active is False
    html = staff_client.get(reverse(URL)).content.decode()
    assert f'name="_selected_action" value="{failing.pk}"' in html
    assert '<option value="activate">Activate</option>' in html


def test_the_staff_page_is_for_staff_only(client, member_client):
    assert client.get(reverse(URL)).status_code == 302
    assert member_client.get(reverse(URL)).status_code == 302  # an operator is not staff
