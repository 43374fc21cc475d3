"""Drill 5's world (an organization with a store, products, invoices, a channel, an API key and a
logged-in operator), its figures, and how an answer is judged."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from drills.bad_input_bodies import EXISTING_NUMBER, EXISTING_SKU


@dataclass
class Figures:
    cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    by_target: Counter[str] = field(default_factory=Counter)

    def count(self, target: str, status: int) -> None:
        self.cases += 1
        self.by_target[target] += 1
        self.statuses[status] += 1

    def fail(self, target: str, message: str) -> None:
        if len(self.failures) < 200:
            self.failures.append(f"{target}: {message}")

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def of_class(self, first: int) -> int:
        return sum(n for status, n in self.statuses.items() if status // 100 == first)


@dataclass
class World:
    """One organization with a member, an API key, a store with a product and an invoice, another store."""

    user: Any
    raw_key: str
    store: Any
    product: Any
    invoice: Any
    other_product: Any


def world_create() -> World:
    from django.contrib.auth import get_user_model

    from organizations.api_keys import api_key_create
    from organizations.models import Membership, Organization, Role
    from stores import services
    from stores.models import Store

    organization = Organization.objects.create(name="Bad Input Drill", slug="bad-input-drill")
    user = get_user_model().objects.create_user(username="bad-input-drill", password="drill-Pa55word-not-secret")  # nosec B106  # a throw-away value of a drill's own database
    Membership.objects.create(user=user, organization=organization, role=Role.OWNER)
    _, raw_key = api_key_create(organization=organization, name="drill", created_by=None)
    store = services.store_create(organization=organization, name="Drill Store", platform="custom", currency="GBP")
    product = services.product_create(store=store, sku=EXISTING_SKU, name="Existing", unit_price=Decimal("5"))
    invoice = services.invoice_create(
        store=store,
        number=EXISTING_NUMBER,
        customer_name="Existing Customer",
        issue_date=dt.date(2026, 1, 1),
        due_date=dt.date(2026, 1, 31),
        lines=[{"product": product, "description": "Existing", "quantity": Decimal("1"), "unit_price": Decimal("5")}],
    )
    rival = Organization.objects.create(name="Other Drill Org", slug="other-drill-org")
    rival_store = Store.objects.create(organization=rival, name="Other", currency="EUR")
    other_product = services.product_create(store=rival_store, sku="OTHER", name="Other", unit_price=Decimal("1"))
    return World(user=user, raw_key=raw_key, store=store, product=product, invoice=invoice, other_product=other_product)


def snapshot(world: World) -> dict[str, Any]:
    """What a refusal must leave as it was: row counts and the objects a request may change."""
    from accounting.models import AccountingChannel
    from stores.models import Invoice, InvoiceLine, Product, Store

    invoice = Invoice.objects.get(pk=world.invoice.pk)
    product = Product.objects.get(pk=world.product.pk)
    return {
        "rows": [model.objects.count() for model in (Store, Product, Invoice, InvoiceLine, AccountingChannel)],
        "invoice": (
            invoice.updated_at,
            invoice.number,
            invoice.total,
            list(invoice.lines.values_list("pk", flat=True)),
        ),
        "product": (product.updated_at, product.sku, product.unit_price),
    }


# The fields of the API's bodies and filters: a refusal may name a required one that was not sent.
def _judge(
    figures: Figures,
    target: str,
    answer: Any,
    *,
    before: dict[str, Any],
    after: dict[str, Any],
    sent: Any,
    refusal_ok: Callable[[Any, Any], str | None],
    accepted: set[int],
) -> None:
    figures.count(target, answer.status_code)
    if answer.status_code >= 500:
        figures.fail(target, f"{answer.status_code} for {json.dumps(sent, default=str)[:400]}")
    elif answer.status_code in accepted or answer.status_code == 429:
        return
    else:
        problem = refusal_ok(answer, sent)
        if problem:
            figures.fail(target, f"{problem} for {json.dumps(sent, default=str)[:300]}")
        if before != after:
            figures.fail(target, f"refused with {answer.status_code} but saved: {json.dumps(sent, default=str)[:300]}")
