"""One turn of a channel: take a call's budget, claim one batch of due rows, send it.

Budget first, rows second: a turn refused by the limiter has touched nothing and is simply
rescheduled; a claimed row always ends with an outcome (or, if the worker dies, its lease runs
out and the sweep hands it back marked for a look-up before any resend).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounting.access.client import channel_gate, client_for
from accounting.access.limiter import LimiterGate
from accounting.access.limits import LEASE_SECONDS
from accounting.access.tokens import (
    ChannelNotConnected,
    TokenRefreshFailed,
    channel_access_grant,
    channel_mark_needs_reconnect,
)
from accounting.alerts.episodes import alert_day_limit, alerts_after_turn
from accounting.books.payment_accounts import channel_allows_payments
from accounting.books.posting import channel_summarises
from accounting.models import AccountingChannel
from accounting.providers.xero.client import XeroClient
from accounting.providers.xero.errors import (
    Decision,
    XeroBudgetExhausted,
    XeroDayLimitReached,
    XeroRateLimited,
)
from accounting.sync.models import SUMMARISED, RecordKind, SyncRecord, SyncState
from accounting.sync.push.base import Push
from accounting.sync.push.invoices import InvoicesPush
from accounting.sync.push.items import ItemsPush
from accounting.sync.push.outcomes import backoff_seconds
from accounting.sync.push.payments import PaymentsPush
from accounting.sync.push.payouts import PayoutsPush
from accounting.sync.push.refunds import RefundsPush
from accounting.sync.push.summaries import SummaryPush

logger = logging.getLogger(__name__)

# Refunds claimed per turn: each takes up to four calls (credit note, invoice, allocation, refund).
REFUND_BATCH = 10
# Daily summaries claimed per turn: each takes a few calls (contact, invoice, payments).
SUMMARY_BATCH = 5
# Payouts claimed per turn: each takes up to four calls (contact, transfer or receive, fees).
PAYOUT_BATCH = 10
BATCHES: dict[str, int] = {
    RecordKind.REFUND: REFUND_BATCH, RecordKind.SUMMARY: SUMMARY_BATCH, RecordKind.PAYOUT: PAYOUT_BATCH,
}  # fmt: skip

# Xero could not be reached for a token refresh: try again after this long (scaled).
TOKEN_RETRY_SECONDS = 30.0


@dataclass(frozen=True)
class TurnResult:
    more: bool  # due rows remain for this channel
    wait: float = 0.0  # seconds before the next turn may start


PAYMENT_KINDS = (RecordKind.PAYMENT, RecordKind.REFUND)
# A refund waits for every earlier payment or refund of its invoice; a failed one holds it too.
SETTLED_STATES = (SyncState.SYNCED, SyncState.SKIPPED)


def channel_kinds(*, channel: AccountingChannel) -> list[str]:
    """Return the kinds the channel sends, in the order a turn takes them."""
    kinds: list[str] = [RecordKind.PRODUCT] if channel.add_products else []
    kinds.append(RecordKind.INVOICE)
    # Without the scope, payments wait for a reconnect. Asked once per loaded channel (a turn asks often).
    allowed = getattr(channel, "_allows_payments", None)
    if allowed is None:
        allowed = channel._allows_payments = channel_allows_payments(channel=channel)  # type: ignore[attr-defined]
    if allowed:
        kinds += PAYMENT_KINDS
    # Summaries last: the payments of their invoices join them first.
    summarises = getattr(channel, "_summarises", None)
    if summarises is None:
        summarises = channel._summarises = channel_summarises(channel=channel)  # type: ignore[attr-defined]
    if summarises:
        kinds.append(RecordKind.SUMMARY)
    # Payouts after the payments they settle (each waits, saying so, until those are in Xero).
    kinds.append(RecordKind.PAYOUT)
    return kinds


def due_rows(*, channel: AccountingChannel, now: dt.datetime | None = None, kind: str = "") -> Q:
    """Return the filter of the channel's rows (of `kind`, or of every kind it sends) that may be sent now.

    The ledger enforces the order Xero needs: a payment or refund only once its invoice's row is
    synced with Xero's id; a refund only once every earlier payment and refund of its invoice is
    settled (synced or skipped).
    """
    kinds = channel_kinds(channel=channel)
    if kind:
        kinds = [k for k in kinds if k == kind]
    due = Q(channel=channel, state=SyncState.PENDING, kind__in=kinds, next_attempt_at__lte=now or timezone.now())
    if not set(kinds) & set(PAYMENT_KINDS):
        return due
    invoice_in_xero = Exists(
        SyncRecord.objects.filter(
            channel_id=OuterRef("channel_id"), kind=RecordKind.INVOICE, object_id=OuterRef("parent_id"),
            state=SyncState.SYNCED,
        ).filter(~Q(xero_id="") | Q(xero_status=SUMMARISED))
    )  # fmt: skip
    earlier_open = Exists(
        SyncRecord.objects.filter(
            channel_id=OuterRef("channel_id"), kind__in=PAYMENT_KINDS, parent_id=OuterRef("parent_id"),
            created_at__lt=OuterRef("created_at"),
        ).exclude(state__in=SETTLED_STATES)
    )  # fmt: skip
    return due & (
        ~Q(kind__in=PAYMENT_KINDS)
        | (Q(kind=RecordKind.PAYMENT) & Q(invoice_in_xero))
        | (Q(kind=RecordKind.REFUND) & Q(invoice_in_xero) & ~Q(earlier_open))
    )


def channel_has_due(*, channel: AccountingChannel) -> bool:
    return SyncRecord.objects.filter(due_rows(channel=channel)).exists()


def row_lease_seconds() -> float:
    """Return how long a claim holds its rows without news: one Xero call, the retry after a
    forced token refresh and the refresh itself, with room to spare. The lease is renewed
    before every call of the turn, so a slow turn never outlives it while it still works.
    `settings.SYNC_ROW_LEASE_SECONDS` overrides it (drills)."""
    if float(settings.SYNC_ROW_LEASE_SECONDS) > 0:
        return float(settings.SYNC_ROW_LEASE_SECONDS)
    return max(LEASE_SECONDS, 3 * float(settings.XERO_REQUEST_TIMEOUT) + 60.0)


def rows_lease_renew(*, claim: str) -> None:
    """Push back the lease of the rows this claim still holds."""
    until = timezone.now() + dt.timedelta(seconds=row_lease_seconds())
    SyncRecord.objects.filter(claim=claim, state=SyncState.IN_FLIGHT).update(lease_until=until)


# A lane whose next row is due within this long stays alive for it instead of ending.
STAY_FOR_SECONDS = 10.0


def _next(*, channel: AccountingChannel) -> TurnResult:
    """Return whether (and in how long) the lane should run again for the channel's next row."""
    now = timezone.now()
    soon = now + dt.timedelta(seconds=STAY_FOR_SECONDS)
    pending = SyncRecord.objects.filter(due_rows(channel=channel, now=soon))
    first = pending.order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first()
    if first is None:
        return TurnResult(more=False)
    return TurnResult(more=True, wait=max((first - now).total_seconds(), 0.0))


def rows_claim(*, channel: AccountingChannel, kind: str, limit: int | None = None) -> list[SyncRecord]:
    """Claim up to `limit` (default: settings.SYNC_BATCH_SIZE, 50; fewer refunds and summaries, which
    take several calls each: `BATCHES`) due rows of one kind, oldest due first, for this turn alone."""
    limit = limit or BATCHES.get(kind, settings.SYNC_BATCH_SIZE)
    now = timezone.now()
    claim = uuid.uuid4().hex
    with transaction.atomic():
        ids = list(
            SyncRecord.objects.select_for_update(skip_locked=True)
            .filter(due_rows(channel=channel, now=now, kind=kind))
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)[:limit]
        )
        if not ids:
            return []
        # Compare-and-set on the state as well, for databases without SKIP LOCKED (SQLite).
        SyncRecord.objects.filter(pk__in=ids, state=SyncState.PENDING).update(
            state=SyncState.IN_FLIGHT,
            claim=claim,
            claimed_at=now,
            lease_until=now + dt.timedelta(seconds=row_lease_seconds()),
        )
    return list(SyncRecord.objects.filter(claim=claim).order_by("next_attempt_at", "id"))


class HeldGate:
    """A gate whose first permit was taken before the turn claimed any row; once rows are
    claimed (`claim`), every call renews their lease first."""

    def __init__(self, gate: LimiterGate, permit: object):
        self.gate = gate
        self.held: object | None = permit
        self.claim = ""

    def acquire(self) -> object:
        if self.claim:
            rows_lease_renew(claim=self.claim)
        if self.held is not None:
            permit, self.held = self.held, None
            return permit
        return self.gate.acquire()

    def release(self, permit: object, *, headers: Mapping[str, str]) -> None:
        self.gate.release(permit, headers=headers)

    def pause(self, *, error: XeroRateLimited) -> None:
        self.gate.pause(error=error)

    def give_back(self) -> None:
        """Cancel the first permit if no call used it."""
        if self.held is not None:
            self.gate.cancel(self.held)
            self.held = None


def channel_push_turn(*, channel_id: int) -> TurnResult:
    """Send one batch for the channel if it may send and has due rows; say what comes next."""
    channel = AccountingChannel.objects.filter(pk=channel_id).first()
    if channel is None or not channel.is_sending:
        return TurnResult(more=False)
    if not channel_has_due(channel=channel):
        return _next(channel=channel)
    try:
        grant = channel_access_grant(channel_id=channel_id)
    except ChannelNotConnected:
        return TurnResult(more=False)  # rows wait; the channel shows why
    except TokenRefreshFailed:
        return TurnResult(more=True, wait=backoff_seconds(1) + TOKEN_RETRY_SECONDS)
    gate = channel_gate(channel=channel, grant=grant)
    try:
        held = HeldGate(gate, gate.acquire())
    except XeroDayLimitReached as exc:
        alert_day_limit(channel_id=channel_id, wait_seconds=exc.retry_after)
        return TurnResult(more=True, wait=exc.retry_after)
    except XeroBudgetExhausted as exc:
        return TurnResult(more=True, wait=exc.retry_after)
    rows: list[SyncRecord] = []
    kind = ""
    for kind in channel_kinds(channel=channel):
        rows = rows_claim(channel=channel, kind=kind)
        if rows:
            break
    if not rows:  # other lanes took them
        held.give_back()
        return _next(channel=channel)
    held.claim = rows[0].claim
    client = client_for(channel=channel, grant=grant, gate=held)
    _push(kind=kind, channel=channel, client=client, rows=rows)
    held.give_back()
    alerts_after_turn(channel_id=channel_id)
    return _next(channel=channel)


PUSHES: dict[str, type[Push]] = {
    RecordKind.PRODUCT: ItemsPush,
    RecordKind.INVOICE: InvoicesPush,
    RecordKind.PAYMENT: PaymentsPush,
    RecordKind.REFUND: RefundsPush,
    RecordKind.SUMMARY: SummaryPush,
    RecordKind.PAYOUT: PayoutsPush,
}


def _push(*, kind: str, channel: AccountingChannel, client: XeroClient, rows: list[SyncRecord]) -> None:
    push = PUSHES[kind]
    try:
        error = push(channel=channel, client=client, rows=rows).run()
        if error is not None and error.decision == Decision.RECONNECT:
            channel_mark_needs_reconnect(channel_id=channel.pk, reason=error.message)
    except (ChannelNotConnected, TokenRefreshFailed) as exc:
        # The forced refresh after a 401 failed. Earlier calls of this turn may have written
        # (a create before the 401'd update): the rows wait, marked for a look-up before any resend.
        rows_release(rows=rows, wait=backoff_seconds(1), reason=str(exc), lookup=True)
    except Exception:
        # A bug or a database failure: hand the rows back marked for a look-up, then fail loudly.
        rows_release(rows=rows, wait=backoff_seconds(2), reason="Internal error while sending.", lookup=True)
        raise


def rows_release(*, rows: list[SyncRecord], wait: float, reason: str, lookup: bool = False) -> None:
    """Put still in-flight rows of this turn back to pending, due after `wait` seconds."""
    update: dict[str, object] = {
        "state": SyncState.PENDING,
        "claim": "",
        "lease_until": None,
        "next_attempt_at": timezone.now() + dt.timedelta(seconds=wait),
        "last_error": reason,
    }
    if lookup:
        update["needs_lookup"] = True
    claims = {row.claim for row in rows}
    SyncRecord.objects.filter(pk__in=[r.pk for r in rows], state=SyncState.IN_FLIGHT, claim__in=claims).update(**update)


def leases_reclaim() -> int:
    """Hand back rows whose worker died mid-send; their write may have happened: look up first."""
    return SyncRecord.objects.filter(state=SyncState.IN_FLIGHT, lease_until__lt=timezone.now()).update(
        state=SyncState.PENDING, claim="", lease_until=None, needs_lookup=True, next_attempt_at=timezone.now()
    )
