"""Pre-flight of a channel: what would make its sending fail, checked before "Is Active" goes on.

Each check is an independent function of `PREFLIGHT_CHECKS` taking the run's `PreflightContext`
and returning its results; a check for a new setting (payment accounts, shipping accounts…) is
one more function in that list (and, for an account setting, one more line in `ACCOUNT_SETTINGS`).
A failure blocks switching on and names the fix; a warning lets it go on. Xero is only read
(Accounts, TaxRates, Currencies, Invoices by number), through the same limiter as the workers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounting.access.client import channel_xero_client
from accounting.access.tokens import ChannelNotConnected, TokenRefreshFailed
from accounting.checks.preflight.books import check_line_accounts, check_payment_accounts, check_tax_rates
from accounting.checks.preflight.context import Check, PreflightContext
from accounting.checks.preflight.organisation import (
    check_accounts,
    check_backlog,
    check_currency,
    check_invoice_numbers,
    check_organisation,
    check_scopes,
)
from accounting.checks.preflight.report import PreflightBlocked, PreflightReport, fail
from accounting.models import AccountingChannel, ChannelPreflight, ConnectionState
from accounting.providers.xero.errors import XeroError
from accounting.services.channels import channel_activate, channel_active_rules_check

__all__ = ["PREFLIGHT_CHECKS", "PreflightBlocked", "channel_preflight", "channel_switch_on", "preflight_latest"]


PREFLIGHT_CHECKS: list[Check] = [
    check_scopes,
    check_organisation,
    check_accounts,
    check_line_accounts,
    check_payment_accounts,
    check_tax_rates,
    check_currency,
    check_invoice_numbers,
    check_backlog,
]


# Running it ----------------------------------------------------------------------------------


def channel_preflight(
    *, channel: AccountingChannel, user: User | None = None, checks: Iterable[Check] | None = None
) -> PreflightReport:
    """Run every check against the channel's Xero organisation; record and return the report.

    A check Xero could not answer fails with Xero's message (nothing can be vouched for); a
    channel whose token cannot be had fails once, asking for a reconnect.
    """
    channel = AccountingChannel.objects.select_related("store").get(pk=channel.pk)
    report = PreflightReport(channel=channel)
    try:
        client, _gate = channel_xero_client(channel=channel)
    except (ChannelNotConnected, TokenRefreshFailed) as exc:
        report.results.append(fail("Connection", str(exc), "press Reconnect and allow access again", "reconnect"))
    else:
        ctx = PreflightContext(channel=channel, client=client)
        for check in PREFLIGHT_CHECKS if checks is None else checks:
            try:
                report.results += check(ctx)
            except XeroError as exc:
                report.results.append(
                    fail(check.__name__.removeprefix("check_").replace("_", " ").capitalize(),
                          f"Xero could not be asked: {exc.message}", "try again; if it persists, use Reconnect")
                )  # fmt: skip
    ChannelPreflight.objects.update_or_create(
        channel=channel,
        defaults={
            "results": [asdict(r) for r in report.results],
            "blocked": report.blocked,
            "ran_at": timezone.now(),
            "ran_by": user,
        },
    )
    return report


def channel_switch_on(*, channel: AccountingChannel, user: User | None = None) -> PreflightReport:
    """Switch the channel on after its pre-flight; raise PreflightBlocked when a check fails.

    The rules that need no Xero (connected, one active channel) are checked first, so their
    message comes without a call; `services.channel_activate` checks them again under its lock.
    """
    channel = AccountingChannel.objects.select_related("store").get(pk=channel.pk)
    if channel.is_active:
        return PreflightReport(channel=channel)
    if channel.connection_state != ConnectionState.CONNECTED:
        raise ValidationError(f"Connect “{channel.name}” to Xero before switching it on.")
    channel.is_active = True
    channel_active_rules_check(channel=channel)
    report = channel_preflight(channel=channel, user=user)
    if report.blocked:
        raise PreflightBlocked(report)
    channel_activate(channel=channel, user=user)
    return report


def preflight_latest(*, channel: AccountingChannel) -> ChannelPreflight | None:
    """Return the channel's latest pre-flight (for its page), or None."""
    return ChannelPreflight.objects.filter(channel=channel).first()
