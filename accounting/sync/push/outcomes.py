"""What happened to each row of a batch, and the retry policy that decides what happens next.

Retry only what can succeed later (Saleor's rule): 429 at Retry-After, 5xx and network errors
with exponential backoff and jitter; validation errors are final until the record changes or an
operator retries. A write whose answer was lost marks its rows for a look-up before any resend.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounting.books.payment_accounts import RECONNECT_FOR_PAYMENTS
from accounting.models import AccountingChannel
from accounting.providers.xero import errors
from accounting.providers.xero.scopes import PAYMENTS_SCOPES
from accounting.sync.ledger.batch_writes import attempts_write, rows_finish_write
from accounting.sync.models import AttemptOutcome, SyncRecord, SyncState

logger = logging.getLogger(__name__)

# Transient failures are retried this many times before the row fails for an operator to see.
MAX_ATTEMPTS = 12
BACKOFF_BASE_SECONDS = 5.0
BACKOFF_CAP_SECONDS = 30 * 60.0


@dataclass
class Outcome:
    state: str
    attempt: str
    message: str = ""
    http_status: int | None = None
    xero_id: str = ""
    payload_hash: str = ""
    xero_status: str = ""  # the status Xero accepted (synced invoices)
    wait: float | None = None  # seconds until the next attempt (pending rows)
    needs_lookup: bool | None = None  # None: leave as it is
    count_attempt: bool = True
    fields: dict[str, object] = field(default_factory=dict)
    waiting_for: str = ""  # WaitingFor: the card whose choice a waiting row needs


def backoff_seconds(attempt: int) -> float:
    """Return the wait before retry number `attempt` (1-based): doubling, capped, ±25% jitter."""
    base = min(BACKOFF_BASE_SECONDS * 2 ** max(attempt - 1, 0), BACKOFF_CAP_SECONDS)
    return base * random.uniform(0.75, 1.25) / float(settings.XERO_RATE_TIME_SCALE)  # nosec B311  # retry jitter, not security


def synced(
    *, xero_id: str, payload_hash: str, attempt: str = AttemptOutcome.OK, message: str = "", xero_status: str = ""
) -> Outcome:
    return Outcome(
        state=SyncState.SYNCED, attempt=attempt, xero_id=xero_id, payload_hash=payload_hash, needs_lookup=False,
        message=message, http_status=200 if attempt == AttemptOutcome.OK else None, xero_status=xero_status,
    )  # fmt: skip


def rejected(
    *, messages: Sequence[str], http_status: int | None = 200, attempt: str = AttemptOutcome.VALIDATION
) -> Outcome:
    text = "; ".join(messages) or "Xero refused this record."
    return Outcome(state=SyncState.FAILED, attempt=attempt, message=text, http_status=http_status, needs_lookup=False)


def waiting(*, on: str, messages: Sequence[str]) -> Outcome:
    """The row needs the operator's choice on the card `on` (WaitingFor) before it can go: it is
    neither sent nor failed, and saving that card queues it again. `messages` say what to choose."""
    return Outcome(
        state=SyncState.WAITING, attempt=AttemptOutcome.LOCAL, message="; ".join(messages), needs_lookup=False,
        count_attempt=False, waiting_for=on,
    )  # fmt: skip


def skipped(*, reason: str) -> Outcome:
    return Outcome(state=SyncState.SKIPPED, attempt=AttemptOutcome.LOCAL, message=reason, count_attempt=False)


def after_error(*, row: SyncRecord, error: errors.XeroError, wrote: bool) -> Outcome:
    """Return what a row becomes after a batch-level failure; `wrote`: the failed call was its write.

    The provider decided what may cure the failure (`error.decision`); only BACKOFF is retried
    here, up to MAX_ATTEMPTS. Any other refusal of Xero's (an unknown 4xx too) is final.
    """
    lookup = True if (wrote and error.ambiguous) else None
    decision = error.decision
    if decision == errors.Decision.WAIT:
        wait = getattr(error, "retry_after", 60.0)
        if not error.sent:  # the portal's own limiter: nothing was sent, not an attempt
            return Outcome(state=SyncState.PENDING, attempt="", wait=wait, count_attempt=False)
        return Outcome(
            state=SyncState.PENDING, attempt=AttemptOutcome.RATE_LIMITED, message=error.message,
            http_status=error.status, wait=wait,
        )  # fmt: skip
    if decision == errors.Decision.RECONNECT:
        # The channel stops sending; the row waits for the reconnect, showing why.
        return Outcome(
            state=SyncState.PENDING, attempt=AttemptOutcome.RECONNECT, message=error.message, http_status=error.status
        )
    if decision != errors.Decision.BACKOFF:
        return rejected(messages=error.messages, http_status=error.status)
    kinds: dict[type[errors.XeroError], str] = {
        errors.XeroNetworkError: AttemptOutcome.NETWORK,
        errors.XeroUnauthorized: AttemptOutcome.UNAUTHORIZED,
    }
    attempt = kinds.get(type(error), AttemptOutcome.SERVER_ERROR)
    if row.attempt_count + 1 >= MAX_ATTEMPTS:
        return Outcome(
            state=SyncState.FAILED, attempt=attempt, http_status=error.status, needs_lookup=lookup,
            message=f"Gave up after {row.attempt_count + 1} attempts: {error.message}",
        )  # fmt: skip
    return Outcome(
        state=SyncState.PENDING, attempt=attempt, message=error.message, http_status=error.status,
        wait=backoff_seconds(row.attempt_count + 1), needs_lookup=lookup,
    )  # fmt: skip


def records_finish(*, rows: Iterable[SyncRecord], outcomes: dict[int, Outcome], idempotency_key: str = "") -> None:
    """Write each row's outcome and attempt; rows changed while in flight go back to pending.

    Only rows this turn still holds are written: a row whose lease ran out was handed back
    (marked for a look-up) and may belong to another turn now, whose result must stand.
    """
    rows = [row for row in rows if row.pk in outcomes]
    if not rows:
        return
    now = timezone.now()
    claims = {row.pk: row.claim for row in rows}
    for row in rows:
        _apply(row=row, outcome=outcomes[row.pk], now=now)
    with transaction.atomic():
        # One statement for the batch; it writes only the rows whose claim still holds, and a row
        # changed while in flight goes back to pending (the statement compares `changed_at`
        # under the row lock it takes, so a change committing meanwhile is seen or waits).
        written = rows_finish_write(rows=rows, claims=claims, now=now)
        if len(written) < len(rows):
            logger.warning("%d row(s) were reclaimed while this turn sent them; left alone.", len(rows) - len(written))
        attempts = []
        for row in rows:
            if row.pk not in written:
                continue
            row.state, row.next_attempt_at = written[row.pk]
            outcome = outcomes[row.pk]
            if outcome.attempt:
                attempts.append((row.pk, outcome.attempt, outcome.http_status, outcome.message))
        attempts_write(attempts=attempts, idempotency_key=idempotency_key, now=now)


def _apply(*, row: SyncRecord, outcome: Outcome, now: dt.datetime) -> None:
    """Set the row's fields as the outcome says (a change made meanwhile is `rows_finish_write`'s)."""
    row.state = outcome.state
    row.waiting_for = outcome.waiting_for
    row.claim = ""
    row.lease_until = None
    row.updated_at = now
    if outcome.count_attempt:
        row.attempt_count += 1
    if outcome.needs_lookup is not None:
        row.needs_lookup = outcome.needs_lookup
    if outcome.state == SyncState.SYNCED:
        row.xero_id = outcome.xero_id or row.xero_id
        row.payload_hash = outcome.payload_hash
        row.xero_status = outcome.xero_status or row.xero_status
        row.last_error = ""
        row.synced_at = now
        row.attempt_count = 0
        row.next_attempt_at = None
    elif outcome.state == SyncState.PENDING:
        row.next_attempt_at = now + dt.timedelta(seconds=outcome.wait or 0)
        if outcome.message:
            row.last_error = outcome.message
    else:
        row.last_error = outcome.message
        row.next_attempt_at = None


def scope_refused(*, channel: AccountingChannel, rows: Iterable[SyncRecord], outcomes: dict[int, Outcome]) -> None:
    """Xero refused Payments for want of the scope: the rows wait (pending, not an attempt of
    theirs), and the channel stops counting the scope as granted, so the page says so and no turn
    takes them until a reconnect grants it (`schedule.turn.channel_kinds`)."""
    granted = sorted(scope for scope in channel.granted_scopes() if scope not in PAYMENTS_SCOPES)
    # A queryset update: no signal, so the rows are not released again by it.
    AccountingChannel.objects.filter(pk=channel.pk).update(scopes=" ".join(granted) or "-")
    for row in rows:
        outcomes.setdefault(
            row.pk,
            Outcome(
                state=SyncState.PENDING, attempt=AttemptOutcome.RECONNECT, message=RECONNECT_FOR_PAYMENTS,
                http_status=401, wait=None, count_attempt=False,
            ),
        )  # fmt: skip
