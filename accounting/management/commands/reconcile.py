"""Reconcile a channel's store records of a date range with what Xero holds, in this process.

    manage.py reconcile --channel 3 --from 2026-11-01 --to 2026-11-30

Prints the estimate, the calls and bytes read, the totals per day and currency and every
difference; exits 1 when a record differs (0 when none does), so it can run from a scheduler.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounting.checks.reconcile.run import reconciliation_run, reconciliation_start
from accounting.models import AccountingChannel
from accounting.sync.models import ReconciliationState


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"“{value}” is not a date: write it as YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = "Compare a channel's store records of a date range with what Xero holds; list every difference."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--channel", type=int, required=True, help="The accounting channel's id.")
        parser.add_argument("--from", dest="date_from", required=True, help="First store day, YYYY-MM-DD.")
        parser.add_argument("--to", dest="date_to", required=True, help="Last store day, YYYY-MM-DD.")

    def handle(self, *args: Any, **options: Any) -> None:
        channel = AccountingChannel.objects.filter(pk=options["channel"]).first()
        if channel is None:
            raise CommandError(f"There is no accounting channel {options['channel']}.")
        date_from, date_to = _date(options["date_from"]), _date(options["date_to"])
        try:
            started = reconciliation_start(
                channel=channel,
                date_from=date_from,
                date_to=date_to,
                by="manage.py reconcile",
                queue=False,
                reuse=False,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(
            f"Reconciling {channel.name} ({channel.store.name}) from {date_from} to {date_to}: "
            f"{started.records} store record(s), about {started.estimate_calls} call(s) to Xero."
        )
        if started.state == ReconciliationState.QUEUED:
            done = reconciliation_run(reconciliation_id=started.pk)
        else:
            self.stdout.write(f"(the reconciliation asked at {started.created_at:%H:%M:%S} UTC is answered)")
            done = started
        if done is None:
            raise CommandError("The reconciliation was deleted while it ran.")
        done.refresh_from_db()
        if done.state == ReconciliationState.FAILED:
            raise CommandError(done.error)
        if done.state != ReconciliationState.DONE:
            raise CommandError(f"The reconciliation is still {done.get_state_display().lower()}: {done.step}.")
        self.stdout.write(f"Read {done.calls} call(s), {done.bytes_read:,} bytes from Xero.")
        self.stdout.write("Day         Cur  Invoices store/Xero      Payments store/Xero      Refunds    Payouts")
        for t in done.totals:
            mark = "  ≠" if t["differs"] else ""
            self.stdout.write(
                f"{t['date']}  {t['currency']}  {t['store']['invoices']:>10} / {t['xero']['invoices']:<10}"
                f"  {t['store']['payments']:>10} / {t['xero']['payments']:<10}"
                f"  {t['store']['refunds']} / {t['xero']['refunds']}  {t['store']['payouts']} / {t['xero']['payouts']}"
                f"{mark}"
            )
        for d in done.differences:
            record = d["record"]
            self.stdout.write(
                f"{d['kind']}: {record['type']} {record['number']} ({record['date']}): {d['message']}; "
                f"store {d['store']}, Xero {d['xero'] or 'none'}"
            )
        if done.differences:
            self.stdout.write(self.style.WARNING(f"{len(done.differences)} difference(s)."))
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS("No difference: Xero holds what the store says."))
