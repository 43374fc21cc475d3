"""Request-level rules of real Xero, through the SDK: URL length, body size, If-Modified-Since."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
import requests
from xero_python.accounting import (
    Account,
    Contact,
    Contacts,
    Invoice,
    Invoices,
    Item,
    Items,
    LineItem,
    Payment,
    Payments,
)
from xero_python.exceptions import HTTPStatusException, NotFoundException

from xero_sandbox import testing
from xero_sandbox.api.request_rules import MAX_REQUEST_BYTES
from xero_sandbox.models import RequestLog

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
T = 20
NOT_FOUND = {"Title": "Not Found", "Status": 404, "Detail": "The resource you're looking for cannot be found"}


def _headers(sdk, tenant: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {sdk.token['access_token']}", "xero-tenant-id": tenant}


def _padded_url(base: str, length: int) -> str:
    """Return `base` with a padding parameter that makes the whole URL exactly `length` characters."""
    url = f"{base}?pad="
    return url + "a" * (length - len(url))


def test_sixty_contact_ids_make_a_url_too_long_for_xero_and_the_sdk_gets_not_found(sdk, tenant):
    contacts = sdk.accounting.create_contacts(
        tenant, Contacts(contacts=[Contact(name="Jane Buyer")]), _request_timeout=T
    ).contacts
    ids = [str(contacts[0].contact_id), *(str(uuid.uuid4()) for _ in range(59))]
    with pytest.raises(NotFoundException) as refused:
        sdk.accounting.get_contacts(tenant, i_ds=ids, _request_timeout=T)
    assert json.loads(refused.value.body) == NOT_FOUND
    # Forty ids (about 1,650 characters) are served.
    found = sdk.accounting.get_contacts(tenant, i_ds=ids[:40], _request_timeout=T)
    assert [c.name for c in found.contacts] == ["Jane Buyer"]
    # Refused before the caller is known, as at Xero's edge: logged without an organisation.
    refused_rows = RequestLog.objects.filter(status=404, organisation=None)
    assert len(refused_rows) == 1
    assert int(refused_rows[0].note.removeprefix("URL of ").removesuffix(" characters")) > 2048


def test_the_limit_is_2048_characters_of_the_absolute_url_as_sent(sdk, xero_sandbox, tenant):
    base = f"{xero_sandbox}/api/api.xro/2.0/Currencies"
    at_limit = requests.get(_padded_url(base, 2048), headers=_headers(sdk, tenant), timeout=T)
    assert at_limit.status_code == 200
    over = requests.get(_padded_url(base, 2049), headers=_headers(sdk, tenant), timeout=T)
    assert (over.status_code, over.json()) == (404, NOT_FOUND)


def test_a_long_url_on_the_connections_endpoint_is_not_found_too(sdk, xero_sandbox):
    url = _padded_url(f"{xero_sandbox}/api/connections", 2049)
    answer = requests.get(url, headers={"Authorization": f"Bearer {sdk.token['access_token']}"}, timeout=T)
    assert (answer.status_code, answer.json()) == (404, NOT_FOUND)
    assert len(sdk.identity.get_connections(_request_timeout=T)) == 1


def test_url_limit_follows_the_setting(sdk, xero_sandbox, tenant, settings):
    settings.XERO_SANDBOX_MAX_URL_LENGTH = 300
    base = f"{xero_sandbox}/api/api.xro/2.0/Currencies"
    assert requests.get(_padded_url(base, 300), headers=_headers(sdk, tenant), timeout=T).status_code == 200
    assert requests.get(_padded_url(base, 301), headers=_headers(sdk, tenant), timeout=T).status_code == 404


def test_a_body_over_3_5_mb_answers_413_and_writes_nothing(sdk, tenant):
    line = LineItem(description="Mug", quantity=1.0, unit_amount=4.5, account_code="200")
    big = Invoice(
        type="ACCREC",
        contact=Contact(name="Jane Buyer"),
        date=dt.date(2026, 11, 2),
        invoice_number="INV-BIG",
        reference="R" * MAX_REQUEST_BYTES,
        line_items=[line],
    )
    with pytest.raises(HTTPStatusException) as refused:
        sdk.accounting.create_invoices(tenant, Invoices(invoices=[big]), _request_timeout=T)
    assert refused.value.status == 413
    body = json.loads(refused.value.body)
    assert {k: body[k] for k in ("Title", "Status", "Detail")} == {
        "Title": "RequestEntityTooLarge",
        "Status": 413,
        "Detail": "PayloadTooLarge",
    }
    assert testing.invoices(organisation=tenant) == []
    assert testing.contacts(organisation=tenant) == []


def test_a_body_of_3_mb_is_still_served(sdk, xero_sandbox, tenant):
    """3 MB is over Django's own 2.5 MB default but under Xero's 3.5 MB: the write goes through."""
    payload = json.dumps({"Contacts": [{"Name": "Padded Buyer"}]}) + " " * 3_000_000
    answer = requests.put(
        f"{xero_sandbox}/api/api.xro/2.0/Contacts",
        data=payload.encode(),
        headers={**_headers(sdk, tenant), "Content-Type": "application/json"},
        timeout=T,
    )
    assert answer.status_code == 200, answer.text[:300]
    assert [c["Name"] for c in testing.contacts(organisation=tenant)] == ["Padded Buyer"]


def test_if_modified_since_returns_only_contacts_changed_after_it(sdk, tenant):
    first = sdk.accounting.create_contacts(tenant, Contacts(contacts=[Contact(name="Ann")]), _request_timeout=T)
    stamp = first.contacts[0].updated_date_utc
    sdk.accounting.create_contacts(tenant, Contacts(contacts=[Contact(name="Ben")]), _request_timeout=T)
    changed = sdk.accounting.get_contacts(tenant, if_modified_since=stamp, _request_timeout=T)
    assert [c.name for c in changed.contacts] == ["Ben"]
    everything = sdk.accounting.get_contacts(tenant, _request_timeout=T)
    assert sorted(c.name for c in everything.contacts) == ["Ann", "Ben"]


def test_if_modified_since_returns_invoices_updated_after_it_even_when_created_before(sdk, tenant):
    def invoice(number: str, reference: str) -> Invoice:
        line = LineItem(description="Mug", quantity=1.0, unit_amount=4.5, account_code="200")
        return Invoice(
            type="ACCREC",
            contact=Contact(name="Jane Buyer"),
            date=dt.date(2026, 11, 2),
            invoice_number=number,
            reference=reference,
            status="AUTHORISED",
            line_items=[line],
        )

    sdk.accounting.create_invoices(tenant, Invoices(invoices=[invoice("INV-1", "a")]), _request_timeout=T)
    second = sdk.accounting.create_invoices(tenant, Invoices(invoices=[invoice("INV-2", "b")]), _request_timeout=T)
    stamp = second.invoices[0].updated_date_utc
    sdk.accounting.update_or_create_invoices(
        tenant, Invoices(invoices=[invoice("INV-1", "edited")]), _request_timeout=T
    )
    changed = sdk.accounting.get_invoices(tenant, if_modified_since=stamp, _request_timeout=T)
    assert [(i.invoice_number, i.reference) for i in changed.invoices] == [("INV-1", "edited")]

    payment = Payment(
        invoice=Invoice(invoice_id=second.invoices[0].invoice_id),
        account=Account(code="090"),
        amount=1.0,
        date=dt.date(2026, 11, 20),
    )
    before_payment = changed.invoices[0].updated_date_utc
    sdk.accounting.create_payments(tenant, Payments(payments=[payment]), _request_timeout=T)
    payments = sdk.accounting.get_payments(tenant, if_modified_since=before_payment, _request_timeout=T)
    assert [p.amount for p in payments.payments] == [1.0]
    later = payments.payments[0].updated_date_utc + dt.timedelta(seconds=1)
    assert sdk.accounting.get_payments(tenant, if_modified_since=later, _request_timeout=T).payments == []


def test_if_modified_since_on_items_and_an_http_date_header(sdk, xero_sandbox, tenant):
    sdk.accounting.update_or_create_items(tenant, Items(items=[Item(code="OLD", name="Old")]), _request_timeout=T)
    items = sdk.accounting.get_items(tenant, _request_timeout=T).items
    stamp = items[0].updated_date_utc
    sdk.accounting.update_or_create_items(tenant, Items(items=[Item(code="NEW", name="New")]), _request_timeout=T)
    changed = sdk.accounting.get_items(tenant, if_modified_since=stamp, _request_timeout=T)
    assert [i.code for i in changed.items] == ["NEW"]
    # An HTTP date in the past returns everything; one that is not a date is ignored, as HTTP says.
    for value in ("Mon, 02 Nov 2020 10:00:00 GMT", "not a date"):
        raw = requests.get(
            f"{xero_sandbox}/api/api.xro/2.0/Items",
            headers={**_headers(sdk, tenant), "If-Modified-Since": value},
            timeout=T,
        )
        assert sorted(i["Code"] for i in raw.json()["Items"]) == ["NEW", "OLD"]
