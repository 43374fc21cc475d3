"""Pre-flight checks of what the operator maps (tax types, line accounts, payment accounts): what
still needs a choice is a warning, since only the records that need it wait."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count

from accounting.books.line_accounts import channel_line_accounts, line_accounts_of
from accounting.books.payment_accounts import channel_allows_payments, payment_account_for
from accounting.books.tax_mapping import channel_tax_types_resolve, prefill_note
from accounting.checks.preflight.context import PreflightContext
from accounting.checks.preflight.report import CheckResult, ok, waiting_text, warn
from accounting.models import ChannelLineAccounts, ChannelTaxMapping, DiscountMode
from accounting.models import LineKind as TaxLineKind
from accounting.providers.xero import books
from accounting.providers.xero.mapping import percent_text, unset_line_accounts
from accounting.providers.xero.values import RecordStatus, text
from accounting.selectors import store_tax_keys
from stores.models import InvoiceLine, LineKind, Payment, PaymentSource, Refund


def check_tax_rates(ctx: PreflightContext) -> list[CheckResult]:
    """Every tax rate the store's invoices use goes out as a Xero tax type: mapped by the operator,
    or pre-filled from what the organisation's books say (`tax_mapping.tax_prefill`, saved now so
    the Tax mapping card shows it). A rate that needs the operator's choice is a warning: those
    invoices wait, the others go."""
    name = "Tax mapping"
    lines = line_accounts_of(channel=ctx.channel)
    keys = store_tax_keys(store_id=ctx.channel.store_id, discount_mode=lines.discount_mode or DiscountMode.LINE)
    if not keys:
        return [ok(name, "the store's invoices use no tax rate yet")]
    accounts = channel_line_accounts(channel=ctx.channel, sales=ctx.sales_account)
    # Lines whose account is not chosen wait for it first (check_line_accounts says so).
    unset = set(unset_line_accounts(keys=keys, accounts=accounts))
    keys = [key for key in keys if key[1] not in unset]
    if not keys:
        return [ok(name, "the rates wait for their line accounts to be chosen first")]
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
            results.append(ok(label, f"{resolution.tax_types[(rate, kind)]}, {note}" if note else "mapped"))
            continue
        waiting = ctx.invoices_at_rate(rate, kind)
        results.append(
            warn(label, f"{resolution.problems[(rate, kind)]} ({waiting_text(waiting)})", fix, "tax-mapping")
        )
    return results


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
            status = text(account.status)
            return "" if status == RecordStatus.ACTIVE else f"is {status.lower()} in Xero"
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
                    warn(label, f"account {code} {problem}: Xero refuses invoices with such lines",
                          f"choose another ({fix})", "line-accounts")
                )  # fmt: skip
            else:
                results.append(ok(label, f"account {code} is active in Xero"))
        elif used:
            results.append(warn(label, f"not chosen, and {used} invoice(s) have such lines: they wait until it is",
                                 fix, "line-accounts"))  # fmt: skip
    if not results:
        results.append(ok("Line accounts", "the store's invoices have no shipping, discount or gift-card lines"))
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
        return [ok("Payment accounts", "the store has no payments or refunds yet")]
    results = []
    if not channel_allows_payments(channel=ctx.channel):
        results.append(
            warn("Payments scope", "accounting.payments was not granted: payments and refunds wait",
                  "press Reconnect and allow access again", "reconnect")
        )  # fmt: skip
    usable = {a["account_id"] for a in books.payment_accounts(ctx.accounts)}
    for method in sorted(methods, key=str.casefold):
        label = f"Payments by “{method}”"
        chosen = payment_account_for(channel=ctx.channel, method=method)
        if chosen is None:
            results.append(
                warn(label, "no Xero account chosen: these payments wait until one is",
                      "choose one (or a default) under Payment accounts on this page", "payment-accounts")
            )  # fmt: skip
        elif chosen.account_id not in usable:
            results.append(
                warn(label, f"{chosen.account_name or chosen.account_code} is no longer an active bank or "
                      "payment-enabled account in Xero: Xero refuses these payments",
                      "choose another under Payment accounts on this page", "payment-accounts")
            )  # fmt: skip
        else:
            results.append(ok(label, f"go to {chosen.account_name or chosen.account_code}"))
    return results
