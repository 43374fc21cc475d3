"""Alerts: owners and admins are e-mailed once per episode (not per record), and the portal shows a
banner until the episode is resolved; a new episode e-mails again. Sandbox over real HTTP, turns
run in this process as a worker runs them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils.html import escape

from accounting.access.limiter_redis import RedisLimiter
from accounting.access.tokens import channel_mark_needs_reconnect
from accounting.alerts.emails import needs_reconnect_subject
from accounting.models import AlertEpisode, AlertKind
from accounting.providers.xero.identity import XeroConnection
from accounting.services.connection import channel_connect_record
from accounting.sync.ledger.actions import sync_record_skip, sync_retry_channel
from accounting.sync.models import SyncRecord, SyncState
from accounting.sync.schedule.turn import channel_push_turn
from stores.services import invoice_create
from tests.accounting.sync.conftest import connect_channel
from tests.accounting.sync.turns import drain
from tests.factories import MembershipFactory, StoreFactory, UserFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def admins(organization):
    MembershipFactory.create(organization=organization, user=UserFactory.create(username="owner"), role="owner")
    MembershipFactory.create(organization=organization, user=UserFactory.create(username="admin"), role="admin")


def invoice(store, number: str):
    line = {"description": "Tea", "quantity": Decimal("1"), "unit_price": Decimal("10"), "tax_rate": Decimal("20")}
    with transaction.atomic():
        return invoice_create(
            store=store, number=number, customer_name="Ada", customer_email="ada@example.com", currency="GBP",
            issue_date=dt.date(2026, 3, 2), due_date=dt.date(2026, 4, 1), lines=[line],
        )  # fmt: skip


def banner_texts(client) -> list[str]:
    """The headline of each alert banner on a portal page."""
    html = client.get(reverse("stores:list")).content.decode()
    banners = html.split('class="notice notice-error alert-banner"')[1:]
    return [banner.split("<strong>", 1)[1].split("</strong>", 1)[0] for banner in banners]


def banner_of(channel, kind: AlertKind) -> str:
    url = reverse("accounting:channel-detail", args=[channel.pk])
    return f'{escape(kind.label)}: <a href="{url}">{escape(channel.name)}</a> ({escape(channel.store.name)})'


def test_failures_past_the_threshold_email_once_per_episode_and_show_a_banner_until_resolved(
    org, organization, admins, member_client, settings
):
    settings.ALERT_FAILURES_THRESHOLD = 2
    channel = connect_channel(org=org, store=StoreFactory.create(organization=organization), account_nominal_code="999")
    for n in range(1, 4):
        invoice(channel.store, f"F-{n}")

    drain(channel)
    assert SyncRecord.objects.filter(channel=channel, state=SyncState.FAILED).count() == 3
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["admin@example.com", "owner@example.com"]  # not the operator
    assert mail.outbox[0].subject == f"Records of the Xero channel “{channel.name}” of {channel.store.name} are failing"
    assert f"/channels/{channel.pk}/" in mail.outbox[0].body
    assert banner_texts(member_client) == [banner_of(channel, AlertKind.FAILURES)]

    # More failures in the same episode: no second e-mail.
    invoice(channel.store, "F-4")
    drain(channel)
    assert len(mail.outbox) == 1

    # The operator skips three: back under the threshold, the episode ends and the banner goes.
    for row in SyncRecord.objects.filter(channel=channel, state=SyncState.FAILED).order_by("pk")[:3]:
        assert sync_record_skip(record=row, by="operator", reason="Entered by hand in Xero.")
    assert AlertEpisode.objects.get(channel=channel).resolved_at is not None
    assert banner_texts(member_client) == []

    # The last one, fixed and retried, goes to Xero.
    channel.account_nominal_code = "200"
    channel.save()
    sync_retry_channel(channel_id=channel.pk)
    drain(channel)
    assert SyncRecord.objects.filter(channel=channel, state=SyncState.SYNCED).count() == 1

    # The problem comes back: a new episode, a new e-mail.
    channel.account_nominal_code = "999"
    channel.save()
    for n in range(5, 7):
        invoice(channel.store, f"F-{n}")
    drain(channel)
    assert len(mail.outbox) == 2
    assert AlertEpisode.objects.filter(channel=channel, kind=AlertKind.FAILURES).count() == 2


def test_the_daily_limit_opens_one_episode_and_a_call_that_goes_through_ends_it(
    org, organization, admins, member_client, clean_redis
):
    channel = connect_channel(org=org, store=StoreFactory.create(organization=organization), account_nominal_code="200")
    invoice(channel.store, "D-1")
    limiter = RedisLimiter(settings_redis_url())
    limiter.day_used(tenant_id=org.tenant_id, used=1000)  # the Starter day budget is spent

    for _ in range(3):
        result = channel_push_turn(channel_id=channel.pk)
        assert result.more is True and result.wait > 0
    assert len(mail.outbox) == 1
    assert (
        mail.outbox[0].subject
        == f"The Xero channel “{channel.name}” of {channel.store.name} reached Xero's daily limit"
    )
    assert banner_texts(member_client) == [banner_of(channel, AlertKind.DAY_LIMIT)]

    clean_redis.flushdb()  # Xero's day window turned over
    drain(channel)
    assert SyncRecord.objects.get(channel=channel).state == SyncState.SYNCED
    assert AlertEpisode.objects.get(channel=channel, kind=AlertKind.DAY_LIMIT).resolved_at is not None
    assert banner_texts(member_client) == []


def test_needs_reconnect_emails_once_and_a_reconnect_ends_the_episode(org, organization, admins, member_client):
    channel = connect_channel(org=org, store=StoreFactory.create(organization=organization))

    channel_mark_needs_reconnect(channel_id=channel.pk, reason="Xero answered 403 AuthenticationUnsuccessful.")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == needs_reconnect_subject(channel=channel.name, store=channel.store.name)
    assert banner_texts(member_client) == [banner_of(channel, AlertKind.NEEDS_RECONNECT)]

    connection = XeroConnection(
        id="conn-2", tenant_id=org.tenant_id, tenant_name=org.name, tenant_type="ORGANISATION", auth_event_id="e"
    )
    with transaction.atomic():
        channel_connect_record(channel=channel, token_set=org.token_set, connection=connection, user=None)
    assert banner_texts(member_client) == []

    channel_mark_needs_reconnect(channel_id=channel.pk, reason="Revoked again.")
    assert len(mail.outbox) == 2  # a new episode
    assert AlertEpisode.objects.filter(channel=channel, kind=AlertKind.NEEDS_RECONNECT).count() == 2


def settings_redis_url() -> str:
    from django.conf import settings

    return settings.REDIS_URL
