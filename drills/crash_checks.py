"""Drill 1's verdict: the store's invoices, payments and refunds against the ledger and the
sandbox (lost, duplicated, stuck), after the drain (`drills/crash.py`)."""

from __future__ import annotations

import argparse
import json
from collections import Counter
from typing import Any

from drills.crash_books import Setup


def check(*, setups: list[Setup], created: int) -> dict[str, Any]:
    """Compare the store's invoices, the ledger and the sandbox's stored invoices."""
    from accounting.sync.models import RecordKind, SyncRecord, SyncState
    from stores.models import Invoice
    from xero_sandbox.models import Invoice as XeroInvoice
    from xero_sandbox.models import RequestLog

    figures: dict[str, Any] = {}
    for mode, group in (
        ("honoured", [s for s in setups if s.honours_key]),
        ("ignored", [s for s in setups if not s.honours_key]),
    ):
        counts = Counter[str]()
        for setup in group:
            invoices = dict(Invoice.objects.filter(store=setup.store).values_list("pk", "number"))
            rows = {
                object_id: (state, xero_id)
                for object_id, state, xero_id in SyncRecord.objects.filter(
                    channel=setup.channel, kind=RecordKind.INVOICE
                ).values_list("object_id", "state", "xero_id")
            }
            in_xero = Counter[str]()
            ids: dict[str, set[str]] = {}
            for number, invoice_id in XeroInvoice.objects.filter(organisation__tenant_id=setup.tenant_id).values_list(
                "invoice_number", "invoice_id"
            ):
                in_xero[number] += 1
                ids.setdefault(number, set()).add(str(invoice_id))
            counts["created"] += len(invoices)
            for pk, number in invoices.items():
                state, xero_id = rows.get(pk, ("", ""))
                if state == SyncState.SYNCED:
                    counts["synced"] += 1
                    if xero_id not in ids.get(number, set()):
                        counts["lost"] += 1
                elif state == SyncState.FAILED:
                    counts["failed"] += 1
                elif state == "":
                    counts["lost"] += 1
                else:
                    counts["stuck"] += 1
            known = set(invoices.values())
            counts["duplicated"] += sum(n - 1 for n in in_xero.values() if n > 1)
            counts["duplicated"] += sum(n for number, n in in_xero.items() if number not in known)
            logged = RequestLog.objects.filter(organisation__tenant_id=setup.tenant_id)
            counts["calls"] += logged.count()
            counts["answers_dropped"] += logged.filter(status=0).count()
            counts["answers_5xx"] += logged.filter(status__gte=500).count()
            counts["answers_429"] += logged.filter(status=429).count()
            counts["replays"] += logged.filter(note="idempotent replay").count()
        figures[mode] = {
            key: counts[key]
            for key in (
                "created",
                "synced",
                "failed",
                "lost",
                "duplicated",
                "stuck",
                "calls",
                "answers_dropped",
                "answers_5xx",
                "answers_429",
                "replays",
            )
        }
    for key in ("created", "synced", "failed", "lost", "duplicated", "stuck"):
        figures[key] = figures["honoured"][key] + figures["ignored"][key]
    for kind, checker in (("payments", payments_check), ("refunds", refunds_check)):
        counts = Counter[str]()
        for setup in setups:
            counts.update(checker(setup=setup))
        main = ("created", "synced", "failed", "lost", "duplicated", "stuck")
        figures[kind] = {key: counts[key] for key in main} | {k: v for k, v in sorted(counts.items()) if k not in main}
    figures["expected"] = created
    from accounting.sync.models import SyncAttempt

    figures["attempts"] = dict(
        Counter(
            SyncAttempt.objects.filter(record__channel_id__in=[s.channel.pk for s in setups]).values_list(
                "outcome", flat=True
            )
        )
    )
    return figures


def _rows(*, setup: Setup, kind: str) -> dict[int, tuple[str, str, dict, str]]:
    """{store object id: (state, xero_id, xero_refs, last message)} of the channel's rows of `kind`."""
    from accounting.sync.models import SyncRecord

    return {
        object_id: (state, xero_id, refs or {}, message)
        for object_id, state, xero_id, refs, message in SyncRecord.objects.filter(
            channel=setup.channel, kind=kind
        ).values_list("object_id", "state", "xero_id", "xero_refs", "last_error")
    }


def _settle(counts: Counter[str], *, state: str) -> None:
    from accounting.sync.models import SyncState

    if state == SyncState.SYNCED:
        counts["synced"] += 1
    elif state == SyncState.FAILED:
        counts["failed"] += 1
    elif state == SyncState.SKIPPED:
        counts["skipped"] += 1
    elif state == "":
        counts["lost"] += 1
    else:
        counts["stuck"] += 1


def payments_check(*, setup: Setup) -> Counter[str]:
    """The store's payments vs the sandbox's payments on the organisation's invoices (by Reference:
    the store's reference `pay-<n>`, which the payments sync sends as the Xero payment's Reference)."""
    from accounting.sync.models import RecordKind, SyncState
    from stores.models import Payment, PaymentSource
    from xero_sandbox.models import Payment as XeroPayment

    counts = Counter[str]()
    payments = dict(
        Payment.objects.filter(invoice__store=setup.store, source=PaymentSource.STORE).values_list("pk", "reference")
    )
    rows = _rows(setup=setup, kind=RecordKind.PAYMENT)
    held: dict[str, set[str]] = {}
    for reference, payment_id in (
        XeroPayment.objects.filter(invoice__organisation__tenant_id=setup.tenant_id, credit_note__isnull=True)
        .exclude(status="DELETED")
        .values_list("reference", "payment_id")
    ):
        held.setdefault(reference, set()).add(str(payment_id))
    counts["created"] = len(payments)
    counts["in_xero"] = sum(len(ids) for ids in held.values())
    for pk, reference in payments.items():
        state, xero_id, _refs, message = rows.get(pk, ("", "", {}, ""))
        _settle(counts, state=state)
        if state == SyncState.SYNCED and xero_id not in held.get(reference, set()):
            counts["lost"] += 1
        if state == SyncState.FAILED:
            counts[f"failed: {message[:120]}"] += 1
    counts["duplicated"] += sum(len(ids) - 1 for ids in held.values() if len(ids) > 1)
    counts["duplicated"] += sum(len(ids) for reference, ids in held.items() if reference not in payments.values())
    return counts


def refunds_check(*, setup: Setup) -> Counter[str]:
    """The store's refunds vs the sandbox's credit notes (`<invoice number>-CN1`: one refund per
    invoice here), their allocations (credit only) and refund payments (money back)."""
    from accounting.sync.models import RecordKind, SyncState
    from stores.models import Refund
    from xero_sandbox.models import Allocation, CreditNote
    from xero_sandbox.models import Payment as XeroPayment

    counts = Counter[str]()
    refunds = list(Refund.objects.filter(invoice__store=setup.store).values_list("pk", "invoice__number", "method"))
    rows = _rows(setup=setup, kind=RecordKind.REFUND)
    notes: dict[str, set[str]] = {}
    for number, note_id in CreditNote.objects.filter(organisation__tenant_id=setup.tenant_id).values_list(
        "credit_note_number", "credit_note_id"
    ):
        notes.setdefault(number, set()).add(str(note_id))
    allocations = Counter(
        str(note_id)
        for note_id in Allocation.objects.filter(credit_note__organisation__tenant_id=setup.tenant_id).values_list(
            "credit_note__credit_note_id", flat=True
        )
    )
    paid_back = Counter(
        str(note_id)
        for note_id in XeroPayment.objects.filter(credit_note__organisation__tenant_id=setup.tenant_id)
        .exclude(status="DELETED")
        .values_list("credit_note__credit_note_id", flat=True)
    )
    counts["created"] = len(refunds)
    counts["credit_notes"] = sum(len(ids) for ids in notes.values())
    counts["allocations"] = sum(allocations.values())
    counts["refund_payments"] = sum(paid_back.values())
    expected = set()
    for pk, invoice_number, method in refunds:
        number = f"{invoice_number}-CN1"
        expected.add(number)
        counts["money_back" if method else "credit_only"] += 1
        state, xero_id, refs, message = rows.get(pk, ("", "", {}, ""))
        _settle(counts, state=state)
        if state == SyncState.FAILED:
            counts[f"failed: {message[:120]}"] += 1
        if state != SyncState.SYNCED:
            continue
        if xero_id not in notes.get(number, set()):
            counts["lost"] += 1  # no credit note in Xero for it
        elif method and paid_back[xero_id] == 0:
            counts["lost"] += 1  # the money went back in the store, not in Xero
            counts["lost_refund_payments"] += 1
        elif not method and allocations[xero_id] == 0 and refs.get("allocation_id") != "":
            counts["lost"] += 1  # credited in the store, the invoice still owes it in Xero
            counts["lost_allocations"] += 1
    counts["duplicated"] += sum(len(ids) - 1 for ids in notes.values() if len(ids) > 1)
    counts["duplicated"] += sum(len(ids) for number, ids in notes.items() if number not in expected)
    counts["duplicated"] += sum(n - 1 for n in allocations.values() if n > 1)
    counts["duplicated"] += sum(n - 1 for n in paid_back.values() if n > 1)
    return counts


def report(*, figures: dict[str, Any], args: argparse.Namespace, out: Any) -> None:
    print(file=out)
    print(
        f"invoices: {args.invoices} in {args.orgs} organisations, {args.workers} workers × {args.concurrency} threads, "
        f"scale {args.scale}, drop {args.drop:.0%}, 5xx {args.server_errors:.0%}, seed {figures['seed']}",
        file=out,
    )
    print(
        f"worker kills: {figures['kills']} (unplanned deaths: {figures['worker_deaths']}); "
        f"Redis and PostgreSQL restarted: {'no' if args.no_restarts else 'once each'}",
        file=out,
    )
    for mode in ("honoured", "ignored"):
        f = figures[mode]
        print(
            f"Idempotency-Key {mode}: created {f['created']}, synced {f['synced']}, failed {f['failed']}, "
            f"lost {f['lost']}, duplicated {f['duplicated']}, stuck {f['stuck']}; calls {f['calls']}, "
            f"answers dropped {f['answers_dropped']}, 5xx {f['answers_5xx']}, 429 {f['answers_429']}, "
            f"replays {f['replays']}",
            file=out,
        )
    for kind in ("payments", "refunds"):
        print(f"{kind}: " + ", ".join(f"{k} {v}" for k, v in figures[kind].items()), file=out)
    print("attempts by outcome: " + ", ".join(f"{k} {v}" for k, v in sorted(figures["attempts"].items())), file=out)
    print(
        f"created {figures['created']} (of {figures['expected']}), synced {figures['synced']}, "
        f"failed {figures['failed']}, lost {figures['lost']}, duplicated {figures['duplicated']}, "
        f"stuck {figures['stuck']}",
        file=out,
    )
    print(
        f"time: creation {figures['created_in_s']} s, drain {figures['drain_s']} s "
        f"({'settled' if figures['settled'] else 'NOT settled'}), total {figures['total_s']} s",
        file=out,
    )
    if args.json:
        print(json.dumps(figures), file=out)


def passed(figures: dict[str, Any]) -> bool:
    for kind in ("payments", "refunds"):
        counts = figures[kind]
        if any(counts.get(key, 0) for key in ("lost", "duplicated", "stuck")):
            return False
    return (
        figures["lost"] == 0
        and figures["duplicated"] == 0
        and figures["stuck"] == 0
        and figures["created"] == figures["expected"]
    )
