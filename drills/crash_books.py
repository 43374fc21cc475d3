"""Drill 1's organisations and what is written in them: a store, a channel connected to its own
sandbox organisation, the invoices, payments and refunds of each wave (`drills/crash.py`)."""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from drills.harness import ROOT, wait_for_port  # noqa: F401


@dataclass
class Setup:
    store: Any
    channel: Any
    tenant_id: str
    honours_key: bool


SCOPES = ["offline_access", "accounting.invoices", "accounting.payments", "accounting.contacts", "accounting.settings"]
BANK_ACCOUNT = "090"  # the UK books' "Business Bank Account" (BANK)
CARD_ACCOUNT = "605"  # "Card Payments Clearing" (EnablePaymentsToAccount)


def organisations_create(*, count: int) -> list[Setup]:
    """A merchant, store, sandbox organisation (own Core-tier app) and active channel per index."""
    from drills.harness import connected_channel
    from organizations.models import Organization
    from stores.models import Store
    from xero_sandbox import testing

    setups = []
    for index in range(count):
        merchant = Organization.objects.create(name=f"Crash merchant {index}", slug=f"crash-{index}")
        store = Store.objects.create(organization=merchant, name=f"Crash store {index}", currency="GBP")
        app = testing.app_create(name=f"Crash app {index}", tier="core")
        books = testing.organisation_create(name=f"Crash Books {index}")
        token: Any = testing.token_issue(app=app, organisations=[books], scopes=SCOPES, expires_in=6 * 3600)
        channel = connected_channel(
            store=store, app=app, organisation=books, token=token, scopes=" ".join(SCOPES),
            tax_types=(("0", "ZERORATEDOUTPUT"), ("20", "OUTPUT2")),
        )  # fmt: skip
        setups.append(Setup(store, channel, str(books.tenant_id), honours_key=index % 2 == 0))
    return setups


def faults_set(setups: list[Setup], **faults: Any) -> None:
    from xero_sandbox import testing

    for setup in setups:
        testing.faults_set(organisation=setup.tenant_id, **faults)


def retrying(action: Callable[[], Any], *, done: Callable[[], bool] | None = None, timeout: float = 120.0) -> Any:
    """Run a database action, riding out a PostgreSQL restart: on a connection error, close the
    connection, wait, and run it again unless `done()` says the first try did commit."""
    from django.db import Error, connection

    deadline = time.monotonic() + timeout
    while True:
        try:
            if done is not None and done():
                return None
            return action()
        except Error:
            if time.monotonic() > deadline:
                raise
            with contextlib.suppress(Exception):
                connection.close()
            time.sleep(0.5)


def invoice_write(*, setup: Setup, n: int) -> None:
    """Create one invoice through the stores service (its ledger row rides on its transaction)."""
    from stores.models import Invoice
    from stores.services import invoice_create

    number = f"C-{n:06d}"
    line = {
        "description": f"Order {n}",
        "quantity": Decimal("1"),
        "unit_price": Decimal("9.99"),
        "tax_rate": Decimal("20"),
    }
    committed = {"maybe": False}

    def create() -> None:
        committed["maybe"] = True
        invoice_create(
            store=setup.store,
            number=number,
            customer_name=f"Customer {n % 13}",
            customer_email=f"customer{n % 13}@example.com",
            issue_date=dt.date(2026, 5, 1),
            due_date=dt.date(2026, 5, 31),
            lines=[line],
        )

    def exists() -> bool:  # a create whose commit answer was lost with the server
        return committed["maybe"] and Invoice.objects.filter(store=setup.store, number=number).exists()

    retrying(create, done=exists)


@dataclass(frozen=True)
class Wave:
    """Records written while the chaos runs: `write(setup, n)` for n in range(count)."""

    name: str
    write: Callable[..., None]


PAYMENT = Decimal("5.00")
REFUND = Decimal("2.00")


def paid(n: int) -> bool:
    """30% of the invoices get a card payment."""
    return n % 10 in (0, 3, 6)


def refunded(n: int) -> bool:
    """10%: a refund, money back on a paid invoice (n % 10 == 0), credit only on an unpaid one (n % 10 == 5)."""
    return n % 20 in (0, 5)


def payments_write(*, setup: Setup, n: int) -> None:
    """Record the store's payment and refund of invoice n, if it gets any (just written, not yet synced)."""
    from stores.models import Invoice, Payment, Refund
    from stores.payments import payment_record, refund_record

    if not paid(n) and not refunded(n):
        return
    number = f"C-{n:06d}"
    committed = {"payment": False, "refund": False}

    def pay() -> None:
        committed["payment"] = True
        invoice = Invoice.objects.get(store=setup.store, number=number)
        payment_record(invoice=invoice, amount=PAYMENT, date=dt.date(2026, 5, 2), method="card", reference=f"pay-{n}")

    def refund() -> None:
        committed["refund"] = True
        invoice = Invoice.objects.get(store=setup.store, number=number)
        refund_record(
            invoice=invoice,
            date=dt.date(2026, 5, 3),
            amount=REFUND,
            reason=f"Refund {n}",
            method="card" if paid(n) else "",
            reference=f"ref-{n}",
        )

    if paid(n):
        retrying(pay, done=lambda: committed["payment"] and Payment.objects.filter(reference=f"pay-{n}").exists())
    if refunded(n):
        retrying(refund, done=lambda: committed["refund"] and Refund.objects.filter(reference=f"ref-{n}").exists())


def payment_accounts_choose(setups: list[Setup]) -> None:
    """As an operator would: read each organisation's payment accounts from Xero (the sandbox, over
    HTTP) and choose the bank account by default and the card clearing account for "card"."""
    from accounting.books.payment_accounts import (
        channel_payment_accounts_refresh,
        channel_payment_accounts_set,
        payment_accounts_cached,
    )

    for setup in setups:
        channel_payment_accounts_refresh(channel=setup.channel)
        ids = {a["code"]: a["account_id"] for a in payment_accounts_cached(channel=setup.channel) or []}
        channel_payment_accounts_set(channel=setup.channel, choices={"": ids[BANK_ACCOUNT], "card": ids[CARD_ACCOUNT]})


WAVES = [Wave("invoices", invoice_write), Wave("payments and refunds", payments_write)]
