"""Pre-flight checks of the connection and the organisation: what, if wrong, lets nothing be sent
(scopes, the organisation reached, the sales account, the store's currency), and what only
deserves a warning (invoice numbers Xero already holds, a backlog past the day budget)."""

from __future__ import annotations

from accounting.checks.estimates import sync_estimate
from accounting.checks.preflight.context import PreflightContext
from accounting.checks.preflight.report import CheckResult, fail, ok, warn
from accounting.providers.xero import books
from accounting.providers.xero.errors import XeroReconnectRequired
from accounting.providers.xero.mapping import xero_invoice_number
from accounting.providers.xero.scopes import SETTINGS_SCOPE
from accounting.providers.xero.values import CLOSED, text
from accounting.sync.models import RecordKind, SyncRecord, SyncState

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


def account_fix(*, label: str) -> str:
    return f"enter the code of an active revenue account under {label} in the channel's Settings"


def check_accounts(ctx: PreflightContext) -> list[CheckResult]:
    """Every account code the channel's settings name exists, is active and suits sales lines."""
    results = []
    for field_name, label in ACCOUNT_SETTINGS:
        code = getattr(ctx.channel, field_name, "") or ""
        if not code:
            default = books.default_sales_account(ctx.accounts)
            if default is None:
                results.append(
                    fail(label, "no account code is set and Xero has no active revenue account",
                          f"add a revenue account in Xero or enter its code under {label}")
                )  # fmt: skip
            else:
                results.append(ok(label, f"blank: the organisation's default sales account {default.code} is used"))
            continue
        described, problem = books.account_problem(code=code, accounts=ctx.accounts)
        if problem:
            results.append(
                fail(label, f"{described} {problem}", account_fix(label=label), "settings")
            )  # fmt: skip
        else:
            results.append(ok(label, f"{described} suits sales lines"))
    return results


def check_currency(ctx: PreflightContext) -> list[CheckResult]:
    """The store's currency is enabled in the organisation (else nothing could be sent); another
    currency some invoices use and Xero lacks is a warning (those invoices fail, saying so)."""
    store = ctx.channel.store
    others = set(store.invoices.values_list("currency", flat=True).distinct()) - {store.currency}
    fix = "add {codes} under Settings › Currencies in Xero, then run the pre-flight again"
    if store.currency not in ctx.currencies:
        return [
            fail("Currency", f"the store's currency {store.currency} is not enabled in the organisation",
                  fix.format(codes=store.currency))
        ]  # fmt: skip
    missing = sorted(others - ctx.currencies)
    if missing:
        return [
            warn("Currency", f"{', '.join(missing)} not enabled in the organisation: invoices in "
                  f"{', '.join(missing)} fail, saying so", fix.format(codes=", ".join(missing)))
        ]  # fmt: skip
    return [ok("Currency", f"{', '.join(sorted({store.currency, *others}))} enabled in Xero")]


def check_organisation(ctx: PreflightContext) -> list[CheckResult]:
    """The connection still reaches the organisation the channel was connected to."""
    try:
        found = ctx.client.organisation()
    except XeroReconnectRequired as exc:  # Xero's 403: this organisation is not among the connection's
        return [
            fail("Organisation", f"the connection no longer reaches {ctx.channel.tenant_name} ({exc.message})",
                  f"press Reconnect and pick {ctx.channel.tenant_name}", "reconnect")
        ]  # fmt: skip
    if found is None or books.organisation_tenant_id(found) != ctx.channel.tenant_id:
        reached = books.organisation_summary(found) if found is not None else "no organisation"
        return [
            fail("Organisation", f"the connection reaches {reached}, not {ctx.channel.tenant_name}",
                  f"press Reconnect and pick {ctx.channel.tenant_name}", "reconnect")
        ]  # fmt: skip
    return [ok("Organisation", books.organisation_summary(found))]


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
        return [fail("Scopes", f"not granted: {detail}", "press Reconnect and allow access again to grant them",
                      "reconnect")]  # fmt: skip
    return [ok("Scopes", f"granted: {' '.join(sorted(needed))}")]


def check_invoice_numbers(ctx: PreflightContext) -> list[CheckResult]:
    """No invoice about to be created already has its number in Xero (a bounded look-up)."""
    name = "Invoice numbers"
    invoices = list(ctx.unsent_invoices.order_by("issue_date", "pk")[:NUMBER_SAMPLE])
    if not invoices:
        return [ok(name, "no invoice waits to be created in Xero")]
    numbers = [xero_invoice_number(channel=ctx.channel, invoice=invoice) for invoice in invoices]
    held = sorted(
        {found.invoice_number for found in ctx.client.invoices_by_number(numbers=numbers)
         if text(found.status) not in CLOSED} & set(numbers)
    )  # fmt: skip
    checked = f"{len(numbers)} of the numbers about to be sent were looked up"
    if held:
        shown = ", ".join(held[:5]) + ("…" if len(held) > 5 else "")
        return [
            warn(name, f"Xero already holds {len(held)} of them ({shown}); {checked}",
                  "each is adopted when Xero's contact and total agree, else it fails: set an Invoice number "
                  "prefix to keep the store's numbers apart, or remove those invoices in Xero")
        ]  # fmt: skip
    return [ok(name, f"no clash: {checked}")]


def backlog_over_budget_detail(*, estimate: str, days: int) -> str:
    return f"{estimate}: more than the daily budget, so it takes about {days} days"


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
        return [ok("Backlog", "nothing waits to be sent")]
    if estimate.days <= 1:
        return [ok("Backlog", f"{estimate.describe()}: fits today's budget")]
    return [
        warn("Backlog", backlog_over_budget_detail(estimate=estimate.describe(), days=estimate.days),
              "nothing to fix: the rest waits for the next day's budget")
    ]  # fmt: skip
