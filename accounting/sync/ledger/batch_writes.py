"""Set-based writes of a batch's ledger rows: one statement per batch, whatever its size.

Django's `bulk_update` builds a `CASE WHEN id = … THEN …` expression per row and field, and
resolving those expressions cost most of a worker's CPU per invoice. These statements join the
table to the batch instead, a common table expression `batch` with one row per ledger row. On
PostgreSQL it unnests one typed array per column: the statement's text is the same whatever the
batch size, so psycopg's cache of parsed statements keeps it (a `VALUES` list of 600
placeholders is past what that cache takes, 4,096 characters and 50 parameters, and parsing it
again for every batch cost as much as the rest of the write). SQLite, which has no arrays,
reads a `VALUES` list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import connection

from accounting.sync.models import SyncAttempt, SyncRecord, SyncState

# Each column of the batch list: (name, PostgreSQL type). The `new_` names keep them apart from
# the table's own columns (SQLite's RETURNING takes no table alias, so its names must be plain).
FINISH_COLUMNS = [
    ("new_id", "bigint"),
    ("new_claim", "varchar"),
    ("new_state", "varchar"),
    ("new_next_attempt_at", "timestamptz"),
    ("new_attempt_count", "integer"),
    ("new_needs_lookup", "boolean"),
    ("new_xero_id", "varchar"),
    ("new_payload_hash", "varchar"),
    ("new_last_error", "text"),
    ("new_synced_at", "timestamptz"),
    ("new_xero_number", "varchar"),
    ("new_xero_status", "varchar"),
    ("new_waiting_for", "varchar"),
]

_UNNEST = "WITH batch({names}) AS (SELECT * FROM unnest({arrays}))"

# A row whose record changed after this turn claimed it (and that is not already pending).
_STALE = "r.changed_at > COALESCE(r.claimed_at, %s) AND batch.new_state <> %s"

_FINISH = """{head}
UPDATE {table} AS r SET
    state = CASE WHEN {stale} THEN %s ELSE batch.new_state END,
    next_attempt_at = CASE WHEN {stale} THEN %s ELSE batch.new_next_attempt_at END,
    lease_until = NULL, claim = '', updated_at = %s,
    attempt_count = batch.new_attempt_count, needs_lookup = batch.new_needs_lookup,
    xero_id = batch.new_xero_id, payload_hash = batch.new_payload_hash, last_error = batch.new_last_error,
    synced_at = batch.new_synced_at, xero_number = batch.new_xero_number, xero_status = batch.new_xero_status,
    waiting_for = CASE WHEN {stale} THEN '' ELSE batch.new_waiting_for END
FROM batch
WHERE r.id = batch.new_id AND r.state = %s AND r.claim = batch.new_claim AND batch.new_claim <> ''
RETURNING id, state, next_attempt_at"""

_ATTEMPTS = """{head}
INSERT INTO {table} (record_id, outcome, http_status, message, idempotency_key, created_at)
SELECT new_record_id, new_outcome, new_http_status, new_message, %s, %s FROM batch"""

_NUMBERS = """{head}
UPDATE {table} AS r SET xero_number = batch.new_xero_number, payload_hash = batch.new_payload_hash
FROM batch WHERE r.id = batch.new_id"""


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _batch_list(columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]) -> tuple[str, list[Any]]:
    """Return `WITH batch(…) AS (…)` holding `rows`, and its parameters."""
    names = ", ".join(name for name, _type in columns)
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%s::{pg_type}[]" for _name, pg_type in columns)
        return _UNNEST.format(names=names, arrays=arrays), [list(column) for column in zip(*rows, strict=True)]
    one = "(" + ", ".join("%s" for _column in columns) + ")"
    values = ", ".join([one] * len(rows))
    return f"WITH batch({names}) AS (VALUES {values})", [value for row in rows for value in row]


def _when(value: dt.datetime | None) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def rows_finish_write(*, rows: Sequence[SyncRecord], claims: dict[int, str], now: dt.datetime) -> dict[int, tuple]:
    """Write the finished rows (their fields as `outcomes._apply` set them) that their claim
    still holds, in one statement; return {id: (state, next_attempt_at)} of those written.

    A row whose record changed while it was on its way (`changed_at` after `claimed_at`) goes
    back to pending, due now, unless it already is pending.
    """
    batch = [
        (row.pk, claims[row.pk], row.state, _when(row.next_attempt_at), row.attempt_count, row.needs_lookup,
         row.xero_id, row.payload_hash, row.last_error, _when(row.synced_at), row.xero_number, row.xero_status,
         row.waiting_for)
        for row in rows
    ]  # fmt: skip
    head, params = _batch_list(FINISH_COLUMNS, batch)
    sql = _FINISH.format(head=head, table=_table(SyncRecord), stale=_STALE)
    at = _when(now)
    stale = [at, SyncState.PENDING]  # the parameters of each `_STALE`
    params += [*stale, SyncState.PENDING, *stale, at, at, *stale, SyncState.IN_FLIGHT]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        written = cursor.fetchall()
    convert = _datetime_converter()
    return {pk: (state, convert(when)) for pk, state, when in written}


def _datetime_converter() -> Any:
    field = SyncRecord._meta.get_field("next_attempt_at")
    converters = [c for c in connection.ops.get_db_converters(field.get_col(SyncRecord._meta.db_table))]

    def convert(value: object) -> object:
        for converter in converters:
            value = converter(value, None, connection)
        return value

    return convert


def attempts_write(
    *, attempts: Sequence[tuple[int, str, int | None, str]], idempotency_key: str, now: dt.datetime
) -> None:
    """Insert one attempt (record id, outcome, HTTP status, message) per row, in one statement."""
    if not attempts:
        return
    columns = [("new_record_id", "bigint"), ("new_outcome", "varchar"), ("new_http_status", "smallint")]
    columns.append(("new_message", "text"))
    head, params = _batch_list(columns, attempts)
    sql = _ATTEMPTS.format(head=head, table=_table(SyncAttempt))
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, idempotency_key, _when(now)])


def numbers_write(*, rows: Sequence[tuple[int, str, str]]) -> None:
    """Save (id, number about to be sent, payload hash) of a batch's rows in one statement."""
    if not rows:
        return
    columns = [("new_id", "bigint"), ("new_xero_number", "varchar"), ("new_payload_hash", "varchar")]
    head, params = _batch_list(columns, rows)
    sql = _NUMBERS.format(head=head, table=_table(SyncRecord))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
