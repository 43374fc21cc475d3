"""Contacts found by their ContactNumber (archived too), with addresses and phones; CurrencyRate kept."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import requests
from xero_python.accounting import Address, Contact, Contacts, CurrencyCode, Invoice, Invoices, LineItem, Phone
from xero_python.exceptions import NotFoundException

from xero_sandbox import testing
from xero_sandbox.models import Contact as SandboxContact

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
T = 20


def _v(value):
    return getattr(value, "value", value)


def _create(sdk, tenant, contact: Contact) -> Contact:
    answer = sdk.accounting.create_contacts(
        tenant, Contacts(contacts=[contact]), summarize_errors=False, _request_timeout=T
    )
    return answer.contacts[0]


def test_a_contact_is_found_by_its_number_archived_or_not(sdk, tenant):
    created = _create(
        sdk,
        tenant,
        Contact(
            name="Ada Lovelace",
            contact_number="CUST-42",
            first_name="Ada",
            last_name="Lovelace",
            addresses=[
                Address(
                    address_type="POBOX", address_line1="12 St James's Square", city="London", postal_code="SW1Y 4JH"
                ),
                Address(address_type="STREET", address_line1="12 St James's Square", city="London"),
            ],
            phones=[Phone(phone_type="DEFAULT", phone_number="020 7946 0000")],
        ),
    )
    SandboxContact.objects.filter(contact_id=created.contact_id).update(status="ARCHIVED")

    [found] = sdk.accounting.get_contact_by_contact_number(tenant, "CUST-42", _request_timeout=T).contacts
    assert (found.contact_id, _v(found.contact_status), found.first_name, found.last_name) == (
        created.contact_id, "ARCHIVED", "Ada", "Lovelace",
    )  # fmt: skip
    assert [(_v(a.address_type), a.city, a.postal_code) for a in found.addresses] == [
        ("POBOX", "London", "SW1Y 4JH"),
        ("STREET", "London", None),
    ]
    assert [(_v(p.phone_type), p.phone_number) for p in found.phones] == [("DEFAULT", "020 7946 0000")]
    # Archived contacts stay out of plain lists, as in Xero.
    listed = sdk.accounting.get_contacts(tenant, where='ContactNumber=="CUST-42"', _request_timeout=T).contacts
    assert listed == []
    with_archived = sdk.accounting.get_contacts(
        tenant, where='ContactNumber=="CUST-42"', include_archived=True, _request_timeout=T
    ).contacts
    assert [c.contact_id for c in with_archived] == [created.contact_id]


def test_an_unknown_contact_number_is_not_found(sdk, tenant):
    with pytest.raises(NotFoundException):
        sdk.accounting.get_contact_by_contact_number(tenant, "NOBODY", _request_timeout=T)


def test_bad_address_types_and_long_numbers_are_refused(sdk, xero_sandbox, tenant):
    # Raw JSON: the SDK itself refuses these before sending.
    body = {
        "Contacts": [
            {"Name": "Bob", "ContactNumber": "N" * 51},
            {"Name": "Carol", "Addresses": [{"AddressType": "DELIVERY", "City": "Leeds"}]},
            {"Name": "Dan", "Phones": [{"PhoneType": "DEFAULT", "PhoneNumber": "1" * 51}]},
        ]
    }
    answer = requests.put(
        f"{xero_sandbox}/api/api.xro/2.0/Contacts?summarizeErrors=false",
        json=body,
        headers={"Authorization": f"Bearer {sdk.token['access_token']}", "xero-tenant-id": tenant},
        timeout=T,
    )
    messages = [[e["Message"] for e in c.get("ValidationErrors", [])] for c in answer.json()["Contacts"]]
    assert messages == [
        ["The ContactNumber must not be more than 50 characters long."],
        ["AddressType 'DELIVERY' is not valid"],
        ["PhoneNumber must not be more than 50 characters long."],
    ]
    assert testing.contacts(organisation=tenant) == []


def test_an_invoice_keeps_the_currency_rate_it_was_sent_with(sdk, tenant):
    testing.currency_enable(organisation=tenant, code="EUR")
    invoice = Invoice(
        type="ACCREC",
        contact=Contact(name="Jean Dupont"),
        date=dt.date(2026, 11, 2),
        invoice_number="EUR-1",
        status="AUTHORISED",
        currency_code=CurrencyCode.EUR,
        currency_rate=1.174,
        line_items=[LineItem(description="Widget", quantity=1.0, unit_amount=10.0, account_code="200")],
    )
    sdk.accounting.create_invoices(tenant, Invoices(invoices=[invoice]), _request_timeout=T)
    [sent] = testing.invoices(organisation=tenant)
    assert (sent["CurrencyCode"], Decimal(str(sent["CurrencyRate"]))) == ("EUR", Decimal("1.174"))
