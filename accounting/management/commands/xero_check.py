"""`manage.py xero_check --channel ID`: read-only probes of a channel's Xero organisation."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounting.access.tokens import ChannelNotConnected, TokenRefreshFailed
from accounting.checks.xero_check import ChannelNotCheckable, channel_for_check, channel_xero_check
from accounting.models import AccountingChannel

# Exit codes: 0 every probe passed, 1 a probe failed, 2 the channel could not be checked.
PROBE_FAILED = 1
NOT_CHECKABLE = 2


class Command(BaseCommand):
    help = (
        "Check a channel against its Xero organisation with GETs only: the organisation, the sales account, "
        "the tax mapping against the organisation's tax rates, currencies, scopes and the limits left. "
        "Exit code 1 when a probe fails, 2 when the channel cannot be checked."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--channel", required=True, type=int, help="The accounting channel's id.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            channel = channel_for_check(channel_id=options["channel"])
            report = channel_xero_check(channel=channel)
        except AccountingChannel.DoesNotExist:
            raise CommandError(
                f"No accounting channel has the id {options['channel']}.", returncode=NOT_CHECKABLE
            ) from None
        except (ChannelNotCheckable, ChannelNotConnected, TokenRefreshFailed) as exc:
            raise CommandError(str(exc), returncode=NOT_CHECKABLE) from None
        for line in report.lines():
            self.stdout.write(line)
        if report.failures:
            raise CommandError(report.lines()[-1], returncode=PROBE_FAILED)
