"""Each line's tax rate reaches Xero as the tax type mapped for it on the channel (never guessed:
pre-filled only where the organisation has exactly one sales tax type at that rate), and the
invoice's tax mode (Exclusive, Inclusive, NoTax) keeps Xero's totals equal to the store's.

Real sandbox over HTTP, one turn at a time in this process, as in test_push.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from accounting.books.tax_mapping import channel_tax_mapping_set
from accounting.models import ChannelTaxMapping, LineAmountType, LineKind, TaxMappingOrigin
from accounting.sync.ledger.actions import sync_retry
from accounting.sync.models import AttemptOutcome, SyncState, WaitingFor
from stores.services import invoice_create
from tests.accounting.sync.conftest import connect_channel, sandbox_org
from tests.accounting.sync.turns import drain, row_of
from tests.factories import StoreFactory
from xero_sandbox import testing
from xero_sandbox.models import LineItem as SandboxLineItem
from xero_sandbox.models import TaxRate as SandboxTaxRate

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

MISSING_RATE_MESSAGE = (
    "Xero has no active sales tax rate of 12.5%: add one in Xero, then choose it under Tax mapping on the channel page."
)
UNMAPPED_ZERO_MESSAGE = (
    "No Xero tax type is mapped for 0% on this channel: choose one under Tax mapping on the channel page."
)


def line(description: str, quantity: str, unit_price: str, tax_rate: str, discount_rate: str = "0") -> dict[str, Any]:
    return {
        "description": description,
        "quantity": Decimal(quantity),
        "unit_price": Decimal(unit_price),
        "tax_rate": Decimal(tax_rate),
        "discount_rate": Decimal(discount_rate),
    }


def store_invoice(
    channel, *, number: str, lines: list[dict[str, Any]], customer: str = "Ada Lovelace", tax_mode: str = "exclusive"
):
    return invoice_create(
        store=channel.store, number=number, customer_name=customer, customer_email="",
        issue_date=dt.date(2026, 3, 2), due_date=dt.date(2026, 4, 1), lines=lines, tax_mode=tax_mode,
    )  # fmt: skip


def sent_invoice(org, number: str) -> dict[str, Any]:
    [found] = [i for i in testing.invoices(organisation=org.tenant_id) if i["InvoiceNumber"] == number]
    return found


def sent_tax_types(sent: dict[str, Any]) -> list[str]:
    stored = SandboxLineItem.objects.filter(invoice__invoice_id=sent["InvoiceID"]).order_by("position")
    return [li.tax_type for li in stored]


def mappings(channel) -> list[tuple[str, str, str, str]]:
    rows = ChannelTaxMapping.objects.filter(channel=channel).order_by("rate")
    return [(str(m.rate), m.line_kind, m.tax_type, m.origin) for m in rows]


def money(value: Any) -> Decimal:
    return Decimal(str(value))


# Lines whose rounding differs between a per-line and a per-invoice computation.
ROUNDING_LINES = [
    line("Tea pot", "2", "12.3450", "20"),
    line("Cups", "1.5", "4", "20", discount_rate="10"),
    line("Fuel", "3", "3.3333", "5"),
    line("Book", "1", "10", "0"),
    line("Gift card", "7", "0.1450", "20"),
]


@pytest.fixture
def org(sandbox, clean_redis):
    return sandbox_org("Tax Books Ltd")


def test_a_mixed_20_and_0_percent_invoice_gets_the_mapped_tax_type_per_line_and_the_stores_total(org):
    channel = connect_channel(org=org, account_nominal_code="", tax_mapping={"20": "OUTPUT2", "0": "ZERORATEDOUTPUT"})
    invoice = store_invoice(channel, number="T-1", lines=[line("Tea", "1", "10", "20"), line("Book", "1", "10", "0")])

    drain(channel)

    sent = sent_invoice(org, "T-1")
    assert sent["LineAmountTypes"] == "Exclusive"
    assert sent_tax_types(sent) == ["OUTPUT2", "ZERORATEDOUTPUT"]
    assert money(sent["Total"]) == invoice.total == Decimal("22.00")
    assert money(sent["TotalTax"]) == invoice.total_tax == Decimal("2.00")
    assert money(sent["SubTotal"]) == invoice.subtotal
    assert row_of(channel, invoice).state == SyncState.SYNCED


@pytest.mark.parametrize(
    ("country", "currency", "tax_mapping", "rates", "expected"),
    [
        # UK 0%: zero-rated, exempt, EC goods, EC services, no VAT: the operator chose zero-rated.
        ("GB", "GBP", {"20": "OUTPUT2", "0": "ZERORATEDOUTPUT"}, ["20", "0"], ["OUTPUT2", "ZERORATEDOUTPUT"]),
        # AU 0%: GST free income, exports, input taxed, BAS excluded; 10% has one type (pre-filled).
        ("AU", "AUD", {"0": "EXEMPTOUTPUT"}, ["10", "0"], ["OUTPUT", "EXEMPTOUTPUT"]),
        # NZ 0%: zero-rated and no GST; 15% has one type (pre-filled).
        ("NZ", "NZD", {"0": "ZERORATED"}, ["15", "0"], ["OUTPUT2", "ZERORATED"]),
    ],
)
def test_zero_rate_lines_go_out_with_the_mapped_type_only_in_uk_au_and_nz(
    sandbox, clean_redis, country, currency, tax_mapping, rates, expected
):
    books = sandbox_org(f"Books {country}", country=country)
    organisation = testing.organisation_get(organisation=books.tenant_id)
    zero_types = SandboxTaxRate.objects.filter(
        organisation=organisation, rate=Decimal("0"), can_apply_to_revenue=True, status="ACTIVE"
    )
    assert zero_types.count() > 1  # Xero would accept any of them: only the mapping may choose
    channel = connect_channel(org=books, store=StoreFactory.create(currency=currency), tax_mapping=tax_mapping)
    invoice = store_invoice(channel, number=f"{country}-1", lines=[line("Item", "1", "10", r) for r in rates])

    drain(channel)

    sent = sent_invoice(books, f"{country}-1")
    assert sent_tax_types(sent) == expected
    assert (money(sent["Total"]), money(sent["TotalTax"])) == (invoice.total, invoice.total_tax)
    assert row_of(channel, invoice).state == SyncState.SYNCED


def test_exclusive_totals_match_the_store_exactly_with_per_line_rounding(org):
    channel = connect_channel(org=org, line_amount_type=LineAmountType.EXCLUSIVE)
    invoice = store_invoice(channel, number="T-2", lines=ROUNDING_LINES)

    drain(channel)

    sent = sent_invoice(org, "T-2")
    assert sent_tax_types(sent) == ["OUTPUT2", "OUTPUT2", "RROUTPUT", "ZERORATEDOUTPUT", "OUTPUT2"]
    assert (money(sent["SubTotal"]), money(sent["TotalTax"]), money(sent["Total"])) == (
        invoice.subtotal,
        invoice.total_tax,
        invoice.total,
    )


def test_tax_rates_are_looked_up_once_and_cached_for_the_channel(org):
    channel = connect_channel(org=org)
    store_invoice(channel, number="T-3", lines=[line("Tea", "1", "10", "20")])
    drain(channel)
    store_invoice(channel, number="T-4", lines=[line("Book", "1", "10", "0")])
    drain(channel)

    assert [sent_tax_types(i) for i in testing.invoices(organisation=org.tenant_id)] == [
        ["OUTPUT2"],
        ["ZERORATEDOUTPUT"],
    ]
    assert testing.request_count(organisation=org.tenant_id, method="GET", path_contains="TaxRates") == 1


def test_an_inclusive_invoice_sends_its_gross_prices_and_xeros_totals_match_the_store_exactly(org):
    # The channel's old line amount setting no longer decides: the invoice's own tax mode does.
    channel = connect_channel(org=org, line_amount_type=LineAmountType.EXCLUSIVE)
    invoice = store_invoice(channel, number="T-5", lines=ROUNDING_LINES, tax_mode="inclusive")

    drain(channel)

    sent = sent_invoice(org, "T-5")
    assert sent["LineAmountTypes"] == "Inclusive"
    assert sent_tax_types(sent) == ["OUTPUT2", "OUTPUT2", "RROUTPUT", "ZERORATEDOUTPUT", "OUTPUT2"]
    stored = SandboxLineItem.objects.filter(invoice__invoice_id=sent["InvoiceID"]).order_by("position")
    # Unit prices as the store holds them (tax included), at 4 dp.
    assert [li.unit_amount for li in stored] == [
        Decimal("12.345"), Decimal("4"), Decimal("3.3333"), Decimal("10"), Decimal("0.145"),
    ]  # fmt: skip
    assert (money(sent["Total"]), money(sent["TotalTax"]), money(sent["SubTotal"])) == (
        invoice.total, invoice.total_tax, invoice.subtotal,
    )  # fmt: skip
    assert row_of(channel, invoice).state == SyncState.SYNCED


def test_a_no_tax_invoice_sends_no_tax_and_xeros_total_is_the_stores(org):
    channel = connect_channel(org=org, tax_mapping={})
    # Even a rate Xero lacks is no obstacle: a merchant not registered for tax charges none.
    invoice = store_invoice(
        channel, number="T-6", lines=[*ROUNDING_LINES, line("Odd", "1", "8", "12.5")], tax_mode="no_tax"
    )

    drain(channel)

    sent = sent_invoice(org, "T-6")
    assert sent["LineAmountTypes"] == "NoTax"
    assert money(sent["Total"]) == invoice.total == invoice.subtotal
    assert money(sent["TotalTax"]) == Decimal("0")
    assert testing.request_count(organisation=org.tenant_id, method="GET", path_contains="TaxRates") == 0


def test_a_line_at_a_rate_xero_lacks_waits_with_a_clear_message_and_sends_nothing_for_it(org):
    channel = connect_channel(org=org)
    good = store_invoice(channel, number="T-7", lines=[line("Tea", "1", "10", "20")], customer="Good Customer")
    bad = store_invoice(
        channel, number="T-8", lines=[line("Tea", "1", "10", "20"), line("Odd", "1", "8", "12.5")],
        customer="Odd Customer",
    )  # fmt: skip

    drain(channel)

    assert [i["InvoiceNumber"] for i in testing.invoices(organisation=org.tenant_id)] == ["T-7"]
    assert [c["Name"] for c in testing.contacts(organisation=org.tenant_id)] == ["Good Customer"]
    assert row_of(channel, good).state == SyncState.SYNCED
    held = row_of(channel, bad)
    assert (held.state, held.waiting_for, held.last_error, held.xero_id) == (
        SyncState.WAITING, WaitingFor.TAX_MAPPING, MISSING_RATE_MESSAGE, "",
    )  # fmt: skip
    assert [a.outcome for a in held.attempts.all()] == [AttemptOutcome.LOCAL]
    # It waits until the operator chooses (or retries): more turns send nothing.
    drain(channel)
    assert testing.request_count(organisation=org.tenant_id, method="PUT", path_contains="Invoices") == 1
    assert row_of(channel, bad).state == SyncState.WAITING


def test_a_rate_added_in_xero_is_found_when_the_operator_retries(org):
    channel = connect_channel(org=org)
    store_invoice(channel, number="T-9", lines=[line("Warm-up", "1", "10", "20")])
    drain(channel)  # the rates are now cached, without 12.5%
    bad = store_invoice(channel, number="T-10", lines=[line("Odd", "1", "8", "12.5")])
    drain(channel)
    assert row_of(channel, bad).state == SyncState.WAITING

    organisation = testing.organisation_get(organisation=org.tenant_id)
    SandboxTaxRate.objects.create(organisation=organisation, name="12.5% (VAT on Income)", tax_type="TAX001",
                                  rate=Decimal("12.5"), can_apply_to_revenue=True)  # fmt: skip
    assert sync_retry(records=[row_of(channel, bad)]) == 1
    drain(channel)

    assert row_of(channel, bad).state == SyncState.SYNCED
    assert sent_tax_types(sent_invoice(org, "T-10")) == ["TAX001"]
    assert money(sent_invoice(org, "T-10")["Total"]) == Decimal("9.00")
    # The organisation's only sales tax type at 12.5% is pre-filled as the channel's mapping.
    assert ("12.50", "goods", "TAX001", TaxMappingOrigin.PREFILLED) in mappings(channel)


def test_an_unmapped_rate_holds_its_invoice_until_mapped_then_the_mapping_queues_it_and_it_lands(org):
    channel = connect_channel(org=org, tax_mapping={"20": "OUTPUT2"})
    zero = store_invoice(
        channel, number="T-20", lines=[line("Tea", "1", "10", "20"), line("Book", "1", "10", "0")], customer="Zero"
    )
    odd = store_invoice(channel, number="T-21", lines=[line("Odd", "1", "8", "12.5")], customer="Odd")

    drain(channel)

    assert testing.invoices(organisation=org.tenant_id) == []
    assert testing.contacts(organisation=org.tenant_id) == []
    held = row_of(channel, zero)
    assert (held.state, held.waiting_for, held.last_error) == (
        SyncState.WAITING, WaitingFor.TAX_MAPPING, UNMAPPED_ZERO_MESSAGE,
    )  # fmt: skip
    assert [a.outcome for a in held.attempts.all()] == [AttemptOutcome.LOCAL]
    assert ("0.00", "goods") not in {m[:2] for m in mappings(channel)}

    retried = channel_tax_mapping_set(channel=channel, choices={(Decimal("0"), LineKind.GOODS): "ZERORATEDOUTPUT"})

    assert retried == 1
    assert row_of(channel, zero).state == SyncState.PENDING
    assert row_of(channel, odd).state == SyncState.WAITING  # it waits for another rate
    drain(channel)
    assert row_of(channel, zero).state == SyncState.SYNCED
    sent = sent_invoice(org, "T-20")
    assert sent_tax_types(sent) == ["OUTPUT2", "ZERORATEDOUTPUT"]
    assert money(sent["Total"]) == zero.total == Decimal("22.00")
    assert ("0.00", "goods", "ZERORATEDOUTPUT", TaxMappingOrigin.CHOSEN) in mappings(channel)
    # A rate waiting for the operator's choice is not a reason to read the tax rates again.
    assert testing.request_count(organisation=org.tenant_id, method="GET", path_contains="TaxRates") == 1


def test_a_tax_type_not_offered_at_that_rate_is_refused_and_changes_nothing(org):
    channel = connect_channel(org=org, tax_mapping={})
    zero = store_invoice(channel, number="T-22", lines=[line("Book", "1", "10", "0")])
    drain(channel)
    assert row_of(channel, zero).state == SyncState.WAITING

    with pytest.raises(ValidationError) as refused:
        channel_tax_mapping_set(
            channel=channel,
            choices={
                (Decimal("0"), LineKind.GOODS): "ZERORATEDOUTPUT",
                (Decimal("20"), LineKind.GOODS): "RROUTPUT",  # the organisation's 5% type
                (Decimal("12.5"), LineKind.GOODS): "INPUT2",  # not a sales tax type at all
            },
        )

    assert refused.value.messages == [
        "“INPUT2” is not one of the organisation's active sales tax types at 12.5%.",
        "“RROUTPUT” is not one of the organisation's active sales tax types at 20%.",
    ]
    assert mappings(channel) == []
    assert row_of(channel, zero).state == SyncState.WAITING


def test_a_rate_is_prefilled_only_where_the_organisations_books_settle_it_and_stays_as_prefilled(org):
    channel = connect_channel(org=org, tax_mapping={})  # blank account: the organisation's Sales, 200
    standard = store_invoice(channel, number="T-29", lines=[line("Tea", "1", "10", "20")], customer="Standard")
    reduced = store_invoice(channel, number="T-30", lines=[line("Fuel", "1", "10", "5")], customer="Reduced")
    zero = store_invoice(channel, number="T-31", lines=[line("Book", "1", "10", "0")], customer="Zero")

    drain(channel)

    # 20%: OUTPUT2 and CAPEXOUTPUT2 fit, account 200's own default (OUTPUT2) settles it; 5%: one type.
    assert sent_tax_types(sent_invoice(org, "T-29")) == ["OUTPUT2"]
    assert sent_tax_types(sent_invoice(org, "T-30")) == ["RROUTPUT"]
    assert row_of(channel, standard).state == row_of(channel, reduced).state == SyncState.SYNCED
    # 0%: five types fit and account 200's default is a 20% one: the operator chooses.
    assert (row_of(channel, zero).state, row_of(channel, zero).last_error) == (
        SyncState.WAITING,
        UNMAPPED_ZERO_MESSAGE,
    )
    assert mappings(channel) == [
        ("5.00", "goods", "RROUTPUT", TaxMappingOrigin.PREFILLED),
        ("20.00", "goods", "OUTPUT2", TaxMappingOrigin.ACCOUNT_DEFAULT),
    ]
    assert ChannelTaxMapping.objects.get(channel=channel, rate=Decimal("20")).source_account == "200"

    # A second 5% sales type added in Xero later leaves the pre-filled choice as it was.
    organisation = testing.organisation_get(organisation=org.tenant_id)
    SandboxTaxRate.objects.create(organisation=organisation, name="5% Special", tax_type="AAA5",
                                  rate=Decimal("5"), can_apply_to_revenue=True)  # fmt: skip
    store_invoice(channel, number="T-32", lines=[line("Fuel", "2", "10", "5")], customer="Reduced")
    drain(channel)
    assert sent_tax_types(sent_invoice(org, "T-32")) == ["RROUTPUT"]


def test_a_mapped_type_archived_in_xero_fails_the_invoice_with_where_to_choose_another(org):
    channel = connect_channel(org=org, tax_mapping={"0": "EXEMPTOUTPUT"})
    organisation = testing.organisation_get(organisation=org.tenant_id)
    SandboxTaxRate.objects.filter(organisation=organisation, tax_type="EXEMPTOUTPUT").update(status="ARCHIVED")
    zero = store_invoice(channel, number="T-40", lines=[line("Book", "1", "10", "0")])

    drain(channel)

    assert testing.invoices(organisation=org.tenant_id) == []
    assert row_of(channel, zero).last_error == (
        "The Xero tax type EXEMPTOUTPUT mapped for 0% on this channel is no longer an active sales tax rate of 0% "
        "in Xero: choose another under Tax mapping on the channel page."
    )


def test_a_prefill_from_an_accounts_default_follows_the_account_the_lines_post_to(org):
    channel = connect_channel(org=org, tax_mapping={}, account_nominal_code="200")
    store_invoice(channel, number="T-50", lines=[line("Tea", "1", "10", "20")], customer="First")
    drain(channel)
    assert mappings(channel) == [("20.00", "goods", "OUTPUT2", TaxMappingOrigin.ACCOUNT_DEFAULT)]

    # Sales lines now post to 270 "Interest Income", whose default is EXEMPTOUTPUT (0%): it settles
    # 0%, and 20% (two types fit, 270's default is not one) waits for the operator again.
    channel.account_nominal_code = "270"
    channel.save()
    zero = store_invoice(channel, number="T-51", lines=[line("Book", "1", "10", "0")], customer="Second")
    twenty = store_invoice(channel, number="T-52", lines=[line("Tea", "1", "10", "20")], customer="Third")
    drain(channel)

    assert sent_tax_types(sent_invoice(org, "T-51")) == ["EXEMPTOUTPUT"]
    assert row_of(channel, zero).state == SyncState.SYNCED
    assert (row_of(channel, twenty).state, row_of(channel, twenty).waiting_for) == (
        SyncState.WAITING,
        WaitingFor.TAX_MAPPING,
    )
    assert mappings(channel) == [("0.00", "goods", "EXEMPTOUTPUT", TaxMappingOrigin.ACCOUNT_DEFAULT)]
