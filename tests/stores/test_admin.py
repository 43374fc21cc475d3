"""The Django admin for organizations, memberships, stores, products and invoices."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from organizations.models import Role
from stores.payments import amount_due_limit_message, kept_over_due_message, paid_not_refunded_limit_message
from tests.factories import (
    InvoiceFactory,
    MembershipFactory,
    OrganizationFactory,
    ProductFactory,
    StoreFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory.create(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize(
    ("model", "search", "expected", "hidden"),
    [
        ("organizations_organization", "Acme", "Acme Retail", "Zenith"),
        ("organizations_membership", "olivia", "olivia", "zed"),
        ("stores_store", "Corner", "Corner Shop", "Harbour"),
        ("stores_product", "MUG", "Logo mug", "Canvas tote"),
        ("stores_invoice", "INV-42", "Ada Lovelace", "Bob Stone"),
    ],
)
def test_changelists_search(admin_client, model, search, expected, hidden):
    acme = OrganizationFactory.create(name="Acme Retail")
    OrganizationFactory.create(name="Zenith")
    MembershipFactory.create(organization=acme, user=UserFactory.create(username="olivia"), role=Role.OWNER)
    MembershipFactory.create(organization=acme, user=UserFactory.create(username="zed"))
    store = StoreFactory.create(organization=acme, name="Corner Shop")
    StoreFactory.create(organization=acme, name="Harbour")
    ProductFactory.create(store=store, sku="MUG", name="Logo mug")
    ProductFactory.create(store=store, sku="TOTE", name="Canvas tote")
    InvoiceFactory.create(store=store, number="INV-42", customer_name="Ada Lovelace")
    InvoiceFactory.create(store=store, number="INV-43", customer_name="Bob Stone")
    response = admin_client.get(reverse(f"admin:{model}_changelist"), {"q": search})
    html = response.content.decode()
    assert response.status_code == 200
    assert expected in html and hidden not in html


def test_organization_page_shows_its_memberships_inline(admin_client):
    membership = MembershipFactory.create(user=UserFactory.create(username="olivia"), role=Role.OWNER)
    response = admin_client.get(reverse("admin:organizations_organization_change", args=[membership.organization_id]))
    inline = response.context["inline_admin_formsets"][0]
    assert [form.original.user.username for form in inline if form.original] == ["olivia"]


def test_invoice_totals_are_read_only_and_follow_the_lines(admin_client):
    invoice = InvoiceFactory.create(lines=1)  # 2 × 12.50 at 20%
    line = invoice.lines.get()
    url = reverse("admin:stores_invoice_change", args=[invoice.pk])
    page = admin_client.get(url)
    assert {"subtotal", "total_tax", "total"} <= set(page.context["adminform"].readonly_fields)
    data = {
        "store": invoice.store_id,
        "number": invoice.number,
        "customer_name": invoice.customer_name,
        "customer_email": invoice.customer_email,
        "currency": invoice.currency,
        "issue_date": invoice.issue_date.isoformat(),
        "due_date": invoice.due_date.isoformat(),
        "status": invoice.status,
        "tax_mode": "exclusive",
        "total": "999.99",  # read-only: ignored
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "1",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-id": line.pk,
        "lines-0-invoice": invoice.pk,
        "lines-0-position": "0",
        "lines-0-kind": "product",
        "lines-0-description": "Changed",
        "lines-0-quantity": "3",
        "lines-0-unit_price": "10.00",
        "lines-0-tax_rate": "20",
        "lines-0-discount_rate": "0",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    invoice.refresh_from_db()
    assert (invoice.subtotal, invoice.total_tax, invoice.total) == (Decimal("30.00"), Decimal("6.00"), Decimal("36.00"))


def _invoice_change_data(invoice, **overrides):
    line = invoice.lines.get()
    data = {
        "store": invoice.store_id,
        "number": invoice.number,
        "customer_name": invoice.customer_name,
        "customer_email": invoice.customer_email,
        "currency": invoice.currency,
        "issue_date": invoice.issue_date.isoformat(),
        "due_date": invoice.due_date.isoformat(),
        "status": invoice.status,
        "tax_mode": invoice.tax_mode,
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "1",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-id": line.pk,
        "lines-0-invoice": invoice.pk,
        "lines-0-position": "0",
        "lines-0-kind": line.kind,
        "lines-0-description": line.description,
        "lines-0-quantity": str(line.quantity),
        "lines-0-unit_price": str(line.unit_price),
        "lines-0-tax_rate": str(line.tax_rate),
        "lines-0-discount_rate": "0",
    }
    data.update(overrides)
    return data


def _admin_form_errors(response) -> dict[str, list[str]]:
    """The add form's errors by field, as the admin shows them next to each field."""
    assert response.status_code == 200, response
    return response.context["adminform"].form.errors


def _admin_errors(response) -> str:
    assert response.status_code == 200, response
    errors = [str(response.context["errors"])]
    errors += [str(formset.non_form_errors()) for formset in response.context.get("inline_admin_formsets", [])]
    return " ".join(errors)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"number": "TAKEN"}, "This store already has an invoice numbered TAKEN."),
        ({"due_date": "2000-01-01"}, "The due date cannot be before the issue date."),
        ({"status": "paid"}, "record a payment instead"),
        ({"lines-0-kind": "discount"}, "A discount line takes money off: its unit price must be negative."),
        ({"lines-0-unit_price": "-1"}, "The unit price cannot be negative"),
        ({"lines-0-DELETE": "on"}, "An invoice needs at least one line."),
    ],
)
def test_invoice_admin_goes_through_the_invoice_rules(admin_client, overrides, message):
    invoice = InvoiceFactory.create(lines=1, customer_name="Before")
    InvoiceFactory.create(store=invoice.store, number="TAKEN")
    url = reverse("admin:stores_invoice_change", args=[invoice.pk])
    response = admin_client.post(url, _invoice_change_data(invoice, customer_name="After", **overrides))
    assert message in _admin_errors(response)
    invoice.refresh_from_db()
    assert (invoice.customer_name, invoice.status, invoice.lines.count()) == ("Before", "issued", 1)


def test_payment_admin_records_through_the_service_and_refuses_more_than_due(admin_client):
    from stores.models import Payment

    invoice = InvoiceFactory.create(lines=1)  # 30.00
    url = reverse("admin:stores_payment_add")
    data = {"invoice": invoice.pk, "amount": "30.01", "date": "2026-11-03", "method": "card", "reference": ""}
    assert _admin_form_errors(admin_client.post(url, data)) == {
        "amount": [amount_due_limit_message(due=Decimal("30.00"), currency="GBP")]
    }
    assert Payment.objects.count() == 0

    response = admin_client.post(url, {**data, "amount": "30.00"})
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.status, Payment.objects.count()) == (Decimal("30.00"), "paid", 1)
    change = admin_client.get(reverse("admin:stores_payment_change", args=[Payment.objects.get().pk]))
    assert change.status_code == 200 and not change.context["has_change_permission"]


def test_refund_admin_goes_through_the_refund_limits(admin_client):
    from stores.models import Refund

    invoice = InvoiceFactory.create(lines=1)  # 30.00, nothing paid
    url = reverse("admin:stores_refund_add")
    data = {"invoice": invoice.pk, "amount": "5.00", "date": "2026-11-03", "reason": "", "method": "card"}
    assert _admin_form_errors(admin_client.post(url, data)) == {
        "amount": [paid_not_refunded_limit_message(money_left=Decimal("0.00"), currency="GBP")]
    }
    assert Refund.objects.count() == 0
    response = admin_client.post(url, {**data, "method": ""})
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert (invoice.amount_credited, invoice.amount_due) == (Decimal("5.00"), Decimal("25.00"))


def test_refund_admin_records_the_money_returned_through_the_service(admin_client):
    from stores.models import Refund
    from stores.payments import payment_record

    invoice = InvoiceFactory.create(lines=1)  # 30.00
    payment_record(invoice=invoice, amount=Decimal("10.00"), date=invoice.issue_date, method="card")  # 20.00 due
    url = reverse("admin:stores_refund_add")
    data = {"invoice": invoice.pk, "amount": "25.00", "date": "2026-11-03", "reason": "", "method": "card"}
    assert _admin_form_errors(admin_client.post(url, {**data, "amount_returned": "4.00"})) == {
        "amount_returned": [
            kept_over_due_message(kept=Decimal("21.00"), due=Decimal("20.00"), currency="GBP", at_least=Decimal("5.00"))
        ]
    }
    assert Refund.objects.count() == 0
    assert admin_client.post(url, {**data, "amount_returned": "6.00"}).status_code == 302
    refund = Refund.objects.get()
    invoice.refresh_from_db()
    assert (refund.amount_returned, invoice.amount_refunded, invoice.amount_due) == (
        Decimal("6.00"),
        Decimal("6.00"),
        Decimal("1.00"),
    )
    # Left blank with a method: all of it went back, as before.
    assert admin_client.post(url, {**data, "amount": "1.00", "amount_returned": ""}).status_code == 302
    assert Refund.objects.latest("pk").amount_returned == Decimal("1.00")
