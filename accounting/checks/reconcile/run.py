"""Running a reconciliation: estimate, read Xero in pages within the limiter, compare, record.

`reconciliation_start` checks the request and queues it (the Reconcile page, the Billing API);
`reconciliation_run` does the work (the Celery task, `manage.py reconcile`). Xero is read with no
database transaction open; progress (step, calls, bytes) is written after each page in its own
short statement, so the page and the API show it while it runs.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator, Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounting.access.client import channel_gate, client_for
from accounting.access.limiter import LimiterGate
from accounting.access.tokens import ChannelNotConnected, TokenRefreshFailed, channel_access_grant
from accounting.checks.reconcile.compare import StoreBooks, compare, store_books, store_counts
from accounting.models import AccountingChannel
from accounting.providers.xero import holdings
from accounting.providers.xero.errors import XeroBudgetExhausted, XeroDayLimit, XeroError, XeroRateLimited
from accounting.providers.xero.holdings import Held
from accounting.sync.models import Reconciliation, ReconciliationState, RecordKind
from channels_portal.celery import task_send

logger = logging.getLogger(__name__)

TASK = "accounting.tasks.reconcile"
# The longest range one reconciliation covers.
MAX_DAYS = 366
# A reconciliation of the same channel and range asked again within this long is answered from
# the last one (the API's polling, a double click) instead of reading Xero again.
REUSE_FOR = dt.timedelta(minutes=5)
# How long a read waits at most for the limiter's minute window before trying again.
LIMITER_WAIT_CAP = 30.0
# A reconciliation of dates an earlier one covered (done within this long) reads only what changed
# in Xero since that one read it: per resource, after the newest UpdatedDateUTC it saw (Xero's own
# clock, so no margin is needed for the portal's).
SNAPSHOT_MAX_AGE = dt.timedelta(days=7)
# A range holding more Xero records than this keeps no snapshot (a row's JSON stays small).
SNAPSHOT_MAX_RECORDS = 50_000


def range_check(*, date_from: dt.date | None, date_to: dt.date | None) -> tuple[dt.date, dt.date]:
    """Return the range, or raise ValidationError saying what is wrong with it."""
    if date_from is None or date_to is None:
        raise ValidationError("Give both dates of the range, as YYYY-MM-DD.")
    if date_to < date_from:
        raise ValidationError("The range ends before it starts: 'to' must be on or after 'from'.")
    if (date_to - date_from).days + 1 > MAX_DAYS:
        raise ValidationError(f"A reconciliation covers at most {MAX_DAYS} days: split the range.")
    return date_from, date_to


def estimate(*, counts: dict[str, int]) -> int:
    """Return the calls the reading of Xero should take for these store record counts (by
    `store_counts`); the organisation may hold more records of these dates than the channel sent,
    so it is a floor. Invoices are always read; the others only when the store has some."""
    calls = holdings.pages_estimate(counts["invoices"] + counts["summaries"])
    calls += sum(holdings.pages_estimate(counts[name]) for name in ("payments", "refunds", "payouts") if counts[name])
    return calls + (1 if counts["payouts"] else 0)  # bank transfers: one read


def reconciliation_start(
    *,
    channel: AccountingChannel,
    date_from: dt.date | None,
    date_to: dt.date | None,
    by: str = "",
    queue: bool = True,
    reuse: bool = True,
) -> Reconciliation:
    """Return the reconciliation of this channel and range asked within `REUSE_FOR` (with `reuse`:
    a client polling the same URL), else a new one, queued. Raise ValidationError for a bad range or
    a channel that cannot read Xero."""
    date_from, date_to = range_check(date_from=date_from, date_to=date_to)
    if not channel.is_connected:
        raise ValidationError("Connect the channel to Xero first: a reconciliation reads what Xero holds.")
    recent = (
        Reconciliation.objects.filter(
            channel=channel, date_from=date_from, date_to=date_to, created_at__gte=timezone.now() - REUSE_FOR
        )
        .exclude(state=ReconciliationState.FAILED)
        .first()
    )
    if recent is not None and (reuse or recent.state in (ReconciliationState.QUEUED, ReconciliationState.RUNNING)):
        return recent
    counts = store_counts(channel=channel, date_from=date_from, date_to=date_to)
    with transaction.atomic():
        reconciliation = Reconciliation.objects.create(
            channel=channel, date_from=date_from, date_to=date_to, requested_by=by[:150],
            estimate_calls=estimate(counts=counts), records=sum(counts.values()) - counts["summaries"], step="Queued",
        )  # fmt: skip
        if queue:
            transaction.on_commit(lambda: task_send(TASK, args=(reconciliation.pk,)), robust=True)
    return reconciliation


class PatientGate:
    """The limiter's gate for a background read: a refusal for the minute window (or a pause) waits
    and asks again; a spent day budget is raised (the reconciliation stops, saying so)."""

    def __init__(self, gate: LimiterGate, *, on_wait: Callable[[float], None]):
        self._gate = gate
        self._on_wait = on_wait

    def acquire(self) -> object:
        while True:
            try:
                return self._gate.acquire()
            except XeroBudgetExhausted as exc:
                if isinstance(exc, XeroDayLimit):
                    raise
                wait = min(max(exc.retry_after, 0.2), LIMITER_WAIT_CAP)
                self._on_wait(wait)
                time.sleep(wait)

    def release(self, permit: object, *, headers: Mapping[str, str]) -> None:
        self._gate.release(permit, headers=headers)

    def pause(self, *, error: XeroRateLimited) -> None:
        self._gate.pause(error=error)


def _progress(reconciliation: Reconciliation, **fields: object) -> None:
    for name, value in fields.items():
        setattr(reconciliation, name, value)
    Reconciliation.objects.filter(pk=reconciliation.pk).update(**fields)


def reconciliation_run(*, reconciliation_id: int) -> Reconciliation | None:
    """Run a queued reconciliation to its end (done or failed, saying why); return it."""
    claimed = Reconciliation.objects.filter(pk=reconciliation_id, state=ReconciliationState.QUEUED).update(
        state=ReconciliationState.RUNNING, started_at=timezone.now(), step="Reading the store's records"
    )
    reconciliation = Reconciliation.objects.select_related("channel").filter(pk=reconciliation_id).first()
    if not claimed or reconciliation is None:
        return reconciliation  # gone, or another worker runs it
    channel = reconciliation.channel
    try:
        books = store_books(channel=channel, date_from=reconciliation.date_from, date_to=reconciliation.date_to)
        calls = estimate(counts=books.counts)
        _progress(reconciliation, records=books.count, estimate_calls=calls, step="Reading Xero")
        held, marks = _read_xero(reconciliation=reconciliation, channel=channel, books=books)
        _progress(reconciliation, step="Comparing")
        result = compare(channel=channel, books=books, held=held, api_url=settings.XERO_API_URL)
    except (ChannelNotConnected, TokenRefreshFailed) as exc:
        return _failed(reconciliation, f"The channel cannot reach Xero: {exc}")
    except XeroError as exc:
        return _failed(reconciliation, f"Xero refused a read: {exc}")
    except Exception as exc:
        # Not left "running" for ever: the page and the API say it stopped; the worker logs the rest.
        _failed(reconciliation, f"It stopped on an unexpected error ({type(exc).__name__}); try again.")
        raise
    records = {
        xero_id: holdings.held_dump(h)
        for xero_id, h in held.items()
        if h.date is None or reconciliation.date_from <= h.date <= reconciliation.date_to
    }
    snapshot = {"records": records, "since": marks} if len(records) <= SNAPSHOT_MAX_RECORDS else {}
    _progress(
        reconciliation, state=ReconciliationState.DONE, totals=result.totals, differences=result.differences,
        step=f"Done: {len(result.differences)} difference(s)"
        + (f", {result.accepted} accepted earlier" if result.accepted else ""),
        snapshot=snapshot, finished_at=timezone.now(),
    )  # fmt: skip
    return reconciliation


def _earlier(reconciliation: Reconciliation) -> Reconciliation | None:
    """The latest done reconciliation of the channel that covered these dates recently, with its snapshot."""
    return (
        Reconciliation.objects.filter(
            channel_id=reconciliation.channel_id,
            state=ReconciliationState.DONE,
            date_from__lte=reconciliation.date_from,
            date_to__gte=reconciliation.date_to,
            started_at__gte=timezone.now() - SNAPSHOT_MAX_AGE,
        )
        .exclude(pk=reconciliation.pk)
        .exclude(snapshot={})
        .order_by("-started_at")
        .first()
    )


def _failed(reconciliation: Reconciliation, message: str) -> Reconciliation:
    _progress(
        reconciliation, state=ReconciliationState.FAILED, error=message, step="Failed", finished_at=timezone.now()
    )
    return reconciliation


def _read_xero(
    *, reconciliation: Reconciliation, channel: AccountingChannel, books: StoreBooks
) -> tuple[dict[str, Held], dict[str, str]]:
    """Read what Xero holds for the range, resource by resource, page by page; return it by Xero id,
    with the newest UpdatedDateUTC seen per resource (ISO). Only the resources the channel sent
    something of are read (invoices always); after an earlier reconciliation of these dates, only
    what changed since it read each resource (If-Modified-Since), on top of its snapshot."""
    grant = channel_access_grant(channel_id=channel.pk)
    gate = PatientGate(
        channel_gate(channel=channel, grant=grant),
        on_wait=lambda seconds: _progress(reconciliation, step=f"Waiting {seconds:.0f} s for Xero's minute limit"),
    )
    client = client_for(channel=channel, grant=grant, gate=gate)
    span = {"date_from": reconciliation.date_from, "date_to": reconciliation.date_to}
    sent = {kind for (kind, _id), row in books.rows.items() if row.xero_id}
    readers: list[tuple[str, Callable[..., Iterator[list[Held]]]]] = [("invoices", holdings.sales_invoices_held)]
    if RecordKind.PAYMENT in sent:
        readers.append(("payments", holdings.payments_held))
    if RecordKind.REFUND in sent:
        readers.append(("credit notes", holdings.credit_notes_held))
    if RecordKind.PAYOUT in sent:
        readers.append(("bank transactions", holdings.bank_transactions_held))
        readers.append(("bank transfers", holdings.bank_transfers_held))
    held: dict[str, Held] = {}
    marks: dict[str, str] = {}
    earlier = _earlier(reconciliation)
    if earlier is not None:
        held = {i: holdings.held_load(i, values) for i, values in earlier.snapshot.get("records", {}).items()}
        marks = dict(earlier.snapshot.get("since", {}))
        used = [dt.datetime.fromisoformat(marks[name]) for name, _reader in readers if name in marks]
        _progress(reconciliation, read_since=min(used) if used else None, estimate_calls=len(readers))
    for name, reader in readers:
        since = dt.datetime.fromisoformat(marks[name]) if name in marks else None
        for number, page in enumerate(reader(client, **span, since=since), start=1):
            held.update((h.xero_id, h) for h in page)
            newest = max((h.updated for h in page if h.updated is not None), default=None)
            if newest is not None and (since is None or holdings.aware(newest) > since):
                since = holdings.aware(newest)
            changed = " changed since the last reconciliation" if name in marks else ""
            _progress(
                reconciliation, calls=client.calls, bytes_read=client.bytes_read,
                step=f"Reading Xero: {name}{changed}, page {number}",
            )  # fmt: skip
        if since is not None:
            marks[name] = since.isoformat()
    return held, marks
