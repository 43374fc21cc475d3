"""Each region's demo books (UK, AU, NZ, US) switch on with a store's invoices and send what they can.

Nothing is mapped by hand: a rate takes the default tax type of the Xero account its lines post
to where that type has the rate (what Xero itself applies to a line without one), or the
organisation's only sales tax type at it. A rate with several fitting types and no account
default to settle it waits for the operator's choice, as a warning of the pre-flight: the
channel switches on, those invoices wait saying where to choose, the others go.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from accounting.models import AccountingChannel, ChannelPreflight, ChannelTaxMapping, TaxMappingOrigin
from accounting.providers.xero.mapping import tax_unmapped_message
from accounting.sync.models import SyncState, WaitingFor
from stores.services import invoice_create
from tests.accounting.sync.conftest import connect_channel, sandbox_org
from tests.accounting.sync.turns import drain, row_of
from tests.factories import StoreFactory
from xero_sandbox import testing

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

GRANTED = "openid offline_access accounting.invoices accounting.payments accounting.contacts accounting.settings"

# country → (currency, sales account, its default tax type, standard rate, rate that needs a choice or None)
REGIONS = {
    "GB": ("GBP", "200", "OUTPUT2", "20", "0"),
    "AU": ("AUD", "200", "OUTPUT", "10", "0"),
    "NZ": ("NZD", "200", "OUTPUT2", "15", "0"),
    "US": ("USD", "400", "OUTPUT", "0", None),
}


def invoice_at(store, *, number: str, rate: str, currency: str):
    line = {"description": "Tea", "quantity": Decimal("2"), "unit_price": Decimal("10"), "tax_rate": Decimal(rate)}
    return invoice_create(
        store=store, number=number, customer_name=f"Customer {number}", customer_email="", currency=currency,
        issue_date=dt.date(2026, 3, 2), due_date=dt.date(2026, 4, 1), lines=[line],
    )  # fmt: skip


@pytest.mark.parametrize("country", sorted(REGIONS))
def test_the_demo_books_of_each_region_switch_on_and_send_what_they_can(
    country, sandbox, clean_redis, organization, member_client
):
    currency, account, default_type, standard, open_rate = REGIONS[country]
    org = sandbox_org(f"Demo Company ({country})", country=country)
    store = StoreFactory.create(organization=organization, name=f"Shop {country}", currency=currency)
    channel = connect_channel(org=org, store=store, tax_mapping={}, is_active=False, scopes=GRANTED)
    sent = invoice_at(store, number=f"{country}-1", rate=standard, currency=currency)
    held = invoice_at(store, number=f"{country}-2", rate=open_rate, currency=currency) if open_rate else None

    response = member_client.post(
        reverse("accounting:channel-active", args=[channel.pk]), {"is_active": "on"}, follow=True
    )

    assert AccountingChannel.objects.get(pk=channel.pk).is_active is True, [
        str(m) for m in response.context["messages"]
    ]
    results = {r["name"]: r for r in ChannelPreflight.objects.get(channel=channel).results}
    assert [name for name, r in results.items() if r["level"] == "failure"] == []
    assert results[f"Tax {standard}%"]["detail"] == f"{default_type}, from account {account}'s default tax type"
    mapping = ChannelTaxMapping.objects.get(channel=channel, rate=Decimal(standard))
    assert (mapping.tax_type, mapping.origin, mapping.source_account) == (
        default_type,
        TaxMappingOrigin.ACCOUNT_DEFAULT,
        account,
    )

    drain(channel)

    assert row_of(channel, sent).state == SyncState.SYNCED
    [in_xero] = [i for i in testing.invoices(organisation=org.tenant_id) if i["InvoiceNumber"] == f"{country}-1"]
    assert [line["TaxType"] for line in in_xero["LineItems"]] == [default_type]
    if held is not None and open_rate is not None:
        row = row_of(channel, held)
        assert (row.state, row.waiting_for, row.last_error) == (
            SyncState.WAITING,
            WaitingFor.TAX_MAPPING,
            tax_unmapped_message(rate=Decimal(open_rate)),
        )
        assert results[f"Tax {open_rate}%"]["level"] == "warning"
        assert results[f"Tax {open_rate}%"]["action"] == "tax-mapping"
