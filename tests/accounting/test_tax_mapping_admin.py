"""The Django admin of channels' tax mappings: the same rule as the channel page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from accounting.books.tax_mapping import tax_type_not_offered_message
from accounting.models import ChannelTaxMapping, TaxMappingOrigin
from accounting.providers.xero.tax import SalesTaxRate, sales_tax_rates_dump
from accounting.sync.models import ChannelSyncSettings
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

UK_SALES_RATES = [
    SalesTaxRate(tax_type="ZERORATEDOUTPUT", name="Zero Rated Income", rate=Decimal("0.0000")),
    SalesTaxRate(tax_type="EXEMPTOUTPUT", name="Exempt Income", rate=Decimal("0.0000")),
    SalesTaxRate(tax_type="OUTPUT2", name="20% (VAT on Income)", rate=Decimal("20.0000")),
]


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory.create(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def mapping(connected_channel):
    # The organisation's tax rates as the sync engine or the channel page cached them.
    ChannelSyncSettings.objects.create(
        channel=connected_channel,
        tenant_id=connected_channel.tenant_id,
        sales_tax_rates=sales_tax_rates_dump(UK_SALES_RATES),
    )
    return ChannelTaxMapping.objects.create(
        channel=connected_channel, rate=Decimal("0"), tax_type="EXEMPTOUTPUT", origin=TaxMappingOrigin.CHOSEN
    )


def test_changelist_shows_the_mappings_with_their_channel_and_organization(admin_client, mapping):
    html = admin_client.get(reverse("admin:accounting_channeltaxmapping_changelist")).content.decode()

    assert "Main books" in html and "Acme Retail" in html
    assert '<td class="field-tax_type">EXEMPTOUTPUT</td>' in html


def test_a_change_to_a_type_offered_at_that_rate_is_saved_as_the_admins_choice(admin_client, mapping):
    url = reverse("admin:accounting_channeltaxmapping_change", args=[mapping.pk])

    answer = admin_client.post(url, {"tax_type": "ZERORATEDOUTPUT"})

    assert answer.status_code == 302
    mapping.refresh_from_db()
    assert (mapping.tax_type, mapping.origin, mapping.chosen_by.username) == (
        "ZERORATEDOUTPUT",
        TaxMappingOrigin.CHOSEN,
        "root",
    )


def test_a_type_not_offered_at_that_rate_is_refused_and_changes_nothing(admin_client, mapping):
    url = reverse("admin:accounting_channeltaxmapping_change", args=[mapping.pk])

    answer = admin_client.post(url, {"tax_type": "OUTPUT2"})

    assert answer.status_code == 200
    assert answer.context["adminform"].form.non_field_errors() == [
        tax_type_not_offered_message(tax_type="OUTPUT2", rate=Decimal("0"))
    ]
    mapping.refresh_from_db()
    assert mapping.tax_type == "EXEMPTOUTPUT"


def test_a_mapping_added_in_the_admin_is_checked_and_saved_as_chosen(admin_client, mapping):
    url = reverse("admin:accounting_channeltaxmapping_add")
    form = {"channel": mapping.channel_id, "rate": "20", "line_kind": "goods"}

    refused = admin_client.post(url, {**form, "tax_type": "EXEMPTOUTPUT"})
    added = admin_client.post(url, {**form, "tax_type": "OUTPUT2"})

    assert refused.status_code == 200
    assert (
        "“EXEMPTOUTPUT” is not one of the organisation&#x27;s active sales tax types at 20%."
        in refused.content.decode()
    )
    assert added.status_code == 302
    rows = ChannelTaxMapping.objects.filter(channel=mapping.channel).order_by("rate")
    assert [(str(r.rate), r.tax_type, r.origin) for r in rows] == [
        ("0.00", "EXEMPTOUTPUT", TaxMappingOrigin.CHOSEN),
        ("20.00", "OUTPUT2", TaxMappingOrigin.CHOSEN),
    ]
