"""Pre-flight of a channel: what would make its sending fail, checked before "Is Active" goes on.

Each check is an independent function of `PREFLIGHT_CHECKS` taking the run's `PreflightContext`
and returning its results; a check for a new setting (payment accounts, shipping accounts…) is
one more function in that list (and, for an account setting, one more line in `ACCOUNT_SETTINGS`).
A failure blocks switching on and names the fix; a warning lets it go on. Xero is only read
(Accounts, TaxRates, Currencies, Invoices by number), through the same limiter as the workers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.utils import timezone

from accounting.books.cache import sales_tax_rates_keep
from accounting.books.line_accounts import channel_chart_keep, channel_line_accounts, chart_dump, line_accounts_of
from accounting.books.payment_accounts import channel_allows_payments, payment_account_for, payment_accounts_keep
from accounting.books.tax_mapping import channel_tax_types_resolve, prefill_note
from accounting.checks.estimates import sync_estimate
from accounting.models import (
    STORE_LINE_KINDS,
    AccountingChannel,
    ChannelLineAccounts,
    ChannelPreflight,
    ChannelTaxMapping,
    ConnectionState,
    DiscountMode,
    PreflightLevel,
)
from accounting.models import LineKind as TaxLineKind
from accounting.providers.xero import books, tax
from accounting.providers.xero.client import XeroClient
from accounting.providers.xero.errors import XeroError, XeroReconnectRequired
from accounting.providers.xero.mapping import percent_text, unset_line_accounts, xero_invoice_number
from accounting.providers.xero.scopes import SETTINGS_SCOPE
from accounting.providers.xero.tax import SalesTaxRate
from accounting.selectors import store_tax_keys
from accounting.services.channels import channel_activate, channel_active_rules_check
from accounting.services.tokens import ChannelNotConnected, TokenRefreshFailed
from accounting.services.xero_access import channel_xero_client
from accounting.sync.models import RecordKind, SyncRecord, SyncState
from stores.models import Invoice, InvoiceLine, LineKind, Payment, PaymentSource, Refund

# The channel settings that name an account code for sales lines: (field, label). Blank means
# the organisation's default sales account. Settings of later features add a line here.
ACCOUNT_SETTINGS: list[tuple[str, str]] = [("account_nominal_code", "Account Nominal Code")]

# The scopes a channel needs whatever is switched on, and per switched-on setting.
BASE_SCOPES = ("offline_access", "accounting.invoices", "accounting.contacts")
SETTING_SCOPES: list[tuple[str, str, str]] = [
    ("add_products", "Add Products to Xero", SETTINGS_SCOPE),
]

# How many of the invoice numbers about to be sent are looked up in Xero (oldest first): a
# bounded look-up, one or two GETs with `InvoiceNumbers=` within the URL budget.
NUMBER_SAMPLE = 100


@dataclass(frozen=True)
class CheckResult:
    name: str
    level: str  # PreflightLevel
    detail: str
    fix: str = ""
    # The control on the channel page that does the fix: "reconnect" (the Reconnect button),
    # "settings" or a card's anchor ("tax-mapping", "line-accounts", "payment-accounts").
    action: str = ""

    @property
    def blocks(self) -> bool:
        return self.level == PreflightLevel.FAILURE


@dataclass
class PreflightReport:
    channel: AccountingChannel
    results: list[CheckResult] = field(default_factory=list)

    @property
    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if r.blocks]

    @property
    def warnings(self) -> list[CheckResult]:
        return [r for r in self.results if r.level == PreflightLevel.WARNING]

    @property
    def blocked(self) -> bool:
        return bool(self.failures)

    def summary(self) -> str:
        """One line for a message: what blocks and how to fix it, else the warnings."""
        if self.failures:
            parts = [f"{r.name}: {r.detail}{f' — {r.fix}' if r.fix else ''}" for r in self.failures]
            return "Pre-flight failed, so the channel was not switched on. " + " ".join(f"{p}." for p in parts)
        if self.warnings:
            return f"Pre-flight warnings: {', '.join(r.name for r in self.warnings)}. See the Pre-flight card."
        return "Pre-flight passed."


class PreflightBlocked(ValidationError):
    """Switching on was refused by the pre-flight; `report` says why."""

    def __init__(self, report: PreflightReport):
        super().__init__(report.summary())
        self.report = report


class PreflightContext:
    """What the checks share: the channel and its Xero organisation's settings, each read once."""

    def __init__(self, *, channel: AccountingChannel, client: XeroClient):
        self.channel = channel
        self.client = client

    @cached_property
    def raw_tax_rates(self) -> list[Any]:
        return self.client.tax_rates()

    @cached_property
    def accounts(self) -> list[Any]:
        # Kept as the channel's chart too, so the Line accounts card offers today's accounts.
        accounts = self.client.accounts()
        chart = chart_dump(tenant_id=self.client.tenant_id, accounts=accounts, tax_rates=self.raw_tax_rates)
        channel_chart_keep(channel=self.channel, chart=chart)
        payment_accounts_keep(channel=self.channel, tenant_id=self.client.tenant_id, accounts=accounts)
        return accounts

    @cached_property
    def tax_rates(self) -> list[SalesTaxRate]:
        # Read fresh and kept for the channel, so the Tax mapping card offers today's types.
        rates = tax.sales_tax_rates(self.raw_tax_rates)
        sales_tax_rates_keep(channel=self.channel, tenant_id=self.client.tenant_id, rates=rates)
        return rates

    @cached_property
    def sales_account(self) -> str:
        """The account code of sales lines: the channel's, else the organisation's default."""
        default = books.default_sales_account(self.accounts)
        return self.channel.account_nominal_code or (str(default.code) if default is not None else "")

    def invoices_at_rate(self, rate: Any, kind: str) -> int:
        """How many of the invoices still to be sent have a line of `kind` (a tax LineKind) at
        `rate`: they wait for its tax type."""
        store_kinds = [store for store, tax_kind in STORE_LINE_KINDS.items() if tax_kind == kind]
        lines = InvoiceLine.objects.filter(tax_rate=rate, kind__in=store_kinds)
        if kind == TaxLineKind.DISCOUNT:  # discounts of goods lines sent as their own lines
            lines = InvoiceLine.objects.filter(Q(tax_rate=rate) & (Q(kind__in=store_kinds) | Q(discount_rate__gt=0)))
        return self.unsent_invoices.filter(pk__in=lines.values("invoice_id")).count()

    @cached_property
    def currencies(self) -> set[str]:
        return books.currency_codes(self.client.currencies())

    @cached_property
    def unsent_invoices(self) -> Any:
        """The store's invoices this channel has still to create in Xero (no Xero id yet)."""
        rows = SyncRecord.objects.filter(
            channel=self.channel, kind=RecordKind.INVOICE, xero_id="",
            state__in=[SyncState.PENDING, SyncState.FAILED, SyncState.WAITING],
        )  # fmt: skip
        return Invoice.objects.filter(store_id=self.channel.store_id, pk__in=rows.values("object_id"))


Check = Callable[[PreflightContext], list[CheckResult]]


def _ok(name: str, detail: str) -> CheckResult:
    return CheckResult(name, PreflightLevel.OK, detail)


def _fail(name: str, detail: str, fix: str, action: str = "") -> CheckResult:
    return CheckResult(name, PreflightLevel.FAILURE, detail, fix, action)


def _warn(name: str, detail: str, fix: str = "", action: str = "") -> CheckResult:
    return CheckResult(name, PreflightLevel.WARNING, detail, fix, action)


def _waiting(count: int) -> str:
    return f"{count} invoice{'' if count == 1 else 's'} wait{'s' if count == 1 else ''} until it is"


# The checks ----------------------------------------------------------------------------------


def check_accounts(ctx: PreflightContext) -> list[CheckResult]:
    """Every account code the channel's settings name exists, is active and suits sales lines."""
    results = []
    for field_name, label in ACCOUNT_SETTINGS:
        code = getattr(ctx.channel, field_name, "") or ""
        if not code:
            default = books.default_sales_account(ctx.accounts)
            if default is None:
                results.append(
                    _fail(label, "no account code is set and Xero has no active revenue account",
                          f"add a revenue account in Xero or enter its code under {label}")
                )  # fmt: skip
            else:
                results.append(_ok(label, f"blank: the organisation's default sales account {default.code} is used"))
            continue
        described, problem = books.account_problem(code=code, accounts=ctx.accounts)
        if problem:
            results.append(
                _fail(label, f"{described} {problem}",
                      f"enter the code of an active revenue account under {label} in the channel's Settings",
                      "settings")
            )  # fmt: skip
        else:
            results.append(_ok(label, f"{described} suits sales lines"))
    return results


def check_tax_rates(ctx: PreflightContext) -> list[CheckResult]:
    """Every tax rate the store's invoices use goes out as a Xero tax type: mapped by the operator,
    or pre-filled from what the organisation's books say (`tax_mapping.tax_prefill`, saved now so
    the Tax mapping card shows it). A rate that needs the operator's choice is a warning: those
    invoices wait, the others go."""
    name = "Tax mapping"
    lines = line_accounts_of(channel=ctx.channel)
    keys = store_tax_keys(store_id=ctx.channel.store_id, discount_mode=lines.discount_mode or DiscountMode.LINE)
    if not keys:
        return [_ok(name, "the store's invoices use no tax rate yet")]
    accounts = channel_line_accounts(channel=ctx.channel, sales=ctx.sales_account)
    # Lines whose account is not chosen wait for it first (check_line_accounts says so).
    unset = set(unset_line_accounts(keys=keys, accounts=accounts))
    keys = [key for key in keys if key[1] not in unset]
    if not keys:
        return [_ok(name, "the rates wait for their line accounts to be chosen first")]
    resolution = channel_tax_types_resolve(
        channel=ctx.channel, client=ctx.client, keys=keys, accounts=accounts, rates=ctx.tax_rates
    )
    mapped = {(m.rate, m.line_kind): m for m in ChannelTaxMapping.objects.filter(channel=ctx.channel)}
    fix = "choose the Xero tax type under Tax mapping on this page"
    results = []
    for rate, kind in keys:
        label = f"Tax {percent_text(rate)}%" + (
            "" if kind == TaxLineKind.GOODS else f" ({TaxLineKind(kind).label.lower()})"
        )
        if (rate, kind) in resolution.tax_types:
            row = mapped.get((rate, kind))
            note = prefill_note(origin=row.origin, account=row.source_account) if row else ""
            results.append(_ok(label, f"{resolution.tax_types[(rate, kind)]}, {note}" if note else "mapped"))
            continue
        waiting = ctx.invoices_at_rate(rate, kind)
        results.append(_warn(label, f"{resolution.problems[(rate, kind)]} ({_waiting(waiting)})", fix, "tax-mapping"))
    return results


def check_currency(ctx: PreflightContext) -> list[CheckResult]:
    """The store's currency is enabled in the organisation (else nothing could be sent); another
    currency some invoices use and Xero lacks is a warning (those invoices fail, saying so)."""
    store = ctx.channel.store
    others = set(store.invoices.values_list("currency", flat=True).distinct()) - {store.currency}
    fix = "add {codes} under Settings › Currencies in Xero, then run the pre-flight again"
    if store.currency not in ctx.currencies:
        return [
            _fail("Currency", f"the store's currency {store.currency} is not enabled in the organisation",
                  fix.format(codes=store.currency))
        ]  # fmt: skip
    missing = sorted(others - ctx.currencies)
    if missing:
        return [
            _warn("Currency", f"{', '.join(missing)} not enabled in the organisation: invoices in "
                  f"{', '.join(missing)} fail, saying so", fix.format(codes=", ".join(missing)))
        ]  # fmt: skip
    return [_ok("Currency", f"{', '.join(sorted({store.currency, *others}))} enabled in Xero")]


def check_organisation(ctx: PreflightContext) -> list[CheckResult]:
    """The connection still reaches the organisation the channel was connected to."""
    try:
        found = ctx.client.organisation()
    except XeroReconnectRequired as exc:  # Xero's 403: this organisation is not among the connection's
        return [
            _fail("Organisation", f"the connection no longer reaches {ctx.channel.tenant_name} ({exc.message})",
                  f"press Reconnect and pick {ctx.channel.tenant_name}", "reconnect")
        ]  # fmt: skip
    if found is None or books.organisation_tenant_id(found) != ctx.channel.tenant_id:
        reached = books.organisation_summary(found) if found is not None else "no organisation"
        return [
            _fail("Organisation", f"the connection reaches {reached}, not {ctx.channel.tenant_name}",
                  f"press Reconnect and pick {ctx.channel.tenant_name}", "reconnect")
        ]  # fmt: skip
    return [_ok("Organisation", books.organisation_summary(found))]


def check_scopes(ctx: PreflightContext) -> list[CheckResult]:
    """The consent granted covers what is switched on (e.g. Add Products needs the settings scope)."""
    granted = set(ctx.channel.scopes.split())
    needed: dict[str, str] = {scope: "sending invoices" for scope in BASE_SCOPES}
    for field_name, label, scope in SETTING_SCOPES:
        if getattr(ctx.channel, field_name, False):
            needed.setdefault(scope, label)
    missing = {scope: why for scope, why in needed.items() if scope not in granted}
    if missing:
        detail = "; ".join(f"{scope} (for {why})" for scope, why in missing.items())
        return [_fail("Scopes", f"not granted: {detail}", "press Reconnect and allow access again to grant them",
                      "reconnect")]  # fmt: skip
    return [_ok("Scopes", f"granted: {' '.join(sorted(needed))}")]


def check_invoice_numbers(ctx: PreflightContext) -> list[CheckResult]:
    """No invoice about to be created already has its number in Xero (a bounded look-up)."""
    name = "Invoice numbers"
    invoices = list(ctx.unsent_invoices.order_by("issue_date", "pk")[:NUMBER_SAMPLE])
    if not invoices:
        return [_ok(name, "no invoice waits to be created in Xero")]
    numbers = [xero_invoice_number(channel=ctx.channel, invoice=invoice) for invoice in invoices]
    held = sorted(
        {found.invoice_number for found in ctx.client.invoices_by_number(numbers=numbers)
         if books._value(found.status) not in ("DELETED", "VOIDED")} & set(numbers)
    )  # fmt: skip
    checked = f"{len(numbers)} of the numbers about to be sent were looked up"
    if held:
        shown = ", ".join(held[:5]) + ("…" if len(held) > 5 else "")
        return [
            _warn(name, f"Xero already holds {len(held)} of them ({shown}); {checked}",
                  "each is adopted when Xero's contact and total agree, else it fails: set an Invoice number "
                  "prefix to keep the store's numbers apart, or remove those invoices in Xero")
        ]  # fmt: skip
    return [_ok(name, f"no clash: {checked}")]


def check_backlog(ctx: PreflightContext) -> list[CheckResult]:
    """The backlog fits the organisation's daily budget, else say how many days it takes."""
    invoices = ctx.unsent_invoices
    products = 0
    if ctx.channel.add_products:
        products = SyncRecord.objects.filter(
            channel=ctx.channel, kind=RecordKind.PRODUCT, state=SyncState.PENDING
        ).count()
    estimate = sync_estimate(channel=ctx.channel, invoices=invoices, products=products)
    if not estimate.invoices and not products:
        return [_ok("Backlog", "nothing waits to be sent")]
    if estimate.days <= 1:
        return [_ok("Backlog", f"{estimate.describe()}: fits today's budget")]
    return [
        _warn("Backlog", f"{estimate.describe()}: more than the daily budget, so it takes about {estimate.days} days",
              "nothing to fix: the rest waits for the next day's budget")
    ]  # fmt: skip


# Store line kinds that go to an account of their own (`ChannelLineAccounts`): (kinds, field, label).
LINE_ACCOUNT_NEEDS: list[tuple[tuple[str, ...], str, str]] = [
    ((LineKind.SHIPPING,), "shipping_account", "Shipping account"),
    ((LineKind.DISCOUNT,), "discount_account", "Discount account"),
    ((LineKind.GIFT_CARD_SOLD, LineKind.GIFT_CARD_REDEEMED), "gift_card_account", "Gift card liability account"),
]


def _account_state(code: str, accounts: Iterable[Any]) -> str:
    """Return "" when `code` is an ACTIVE account of the organisation, else what is wrong with it."""
    for account in accounts:
        if str(account.code or "") == code:
            status = books._value(account.status)
            return "" if status == "ACTIVE" else f"is {status.lower()} in Xero"
    return "is not in the organisation's chart of accounts"


def check_line_accounts(ctx: PreflightContext) -> list[CheckResult]:
    """Shipping, discount and gift-card lines the store's invoices hold have an account chosen,
    and every chosen line account is still an active account of the organisation.

    An unset account is a warning (those invoices wait, saying where to choose it, and go once it
    is chosen); a chosen account Xero no longer holds is a failure."""
    row = ChannelLineAccounts.objects.filter(channel=ctx.channel).first()
    mode = row.discount_mode if row is not None else DiscountMode.LINE
    lines = InvoiceLine.objects.filter(invoice__store_id=ctx.channel.store_id)
    counts = dict(lines.values_list("kind").annotate(n=Count("invoice", distinct=True)).order_by())
    if mode == DiscountMode.SEPARATE:
        discounted = lines.filter(kind=LineKind.PRODUCT, discount_rate__gt=0).values("invoice").distinct().count()
        counts[LineKind.DISCOUNT] = counts.get(LineKind.DISCOUNT, 0) + discounted
    fix = "choose it under Line accounts on this page"
    results = []
    for kinds, field_name, label in LINE_ACCOUNT_NEEDS:
        used = sum(counts.get(kind, 0) for kind in kinds)
        code = getattr(row, field_name, "") if row is not None else ""
        if code:
            problem = _account_state(code, ctx.accounts)
            if problem:
                results.append(
                    _warn(label, f"account {code} {problem}: Xero refuses invoices with such lines",
                          f"choose another ({fix})", "line-accounts")
                )  # fmt: skip
            else:
                results.append(_ok(label, f"account {code} is active in Xero"))
        elif used:
            results.append(_warn(label, f"not chosen, and {used} invoice(s) have such lines: they wait until it is",
                                 fix, "line-accounts"))  # fmt: skip
    if not results:
        results.append(_ok("Line accounts", "the store's invoices have no shipping, discount or gift-card lines"))
    return results


def check_payment_accounts(ctx: PreflightContext) -> list[CheckResult]:
    """The store's payments and money refunds can go to Xero: the consent allows payments and an
    account is chosen for every method used (warnings: they wait, invoices go meanwhile)."""

    store_id = ctx.channel.store_id
    methods = set(
        Payment.objects.filter(invoice__store_id=store_id, source=PaymentSource.STORE)
        .values_list("method", flat=True)
        .distinct()
    ) | set(Refund.objects.filter(invoice__store_id=store_id, amount_returned__gt=0).values_list("method", flat=True))
    if not methods:
        return [_ok("Payment accounts", "the store has no payments or refunds yet")]
    results = []
    if not channel_allows_payments(channel=ctx.channel):
        results.append(
            _warn("Payments scope", "accounting.payments was not granted: payments and refunds wait",
                  "press Reconnect and allow access again", "reconnect")
        )  # fmt: skip
    usable = {a["account_id"] for a in books.payment_accounts(ctx.accounts)}
    for method in sorted(methods, key=str.casefold):
        label = f"Payments by “{method}”"
        chosen = payment_account_for(channel=ctx.channel, method=method)
        if chosen is None:
            results.append(
                _warn(label, "no Xero account chosen: these payments wait until one is",
                      "choose one (or a default) under Payment accounts on this page", "payment-accounts")
            )  # fmt: skip
        elif chosen.account_id not in usable:
            results.append(
                _warn(label, f"{chosen.account_name or chosen.account_code} is no longer an active bank or "
                      "payment-enabled account in Xero: Xero refuses these payments",
                      "choose another under Payment accounts on this page", "payment-accounts")
            )  # fmt: skip
        else:
            results.append(_ok(label, f"go to {chosen.account_name or chosen.account_code}"))
    return results


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
        report.results.append(_fail("Connection", str(exc), "press Reconnect and allow access again", "reconnect"))
    else:
        ctx = PreflightContext(channel=channel, client=client)
        for check in PREFLIGHT_CHECKS if checks is None else checks:
            try:
                report.results += check(ctx)
            except XeroError as exc:
                report.results.append(
                    _fail(check.__name__.removeprefix("check_").replace("_", " ").capitalize(),
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
