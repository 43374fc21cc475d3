"""Contacts and Items through the SDK: uniqueness, upsert on Code, lengths, lookups."""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests
from xero_python.accounting import Contact, Contacts, Item, Items, Purchase

from xero_sandbox import testing

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
T = 20


def test_contact_names_are_unique_among_active_contacts(sdk, tenant):
    sdk.accounting.create_contacts(
        tenant, Contacts(contacts=[Contact(name="Jane Buyer", email_address="jane@example.com")]), _request_timeout=T
    )
    answer = sdk.accounting.create_contacts(
        tenant, Contacts(contacts=[Contact(name="Jane Buyer")]), summarize_errors=False, _request_timeout=T
    )
    assert [e.message for e in answer.contacts[0].validation_errors] == [
        "The contact name Jane Buyer is already assigned to another contact. "
        "The contact name must be unique across all active contacts."
    ]
    assert [c["Name"] for c in testing.contacts(organisation=tenant)] == ["Jane Buyer"]


def test_contacts_found_by_email_where_and_search_term(sdk, tenant):
    sdk.accounting.create_contacts(
        tenant,
        Contacts(contacts=[Contact(name="Jane Buyer", email_address="jane@example.com"), Contact(name="Bob Seller")]),
        _request_timeout=T,
    )
    by_email = sdk.accounting.get_contacts(tenant, where='EmailAddress=="jane@example.com"', _request_timeout=T)
    assert [c.name for c in by_email.contacts] == ["Jane Buyer"]
    by_term = sdk.accounting.get_contacts(tenant, search_term="bob", _request_timeout=T)
    assert [c.name for c in by_term.contacts] == ["Bob Seller"]


def test_items_upsert_on_code_and_enforce_lengths(sdk, xero_sandbox, tenant):
    item = Item(
        code="SKU-1", name="Blue mug", sales_details=Purchase(unit_price=4.5, account_code="200", tax_type="OUTPUT2")
    )
    sdk.accounting.update_or_create_items(tenant, Items(items=[item]), _request_timeout=T)
    renamed = Item(code="SKU-1", name="Big blue mug", sales_details=Purchase(unit_price=5.25))
    answer = sdk.accounting.update_or_create_items(tenant, Items(items=[renamed]), _request_timeout=T)
    assert answer.items[0].status_attribute_string == "OK"
    # The SDK refuses long values itself, so send them as another client would.
    raw = requests.post(
        f"{xero_sandbox}/api/api.xro/2.0/Items?summarizeErrors=false",
        json={"Items": [{"Code": "X" * 31, "Name": "N" * 51}]},
        headers={"Authorization": f"Bearer {sdk.token['access_token']}", "xero-tenant-id": tenant},
        timeout=T,
    )
    assert [e["Message"] for e in raw.json()["Items"][0]["ValidationErrors"]] == [
        "Item Code must not be more than 30 characters long.",
        "Item Name must not be more than 50 characters long.",
    ]
    stored = sdk.accounting.get_items(tenant, where='Code=="SKU-1"', _request_timeout=T).items
    assert [(i.code, i.name, i.sales_details.unit_price, i.sales_details.account_code) for i in stored] == [
        ("SKU-1", "Big blue mug", Decimal("5.25"), "200")
    ]
    assert len(testing.items(organisation=tenant)) == 1


def test_put_refuses_an_existing_item_code(sdk, tenant):
    sdk.accounting.create_items(tenant, Items(items=[Item(code="SKU-2", name="Mug")]), _request_timeout=T)
    answer = sdk.accounting.create_items(
        tenant, Items(items=[Item(code="SKU-2", name="Other")]), summarize_errors=False, _request_timeout=T
    )
    assert [e.message for e in answer.items[0].validation_errors] == ["Item code 'SKU-2' already exists"]
