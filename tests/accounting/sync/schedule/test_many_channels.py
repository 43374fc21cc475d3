"""What carrying many channels costs the beat: its sweep, its polls and its token refreshes follow
the work, not the number of channels."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounting.inbound.poll import poll_slot, pollable_channel_ids
from accounting.models import AccountingChannel
from accounting.selectors import idle_channel_ids
from accounting.sync.models import ChannelXeroFeed, RecordKind, SyncRecord, SyncState
from accounting.sync.schedule.lanes import channels_with_due_rows, sync_sweep
from tests.factories import AccountingChannelFactory, InvoiceFactory, StoreFactory

pytestmark = pytest.mark.django_db


def sending_channels(count: int) -> list[AccountingChannel]:
    return AccountingChannelFactory.create_batch(count, is_active=True, connection_state="connected")


def sweep_queries() -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        sync_sweep()
    return [query["sql"] for query in captured.captured_queries]


@pytest.mark.services
def test_a_sweep_asks_the_same_of_the_database_for_three_hundred_idle_channels_as_for_ten(clean_redis):
    due = sending_channels(2)
    for channel in due:
        InvoiceFactory.create(store=channel.store)
    later = sending_channels(1)[0]
    InvoiceFactory.create(store=later.store)
    SyncRecord.objects.filter(channel=later).update(next_attempt_at=timezone.now() + dt.timedelta(minutes=5))
    paused = AccountingChannelFactory.create(is_active=False, connection_state="connected")
    InvoiceFactory.create(store=paused.store)
    sending_channels(10)
    clean_redis.flushdb()  # no lane held: the wake-ups of the invoices above are forgotten

    assert channels_with_due_rows() == sorted([due[0].pk, due[1].pk])  # not the later one, not the paused one
    few = sweep_queries()
    assert clean_redis.llen("sync") == 2  # a turn for each sending channel with a due row

    sending_channels(290)
    clean_redis.flushdb()
    many = sweep_queries()

    assert len(many) == len(few)
    assert clean_redis.llen("sync") == 2


@pytest.mark.services
def test_a_sweep_leaves_channels_whose_lanes_run_to_them(clean_redis):
    channel = sending_channels(1)[0]
    InvoiceFactory.create(store=channel.store)  # its wake-up waits for a commit that a test never makes
    assert sync_sweep() == 1
    queries = sweep_queries()

    assert sync_sweep() == 0
    assert clean_redis.llen("sync") == 1
    assert len(queries) == 2  # dead leases, channels with due rows: the lane is seen in the cache


def test_each_channel_to_poll_is_in_exactly_one_slot_and_channels_with_nothing_in_xero_in_none(settings):
    settings.XERO_POLL_SECONDS = 900.0
    settings.XERO_POLL_TICK_SECONDS = 60.0
    sent = sending_channels(40)
    for channel in sent:
        invoice = InvoiceFactory.create(store=channel.store)
        SyncRecord.objects.filter(channel=channel, kind=RecordKind.INVOICE, object_id=invoice.pk).update(
            state=SyncState.SYNCED, xero_id="x"
        )
    nothing_sent = sending_channels(3)
    with_webhooks = sent[0]
    ChannelXeroFeed.objects.update_or_create(channel=with_webhooks, defaults={"webhook_key": "k" * 20})

    slots = [pollable_channel_ids(slot=slot, slots=15) for slot in range(15)]

    polled = [channel_id for ids in slots for channel_id in ids]
    assert sorted(polled) == sorted(c.pk for c in sent[1:])  # each once, never the others
    assert max(len(ids) for ids in slots) <= 5  # about a fifteenth of 39 a tick, not all at once
    assert not {c.pk for c in nothing_sent} & set(polled)
    assert poll_slot(now=0.0) == (0, 15)
    assert poll_slot(now=60.0 * 16) == (1, 15)


def test_idle_token_refreshes_come_due_spread_over_a_day_and_a_run_takes_at_most_its_limit():
    store = StoreFactory.create()
    channels = AccountingChannelFactory.create_batch(48, store=store, connection_state="connected")
    AccountingChannel.objects.filter(pk__in=[c.pk for c in channels]).update(
        last_token_refresh_at=timezone.now() - dt.timedelta(days=30, hours=6, minutes=1)
    )

    due = idle_channel_ids(idle_for=dt.timedelta(days=30), spread=dt.timedelta(days=1))

    assert due == sorted(c.pk for c in channels if c.pk % 24 <= 6)  # 6 h of the day's 24 steps
    assert len(idle_channel_ids(idle_for=dt.timedelta(days=30))) == 48  # unspread: all at once
    assert len(idle_channel_ids(idle_for=dt.timedelta(days=30), limit=10)) == 10


@pytest.mark.services
def test_push_turns_go_to_the_sync_queue_and_the_beats_work_to_the_default_queue_once_each(clean_redis):
    from channels_portal.celery import app, task_send

    with app.connection_for_write() as conn:  # every queue bound, as the workers of a deployment bind them
        for queue in app.amqp.queues.values():
            queue(conn.default_channel).declare()
    task_send("accounting.tasks.push_channel", args=(1, 0, "chain"))
    task_send("accounting.tasks.sweep_due", args=())

    assert (clean_redis.llen("sync"), clean_redis.llen("celery")) == (1, 1)
    assert "push_channel" in clean_redis.lindex("sync", 0).decode()
