"""Currencies the organisation has not enabled are refused before sending; contacts carry the
store's customer id (ContactNumber) and details, and an archived one is reused, not duplicated."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounting.services import channel_activate
from accounting.sync.ledger.actions import sync_retry
from accounting.sync.models import SyncState, XeroContactLink
from stores.services import invoice_create
from tests.accounting.sync.conftest import connect_channel
from tests.accounting.sync.turns import drain, one_line, row_of
from tests.factories import StoreFactory
from xero_sandbox import testing
from xero_sandbox.models import Contact as SandboxContact

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

FIX = "Enable EUR in Xero: Settings → Currencies → Add Currency, then retry."


def test_a_eur_invoice_is_refused_before_sending_then_goes_with_the_stores_rate(org):
    channel = connect_channel(org=org, store=StoreFactory.create(currency="EUR"))
    invoice = invoice_create(
        store=channel.store, number="E-1", customer_name="Jean Dupont", customer_email="jean@example.com",
        issue_date=dt.date(2026, 11, 2), due_date=dt.date(2026, 12, 2), lines=one_line("Vin", "30.00"),
        exchange_rate=Decimal("1.174000"),
    )  # fmt: skip

    drain(channel)

    row = row_of(channel, invoice)
    assert row.state == SyncState.FAILED
    assert row.last_error == f"EUR is not enabled in the Xero organisation {org.name}. {FIX}"
    # Refused before anything was sent for it: no contact, no invoice.
    assert testing.request_count(organisation=org.tenant_id, method="PUT") == 0
    assert testing.invoices(organisation=org.tenant_id) == []

    testing.currency_enable(organisation=org.tenant_id, code="EUR")
    sync_retry(records=[row])
    drain(channel)

    assert row_of(channel, invoice).state == SyncState.SYNCED
    [sent] = testing.invoices(organisation=org.tenant_id)
    assert (sent["InvoiceNumber"], sent["CurrencyCode"], Decimal(str(sent["CurrencyRate"]))) == (
        "E-1", "EUR", Decimal("1.174"),
    )  # fmt: skip


def test_a_channel_is_not_switched_on_while_the_stores_currency_is_not_enabled(org):
    channel = connect_channel(org=org, store=StoreFactory.create(currency="EUR"), is_active=False)

    with pytest.raises(ValidationError) as refused:
        channel_activate(channel=channel)

    assert refused.value.messages == [f"EUR is not enabled in the Xero organisation {org.name}. {FIX}"]
    channel.refresh_from_db()
    assert channel.is_active is False

    testing.currency_enable(organisation=org.tenant_id, code="EUR")
    channel_activate(channel=channel)
    channel.refresh_from_db()
    assert channel.is_active is True


CUSTOMER = {
    "customer_name": "Ada Lovelace",
    "customer_email": "ada@example.com",
    "customer_id": "C-1001",
    "customer_first_name": "Ada",
    "customer_last_name": "Lovelace",
    "customer_phone": "020 7946 0000",
    "customer_address_line1": "12 St James's Square",
    "customer_city": "London",
    "customer_postal_code": "SW1Y 4JH",
    "customer_country": "United Kingdom",
}


def _invoice(channel, number: str):
    return invoice_create(
        store=channel.store, number=number, issue_date=dt.date(2026, 11, 2), due_date=dt.date(2026, 12, 2),
        lines=one_line("Tea", "10.00"), **CUSTOMER,
    )  # fmt: skip


@pytest.mark.parametrize("high_volume", [False, True], ids=["regular", "high-volume"])
def test_the_contact_carries_the_customer_and_an_archived_one_is_reused(org, high_volume):
    testing.organisation_settings_set(organisation=org.tenant_id, high_volume=high_volume)
    channel = connect_channel(org=org)
    _invoice(channel, "S-1")
    drain(channel)

    [contact] = testing.contacts(organisation=org.tenant_id)
    assert (contact["ContactNumber"], contact["Name"], contact["FirstName"], contact["LastName"]) == (
        "C-1001", "Ada Lovelace", "Ada", "Lovelace",
    )  # fmt: skip
    assert contact["EmailAddress"] == "ada@example.com"
    addresses = [
        (a["AddressType"], a["AddressLine1"], a["City"], a["PostalCode"], a["Country"]) for a in contact["Addresses"]
    ]
    assert addresses == [
        ("POBOX", "12 St James's Square", "London", "SW1Y 4JH", "United Kingdom"),
        ("STREET", "12 St James's Square", "London", "SW1Y 4JH", "United Kingdom"),
    ]  # fmt: skip
    assert contact["Phones"] == [{"PhoneType": "DEFAULT", "PhoneNumber": "020 7946 0000"}]

    # Someone archives the customer in Xero, and the portal has forgotten the contact (as it does
    # when Xero refuses one): the next invoice finds it by its number, makes it active, reuses it.
    SandboxContact.objects.filter(contact_id=contact["ContactID"]).update(status="ARCHIVED")
    XeroContactLink.objects.all().delete()
    second = _invoice(channel, "S-2")
    drain(channel)

    assert row_of(channel, second).state == SyncState.SYNCED
    [again] = testing.contacts(organisation=org.tenant_id)
    assert (again["ContactID"], again["ContactStatus"]) == (contact["ContactID"], "ACTIVE")
    assert [i["Contact"]["ContactID"] for i in testing.invoices(organisation=org.tenant_id)] == [
        contact["ContactID"]
    ] * 2
