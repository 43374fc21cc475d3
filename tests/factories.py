"""factory_boy factories for the core records; every test builds its data through these."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.contrib.auth.models import User

from accounting.models import AccountingChannel
from organizations.models import Membership, Organization, Role
from stores.models import Invoice, InvoiceLine, Product, Store


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct horse battery staple")


class OrganizationFactory(factory.django.DjangoModelFactory[Organization]):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"organization-{n}")


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Role.OPERATOR


class StoreFactory(factory.django.DjangoModelFactory[Store]):
    class Meta:
        model = Store

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Store {n}")
    platform = "shopify"
    currency = "GBP"


class ProductFactory(factory.django.DjangoModelFactory[Product]):
    class Meta:
        model = Product

    store = factory.SubFactory(StoreFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    unit_price = Decimal("10.00")


def _invoice_lines(invoice: Invoice, create: bool, extracted: int | None, **kwargs: object) -> None:
    """Give the invoice `lines` lines (default 1) and true totals."""
    if not create:
        return
    for position in range(1 if extracted is None else extracted):
        InvoiceLineFactory.create(invoice=invoice, position=position)
    invoice.recalculate_totals()


class InvoiceFactory(factory.django.DjangoModelFactory[Invoice]):
    class Meta:
        model = Invoice
        skip_postgeneration_save = True

    store = factory.SubFactory(StoreFactory)
    number = factory.Sequence(lambda n: f"INV-{n:06d}")
    customer_name = factory.Sequence(lambda n: f"Customer {n}")
    customer_email = factory.LazyAttribute(lambda i: f"{i.customer_name.lower().replace(' ', '.')}@example.com")
    currency = factory.LazyAttribute(lambda i: i.store.currency)
    issue_date = factory.LazyFunction(datetime.date.today)
    due_date = factory.LazyFunction(lambda: datetime.date.today() + datetime.timedelta(days=30))

    lines = factory.PostGeneration(_invoice_lines)


class InvoiceLineFactory(factory.django.DjangoModelFactory[InvoiceLine]):
    class Meta:
        model = InvoiceLine

    invoice = factory.SubFactory(InvoiceFactory, lines=0)
    description = factory.Sequence(lambda n: f"Line {n}")
    quantity = Decimal("2")
    unit_price = Decimal("12.50")
    tax_rate = Decimal("20")


class AccountingChannelFactory(factory.django.DjangoModelFactory[AccountingChannel]):
    class Meta:
        model = AccountingChannel

    store = factory.SubFactory(StoreFactory)
    name = factory.Sequence(lambda n: f"Xero channel {n}")
    provider = "xero"
    client_id = factory.Sequence(lambda n: f"CLIENT{n:08d}")
    client_secret = "client-secret-for-tests"
