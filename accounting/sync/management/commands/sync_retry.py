"""`manage.py sync_retry --channel ID [--record ID …]`: send failed ledger rows again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounting.models import AccountingChannel
from accounting.sync.ledger.actions import sync_retry
from accounting.sync.models import SyncRecord, SyncState


class Command(BaseCommand):
    help = "Send a channel's failed sync rows (or only the given rows) to Xero again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--channel", type=int, required=True, help="Accounting channel id.")
        parser.add_argument("--record", type=int, action="append", default=[], help="Ledger row id (repeatable).")

    def handle(self, *args: Any, **options: Any) -> None:
        channel = AccountingChannel.objects.filter(pk=options["channel"]).first()
        if channel is None:
            raise CommandError(f"No accounting channel with id {options['channel']}.")
        rows = SyncRecord.objects.filter(channel=channel, state=SyncState.FAILED)
        if options["record"]:
            wanted = set(options["record"])
            found = set(SyncRecord.objects.filter(channel=channel, pk__in=wanted).values_list("pk", flat=True))
            if wanted - found:
                missing = ", ".join(str(i) for i in sorted(wanted - found))
                raise CommandError(f"No sync row {missing} in channel {channel.pk}.")
            rows = rows.filter(pk__in=wanted)
        count = sync_retry(records=rows)
        self.stdout.write(f"Queued {count} failed row(s) of channel {channel.pk} ({channel.name}) for sending.")
