"""The store pages as an operator uses them: list, create, edit, products, invoices."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.forms import ModelChoiceField
from django.urls import reverse

from accounting.models import ConnectionState
from stores.models import Invoice, Product, Store
from tests.factories import AccountingChannelFactory, InvoiceFactory, ProductFactory, StoreFactory

pytestmark = pytest.mark.django_db

# Django's own words for a choice outside the field's queryset.
INVALID_CHOICE = ModelChoiceField.default_error_messages["invalid_choice"]


def _text(response) -> str:
    return response.content.decode()


def test_store_list_shows_each_stores_channel_status_and_an_edit_pen(member_client, organization):
    connected = StoreFactory.create(organization=organization, name="Alpha", platform="shopify", currency="GBP")
    AccountingChannelFactory.create(store=connected, connection_state=ConnectionState.CONNECTED, is_active=True)
    StoreFactory.create(organization=organization, name="Beta", platform="woocommerce", currency="EUR")
    response = member_client.get(reverse("stores:list"))
    html = _text(response)
    rows = html.split("<tbody>")[1].split("</tbody>")[0].split("</tr>")
    assert "Alpha" in rows[0] and "Shopify" in rows[0] and "GBP" in rows[0]
    assert "Xero · Connected · Active" in rows[0]
    assert "Beta" in rows[1] and "WooCommerce" in rows[1] and "EUR" in rows[1]
    assert '<span class="badge badge-muted">None</span>' in rows[1]
    assert f'href="/stores/{connected.pk}/" aria-label="Edit"' in rows[0]


def test_store_list_reads_no_channel_secret(member_client, organization):
    """The list shows a badge only: a channel whose stored secret no key opens must not break it."""
    from django.db import connection

    store = StoreFactory.create(organization=organization, name="Alpha")
    channel = AccountingChannelFactory.create(store=store, connection_state=ConnectionState.CONNECTED, is_active=True)
    with connection.cursor() as cursor:
        sql = "UPDATE accounting_accountingchannel SET client_secret = %s WHERE id = %s"
        cursor.execute(sql, ["not-a-fernet-token", channel.pk])
    response = member_client.get(reverse("stores:list"))
    assert response.status_code == 200
    assert "Xero · Connected · Active" in _text(response)


def test_store_list_paginates_25_a_page(member_client, organization):
    for n in range(30):
        StoreFactory.create(organization=organization, name=f"Store {n:02d}")
    first = member_client.get(reverse("stores:list"))
    second = member_client.get(reverse("stores:list"), {"page": 2})
    assert [s.name for s in first.context["stores"]] == [f"Store {n:02d}" for n in range(25)]
    assert [s.name for s in second.context["stores"]] == [f"Store {n:02d}" for n in range(25, 30)]
    assert "<span>Page 2 of 2 · 30 in all</span>" in _text(second)


def test_create_store(member_client, organization):
    response = member_client.post(
        reverse("stores:create"), {"name": "Corner Shop", "platform": "magento", "currency": "usd"}
    )
    store = Store.objects.get(organization=organization, name="Corner Shop")
    assert response["Location"] == reverse("stores:detail", args=[store.pk])
    assert (store.platform, store.currency) == ("magento", "USD")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "Taken", "platform": "custom", "currency": "GBP"}, "name", "already exists in your organization"),
        ({"name": "New", "platform": "custom", "currency": "POUNDS"}, "currency", "at most 3 characters"),
        ({"name": "New", "platform": "custom", "currency": "G1P"}, "currency", "three-letter ISO 4217"),
        ({"name": "", "platform": "custom", "currency": "GBP"}, "name", "This field is required."),
        ({"name": "New", "platform": "myspace", "currency": "GBP"}, "platform", "Select a valid choice"),
    ],
)
def test_create_store_with_bad_input_explains_and_changes_nothing(member_client, organization, data, field, message):
    StoreFactory.create(organization=organization, name="Taken")
    response = member_client.post(reverse("stores:create"), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert list(Store.objects.filter(organization=organization).values_list("name", flat=True)) == ["Taken"]


def test_the_same_store_name_is_fine_in_another_organization(member_client, organization):
    StoreFactory.create(name="Corner Shop")
    member_client.post(reverse("stores:create"), {"name": "Corner Shop", "platform": "custom", "currency": "GBP"})
    assert Store.objects.filter(organization=organization, name="Corner Shop").count() == 1


def test_store_page_has_the_four_tabs(member_client, organization):
    store = StoreFactory.create(organization=organization)
    html = _text(member_client.get(reverse("stores:detail", args=[store.pk])))
    for label, url in [
        ("Details", reverse("stores:detail", args=[store.pk])),
        ("Accounting Channel", reverse("accounting:store-channels", args=[store.pk])),
        ("Products", reverse("stores:products", args=[store.pk])),
        ("Invoices", reverse("stores:invoices", args=[store.pk])),
    ]:
        assert f'href="{url}"' in html and f">{label}</a>" in html


def test_edit_store_details(member_client, organization):
    store = StoreFactory.create(organization=organization, name="Old", currency="GBP")
    response = member_client.post(
        reverse("stores:detail", args=[store.pk]), {"name": "New", "platform": "bigcommerce", "currency": "EUR"}
    )
    assert response.status_code == 302
    store.refresh_from_db()
    assert (store.name, store.platform, store.currency) == ("New", "bigcommerce", "EUR")


def test_rejected_edit_keeps_the_store_and_its_header(member_client, organization):
    store = StoreFactory.create(organization=organization, name="Old")
    StoreFactory.create(organization=organization, name="Other")
    response = member_client.post(
        reverse("stores:detail", args=[store.pk]), {"name": "Other", "platform": "custom", "currency": "GBP"}
    )
    assert response.status_code == 200
    assert "<h1>Old</h1>" in _text(response)
    store.refresh_from_db()
    assert store.name == "Old"


def test_products_tab_lists_main_products_with_variant_counts(member_client, organization):
    store = StoreFactory.create(organization=organization, currency="GBP")
    tee = ProductFactory.create(store=store, sku="TEE", name="T-shirt", unit_price=Decimal("20"))
    ProductFactory.create(store=store, sku="TEE-S", parent=tee)
    ProductFactory.create(store=store, sku="TEE-M", parent=tee)
    response = member_client.get(reverse("stores:products", args=[store.pk]))
    products = {p.sku: p for p in response.context["products"]}
    assert list(products) == ["TEE", "TEE-M", "TEE-S"]
    assert products["TEE"].variant_count == 2
    assert products["TEE-S"].parent == tee
    assert "20.00" in _text(response)


def test_create_a_variant_product(member_client, organization):
    store = StoreFactory.create(organization=organization)
    tee = ProductFactory.create(store=store, sku="TEE")
    response = member_client.post(
        reverse("stores:product-create", args=[store.pk]),
        {"sku": "TEE-XL", "name": "T-shirt XL", "unit_price": "21.50", "parent": tee.pk, "description": ""},
    )
    assert response.status_code == 302
    variant = Product.objects.get(store=store, sku="TEE-XL")
    assert (variant.parent, variant.unit_price) == (tee, Decimal("21.5000"))


def test_product_parent_must_be_a_main_product_of_the_same_store(member_client, organization):
    store = StoreFactory.create(organization=organization)
    foreign = ProductFactory.create(sku="FOREIGN")
    tee = ProductFactory.create(store=store, sku="TEE")
    variant = ProductFactory.create(store=store, sku="TEE-S", parent=tee)
    for parent in (foreign, variant):
        response = member_client.post(
            reverse("stores:product-create", args=[store.pk]),
            {"sku": "NEW", "name": "New", "unit_price": "1", "parent": parent.pk},
        )
        assert response.context["form"].errors["parent"] == [INVALID_CHOICE]
    assert not Product.objects.filter(sku="NEW").exists()


def test_duplicate_sku_and_negative_price_are_refused(member_client, organization):
    store = StoreFactory.create(organization=organization)
    ProductFactory.create(store=store, sku="TEE")
    response = member_client.post(
        reverse("stores:product-create", args=[store.pk]), {"sku": "TEE", "name": "Again", "unit_price": "-1"}
    )
    errors = response.context["form"].errors
    assert errors["sku"] == ["A product with this SKU already exists in this store."]
    assert errors["unit_price"] == ["Ensure this value is greater than or equal to 0."]
    assert store.products.count() == 1


def test_edit_a_product(member_client, organization):
    store = StoreFactory.create(organization=organization)
    product = ProductFactory.create(store=store, sku="MUG", name="Mug", unit_price=Decimal("8"))
    member_client.post(
        reverse("stores:product-edit", args=[store.pk, product.pk]),
        {"sku": "MUG", "name": "Big mug", "unit_price": "9.99"},
    )
    product.refresh_from_db()
    assert (product.name, product.unit_price) == ("Big mug", Decimal("9.9900"))


def _invoice_post(**overrides):
    data = {
        "number": "INV-1",
        "customer_name": "Ada Lovelace",
        "customer_email": "ada@example.com",
        "currency": "GBP",
        "issue_date": "2026-11-01",
        "due_date": "2026-12-01",
        "status": "issued",
        "lines-TOTAL_FORMS": "3",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "100",
    }
    for n in range(3):
        data.update({f"lines-{n}-quantity": "1", f"lines-{n}-tax_rate": "0", f"lines-{n}-discount_rate": "0"})
    data.update(overrides)
    return data


def test_create_an_invoice_with_lines_and_true_totals(member_client, organization):
    store = StoreFactory.create(organization=organization)
    mug = ProductFactory.create(store=store, sku="MUG", name="Logo mug", unit_price=Decimal("8.50"))
    data = _invoice_post(
        **{
            "lines-0-product": mug.pk,
            "lines-0-quantity": "3",
            "lines-0-tax_rate": "20",
            "lines-1-description": "Gift wrap",
            "lines-1-quantity": "1",
            "lines-1-unit_price": "0.05",
            "lines-1-tax_rate": "15",
        }
    )
    response = member_client.post(reverse("stores:invoice-create", args=[store.pk]), data)
    invoice = Invoice.objects.get(store=store, number="INV-1")
    assert response["Location"] == reverse("stores:invoice-detail", args=[store.pk, invoice.pk])
    lines = list(invoice.lines.values_list("description", "line_amount", "tax_amount"))
    assert lines == [("Logo mug", Decimal("25.50"), Decimal("5.10")), ("Gift wrap", Decimal("0.05"), Decimal("0.01"))]
    assert (invoice.subtotal, invoice.total_tax, invoice.total) == (
        Decimal("25.55"),
        Decimal("5.11"),
        Decimal("30.66"),
    )
    assert (invoice.currency, invoice.issue_date) == ("GBP", datetime.date(2026, 11, 1))


@pytest.mark.parametrize(
    ("overrides", "where", "message"),
    [
        ({}, "lines", "An invoice needs at least one line."),
        ({"lines-0-quantity": "2"}, "line", "Give a description or pick a product."),
        ({"lines-0-description": "X", "lines-0-unit_price": "1", "due_date": "2026-10-01"}, "due_date", "before"),
        (
            {"lines-0-description": "X", "lines-0-unit_price": "1", "number": "TAKEN"},
            "number",
            "already has an invoice numbered TAKEN",
        ),
        ({"lines-0-description": "X", "lines-0-unit_price": "1", "lines-0-tax_rate": "120"}, "line", "less than"),
    ],
)
def test_bad_invoice_input_explains_and_creates_nothing(member_client, organization, overrides, where, message):
    store = StoreFactory.create(organization=organization)
    InvoiceFactory.create(store=store, number="TAKEN")
    response = member_client.post(reverse("stores:invoice-create", args=[store.pk]), _invoice_post(**overrides))
    assert response.status_code == 200
    if where == "lines":
        errors = " ".join(response.context["lines"].non_form_errors())
    elif where == "line":
        errors = str(response.context["lines"].errors[0])
    else:
        errors = " ".join(response.context["form"].errors[where])
    assert message in errors
    assert list(store.invoices.values_list("number", flat=True)) == ["TAKEN"]


def test_invoice_detail_shows_lines_and_totals(member_client, organization):
    store = StoreFactory.create(organization=organization)
    invoice = InvoiceFactory.create(store=store, number="INV-77", lines=2)  # 2 × 12.50 at 20% each line
    html = _text(member_client.get(reverse("stores:invoice-detail", args=[store.pk, invoice.pk])))
    assert "Invoice INV-77" in html
    assert html.count('<td class="num">25.00</td>') == 2
    assert '<td class="num" data-total="subtotal">50.00</td>' in html
    assert '<td class="num" data-total="tax">10.00</td>' in html
    assert '<td class="num" data-total="total">60.00</td>' in html


def test_invoice_list_is_newest_first_and_paginated(member_client, organization):
    store = StoreFactory.create(organization=organization)
    today = datetime.date(2026, 11, 1)
    for n in range(27):
        InvoiceFactory.create(
            store=store, number=f"N{n:02d}", issue_date=today + datetime.timedelta(days=n), due_date=today
        )
    first = member_client.get(reverse("stores:invoices", args=[store.pk]))
    last = member_client.get(reverse("stores:invoices", args=[store.pk]), {"page": 2})
    assert [i.number for i in first.context["invoices"]][:2] == ["N26", "N25"]
    assert [i.number for i in last.context["invoices"]] == ["N01", "N00"]


def test_no_page_loads_anything_from_another_host(client, organization):
    import re

    from organizations.models import Role
    from tests.factories import MembershipFactory

    external = re.compile(r"""(?:src|href|action)=["'](?:https?:)?//""")

    def assert_local(url):
        response = client.get(url)
        assert response.status_code == 200, url
        assert external.findall(response.content.decode()) == [], url

    assert_local(reverse("login"))
    owner = MembershipFactory.create(organization=organization, role=Role.OWNER).user
    store = StoreFactory.create(organization=organization)
    product = ProductFactory.create(store=store)
    invoice = InvoiceFactory.create(store=store)
    client.force_login(owner)
    for url in [
        reverse("stores:list"),
        reverse("stores:create"),
        reverse("stores:detail", args=[store.pk]),
        reverse("stores:products", args=[store.pk]),
        reverse("stores:product-create", args=[store.pk]),
        reverse("stores:product-edit", args=[store.pk, product.pk]),
        reverse("stores:invoices", args=[store.pk]),
        reverse("stores:invoice-create", args=[store.pk]),
        reverse("stores:invoice-detail", args=[store.pk, invoice.pk]),
        reverse("organizations:members"),
        reverse("password_change"),
    ]:
        assert_local(url)
