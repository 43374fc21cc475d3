"""Ledger writes that ride on the transaction of the change they record (DESIGN invariant 3).

One statement per change: an upsert of the rows of every channel of the record's store. A row
being sent right now keeps its in-flight state; its newer `changed_at` tells the sender to send it
again once this attempt is recorded.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from accounting.models import AccountingChannel
from accounting.sync.ledger.wake import sync_wake_store
from accounting.sync.models import RecordKind, SyncAction, SyncRecord, SyncState, WaitingFor
from stores.models import Invoice, Payment, Payout, Product, Refund

PRODUCTS_OFF = "Add Products to Xero is off for this channel."

_UPSERT = """
INSERT INTO {table} (channel_id, kind, object_id, action, state, next_attempt_at, attempt_count,
                     needs_lookup, xero_id, payload_hash, last_error, claim, changed_at, created_at, updated_at,
                     parent_id, xero_refs)
SELECT c.id, %s, %s, %s,
       CASE WHEN %s AND NOT c.add_products THEN %s ELSE %s END,
       %s, 0, FALSE, '', '',
       CASE WHEN %s AND NOT c.add_products THEN %s ELSE '' END,
       '', %s, %s, %s, %s, '{{}}'
FROM {channel_table} c WHERE c.store_id = %s
ON CONFLICT (channel_id, kind, object_id, action) DO UPDATE SET
    state = CASE WHEN {table}.state = %s THEN {table}.state
                 WHEN {drift} THEN %s ELSE excluded.state END,
    next_attempt_at = CASE WHEN {drift} THEN NULL ELSE excluded.next_attempt_at END,
    waiting_for = CASE WHEN {drift} THEN %s ELSE {table}.waiting_for END,
    attempt_count = 0,
    last_error = CASE WHEN {drift} THEN %s
                      WHEN excluded.state = %s THEN excluded.last_error ELSE {table}.last_error END,
    changed_at = excluded.changed_at,
    updated_at = excluded.updated_at
"""
# A record changed in Xero after it was sent (an open CHANGED drift) is not sent over Xero's: a
# store change to it waits for the operator's choice, store wins or Xero wins (`drift_settle`).
_DRIFT_OPEN = "({table}.xero_drift = 'changed' AND {table}.drift_settled_at IS NULL AND {table}.state <> 'in_flight')"
DRIFT_WAIT = "Changed in Xero since it was sent: choose on its page whether the store's or Xero's version stands."

_BACKFILL = """
INSERT INTO {table} (channel_id, kind, object_id, action, state, next_attempt_at, attempt_count,
                     needs_lookup, xero_id, payload_hash, last_error, claim, changed_at, created_at, updated_at)
SELECT %s, %s, r.id, %s, %s, %s, 0, FALSE, '', '', %s, '', %s, %s, %s
FROM {source} r WHERE r.store_id = %s
ON CONFLICT (channel_id, kind, object_id, action) DO NOTHING
"""


def _table() -> str:
    return connection.ops.quote_name(SyncRecord._meta.db_table)


def ledger_record_changed(*, kind: str, store_id: int, object_id: int, parent_id: int | None = None) -> None:
    """Mark the record as to be sent by every channel of its store (products only where enabled).

    `parent_id`: the store invoice of a payment or refund, which must reach Xero first.
    """
    now = timezone.now()
    is_product = kind == RecordKind.PRODUCT
    table = _table()
    sql = _UPSERT.format(
        table=table,
        channel_table=connection.ops.quote_name(AccountingChannel._meta.db_table),
        drift=_DRIFT_OPEN.format(table=table),
    )
    params: list[Any] = [
        kind, object_id, SyncAction.PUSH,
        is_product, SyncState.SKIPPED, SyncState.PENDING,
        now,
        is_product, PRODUCTS_OFF,
        now, now, now, parent_id,
        store_id,
        SyncState.IN_FLIGHT, SyncState.WAITING,
        WaitingFor.DRIFT,
        DRIFT_WAIT,
        SyncState.SKIPPED,
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        touched = cursor.rowcount
    if touched:
        _wake_on_commit(store_id=store_id)


_BACKFILL_CHILDREN = """
INSERT INTO {table} (channel_id, kind, object_id, action, state, next_attempt_at, attempt_count,
                     needs_lookup, xero_id, payload_hash, last_error, claim, changed_at, created_at, updated_at,
                     parent_id, xero_refs)
SELECT %s, %s, r.id, %s, %s, %s, 0, FALSE, '', '', '', '', %s, r.created_at, %s, r.invoice_id, '{{}}'
FROM {source} r JOIN {invoices} i ON i.id = r.invoice_id WHERE i.store_id = %s
ON CONFLICT (channel_id, kind, object_id, action) DO NOTHING
"""


def ledger_backfill(*, channel: AccountingChannel) -> None:
    """Give a new channel a row for every invoice and product its store already has, and for the
    payments and refunds of those invoices (in the order they were made: `created_at`)."""
    now = timezone.now()
    product_state = SyncState.PENDING if channel.add_products else SyncState.SKIPPED
    sources = [
        (RecordKind.INVOICE, Invoice, SyncState.PENDING, ""),
        (RecordKind.PAYOUT, Payout, SyncState.PENDING, ""),
        (RecordKind.PRODUCT, Product, product_state, "" if channel.add_products else PRODUCTS_OFF),
    ]
    with connection.cursor() as cursor:
        for kind, model, state, error in sources:
            sql = _BACKFILL.format(table=_table(), source=connection.ops.quote_name(model._meta.db_table))
            cursor.execute(sql, [channel.pk, kind, SyncAction.PUSH, state, now, error, now, now, now, channel.store_id])
        for kind, model in ((RecordKind.PAYMENT, Payment), (RecordKind.REFUND, Refund)):
            sql = _BACKFILL_CHILDREN.format(
                table=_table(),
                source=connection.ops.quote_name(model._meta.db_table),
                invoices=connection.ops.quote_name(Invoice._meta.db_table),
            )
            cursor.execute(sql, [channel.pk, kind, SyncAction.PUSH, SyncState.PENDING, now, now, now, channel.store_id])


def ledger_payments_release(*, channel: AccountingChannel) -> int:
    """Make the channel's payments and refunds that waited for the payments scope due now."""
    return SyncRecord.objects.filter(
        channel=channel,
        kind__in=[RecordKind.PAYMENT, RecordKind.REFUND],
        state=SyncState.PENDING,
        next_attempt_at__isnull=True,
    ).update(next_attempt_at=timezone.now(), last_error="")


def ledger_payouts_release(*, channel: AccountingChannel) -> int:
    """Make the channel's payouts that waited for the bank transactions scope due now."""
    return SyncRecord.objects.filter(channel=channel, kind=RecordKind.PAYOUT, state=SyncState.PENDING).update(
        next_attempt_at=timezone.now(), last_error=""
    )


def ledger_products_toggle(*, channel: AccountingChannel) -> None:
    """Follow "Add Products to Xero": waiting product rows go when on, are skipped when off."""
    rows = SyncRecord.objects.filter(channel=channel, kind=RecordKind.PRODUCT)
    now = timezone.now()
    if channel.add_products:
        rows.filter(state=SyncState.SKIPPED).update(state=SyncState.PENDING, next_attempt_at=now, last_error="")
    else:
        rows.filter(state=SyncState.PENDING).update(
            state=SyncState.SKIPPED, next_attempt_at=None, last_error=PRODUCTS_OFF
        )


class _Wake:
    """An on-commit callback waking the dispatcher for one store (one per transaction and store)."""

    def __init__(self, store_id: int):
        self.store_id = store_id

    def __call__(self) -> None:
        sync_wake_store(store_id=self.store_id)


def _wake_on_commit(*, store_id: int) -> None:
    # An invoice saves several times in one transaction (itself, its lines, its totals): wake once.
    pending = getattr(connection, "run_on_commit", [])
    if connection.in_atomic_block and any(
        isinstance(func, _Wake) and func.store_id == store_id for _sids, func, _robust in pending
    ):
        return
    # Robust: a broker that is down must not undo the committed change; the sweep covers it.
    transaction.on_commit(_Wake(store_id), robust=True)


def ledger_summary_due(*, channel_id: int, summary_id: int, due_at: dt.datetime) -> None:
    """Make the daily summary's row due at `due_at` (its day closed, plus the grace period), to be
    sent again with what changed; a row being sent right now is sent again once it is recorded."""
    now = timezone.now()
    row, created = SyncRecord.objects.get_or_create(
        channel_id=channel_id, kind=RecordKind.SUMMARY, object_id=summary_id, action=SyncAction.PUSH,
        defaults={"state": SyncState.PENDING, "next_attempt_at": due_at},
    )  # fmt: skip
    if created:
        return
    SyncRecord.objects.filter(pk=row.pk).exclude(state=SyncState.IN_FLIGHT).update(
        state=SyncState.PENDING, next_attempt_at=due_at, attempt_count=0, last_error="", waiting_for="",
        changed_at=now, updated_at=now,
    )  # fmt: skip
    SyncRecord.objects.filter(pk=row.pk, state=SyncState.IN_FLIGHT).update(changed_at=now)
