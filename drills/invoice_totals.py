#!/usr/bin/env python
"""Drill: generated store invoices reach Xero at the store's total, to the cent.

Hypothesis generates invoices (quantities with up to 4 dp, 2 and 4 dp unit prices, line
discounts, rates 0/5/10/12.5/15/20, exclusive / inclusive / no tax, shipping, order discounts,
gift cards sold and redeemed, discounts on the line or as their own line). Each is created
through the store's services, mapped by the portal (`mapping.invoice_payload`, rounding line
included) and sent with the portal's SDK client to the sandbox over HTTP, 50 per request. Xero's
answer is compared with the store: Total and AmountDue must equal the store's total and amount
due to the cent, and Xero must refuse none.

It prints the invoices sent, the cent differences (must be 0), the refusals (must be 0), how many
needed a rounding line, and how long it took. Exit status 1 when any differs.

    .venv/bin/python drills/invoice_totals.py --invoices 10000

The test `tests/drills/test_invoice_totals_drill.py` runs the same property with a few hundred
invoices against the test server.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import sys
import time
import uuid
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

RATES = [Decimal(r) for r in ("0", "5", "10", "12.5", "15", "20")]
BATCH = 50
# The sandbox's UK books have 20%, 5% and several 0% types; the others are added as the
# organisation's own rates (Xero names them TAX001…).
ADDED_RATES = {Decimal("10"): "TAX010", Decimal("12.5"): "TAX125", Decimal("15"): "TAX150"}
UK_RATES = {Decimal("20"): "OUTPUT2", Decimal("5"): "RROUTPUT", Decimal("0"): "ZERORATEDOUTPUT"}
GIFT_CARD_ACCOUNT = "835"
_numbers = itertools.count(1)


# Generated invoices ---------------------------------------------------------------------------

quantities = st.one_of(
    st.integers(min_value=1, max_value=20).map(Decimal),
    st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("50"), places=4),
)
prices = st.one_of(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999.99"), places=2),
    st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("99.9999"), places=4),
)
discounts = st.one_of(st.just(Decimal("0")), st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100"), places=2))


def _line(kind: str, description: str, quantity: Decimal, price: Decimal, rate: Decimal, discount: Decimal) -> dict:
    return {"kind": kind, "description": description, "quantity": quantity, "unit_price": price,
            "tax_rate": rate, "discount_rate": discount}  # fmt: skip


@st.composite
def invoice_specs(draw: Any) -> dict[str, Any]:
    """One invoice: its tax mode, how its discounts go to Xero, and its lines."""
    lines = []
    goods = Decimal(0)
    for n in range(draw(st.integers(min_value=1, max_value=5))):
        quantity, price, discount = draw(quantities), draw(prices), draw(discounts)
        lines.append(_line("product", f"Item {n + 1}", quantity, price, draw(st.sampled_from(RATES)), discount))
        goods += quantity * price * (100 - discount) / 100
    if draw(st.booleans()):
        price = draw(st.decimals(min_value=Decimal("0"), max_value=Decimal("50"), places=2))
        lines.append(_line("shipping", "Shipping", Decimal(1), price, draw(st.sampled_from(RATES)), Decimal(0)))
    if draw(st.booleans()):
        price = draw(st.decimals(min_value=Decimal("5"), max_value=Decimal("100"), places=2))
        count = Decimal(draw(st.integers(min_value=1, max_value=3)))
        lines.append(_line("gift_card_sold", "Gift card", count, price, Decimal(0), Decimal(0)))
    # Order discounts and redeemed gift cards are negative and at most 30% of the goods each, so
    # the invoice never goes below zero (Xero refuses that: credit notes are for refunds).
    ceiling = (goods * Decimal("0.3")).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    if ceiling >= Decimal("0.01") and draw(st.booleans()):
        off = draw(st.decimals(min_value=Decimal("0.01"), max_value=ceiling, places=2))
        lines.append(_line("discount", "Order discount", Decimal(1), -off, draw(st.sampled_from(RATES)), Decimal(0)))
    if ceiling >= Decimal("0.01") and draw(st.booleans()):
        used = draw(st.decimals(min_value=Decimal("0.01"), max_value=ceiling, places=2))
        lines.append(_line("gift_card_redeemed", "Gift card redeemed", Decimal(1), -used, Decimal(0), Decimal(0)))
    return {
        "tax_mode": draw(st.sampled_from(["exclusive", "inclusive", "no_tax"])),
        "discount_mode": draw(st.sampled_from(["line", "separate"])),
        "lines": lines,
    }


invoice_batches = st.lists(invoice_specs(), min_size=1, max_size=BATCH)


# The organisation, the channel and the check ----------------------------------------------------


@dataclass
class Books:
    """A sandbox organisation set up for every kind of line, and the portal's side of it."""

    client: Any
    channel: Any
    contact_id: str
    tax_types: dict[tuple[Decimal, str], str]
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:6])


@dataclass
class Tally:
    sent: int = 0
    differences: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    rounding_lines: int = 0


def books_prepare(*, tenant_id: str, access_token: str, store: Any) -> Books:
    """Add the rates and the gift-card liability account the sandbox's UK books lack, map every
    (rate, kind), and create one contact; return the portal's client and channel for them."""
    from xero_python.accounting import Contact

    from accounting.models import AccountingChannel, LineKind
    from accounting.providers.xero.client import XeroClient
    from xero_sandbox import testing

    for rate, tax_type in ADDED_RATES.items():
        testing.tax_rate_add(organisation=tenant_id, name=f"{rate}% Sales", tax_type=tax_type, rate=rate)
    testing.account_add(organisation=tenant_id, code=GIFT_CARD_ACCOUNT, name="Gift Card Liability",
                        type="CURRLIAB", account_class="LIABILITY")  # fmt: skip
    by_rate = {**UK_RATES, **ADDED_RATES}
    tax_types: dict[tuple[Decimal, str], str] = {
        (rate.quantize(Decimal("0.01")), str(kind)): by_rate[rate]
        for rate in RATES
        for kind in (LineKind.GOODS, LineKind.SHIPPING, LineKind.DISCOUNT)
    }
    for kind in (LineKind.GIFT_CARD_SOLD, LineKind.GIFT_CARD_REDEEMED):
        tax_types[(Decimal("0.00"), str(kind))] = "NONE"  # gift cards: outside the scope of VAT
    client = XeroClient(access_token=access_token, tenant_id=tenant_id)
    [contact] = client.contacts_create(contacts=[Contact(name="Property Buyer")], idempotency_key=uuid.uuid4().hex)
    channel = AccountingChannel(store=store, name="Property", invoice_number_prefix="", invoice_status="AUTHORISED")
    return Books(client=client, channel=channel, contact_id=str(contact.contact_id), tax_types=tax_types)


def line_accounts(discount_mode: str) -> Any:
    from accounting.providers.xero.mapping import LineAccounts

    return LineAccounts(
        sales="200", shipping="250", discount="260", gift_card=GIFT_CARD_ACCOUNT, rounding="860",
        rounding_tax_type="NONE", discount_mode=discount_mode,
    )  # fmt: skip


def batch_send(books: Books, specs: list[dict[str, Any]], tally: Tally) -> None:
    """Create the invoices in the store, send them in one request, and tally Xero's answer."""
    from accounting.providers.xero import mapping
    from stores.services import invoice_create

    invoices, payloads = [], []
    for spec in specs:
        invoice = invoice_create(
            store=books.channel.store, number=f"P{books.run}-{next(_numbers)}", customer_name="Property Buyer",
            customer_email="", issue_date=dt.date(2026, 11, 2), due_date=dt.date(2026, 12, 2),
            tax_mode=spec["tax_mode"], lines=spec["lines"],
        )  # fmt: skip
        payload = mapping.invoice_payload(
            invoice=invoice, channel=books.channel, contact_id=books.contact_id, account_code="200",
            item_codes=set(), tax_types=books.tax_types, accounts=line_accounts(spec["discount_mode"]),
        )  # fmt: skip
        tally.rounding_lines += bool(mapping.rounding_note(payload))
        invoices.append(invoice)
        payloads.append(payload)
    answers = books.client.invoices_create(invoices=payloads, idempotency_key=uuid.uuid4().hex)
    for invoice, answer in zip(invoices, answers, strict=True):
        tally.sent += 1
        errors = mapping.element_errors(answer)
        if errors:
            tally.refusals.append(f"{invoice.number}: {'; '.join(errors)}")
            continue
        xero = (Decimal(str(answer.total)), Decimal(str(answer.amount_due)))
        store = (invoice.total, invoice.amount_due)
        if xero != store:
            tally.differences.append(f"{invoice.number} ({invoice.tax_mode}): Xero {xero}, store {store}")


# The drill --------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=10_000, help="invoices to generate and send")
    parser.add_argument("--seed", type=int, default=0, help="hypothesis seed (the same seed, the same invoices)")
    parser.add_argument("--database", default="drill_invoice_totals", help="PostgreSQL database to (re)create")
    parser.add_argument("--redis-db", type=int, default=9, help="Redis database number to flush and use")
    parser.add_argument("--port", type=int, default=8779)
    parser.add_argument("--scale", type=float, default=100.0, help="the sandbox's rate-limit time scale")
    return parser.parse_args()


def main() -> int:
    import os

    from hypothesis import HealthCheck, given, seed, settings

    from drills.harness import sandbox

    args = parse_args()
    os.environ["XERO_SANDBOX_TIME_SCALE"] = str(args.scale)
    os.environ["XERO_RATE_TIME_SCALE"] = str(args.scale)
    with sandbox(database=args.database, redis_db=args.redis_db, port=args.port):
        from organizations.models import Organization
        from stores.models import Store
        from xero_sandbox import testing

        app = testing.app_create(name="Invoice totals drill")
        org = testing.organisation_create(name="Totals Drill Ltd")
        token = testing.token_issue(app=app, organisations=[org])
        store = Store.objects.create(
            organization=Organization.objects.create(name="Totals drill"), name="Totals drill", currency="GBP"
        )
        books = books_prepare(tenant_id=str(org.tenant_id), access_token=token["access_token"], store=store)
        tally = Tally()
        batches = -(-args.invoices // BATCH)
        started = time.monotonic()

        @seed(args.seed)
        @settings(max_examples=batches, deadline=None, database=None, derandomize=False,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(st.lists(invoice_specs(), min_size=BATCH, max_size=BATCH))
        def run(specs: list[dict[str, Any]]) -> None:
            if tally.sent < args.invoices:
                batch_send(books, specs[: args.invoices - tally.sent], tally)

        run()
        elapsed = time.monotonic() - started
    print(f"invoices sent: {tally.sent} in {-(-tally.sent // BATCH)} requests of up to {BATCH}")
    print(f"cent differences between store and Xero (Total, AmountDue): {len(tally.differences)}")
    print(f"refused by Xero: {len(tally.refusals)}")
    print(f"invoices that needed a rounding line: {tally.rounding_lines}")
    print(f"elapsed: {elapsed:.1f} s ({tally.sent / elapsed:.0f} invoices/s)")
    for problem in (tally.differences + tally.refusals)[:10]:
        print("  ", problem)
    return 1 if tally.differences or tally.refusals or tally.sent < args.invoices else 0


if __name__ == "__main__":
    sys.exit(main())
