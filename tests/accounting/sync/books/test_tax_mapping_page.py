"""The channel page's "Tax mapping" card: every rate the store uses, a select of the Xero
organisation's sales tax types at that rate, and a save that retries what waited for it.

Real sandbox over HTTP; the page through Django's test client.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from accounting.books.tax_mapping import tax_type_not_offered_message
from accounting.models import ChannelTaxMapping
from accounting.sync.models import SyncState
from stores.services import invoice_create
from tests.accounting.sync.conftest import connect_channel
from tests.accounting.sync.turns import drain, row_of
from tests.factories import StoreFactory
from tests.pages import messages_of
from xero_sandbox import testing
from xero_sandbox.models import TaxRate as SandboxTaxRate

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def invoice_at(channel, *, number: str, rates: list[str]):
    lines = [
        {"description": f"Line at {r}%", "quantity": Decimal("1"), "unit_price": Decimal("10"), "tax_rate": Decimal(r)}
        for r in rates
    ]
    return invoice_create(
        store=channel.store, number=number, customer_name=f"Customer {number}", customer_email="",
        issue_date=dt.date(2026, 3, 2), due_date=dt.date(2026, 4, 1), lines=lines,
    )  # fmt: skip


def sales_types_at(org, rate: str) -> list[str]:
    rows = SandboxTaxRate.objects.filter(
        organisation__tenant_id=org.tenant_id, status="ACTIVE", can_apply_to_revenue=True, rate=Decimal(rate)
    )
    return sorted(r.tax_type for r in rows)


@pytest.fixture
def channel(org, organization):
    return connect_channel(org=org, store=StoreFactory.create(organization=organization), tax_mapping={"20": "OUTPUT2"})


def test_the_card_lists_every_rate_the_store_uses_with_the_organisations_sales_types_at_it(member_client, org, channel):
    zero = invoice_at(channel, number="P-1", rates=["20", "0"])
    invoice_at(channel, number="P-2", rates=["5"])
    drain(channel)  # reads the organisation's tax rates; the 0% invoice waits for a choice
    assert row_of(channel, zero).state == SyncState.WAITING

    page = member_client.get(reverse("accounting:channel-detail", args=[channel.pk]))

    rows = {(r.rate_text, r.kind_label): r for r in page.context["tax"]["rows"]}
    assert list(rows) == [("0", "Goods"), ("5", "Goods"), ("20", "Goods")]
    assert [o.tax_type for o in sorted(rows["0", "Goods"].options, key=lambda o: o.tax_type)] == sales_types_at(
        org, "0"
    )
    assert (rows["0", "Goods"].selected, rows["0", "Goods"].status) == (
        "",
        "Choose one: invoices with lines at this rate wait for it.",
    )
    # 5%: the organisation's only sales tax type at it, pre-selected.
    assert (rows["5", "Goods"].selected, rows["5", "Goods"].status) == (
        "RROUTPUT",
        "Pre-filled (the organisation's only sales tax type at this rate)",
    )
    assert (rows["20", "Goods"].selected, rows["20", "Goods"].status) == ("OUTPUT2", "Chosen by the operator")
    html = page.content.decode()
    assert 'id="tax-mapping"' in html
    assert '<option value="ZERORATEDOUTPUT">Zero Rated Income (ZERORATEDOUTPUT)</option>' in html


def test_saving_a_choice_retries_the_invoice_that_waited_and_it_lands_with_that_type(member_client, org, channel):
    zero = invoice_at(channel, number="P-3", rates=["20", "0"])
    drain(channel)
    url = reverse("accounting:channel-tax-mapping", args=[channel.pk])

    answer = member_client.post(url, {"save": "", "tax-goods-0.00": "ZERORATEDOUTPUT"}, follow=True)

    assert answer.redirect_chain[-1][0] == reverse("accounting:channel-detail", args=[channel.pk]) + "#tax-mapping"
    assert messages_of(answer) == ["The tax mapping was saved. 1 invoice that waited for it was queued again."]
    assert row_of(channel, zero).state == SyncState.PENDING
    drain(channel)
    [sent] = testing.invoices(organisation=org.tenant_id)
    assert [line["TaxType"] for line in sent["LineItems"]] == ["OUTPUT2", "ZERORATEDOUTPUT"]
    assert row_of(channel, zero).state == SyncState.SYNCED


def test_a_tax_type_not_offered_at_that_rate_is_refused_and_nothing_changes(member_client, org, channel):
    zero = invoice_at(channel, number="P-4", rates=["0"])
    drain(channel)
    url = reverse("accounting:channel-tax-mapping", args=[channel.pk])

    answer = member_client.post(url, {"save": "", "tax-goods-0.00": "OUTPUT2"}, follow=True)

    assert messages_of(answer) == [tax_type_not_offered_message(tax_type="OUTPUT2", rate=Decimal("0"))]
    assert list(ChannelTaxMapping.objects.filter(channel=channel).values_list("rate", "tax_type")) == [
        (Decimal("20.00"), "OUTPUT2")
    ]
    assert row_of(channel, zero).state == SyncState.WAITING


def test_the_organisations_tax_rates_are_read_from_xero_on_request(member_client, org, channel):
    invoice_at(channel, number="P-5", rates=["0"])
    page = member_client.get(reverse("accounting:channel-detail", args=[channel.pk]))
    assert page.context["tax"]["rates_loaded"] is False
    assert (
        '<p class="notice">The organisation\'s tax rates have not been read from Xero yet.</p>' in page.content.decode()
    )

    url = reverse("accounting:channel-tax-mapping", args=[channel.pk])
    answer = member_client.post(url, {"refresh": ""}, follow=True)

    count = SandboxTaxRate.objects.filter(
        organisation__tenant_id=org.tenant_id, status="ACTIVE", can_apply_to_revenue=True
    ).count()
    assert messages_of(answer) == [f"{count} sales tax rates were read from Xero."]
    assert answer.context["tax"]["rates_loaded"] is True
    assert testing.request_count(organisation=org.tenant_id, method="GET", path_contains="TaxRates") == 1


def test_another_organizations_channel_answers_404_and_keeps_its_mapping(outsider_client, channel):
    url = reverse("accounting:channel-tax-mapping", args=[channel.pk])

    answer = outsider_client.post(url, {"save": "", "tax-goods-20.00": "NONE"})

    assert answer.status_code == 404
    assert list(ChannelTaxMapping.objects.filter(channel=channel).values_list("tax_type", flat=True)) == ["OUTPUT2"]
