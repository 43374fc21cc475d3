"""Read-only checks of a channel against its Xero organisation (`manage.py xero_check`; a page
can show the same report).

Every probe is a GET (Organisation, Accounts, TaxRates, Currencies): nothing is written to Xero
and nothing to the channel's settings, mapping or caches. Each probe says what it found and,
when something would make invoices fail or misstate the books, why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import QuerySet

from accounting.access.client import RecordingGate, channel_xero_client
from accounting.models import AccountingChannel, ChannelTaxMapping, ConnectionState
from accounting.providers.xero import books
from accounting.providers.xero.client import XeroClient
from accounting.providers.xero.errors import XeroError
from accounting.providers.xero.mapping import percent_text
from accounting.providers.xero.tax import sales_tax_rates, sales_tax_types_at
from accounting.selectors import store_tax_keys


@dataclass(frozen=True)
class Probe:
    name: str
    ok: bool
    detail: str


@dataclass
class XeroCheckReport:
    channel: AccountingChannel
    probes: list[Probe] = field(default_factory=list)

    @property
    def failures(self) -> list[Probe]:
        return [p for p in self.probes if not p.ok]

    def lines(self) -> list[str]:
        head = f"Xero check of channel {self.channel.pk} “{self.channel.name}” (store {self.channel.store.name})"
        body = [f"{'[ok]  ' if p.ok else '[FAIL]'} {p.name}: {p.detail}" for p in self.probes]
        n = len(self.failures)
        tail = "All probes passed." if not n else f"{n} probe{'' if n == 1 else 's'} failed."
        return [head, *body, tail]


class ChannelNotCheckable(Exception):
    """The channel cannot be checked (not connected); the message says why."""


def channel_for_check(*, channel_id: int) -> AccountingChannel:
    """Return the channel to check; raise AccountingChannel.DoesNotExist or ChannelNotCheckable."""
    channel = AccountingChannel.objects.select_related("store").get(pk=channel_id)
    if channel.connection_state != ConnectionState.CONNECTED:
        raise ChannelNotCheckable(
            f"Channel {channel.pk} “{channel.name}” is {channel.get_connection_state_display().lower()}: "
            "connect it to Xero first."
        )
    return channel


def channel_xero_check(*, channel: AccountingChannel) -> XeroCheckReport:
    """Probe the channel's Xero organisation with GETs only; return the report.

    Raise tokens.ChannelNotConnected / TokenRefreshFailed when no access token can be had.
    """
    client, gate = channel_xero_client(channel=channel)
    report = XeroCheckReport(channel=channel)
    probes: list[Callable[[], list[Probe]]] = [
        lambda: _organisation(client),
        lambda: _accounts(channel, client),
        lambda: _tax_mapping(channel, client),
        lambda: _currencies(channel, client),
        lambda: [_scopes(channel)],
        lambda: [_limits(gate)],
    ]
    names = ["Organisation", "Sales account", "Tax mapping", "Currencies", "Scopes", "Limits"]
    for name, probe in zip(names, probes, strict=True):
        try:
            report.probes += probe()
        except XeroError as exc:
            report.probes.append(Probe(name, False, f"Xero answered: {exc.message}"))
    return report


def _organisation(client: XeroClient) -> list[Probe]:
    organisation = client.organisation()
    if organisation is None:
        return [Probe("Organisation", False, "Xero returned no organisation for this connection")]
    return [Probe("Organisation", True, books.organisation_summary(organisation))]


def _accounts(channel: AccountingChannel, client: XeroClient) -> list[Probe]:
    accounts = client.accounts()
    if channel.account_nominal_code:
        described, problem = books.account_problem(code=channel.account_nominal_code, accounts=accounts)
        return [Probe("Sales account", not problem, f"{described} {problem or 'suits sales lines'}")]
    default = books.default_sales_account(accounts)
    if default is None:
        return [Probe("Sales account", False, "no account code set and Xero has no active revenue account")]
    detail = f"no account code set: lines go to the organisation's default, {default.code} “{default.name}”"
    return [Probe("Sales account", True, detail)]


def _tax_mapping(channel: AccountingChannel, client: XeroClient) -> list[Probe]:
    rates = sales_tax_rates(client.tax_rates())
    mapped = {(m.rate, m.line_kind): m.tax_type for m in _mappings(channel)}
    keys = sorted({*store_tax_keys(store_id=channel.store_id), *mapped}, key=lambda k: (k[1], k[0]))
    if not keys:
        return [Probe("Tax mapping", True, "the store's invoices use no tax rate yet")]
    return [_tax_probe(rate=rate, kind=kind, mapped=mapped.get((rate, kind), ""), rates=rates) for rate, kind in keys]


def _mappings(channel: AccountingChannel) -> QuerySet[ChannelTaxMapping]:
    return ChannelTaxMapping.objects.filter(channel=channel)


def _tax_probe(*, rate: Decimal, kind: str, mapped: str, rates: list) -> Probe:
    name = f"Tax {percent_text(rate)}% ({kind})"
    offered = sales_tax_types_at(rates, rate)
    types = ", ".join(r.tax_type for r in offered)
    if mapped:
        if mapped in {r.tax_type for r in offered}:
            return Probe(name, True, f"mapped to {mapped}")
        return Probe(name, False, f"mapped to {mapped}, which is not an active sales tax type at this rate in Xero")
    if len(offered) == 1:
        return Probe(name, True, f"not mapped; {types} is the only sales tax type at this rate and will be pre-filled")
    if not offered:
        return Probe(name, False, "not mapped, and Xero has no active sales tax rate at this rate")
    return Probe(name, False, f"not mapped; choose one of {types} under Tax mapping on the channel page")


def _currencies(channel: AccountingChannel, client: XeroClient) -> list[Probe]:
    enabled = books.currency_codes(client.currencies())
    used = {channel.store.currency, *channel.store.invoices.values_list("currency", flat=True).distinct()}
    missing = sorted(used - enabled)
    detail = f"store uses {', '.join(sorted(used))}; Xero has {', '.join(sorted(enabled)) or 'none'} enabled"
    if missing:
        detail += f"; enable {', '.join(missing)} in Xero"
    return [Probe("Currencies", not missing, detail)]


def _scopes(channel: AccountingChannel) -> Probe:
    granted = set(channel.scopes.split())
    missing = [s for s in settings.XERO_SCOPES if s not in granted]
    if missing:
        return Probe("Scopes", False, f"not granted: {' '.join(missing)}; reconnect the channel to grant them")
    return Probe("Scopes", True, f"granted: {' '.join(s for s in settings.XERO_SCOPES)}")


def _limits(gate: RecordingGate) -> Probe:
    remaining = books.limits_remaining(gate.last_headers)
    if all(v is None for v in remaining.values()):
        return Probe("Limits", True, "Xero's answers carried no limit headers")
    text = ", ".join(f"{'?' if v is None else v} calls left {k}" for k, v in remaining.items())
    exhausted = [k for k, v in remaining.items() if v == 0]
    if exhausted:
        text += f"; none left {' or '.join(exhausted)}: wait for Xero's window to reset"
    return Probe("Limits", not exhausted, text)
