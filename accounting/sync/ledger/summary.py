"""Reads of the sync ledger (the channel page's summary, the admin)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Max, QuerySet

from accounting.models import AccountingChannel, ConnectionState
from accounting.sync.models import RecordKind, SyncRecord, SyncState, WaitingFor, XeroOrganisationFacts
from channels_portal.tenancy import get_in_organization
from organizations.models import Organization
from stores.models import Invoice, Payment, Product, Refund

LAST_ERRORS = 10


def channel_sync_summary(*, channel: AccountingChannel, last_errors: int = LAST_ERRORS) -> dict[str, Any]:
    """Return the channel's sync counts by state and its latest failures with Xero's message.

    {"counts": {"pending": n, "in_flight": n, "synced": n, "failed": n, "skipped": n, "waiting": n},
     "total": n, "last_synced_at": datetime | None, "waiting": `waiting_lines`,
     "errors": [{"record_id", "kind", "object_id", "message", "attempts", "at"}, …]}
    Three queries, whatever the size of the ledger.
    """
    rows = SyncRecord.objects.filter(channel=channel)
    counts = {state: 0 for state in SyncState.values}
    waiting: dict[tuple[str, str], int] = {}
    for entry in rows.values("state", "waiting_for", "kind").annotate(n=Count("id")).order_by():
        counts[entry["state"]] += entry["n"]
        if entry["state"] == SyncState.WAITING:
            key = (entry["waiting_for"], entry["kind"])
            waiting[key] = waiting.get(key, 0) + entry["n"]
    last_synced_at = rows.aggregate(last=Max("synced_at"))["last"]
    failures = rows.filter(state=SyncState.FAILED).order_by("-updated_at", "-pk")[:last_errors]
    errors = [
        {
            "record_id": row.pk,
            "kind": row.kind,
            "object_id": row.object_id,
            "parent_id": row.parent_id,  # the invoice of a payment or refund
            "message": row.last_error,
            "attempts": row.attempt_count,
            "at": row.updated_at,
        }
        for row in failures
    ]
    return {
        "counts": counts,
        "total": sum(counts.values()),
        "last_synced_at": last_synced_at,
        "errors": errors,
        "waiting": waiting_lines(waiting),
    }


def waiting_lines(waiting: dict[tuple[str, str], int]) -> list[dict[str, Any]]:
    """Return what waits for the operator's choice, a line per card:
    [{"card": "tax-mapping", "label": "Tax mapping", "count": 3, "text": "3 invoices, 1 refund"}]."""
    lines = []
    for card in WaitingFor:
        kinds = [(kind, n) for (on, kind), n in sorted(waiting.items()) if on == card.value]
        if not kinds:
            continue
        text = ", ".join(f"{n} {RecordKind(kind).label.lower()}{'' if n == 1 else 's'}" for kind, n in kinds)
        lines.append({"card": card.value, "label": card.label, "count": sum(n for _k, n in kinds), "text": text})
    return lines


def sync_records_of(*, channel: AccountingChannel) -> QuerySet[SyncRecord]:
    return SyncRecord.objects.filter(channel=channel)


# The channel page -----------------------------------------------------------------------------

FAILURES_SHOWN = 20


def channel_sync_overview(*, channel: AccountingChannel, failures: int = FAILURES_SHOWN) -> dict[str, Any]:
    """Return `channel_sync_summary` for the channel page, plus why sending is paused.

    Each failure also gets "label": its invoice number or product SKU ("" when the record is
    gone). "paused" is None while the channel sends, else {"reason", "detail"}.
    At most five queries, whatever the number of failures.
    """
    summary = channel_sync_summary(channel=channel, last_errors=failures)
    labels = _record_labels(store_id=channel.store_id, errors=summary["errors"])
    for error in summary["errors"]:
        error["label"] = labels.get((error["kind"], error["object_id"]), "")
    summary["paused"] = sync_paused_reason(channel=channel)
    summary["drift"] = channel_drift(channel=channel)
    return summary


DRIFT_SHOWN = 10


def channel_drift(*, channel: AccountingChannel, shown: int = DRIFT_SHOWN) -> dict[str, Any]:
    """Return the channel's records changed in Xero after they were sent that the operator has yet
    to look at: {"count": n, "rows": [{"record", "object_id", "number", "text"}]} (newest first,
    invoices). Two queries."""
    rows = SyncRecord.objects.filter(channel=channel, drift_settled_at__isnull=True).exclude(xero_drift="")
    count = rows.count()
    newest = list(rows.order_by("-xero_drift_at", "-pk")[:shown]) if count else []
    numbers = dict(
        Invoice.objects.filter(store_id=channel.store_id, pk__in=[r.object_id for r in newest]).values_list(
            "pk", "number"
        )
    )
    return {
        "count": count,
        "rows": [
            {"record": r, "object_id": r.object_id, "number": numbers.get(r.object_id, ""), "text": r.drift_text}
            for r in newest
        ],
    }


PAUSED_NEEDS_RECONNECT = "Sending is paused: the channel needs to be connected again."
PAUSED_NOT_CONNECTED = "Sending is paused: the channel is not connected to Xero."
PAUSED_INACTIVE = "Sending is paused: the channel is not active."


def sync_paused_reason(*, channel: AccountingChannel) -> dict[str, str] | None:
    """Return why the engine does not send for `channel` ({"reason", "detail"}), or None."""
    if channel.is_sending:
        return None
    if channel.connection_state == ConnectionState.NEEDS_RECONNECT:
        return {"reason": PAUSED_NEEDS_RECONNECT, "detail": channel.state_reason}
    if not channel.is_connected:
        return {"reason": PAUSED_NOT_CONNECTED, "detail": ""}
    return {"reason": PAUSED_INACTIVE, "detail": ""}


def _record_labels(*, store_id: int, errors: list[dict[str, Any]]) -> dict[tuple[str, int], str]:
    """Return {(kind, object id): invoice number or SKU} of the failures, one query per kind."""
    sources: dict[str, QuerySet[Any]] = {
        RecordKind.INVOICE: Invoice.objects.filter(store_id=store_id).values_list("pk", "number"),
        RecordKind.PRODUCT: Product.objects.filter(store_id=store_id).values_list("pk", "sku"),
        RecordKind.PAYMENT: Payment.objects.filter(invoice__store_id=store_id).values_list("pk", "invoice__number"),
        RecordKind.REFUND: Refund.objects.filter(invoice__store_id=store_id).values_list("pk", "invoice__number"),
    }
    labels: dict[tuple[str, int], str] = {}
    for kind, rows in sources.items():
        ids = [e["object_id"] for e in errors if e["kind"] == kind]
        if ids:
            labels.update({(kind, pk): label for pk, label in rows.filter(pk__in=ids)})
    return labels


def sync_record_of_channel(
    *, organization: Organization | None, channel: AccountingChannel, record_id: object
) -> SyncRecord:
    """Return the ledger row `record_id` of `channel` (already tenant-checked); Http404 for any other."""
    return get_in_organization(
        SyncRecord.objects.filter(channel=channel),
        organization=organization,
        path="channel__store__organization",
        pk=record_id,
    )


def xero_day_budget(*, channel: AccountingChannel) -> dict[str, Any] | None:
    """Return the day budget Xero last reported for the channel's organisation
    ({"limit", "remaining", "reported_at"}), or None before Xero reported one. One query."""
    if not channel.tenant_id:
        return None
    facts = XeroOrganisationFacts.objects.filter(tenant_id=channel.tenant_id, day_remaining__isnull=False).first()
    if facts is None:
        return None
    return {"limit": facts.day_limit, "remaining": facts.day_remaining, "reported_at": facts.day_reported_at}
