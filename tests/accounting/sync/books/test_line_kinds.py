"""Invoice lines by kind reach Xero in their own accounts with their kind's tax type; the invoice's
tax mode is Xero's LineAmountTypes; a rounding line closes the gap per-line rounding leaves; and
the "Line accounts" card chooses the accounts from the organisation's chart (never guessed).

Real sandbox over HTTP, turns run in this process (as test_push); pages through Django's client.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import escape

from accounting.books.line_accounts import (
    account_unsuitable_message,
    channel_chart_refresh,
    channel_line_accounts_set,
    rounding_account_taxed_message,
)
from accounting.models import ChannelLineAccounts, ChannelTaxMapping, LineKind, TaxMappingOrigin
from accounting.providers.xero.mapping.lines import rounding_note_message
from accounting.sync.models import AttemptOutcome, SyncState, WaitingFor
from accounting.views.line_accounts import line_accounts_saved_message
from stores.services import invoice_create
from tests.accounting.sync.conftest import connect_channel, sandbox_org
from tests.accounting.sync.turns import drain, row_of
from tests.factories import StoreFactory
from tests.pages import messages_of
from xero_sandbox import testing
from xero_sandbox.models import LineItem as SandboxLineItem

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

MIXED_UNSET = (
    "This invoice has shipping lines, discounts and gift cards and no shipping account, discount account and "
    "gift card liability account are set on this channel: choose them under Line accounts on the channel page."
)
ACCOUNTS = {"shipping_account": "250", "discount_account": "260", "gift_card_account": "835",
            "rounding_account": "860", "discount_mode": "line"}  # fmt: skip


def line(kind: str, description: str, quantity: str, price: str, rate: str, discount: str = "0") -> dict[str, Any]:
    return {"kind": kind, "description": description, "quantity": Decimal(quantity), "unit_price": Decimal(price),
            "tax_rate": Decimal(rate), "discount_rate": Decimal(discount)}  # fmt: skip


def store_invoice(channel, *, number: str, lines: list[dict[str, Any]], tax_mode: str = "exclusive"):
    return invoice_create(
        store=channel.store, number=number, customer_name="Ada Lovelace", customer_email="ada@example.com",
        issue_date=dt.date(2026, 11, 2), due_date=dt.date(2026, 12, 2), tax_mode=tax_mode, lines=lines,
    )  # fmt: skip


def sent_invoice(org, number: str) -> dict[str, Any]:
    [found] = [i for i in testing.invoices(organisation=org.tenant_id) if i["InvoiceNumber"] == number]
    return found


def sent_lines(sent: dict[str, Any]) -> list[tuple[str, str, str, Decimal]]:
    stored = SandboxLineItem.objects.filter(invoice__invoice_id=sent["InvoiceID"]).order_by("position")
    return [(li.description, li.account_code, li.tax_type, li.line_amount) for li in stored]


def money(value: Any) -> Decimal:
    return Decimal(str(value))


@pytest.fixture
def org(sandbox, clean_redis):
    books = sandbox_org("Kinds Books Ltd")
    testing.account_add(organisation=books.tenant_id, code="835", name="Gift Card Liability", type="CURRLIAB",
                        account_class="LIABILITY")  # fmt: skip
    return books


@pytest.fixture
def channel(org, organization):
    channel = connect_channel(org=org, store=StoreFactory.create(organization=organization))
    for kind, rate, tax_type in [
        (LineKind.SHIPPING, "20", "OUTPUT2"), (LineKind.DISCOUNT, "20", "OUTPUT2"),
        (LineKind.GIFT_CARD_SOLD, "0", "NONE"), (LineKind.GIFT_CARD_REDEEMED, "0", "NONE"),
    ]:  # fmt: skip
        ChannelTaxMapping.objects.create(
            channel=channel, rate=Decimal(rate), line_kind=kind, tax_type=tax_type, origin=TaxMappingOrigin.CHOSEN
        )
    return channel


MIXED = [
    line("product", "Tea pot", "2", "12.3450", "20"),
    line("shipping", "Shipping", "1", "4.95", "20"),
    line("discount", "Spring sale", "1", "-3.00", "20"),
    line("gift_card_sold", "Gift card", "1", "25", "0"),
    line("gift_card_redeemed", "Gift card redeemed", "1", "-10", "0"),
]


def test_an_invoice_needing_an_unset_account_waits_and_saving_the_accounts_sends_it_with_each_kind_in_its_account(
    org, channel
):
    invoice = store_invoice(channel, number="K-1", lines=MIXED)

    drain(channel)

    row = row_of(channel, invoice)
    assert (row.state, row.waiting_for, row.attempts.latest("created_at", "pk").outcome, row.last_error) == (
        SyncState.WAITING, WaitingFor.LINE_ACCOUNTS, AttemptOutcome.LOCAL, MIXED_UNSET,
    )  # fmt: skip
    assert testing.invoices(organisation=org.tenant_id) == []

    channel_chart_refresh(channel=channel)
    assert channel_line_accounts_set(channel=channel, values=ACCOUNTS) == 1
    drain(channel)

    sent = sent_invoice(org, "K-1")
    assert sent_lines(sent) == [
        ("Tea pot", "200", "OUTPUT2", Decimal("24.69")),
        ("Shipping", "250", "OUTPUT2", Decimal("4.95")),
        ("Spring sale", "260", "OUTPUT2", Decimal("-3.00")),
        ("Gift card", "835", "NONE", Decimal("25.00")),
        ("Gift card redeemed", "835", "NONE", Decimal("-10.00")),
    ]
    assert (money(sent["Total"]), money(sent["AmountDue"])) == (invoice.total, invoice.total) == (
        Decimal("46.97"), Decimal("46.97"),
    )  # fmt: skip
    assert row_of(channel, invoice).state == SyncState.SYNCED


def test_the_invoices_tax_mode_is_xeros_line_amount_type_and_totals_match(org, channel):
    channel_chart_refresh(channel=channel)
    channel_line_accounts_set(channel=channel, values=ACCOUNTS)
    lines = [line("product", "Tea pot", "2", "12.3450", "20"), line("product", "Book", "1", "7.99", "0"),
             line("shipping", "Shipping", "1", "4.95", "20")]  # fmt: skip
    inclusive = store_invoice(channel, number="K-IN", lines=lines, tax_mode="inclusive")
    no_tax = store_invoice(channel, number="K-NT", lines=lines, tax_mode="no_tax")

    drain(channel)

    sent_in, sent_nt = sent_invoice(org, "K-IN"), sent_invoice(org, "K-NT")
    assert (sent_in["LineAmountTypes"], sent_nt["LineAmountTypes"]) == ("Inclusive", "NoTax")
    # Inclusive prices go as the store holds them (tax included), not grossed up again.
    assert [line[3] for line in sent_lines(sent_in)] == [Decimal("24.69"), Decimal("7.99"), Decimal("4.95")]
    for sent, invoice in ((sent_in, inclusive), (sent_nt, no_tax)):
        assert (money(sent["Total"]), money(sent["TotalTax"]), money(sent["SubTotal"])) == (
            invoice.total, invoice.total_tax, invoice.subtotal,
        )  # fmt: skip
    assert money(sent_nt["TotalTax"]) == Decimal("0")


def test_a_discount_on_its_own_line_needs_a_rounding_line_which_waits_for_its_account_and_the_page_says_so(
    org, channel, member_client
):
    channel_chart_refresh(channel=channel)
    channel_line_accounts_set(channel=channel, values={**ACCOUNTS, "discount_mode": "separate", "rounding_account": ""})
    # 3.33 less 12.5% is 2.91 with 0.58 VAT in the store; Xero taxes 3.33 (0.67) and −0.42 (−0.08): 0.59.
    invoice = store_invoice(channel, number="K-R", lines=[line("product", "Tea pot", "1", "3.33", "20", "12.5")])

    drain(channel)

    assert row_of(channel, invoice).last_error == (
        "Xero computes tax per line and would total this invoice 3.50, the store says 3.49: choose a rounding "
        "account under Line accounts on the channel page, and a rounding line will close the difference."
    )
    assert channel_line_accounts_set(channel=channel, values={**ACCOUNTS, "discount_mode": "separate"}) == 1
    drain(channel)

    sent = sent_invoice(org, "K-R")
    assert sent_lines(sent) == [
        ("Tea pot", "200", "OUTPUT2", Decimal("3.33")),
        ("Discount 12.5% on Tea pot", "260", "OUTPUT2", Decimal("-0.42")),
        ("Rounding", "860", "NONE", Decimal("-0.01")),
    ]
    assert (money(sent["Total"]), money(sent["AmountDue"])) == (invoice.total, invoice.amount_due) == (
        Decimal("3.49"), Decimal("3.49"),
    )  # fmt: skip
    page = member_client.get(reverse("stores:invoice-detail", args=[channel.store_id, invoice.pk]))
    note = rounding_note_message(amount=Decimal("-0.01"), account="860")
    assert f"Xero holds this invoice at the store's total: {escape(note)}</p>" in page.content.decode()


def test_the_line_accounts_card_offers_suitable_accounts_and_an_unsuitable_choice_changes_nothing(
    org, channel, member_client
):
    url = reverse("accounting:channel-line-accounts", args=[channel.pk])
    with pytest.raises(ValidationError, match="have not been read from Xero yet"):
        channel_line_accounts_set(channel=channel, values=ACCOUNTS)
    member_client.post(url, {"refresh": "1"})

    page = member_client.get(reverse("accounting:channel-detail", args=[channel.pk]))

    settings = {s["field"]: s for s in page.context["lines"]["settings"]}
    assert [a.code for a in settings["gift_card_account"]["options"]] == ["825", "835"]
    assert "860" in [a.code for a in settings["rounding_account"]["options"]]
    assert "090" not in [a.code for a in settings["shipping_account"]["options"]]
    assert 'id="line-accounts"' in page.content.decode()

    refused = member_client.post(url, {**ACCOUNTS, "rounding_account": "260", "save": "1"})

    assert refused.status_code == 400
    taxed = rounding_account_taxed_message(label="260 Other Revenue", tax_type="OUTPUT2")
    html = refused.content.decode()
    assert f'<p class="errorlist" role="alert" id="error_rounding_account">{escape(taxed)}</p>' in html
    assert '<option value="260" selected>' in html  # what the operator chose is still there
    assert not ChannelLineAccounts.objects.filter(channel=channel, rounding_account="260").exists()

    saved = member_client.post(url, {**ACCOUNTS, "save": "1"}, follow=True)
    assert messages_of(saved) == [line_accounts_saved_message(retried=0)]

    # The service (which the admin also calls) names each unsuitable account; nothing changes.
    with pytest.raises(ValidationError) as refused:
        channel_line_accounts_set(
            channel=channel,
            values={**ACCOUNTS, "shipping_account": "090", "gift_card_account": "200", "rounding_account": "260"},
        )
    errors = refused.value.message_dict
    assert errors == {
        "shipping_account": [account_unsuitable_message(label="090 Business Bank Account")],
        "gift_card_account": [account_unsuitable_message(label="200 Sales")],
        "rounding_account": [rounding_account_taxed_message(label="260 Other Revenue", tax_type="OUTPUT2")],
    }
    saved_row = ChannelLineAccounts.objects.get(channel=channel)
    assert (saved_row.shipping_account, saved_row.gift_card_account, saved_row.rounding_account) == (
        "250", "835", "860",
    )  # fmt: skip
    assert saved_row.rounding_tax_type == "NONE"
