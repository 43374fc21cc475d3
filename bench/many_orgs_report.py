"""What `bench/many_orgs.py` prints of its busy phase, and the helpers of its figures."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sync_throughput import CEILING_PER_ORG


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def cpu_line(label: str, seconds: float, minutes: float, reference: float, per: str = "", count: int = 0) -> str:
    text = f"{label}: {seconds:.2f} CPU-s = {seconds / minutes:.3f} s a minute"
    if count:
        each = 1000 * seconds / count / (minutes if per.endswith("a minute") else 1)
        text += f"; {each:.3f} ms {per} ({each / reference:.3f} ms per reference second)"
    return text


def busy_report(
    *, args, busy: list, idle: list, used: dict, t0, minutes: float, sweeps: list, reference: float
) -> None:
    import redis
    from django.conf import settings
    from django.db import connection

    from accounting.models import AccountingChannel
    from accounting.sync.models import SyncRecord, SyncState
    from stores.models import Invoice
    from xero_sandbox.models import Invoice as XeroInvoice
    from xero_sandbox.models import RequestLog

    xero_minute = dt.timedelta(seconds=60.0 / args.scale)
    channels = {c.pk: c for c in [*busy, *idle]}
    sent = SyncRecord.objects.filter(kind="invoice", state=SyncState.SYNCED, synced_at__gte=t0).count()
    failed = SyncRecord.objects.filter(kind="invoice", state=SyncState.FAILED).count()
    print(f"invoices sent: {sent} ({failed} failed)")
    print(cpu_line("workers", used["workers"], minutes, reference, "per invoice sent", sent))
    print(cpu_line("beat", used["beat"], minutes, reference))
    print(f"sandbox: {1000 * used['sandbox'] / max(sent, 1):.3f} ms per invoice; database (whole server): "
          f"{1000 * used.get('database', 0.0) / max(sent, 1):.3f} ms per invoice")  # fmt: skip
    # Create → in Xero for the trickle (store invoice created → the sandbox's invoice created).
    tenants = {str(c.tenant_id): c.store_id for c in idle}
    created = dict(Invoice.objects.filter(number__startswith="T-").values_list("number", "created_at"))
    in_xero = XeroInvoice.objects.filter(invoice_number__startswith="T-", organisation__tenant_id__in=list(tenants))
    latencies = [
        (stored - created[number]).total_seconds()
        for number, stored in in_xero.values_list("invoice_number", "created_at")
        if number in created
    ]
    print(f"trickle: {len(latencies)} of {len(created)} in Xero; create → in Xero p50 "
          f"{1000 * percentile(latencies, 0.5):.0f} ms, p95 {1000 * percentile(latencies, 0.95):.0f} ms, "
          f"max {1000 * max(latencies, default=0):.0f} ms")  # fmt: skip
    # Each busy organisation's share of its ceiling over the phase's whole Xero minutes.
    whole = max(1, int(args.xero_minutes))
    shares: list[float] = []
    call_shares: list[float] = []
    for channel in busy:
        stored = XeroInvoice.objects.filter(
            organisation__tenant_id=channel.tenant_id, created_at__gte=t0, created_at__lt=t0 + whole * xero_minute
        ).count()
        shares.append(stored / (CEILING_PER_ORG * whole))
        calls = RequestLog.objects.filter(
            organisation__tenant_id=channel.tenant_id, at__gte=t0, at__lt=t0 + whole * xero_minute
        ).count()
        call_shares.append(calls / (60 * whole))
    if call_shares:
        print(f"busy organisations' share of their call ceiling (60 a minute, {whole} Xero minute(s) from the "
              f"switch-on): min {min(call_shares):.2f}, median {percentile(call_shares, 0.5):.2f}, "
              f"max {max(call_shares):.2f}")  # fmt: skip
    if shares:
        print(f"busy organisations' invoices ÷ 3,000 a minute (contacts created first take calls too): "
              f"min {min(shares):.2f}, median {percentile(shares, 0.5):.2f}, max {max(shares):.2f}")  # fmt: skip
    duplicates = (
        XeroInvoice.objects.count() - XeroInvoice.objects.values("organisation", "invoice_number").distinct().count()
    )
    print(f"duplicates in the sandbox: {duplicates}; 429s: {RequestLog.objects.filter(status=429).count()}")
    for n, (queries, rows) in enumerate(sweeps):
        print(f"beat sweep {n + 1} during the busy phase: {queries} queries reading {rows} rows")
    store = redis.Redis.from_url(settings.REDIS_URL)
    keys: Any = store.dbsize()
    info: Any = store.info("memory")
    memory = info["used_memory"]
    print(f"Redis keys: {keys} = {keys / len(channels):.2f} per channel; the server's memory "
          f"{memory / 2**20:.1f} MiB (all databases) = {memory / len(channels) / 1024:.1f} KiB a channel")  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_live_tup FROM pg_stat_user_tables WHERE relname LIKE 'accounting_%%' ORDER BY relname"
        )
        rows = cursor.fetchall()
    total = sum(n for _name, n in rows)
    print(f"PostgreSQL rows of the accounting tables: {total} = {total / len(channels):.1f} per channel "
          f"(ledger rows and attempts follow the invoices sent)")  # fmt: skip
    polls = RequestLog.objects.filter(method="GET", path__contains="/Invoices", at__gte=t0).count()
    polled = (
        RequestLog.objects.filter(method="GET", path__contains="/Invoices", at__gte=t0)
        .values("organisation")
        .distinct()
        .count()
    )
    refreshed = AccountingChannel.objects.filter(pk__in=list(channels), last_token_refresh_at__gte=t0).count()
    day = 24 * 60 / minutes
    print(f"polls: {polls} calls to {polled} organisations in {minutes:.1f} min = "
          f"{polls * day / max(len(idle), 1):.1f} calls a day per channel that has sent an invoice "
          f"(XERO_POLL_SECONDS {settings.XERO_POLL_SECONDS:.0f}); token refreshes: {refreshed} in the phase = "
          f"{refreshed * day / len(channels):.2f} a day per channel; health checks on a schedule: none")  # fmt: skip
