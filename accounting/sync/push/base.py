"""The one skeleton every push of a Xero resource follows: prepare → send → outcomes.

A turn hands a push the rows it claimed. The push prepares what can go (a row it cannot send ends
now: skipped, waiting for the operator's choice, refused before anything leaves), sends what it
prepared in as few calls as Xero allows (`write`: each write carries an Idempotency-Key derived
from what it sends), and reads each element's outcome. Whatever happens, every claimed row ends
with an outcome, all written in one statement (`records_finish`):

- a failure of a whole call ends every row not decided yet by the retry policy (`after_error`),
  knowing whether the failed call was that row's own write: a lost answer is looked up before any
  resend;
- a refused payments scope (payments, refunds) leaves their rows waiting for a reconnect, while
  the channel's invoices go on.

Each resource (items, invoices, payments, refunds) fills in `push()`; this class keeps the
bookkeeping that was once written four times.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import ClassVar, TypeVar

from accounting.models import AccountingChannel
from accounting.providers.xero.client import XeroClient
from accounting.providers.xero.errors import XeroError, XeroScopeMissing
from accounting.sync.models import AttemptOutcome, SyncAttempt, SyncRecord
from accounting.sync.push.outcomes import Outcome, after_error, records_finish, scope_refused

T = TypeVar("T")


def latest_refusal(row: SyncRecord) -> int:
    """Return the row's latest refusal (0: none): a refused write wrote nothing, so its retry is a new
    request and goes under a new Idempotency-Key; a lost answer keeps its key (a replay)."""
    last = (
        SyncAttempt.objects.filter(record=row, outcome__in=[AttemptOutcome.VALIDATION, AttemptOutcome.LOCAL])
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    return last or 0


def batch_key(prefix: str, parts: Sequence[str]) -> str:
    """Return an Idempotency-Key (≤128 chars) derived from what a write sends."""
    return f"cp-{prefix}-" + hashlib.sha256("|".join(sorted(parts)).encode()).hexdigest()


class Push:
    """One push of claimed rows of one kind: subclasses implement `push()`."""

    # Payments and refunds need the payments scope: refused, they wait for a reconnect.
    needs_payments_scope: ClassVar[bool] = False

    def __init__(self, *, channel: AccountingChannel, client: XeroClient, rows: list[SyncRecord]):
        self.channel = channel
        self.client = client
        self.rows = rows
        self.outcomes: dict[int, Outcome] = {}
        self.writing: set[int] = set()  # the rows whose write is on its way (for a failure's outcome)
        self.key = ""  # the Idempotency-Key of the latest write (recorded on the rows' attempts)

    def push(self) -> None:
        """Prepare, send and read the outcomes, leaving each decided row's outcome in `outcomes`."""
        raise NotImplementedError

    def run(self) -> XeroError | None:
        """Push, then record every row's outcome; return the error that stopped the push, if any
        (the turn may act on the channel: a reconnect)."""
        try:
            self.push()
        except XeroScopeMissing as exc:
            if not self.needs_payments_scope:
                return self._failed(exc)
            scope_refused(channel=self.channel, rows=self.rows, outcomes=self.outcomes)
        except XeroError as exc:
            return self._failed(exc)
        self._finish()
        return None

    def write(self, label: str, *, parts: Sequence[str], rows: Sequence[SyncRecord], call: Callable[[str], T]) -> T:
        """Make one write for `rows` under an Idempotency-Key of `label` and `parts`; return its answer."""
        self.key = batch_key(label, parts)
        self.writing = {row.pk for row in rows}
        answer = call(self.key)
        self.writing = set()
        return answer

    def failure_outcome(self, row: SyncRecord, error: XeroError) -> Outcome:
        """Return what a row not decided yet becomes after `error` stopped the push."""
        return after_error(row=row, error=error, wrote=row.pk in self.writing)

    def _failed(self, error: XeroError) -> XeroError:
        for row in self.rows:
            self.outcomes.setdefault(row.pk, self.failure_outcome(row, error))
        self._finish()
        return error

    def _finish(self) -> None:
        records_finish(rows=self.rows, outcomes=self.outcomes, idempotency_key=self.key)
