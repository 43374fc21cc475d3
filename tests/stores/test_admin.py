"""The Django admin for organizations, memberships, stores, products and invoices."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from organizations.models import Role
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
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
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
    acme = OrganizationFactory(name="Acme Retail")
    OrganizationFactory(name="Zenith")
    MembershipFactory(organization=acme, user=UserFactory(username="olivia"), role=Role.OWNER)
    MembershipFactory(organization=acme, user=UserFactory(username="zed"))
    store = StoreFactory(organization=acme, name="Corner Shop")
    StoreFactory(organization=acme, name="Harbour")
    ProductFactory(store=store, sku="MUG", name="Logo mug")
    ProductFactory(store=store, sku="TOTE", name="Canvas tote")
    InvoiceFactory(store=store, number="INV-42", customer_name="Ada Lovelace")
    InvoiceFactory(store=store, number="INV-43", customer_name="Bob Stone")
    response = admin_client.get(reverse(f"admin:{model}_changelist"), {"q": search})
    html = response.content.decode()
    assert response.status_code == 200
    assert expected in html and hidden not in html


def test_organization_page_shows_its_memberships_inline(admin_client):
    membership = MembershipFactory(user=UserFactory(username="olivia"), role=Role.OWNER)
    response = admin_client.get(reverse("admin:organizations_organization_change", args=[membership.organization_id]))
    inline = response.context["inline_admin_formsets"][0]
    assert [form.original.user.username for form in inline if form.original] == ["olivia"]


def test_invoice_totals_are_read_only_and_follow_the_lines(admin_client):
    invoice = InvoiceFactory(lines=1)  # 2 × 12.50 at 20%
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
