"""High-volume organisations refuse un-optimised Invoices/Contacts reads, through the SDK."""

from __future__ import annotations

import datetime as dt

import pytest
from xero_python.accounting import Contact, Contacts, Invoice, Invoices, LineItem
from xero_python.exceptions import AccountingBadRequestException

from xero_sandbox import testing

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
T = 20


def _refusal(resource: str, singular: str) -> dict:
    return {
        "ErrorNumber": 51,
        "Type": "HighVolumeException",
        "Message": f"Your request is not filtering {resource} efficiently, given the extremely high volume for this "
        "organisation. Please check https://developer.xero.com/documentation/api/efficient-data-retrieval for "
        f"tips on making {singular} retrieval more efficient.",
    }


def _refused(call, **kwargs) -> dict:
    with pytest.raises(AccountingBadRequestException) as refused:
        call(_request_timeout=T, **kwargs)
    return dict(refused.value.error_data)


@pytest.fixture
def books(sdk, tenant):
    """Two contacts and two invoices, in an organisation then flagged high volume."""
    contacts = sdk.accounting.create_contacts(
        tenant,
        Contacts(
            contacts=[
                Contact(name="Jane Buyer", email_address="jane@example.com", account_number="A-1"),
                Contact(name="Bob Seller", email_address="bob@example.com"),
            ]
        ),
        _request_timeout=T,
    ).contacts
    lines = [LineItem(description="Mug", quantity=1.0, unit_amount=4.5, account_code="200")]
    invoices = sdk.accounting.create_invoices(
        tenant,
        Invoices(
            invoices=[
                Invoice(
                    type="ACCREC",
                    contact=Contact(contact_id=contacts[0].contact_id),
                    date=dt.date(2026, 11, 2),
                    invoice_number=number,
                    reference=f"Order {number}",
                    status=status,
                    line_items=lines,
                )
                for number, status in (("INV-1", "AUTHORISED"), ("INV-2", "DRAFT"))
            ]
        ),
        _request_timeout=T,
    ).invoices
    testing.organisation_settings_set(organisation=tenant, high_volume=True)
    return {"contacts": contacts, "invoices": invoices}


def test_or_joined_and_unindexed_contact_filters_are_refused(sdk, tenant, books):
    contacts = sdk.accounting.get_contacts
    expected = _refusal("Contacts", "Contact")
    assert _refused(contacts, xero_tenant_id=tenant, where='Name=="Jane Buyer" OR Name=="Bob Seller"') == expected
    assert _refused(contacts, xero_tenant_id=tenant, where='Name.Contains("Jane")') == expected
    assert _refused(contacts, xero_tenant_id=tenant, where='Name.ToLower()=="jane buyer"') == expected
    assert _refused(contacts, xero_tenant_id=tenant, where='ContactNumber=="C-1"') == expected
    assert _refused(contacts, xero_tenant_id=tenant) == expected  # everything, without paging


def test_indexed_contact_filters_and_dedicated_parameters_keep_working(sdk, tenant, books):
    def names(**kwargs) -> list[str]:
        return sorted(c.name for c in sdk.accounting.get_contacts(tenant, _request_timeout=T, **kwargs).contacts)

    assert names(where='Name=="Jane Buyer"') == ["Jane Buyer"]
    assert names(where='EmailAddress=="bob@example.com"') == ["Bob Seller"]
    assert names(where='AccountNumber=="A-1" AND Name=="Jane Buyer"') == ["Jane Buyer"]
    assert names(i_ds=[str(c.contact_id) for c in books["contacts"]]) == ["Bob Seller", "Jane Buyer"]
    assert names(search_term="bob") == ["Bob Seller"]
    assert names(page=1) == ["Bob Seller", "Jane Buyer"]


def test_or_joined_and_unindexed_invoice_filters_and_orders_are_refused(sdk, tenant, books):
    invoices = sdk.accounting.get_invoices
    expected = _refusal("Invoices", "Invoice")
    assert _refused(invoices, xero_tenant_id=tenant, where='InvoiceNumber=="INV-1" OR InvoiceNumber=="INV-2"') == (
        expected
    )
    assert _refused(invoices, xero_tenant_id=tenant, where='Reference.StartsWith("Order")') == expected
    assert _refused(invoices, xero_tenant_id=tenant, where="Total>1") == expected
    assert _refused(invoices, xero_tenant_id=tenant, page=1, order="InvoiceNumber DESC") == expected


def test_indexed_invoice_filters_and_dedicated_parameters_keep_working(sdk, tenant, books):
    contact_id = str(books["contacts"][0].contact_id)
    first, second = (str(i.invoice_id) for i in books["invoices"])

    def numbers(**kwargs) -> list[str]:
        found = sdk.accounting.get_invoices(tenant, _request_timeout=T, **kwargs).invoices
        return sorted(i.invoice_number for i in found)

    assert numbers(where='Type=="ACCREC" AND Status=="AUTHORISED"') == ["INV-1"]
    assert numbers(where=f'Contact.ContactID==Guid("{contact_id}")') == ["INV-1", "INV-2"]
    assert numbers(where="Date>=DateTime(2026,11,1) AND Date<DateTime(2026,12,1)") == ["INV-1", "INV-2"]
    assert numbers(where=f'InvoiceID==Guid("{first}") OR InvoiceID==Guid("{second}")') == ["INV-1", "INV-2"]
    assert numbers(where='Reference=="Order INV-2"') == ["INV-2"]
    assert numbers(i_ds=[first]) == ["INV-1"]
    assert numbers(invoice_numbers=["INV-2"]) == ["INV-2"]
    assert numbers(contact_i_ds=[contact_id], statuses=["DRAFT"]) == ["INV-2"]
    assert numbers(search_term="INV-1") == ["INV-1"]
    assert numbers(page=1, order="Date DESC") == ["INV-1", "INV-2"]


def test_an_organisation_above_the_size_setting_is_high_volume_by_itself(sdk, tenant, settings):
    sdk.accounting.create_contacts(
        tenant, Contacts(contacts=[Contact(name="Ann"), Contact(name="Ben")]), _request_timeout=T
    )
    either = 'Name=="Ann" OR Name=="Ben"'
    settings.XERO_SANDBOX_HIGH_VOLUME_RECORDS = 2
    found = sdk.accounting.get_contacts(tenant, where=either, _request_timeout=T).contacts
    assert sorted(c.name for c in found) == ["Ann", "Ben"]
    sdk.accounting.create_contacts(tenant, Contacts(contacts=[Contact(name="Cat")]), _request_timeout=T)
    assert _refused(sdk.accounting.get_contacts, xero_tenant_id=tenant, where=either) == _refusal("Contacts", "Contact")
    # Invoices count on their own: the organisation has none, so they are not high volume.
    assert sdk.accounting.get_invoices(tenant, where='Reference.StartsWith("x")', _request_timeout=T).invoices == []
