"""Pre-flight on "Is Active": each check against a sandbox organisation over real HTTP, through the
channel page's switch and the admin's Activate action."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from xero_python.accounting import Contact, LineItem
from xero_python.accounting import Invoice as XeroInvoice

from accounting.admin import activated_message
from accounting.checks.preflight import channel_preflight
from accounting.checks.preflight.organisation import account_fix, backlog_over_budget_detail
from accounting.checks.preflight.report import (
    PREFLIGHT_PASSED,
    fail,
    preflight_failed_message,
    preflight_warnings_message,
)
from accounting.models import AccountingChannel, ChannelPreflight, ChannelTaxMapping
from accounting.providers.xero.books import ACCOUNT_MISSING
from accounting.providers.xero.client import XeroClient
from accounting.sync.models import XeroOrganisationFacts
from accounting.views.channels import channel_active_message
from stores.services import invoice_create
from tests.accounting.sync.conftest import connect_channel
from tests.factories import StoreFactory
from tests.pages import messages_of
from xero_sandbox import testing
from xero_sandbox.models import RequestLog

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

GRANTED = "openid offline_access accounting.invoices accounting.contacts accounting.settings"
# What the pre-flight says of account code 999, which the demo books do not have.
BAD_ACCOUNT = fail("Account Nominal Code", f"Account 999 {ACCOUNT_MISSING}", account_fix(label="Account Nominal Code"))


def invoice_at(store, *, number: str, rate: str = "20", currency: str = "GBP", email: str = ""):
    line = {"description": "Tea", "quantity": Decimal("1"), "unit_price": Decimal("10"), "tax_rate": Decimal(rate)}
    return invoice_create(
        store=store, number=number, customer_name=f"Customer {number}", customer_email=email, currency=currency,
        issue_date=dt.date(2026, 3, 2), due_date=dt.date(2026, 4, 1), lines=[line],
    )  # fmt: skip


def off_channel(org, organization, **fields) -> AccountingChannel:
    store = StoreFactory.create(organization=organization, name="High Street")
    fields.setdefault("scopes", GRANTED)
    fields.setdefault("account_nominal_code", "200")
    return connect_channel(org=org, store=store, is_active=False, **fields)


def switch_on(client, channel):
    return client.post(reverse("accounting:channel-active", args=[channel.pk]), {"is_active": "on"}, follow=True)


def results_of(channel) -> dict[str, tuple[str, str]]:
    return {r["name"]: (r["level"], r["detail"]) for r in ChannelPreflight.objects.get(channel=channel).results}


def test_a_channel_ready_to_send_passes_and_is_switched_on(org, organization, member_client):
    channel = off_channel(org, organization)
    invoice_at(channel.store, number="P-1", rate="20")
    invoice_at(channel.store, number="P-2", rate="0")

    response = switch_on(member_client, channel)

    assert messages_of(response) == [channel_active_message(name=channel.name)]
    assert AccountingChannel.objects.get(pk=channel.pk).is_active is True
    results = results_of(channel)
    assert {level for level, _detail in results.values()} == {"ok"}, results
    assert results["Account Nominal Code"][1] == "Account 200 “Sales” (SALES, REVENUE) suits sales lines"
    assert results["Tax 0%"][1] == "ZERORATEDOUTPUT, chosen by the operator"
    assert results["Invoice numbers"][1] == "no clash: 2 of the numbers about to be sent were looked up"
    html = response.content.decode()
    assert '<h2 id="preflight-title">Pre-flight</h2>' in html and "<strong>passed</strong>.</p>" in html
    # Read-only: the pre-flight asks Xero with GETs only.
    assert {row.method for row in RequestLog.objects.filter(organisation__tenant_id=org.tenant_id)} == {"GET"}


def test_a_bad_account_code_blocks_switching_on_and_names_the_fix(org, organization, member_client):
    channel = off_channel(org, organization, account_nominal_code="999")
    invoice_at(channel.store, number="P-1")

    response = switch_on(member_client, channel)

    assert AccountingChannel.objects.get(pk=channel.pk).is_active is False
    assert messages_of(response) == [preflight_failed_message([BAD_ACCOUNT])]
    assert results_of(channel)["Account Nominal Code"] == ("failure", BAD_ACCOUNT.detail)
    html = response.content.decode()
    assert '<strong class="preflight-blocked">blocks switching on</strong>' in html
    assert f"<td>{BAD_ACCOUNT.detail}</td>" in html

    # Fixed in the settings, "Run pre-flight" checks again without switching on.
    AccountingChannel.objects.filter(pk=channel.pk).update(account_nominal_code="200")
    response = member_client.post(reverse("accounting:channel-preflight", args=[channel.pk]), follow=True)
    assert messages_of(response) == [PREFLIGHT_PASSED]
    assert results_of(channel)["Account Nominal Code"][0] == "ok"
    assert AccountingChannel.objects.get(pk=channel.pk).is_active is False


def test_what_would_let_nothing_be_sent_fails_and_what_needs_a_choice_warns(org, organization):
    channel = off_channel(
        org, organization, account_nominal_code="310", tax_mapping={}, add_products=True,
        scopes="offline_access accounting.invoices accounting.contacts",
    )  # fmt: skip
    channel.store.currency = "EUR"
    channel.store.save()
    invoice_at(channel.store, number="P-1", rate="0", currency="EUR")
    invoice_at(channel.store, number="P-2", rate="20", currency="USD")

    report = channel_preflight(channel=channel)

    failures = {r.name: r for r in report.failures}
    assert set(failures) == {"Scopes", "Account Nominal Code", "Currency"}
    assert (failures["Scopes"].detail, failures["Scopes"].action) == (
        "not granted: accounting.settings (for Add Products to Xero)",
        "reconnect",
    )
    assert failures["Account Nominal Code"].detail.endswith("is not a revenue account: sales lines need one")
    assert failures["Account Nominal Code"].action == "settings"
    assert failures["Currency"].detail == "the store's currency EUR is not enabled in the organisation"
    assert failures["Currency"].fix == "add EUR under Settings › Currencies in Xero, then run the pre-flight again"
    warnings = {r.name: r for r in report.warnings}
    assert warnings["Tax 0%"].detail == (
        "No Xero tax type is mapped for 0% on this channel: choose one under Tax mapping on the channel page. "
        "(1 invoice waits until it is)"
    )
    assert (warnings["Tax 0%"].fix, warnings["Tax 0%"].action) == (
        "choose the Xero tax type under Tax mapping on this page",
        "tax-mapping",
    )


def test_another_currency_some_invoices_use_is_a_warning(org, organization):
    channel = off_channel(org, organization)
    invoice_at(channel.store, number="P-1", rate="20", currency="GBP")
    invoice_at(channel.store, number="P-2", rate="20", currency="EUR")

    report = channel_preflight(channel=channel)

    assert report.failures == []
    [currency] = [r for r in report.warnings if r.name == "Currency"]
    assert currency.detail == "EUR not enabled in the organisation: invoices in EUR fail, saying so"


def test_a_connection_that_reaches_another_organisation_fails_with_reconnect(org, organization):
    other = testing.organisation_create(name="Someone Else's Books")
    channel = off_channel(org, organization)
    AccountingChannel.objects.filter(pk=channel.pk).update(tenant_id=str(other.tenant_id))

    report = channel_preflight(channel=channel)

    [organisation] = [r for r in report.failures if r.name == "Organisation"]
    assert organisation.action == "reconnect"
    assert organisation.fix == f"press Reconnect and pick {channel.tenant_name}"


def test_numbers_xero_already_holds_and_a_backlog_past_the_day_budget_are_warnings_that_allow_switching_on(
    org, organization, member_client
):
    channel = off_channel(org, organization)
    client = XeroClient(access_token=org.token_set["access_token"], tenant_id=org.tenant_id)
    [contact] = client.contacts_create(contacts=[Contact(name="Someone else")], idempotency_key="pf-contact")
    line = LineItem(description="Old", quantity=1, unit_amount=5, account_code="200", tax_type="OUTPUT2")
    client.invoices_create(
        invoices=[XeroInvoice(type="ACCREC", contact=Contact(contact_id=contact.contact_id), invoice_number="P-2",
                              line_items=[line], date=dt.date(2026, 1, 5), due_date=dt.date(2026, 2, 5))],
        idempotency_key="pf-invoice",
    )  # fmt: skip
    for n in range(1, 4):
        invoice_at(channel.store, number=f"P-{n}")
    # Xero's day budget (Starter: 1,000) nearly spent: 2 calls made above, 992 elsewhere, and the
    # pre-flight's 5 GETs leave 1, fewer than the 3 calls the backlog takes.
    testing.limits_day_calls_add(organisation=org.tenant_id, calls=992)

    response = switch_on(member_client, channel)

    assert AccountingChannel.objects.get(pk=channel.pk).is_active is True
    results = results_of(channel)
    assert results["Invoice numbers"] == (
        "warning",
        "Xero already holds 1 of them (P-2); 3 of the numbers about to be sent were looked up",
    )
    assert results["Backlog"] == (
        "warning",
        backlog_over_budget_detail(estimate="3 invoices take about 3 Xero calls", days=2),
    )
    assert XeroOrganisationFacts.objects.get(tenant_id=org.tenant_id).day_remaining == 1
    assert messages_of(response) == [
        channel_active_message(name=channel.name),
        preflight_warnings_message(["Invoice numbers", "Backlog"]),
    ]


def test_the_admin_activate_action_runs_the_pre_flight(org, organization, admin_client):
    bad = off_channel(org, organization, account_nominal_code="999")
    good_store = StoreFactory.create(organization=organization, name="Corner Shop")
    good = connect_channel(org=org, store=good_store, is_active=False, scopes=GRANTED, invoice_number_prefix="C-")

    response = admin_client.post(
        reverse("admin:accounting_accountingchannel_changelist"),
        {"action": "activate", "_selected_action": [bad.pk, good.pk]},
        follow=True,
    )

    assert messages_of(response) == [
        f"{bad.name}: {preflight_failed_message([BAD_ACCOUNT])}",
        activated_message(count=1),
    ]
    assert AccountingChannel.objects.get(pk=bad.pk).is_active is False
    assert AccountingChannel.objects.get(pk=good.pk).is_active is True


def test_unchosen_and_stale_line_and_payment_accounts_warn(org, organization, member_client):
    from accounting.models import ChannelLineAccounts
    from stores.payments import payment_record

    channel = off_channel(org, organization)
    shipping = {"kind": "shipping", "description": "Delivery", "quantity": Decimal("1"), "unit_price": Decimal("5"),
                "tax_rate": Decimal("20")}  # fmt: skip
    goods = {"description": "Tea", "quantity": Decimal("1"), "unit_price": Decimal("10"), "tax_rate": Decimal("20")}
    invoice = invoice_create(
        store=channel.store, number="S-1", customer_name="Ann", currency="GBP",
        issue_date=dt.date(2026, 3, 2), due_date=dt.date(2026, 4, 1), lines=[goods, shipping],
    )  # fmt: skip
    payment_record(invoice=invoice, amount=invoice.total, date=dt.date(2026, 3, 3), method="card")
    ChannelTaxMapping.objects.create(
        channel=channel, rate=Decimal("20"), line_kind="shipping", tax_type="OUTPUT2", origin="chosen"
    )

    response = switch_on(member_client, channel)

    # Unchosen accounts: the records wait with the fix named, the invoices go meanwhile.
    assert AccountingChannel.objects.get(pk=channel.pk).is_active is True, messages_of(response)
    results = results_of(channel)
    assert results["Shipping account"] == (
        "warning",
        "not chosen, and 1 invoice(s) have such lines: they wait until it is",
    )
    assert results["Payments by “card”"][0] == "warning"
    assert results["Payments scope"][0] == "warning"  # connected without accounting.payments
    assert "Discount account" not in results  # no discount lines: nothing to ask

    # A chosen account that Xero no longer holds is a warning too: only the invoices with such lines
    # are refused (by Xero, with its reason), the rest go.
    member_client.post(reverse("accounting:channel-active", args=[channel.pk]), {}, follow=True)
    assert AccountingChannel.objects.get(pk=channel.pk).is_active is False
    ChannelLineAccounts.objects.filter(channel=channel).update(shipping_account="998")
    response = switch_on(member_client, channel)
    assert AccountingChannel.objects.get(pk=channel.pk).is_active is True
    assert results_of(channel)["Shipping account"] == (
        "warning",
        "account 998 is not in the organisation's chart of accounts: Xero refuses invoices with such lines",
    )
