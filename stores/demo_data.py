"""The demo data set of a local portal: two organizations, their users, stores, products, invoices.

`demo_data_load` is idempotent: it creates what is missing and leaves the rest alone, so it is
safe on every `make run`. Invoices are written through `stores.services`, so the sync ledger
records them like any other.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from organizations.models import Membership, Organization, Role
from stores.payments import payment_record, refund_record
from stores.payouts import payout_record

from .models import InvoiceStatus, LineKind, Product, Store
from .services import invoice_create, product_create, store_create

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-password-2026"  # nosec B105  # the published password of the local demo user (refused outside debug/demo mode)
DEMO_ORGANIZATION = "Demo Retail Ltd"
OTHER_ORGANIZATION = "Harbour Goods Co"

# store name → (platform, currency, products, invoices). A product: (sku, name, price, parent sku).
# An invoice: (number, customer, days ago issued, status, lines). A line: (sku, quantity, tax rate,
# discount) for a product, or (kind, description, unit price, tax rate) for shipping and discounts.
# A "paid" invoice is issued, then paid in full by card through `payment_record`; DEMO_REFUNDS
# refund some of them through `refund_record`.
DEMO_BOOKS: dict[str, dict[str, Any]] = {
    "High Street Shop": {
        "platform": "shopify",
        "currency": "GBP",
        "time_zone": "Europe/London",
        "products": [
            ("TEE-CLASSIC", "Classic T-shirt", "20.00", None),
            ("TEE-CLASSIC-S", "Classic T-shirt, small", "20.00", "TEE-CLASSIC"),
            ("TEE-CLASSIC-M", "Classic T-shirt, medium", "20.00", "TEE-CLASSIC"),
            ("TEE-CLASSIC-L", "Classic T-shirt, large", "22.00", "TEE-CLASSIC"),
            ("MUG-LOGO", "Logo mug", "8.50", None),
            ("TOTE-CANVAS", "Canvas tote bag", "12.00", None),
        ],
        "invoices": [
            (
                "HS-1001",
                "Alice Walker",
                20,
                "paid",
                [
                    ("TEE-CLASSIC-M", "2", "20", "0"),
                    ("MUG-LOGO", "1", "20", "0"),
                    (LineKind.SHIPPING, "Standard delivery", "3.95", "20"),
                ],
            ),
            (
                "HS-1002",
                "Bob Stone",
                9,
                "issued",
                [("TEE-CLASSIC-L", "3", "20", "10"), ("TOTE-CANVAS", "1", "20", "0")],
            ),
            (
                "HS-1003",
                "Carla Diaz",
                2,
                "issued",
                [
                    ("MUG-LOGO", "4", "20", "0"),
                    (LineKind.SHIPPING, "Express delivery", "6.50", "20"),
                    (LineKind.DISCOUNT, "Code WELCOME5", "-5.00", "20"),
                ],
            ),
            ("HS-1004", "Dev Patel", 0, "draft", [("TEE-CLASSIC-S", "1", "20", "0"), ("TOTE-CANVAS", "2", "0", "0")]),
        ],
    },
    "Online Outlet": {
        "platform": "woocommerce",
        "currency": "EUR",
        "time_zone": "Europe/Berlin",
        "products": [
            ("HOODIE-ZIP", "Zip hoodie", "45.00", None),
            ("HOODIE-ZIP-BLK", "Zip hoodie, black", "45.00", "HOODIE-ZIP"),
            ("HOODIE-ZIP-GRY", "Zip hoodie, grey", "45.00", "HOODIE-ZIP"),
            ("CAP-BASE", "Baseball cap", "15.90", None),
        ],
        "invoices": [
            ("OO-2001", "Emma Novak", 14, "issued", [("HOODIE-ZIP-BLK", "1", "21", "0"), ("CAP-BASE", "2", "21", "0")]),
            ("OO-2002", "Felix Braun", 5, "issued", [("HOODIE-ZIP-GRY", "2", "21", "5")]),
            (
                "OO-2003",
                "Giulia Rossi",
                1,
                "paid",
                [
                    ("CAP-BASE", "3", "21", "0"),
                    (LineKind.SHIPPING, "Versand", "4.90", "21"),
                    (LineKind.DISCOUNT, "Code SOMMER", "-3.00", "21"),
                ],
            ),
        ],
    },
}
# invoice number → (SKU of the line refunded, quantity, method, reason): a partial refund by line, paid
# back by bank transfer (not through the card gateway, whose payout settles the card payment in full).
DEMO_REFUNDS: dict[str, tuple[str, str, str, str]] = {"HS-1001": ("MUG-LOGO", "1", "bank_transfer", "Arrived chipped")}
# invoice number → the gateway payout of its card payment: (reference, days after the payment).
# Fees as a card gateway takes them: 1.5% + 0.20.
DEMO_PAYOUTS: dict[str, tuple[str, int]] = {"HS-1001": ("po_demo_hs_0001", 2), "OO-2003": ("po_demo_oo_0001", 1)}
OTHER_BOOKS: dict[str, dict[str, Any]] = {
    "Harbour Goods Online": {
        "platform": "magento",
        "currency": "USD",
        "time_zone": "America/New_York",
        "products": [("ROPE-10M", "Mooring rope, 10 m", "39.00", None), ("LANTERN", "Storm lantern", "64.50", None)],
        "invoices": [
            ("HG-501", "Harper Quinn", 3, "issued", [("LANTERN", "1", "0", "0"), ("ROPE-10M", "2", "0", "0")])
        ],
    },
}


@dataclass(frozen=True)
class DemoSummary:
    organization: Organization
    username: str
    password: str
    stores: int
    products: int
    invoices: int


def _user(*, username: str, email: str, password: str, staff: bool = False) -> Any:
    user, _ = get_user_model().objects.get_or_create(username=username, defaults={"email": email})
    # Reset every time, so the printed credentials always work.
    user.set_password(password)
    user.is_active = True
    if staff:
        # The local demo's administrator: the Django admin and the Xero sandbox's pages.
        user.is_staff = user.is_superuser = True
    user.save()
    return user


def _organization(*, name: str, slug: str) -> Organization:
    organization, _ = Organization.objects.get_or_create(slug=slug, defaults={"name": name})
    return organization


def _member(*, user: Any, organization: Organization, role: str) -> None:
    Membership.objects.update_or_create(user=user, organization=organization, defaults={"role": role})


def _store(*, organization: Organization, name: str, books: dict[str, Any]) -> Store:
    store = Store.objects.filter(organization=organization, name=name).first()
    if store is None:
        store = store_create(
            organization=organization, name=name, platform=books["platform"], currency=books["currency"],
            time_zone=books["time_zone"],
        )  # fmt: skip
    for sku, product_name, price, parent_sku in books["products"]:
        if not Product.objects.filter(store=store, sku=sku).exists():
            parent = Product.objects.get(store=store, sku=parent_sku) if parent_sku else None
            product_create(store=store, sku=sku, name=product_name, unit_price=Decimal(price), parent=parent)
    today = timezone.localdate()
    for number, customer, days_ago, status, lines in books["invoices"]:
        if store.invoices.filter(number=number).exists():
            continue
        issued = today - datetime.timedelta(days=days_ago)
        paid = status == InvoiceStatus.PAID
        invoice = invoice_create(
            store=store,
            number=number,
            customer_name=customer,
            customer_email=f"{customer.split()[0].lower()}@example.com",
            customer_id=f"CUST-{customer.split()[0].upper()}",
            customer_first_name=customer.split()[0],
            customer_last_name=customer.split()[-1],
            issue_date=issued,
            due_date=issued + datetime.timedelta(days=30),
            status=InvoiceStatus.ISSUED if paid else status,
            lines=[_line(store=store, line=line) for line in lines],
        )
        if paid:
            payment_record(invoice=invoice, amount=invoice.total, date=issued, method="card", reference=f"ch_{number}")
        if paid and number in DEMO_PAYOUTS:
            _payout(store=store, invoice=invoice, today=today)
        if number in DEMO_REFUNDS:
            sku, quantity, method, reason = DEMO_REFUNDS[number]
            line = invoice.lines.get(product__sku=sku)
            refund_record(
                invoice=invoice,
                date=min(today, issued + datetime.timedelta(days=3)),
                lines=[{"invoice_line": line, "quantity": Decimal(quantity)}],
                method=method,
                reason=reason,
            )
    return store


def _payout(*, store: Store, invoice: Any, today: datetime.date) -> None:
    """The card gateway's payout of the invoice's card payment, net of its fees."""
    reference, days_after = DEMO_PAYOUTS[invoice.number]
    payment = invoice.payments.get()
    fees = (payment.amount * Decimal("0.015") + Decimal("0.20")).quantize(Decimal("0.01"))
    payout_record(
        store=store, reference=reference, method=payment.method, currency=store.currency,
        date=min(today, payment.date + datetime.timedelta(days=days_after)), gross=payment.amount, fees=fees,
        net=payment.amount - fees, payments=[payment.pk],
    )  # fmt: skip


def _line(*, store: Store, line: tuple[str, str, str, str]) -> dict[str, Any]:
    if line[0] in LineKind.values:
        kind, description, price, tax = line
        return {
            "kind": kind,
            "description": description,
            "quantity": Decimal("1"),
            "unit_price": Decimal(price),
            "tax_rate": Decimal(tax),
        }
    sku, quantity, tax, discount = line
    product = Product.objects.get(store=store, sku=sku)
    return {
        "product": product,
        "description": product.name,
        "quantity": Decimal(quantity),
        "unit_price": product.unit_price,
        "tax_rate": Decimal(tax),
        "discount_rate": Decimal(discount),
    }


@transaction.atomic
def demo_data_load() -> DemoSummary:
    """Create (or complete) the demo organizations, users, stores, products and invoices."""
    demo = _user(username=DEMO_USERNAME, email="demo@example.com", password=DEMO_PASSWORD, staff=True)
    organization = _organization(name=DEMO_ORGANIZATION, slug="demo-retail")
    _member(user=demo, organization=organization, role=Role.OWNER)
    for name, books in DEMO_BOOKS.items():
        _store(organization=organization, name=name, books=books)
    # A second tenant: its own owner; the demo user is an operator there, to show switching.
    other = _organization(name=OTHER_ORGANIZATION, slug="harbour-goods")
    harbour = _user(username="harbour", email="harbour@example.com", password=DEMO_PASSWORD)
    _member(user=harbour, organization=other, role=Role.OWNER)
    _member(user=demo, organization=other, role=Role.OPERATOR)
    for name, books in OTHER_BOOKS.items():
        _store(organization=other, name=name, books=books)
    return DemoSummary(
        organization=organization,
        username=DEMO_USERNAME,
        password=DEMO_PASSWORD,
        stores=Store.objects.filter(organization__in=[organization, other]).count(),
        products=Product.objects.filter(store__organization__in=[organization, other]).count(),
        invoices=sum(store.invoices.count() for store in Store.objects.filter(organization__in=[organization, other])),
    )
