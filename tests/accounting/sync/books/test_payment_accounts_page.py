"""The channel page's "Payment accounts" card and its admin: the organisation's bank and
payment-enabled accounts read from Xero, a default and per-method choices, bad input refused with
nothing saved and nothing typed lost, and a choice retrying the payments that waited for it.

Real sandbox over HTTP; the page through Django's test client.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from accounting.books.line_accounts import channel_chart_refresh
from accounting.models import ChannelPaymentAccount
from accounting.sync.models import RecordKind, SyncState
from stores.payments import payment_record
from stores.services import invoice_create
from tests.accounting.sync.conftest import connect_channel
from tests.accounting.sync.turns import drain, row_of
from tests.factories import StoreFactory
from xero_sandbox.models import Account as SandboxAccount

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def channel(org, organization):
    return connect_channel(org=org, store=StoreFactory.create(organization=organization, currency="GBP"))


def account_id(org, code: str) -> str:
    return str(SandboxAccount.objects.get(organisation__tenant_id=org.tenant_id, code=code).account_id)


def page_of(client, channel):
    return client.get(reverse("accounting:channel-detail", args=[channel.pk]))


def test_the_card_offers_only_the_organisations_bank_and_payment_enabled_accounts(member_client, org, channel):
    url = reverse("accounting:channel-payment-accounts", args=[channel.pk])
    before = page_of(member_client, channel).content.decode()
    assert 'id="payment-accounts"' in before and "have not been read from Xero yet" in before

    answer = member_client.post(url, {"refresh": ""}, follow=True)

    labels = [o["label"] for o in answer.context["payments"]["options"]]
    # UK books: two BANK accounts and the clearing account with EnablePaymentsToAccount; no sales account.
    assert labels == [
        "Business Bank Account (090, Bank)",
        "Business Savings Account (091, Bank)",
        "Card Payments Clearing (605, Current)",
    ]
    assert [r["row"].label for r in answer.context["payments"]["rows"]] == ["Default (any method)"]
    assert answer.context["payments"]["rows"][0]["row"].status == "Not chosen: payments wait"


def test_saving_a_default_and_a_method_retries_the_payment_that_waited(member_client, org, channel):
    invoice = invoice_create(
        store=channel.store, number="PA-1", customer_name="Bo", customer_email="", issue_date=dt.date(2026, 3, 2),
        due_date=dt.date(2026, 4, 1), lines=[{"description": "Mug", "quantity": Decimal(1), "unit_price": Decimal(8)}],
    )  # fmt: skip
    payment = payment_record(invoice=invoice, amount=Decimal("8.00"), date=dt.date(2026, 3, 3), method="PayPal")
    drain(channel)
    assert row_of(channel, payment, kind=RecordKind.PAYMENT).state == SyncState.WAITING
    url = reverse("accounting:channel-payment-accounts", args=[channel.pk])
    member_client.post(url, {"refresh": ""}, follow=True)
    rows = {r["row"].label: r["row"] for r in page_of(member_client, channel).context["payments"]["rows"]}
    assert list(rows) == ["Default (any method)", "paypal"]  # the store's methods are listed

    answer = member_client.post(
        url,
        {
            "save": "",
            rows["Default (any method)"].field_name: account_id(org, "090"),
            rows["paypal"].field_name: account_id(org, "091"),
        },
        follow=True,
    )

    assert [str(m) for m in answer.context["messages"]] == [
        "The payment accounts were saved. 1 payment or refund that waited for it was queued again."
    ]
    chosen = dict(ChannelPaymentAccount.objects.filter(channel=channel).values_list("method", "account_code"))
    assert chosen == {"": "090", "paypal": "091"}
    drain(channel)
    assert row_of(channel, payment, kind=RecordKind.PAYMENT).state == SyncState.SYNCED


def test_an_account_that_takes_no_payments_is_refused_nothing_saved_and_the_typed_method_kept(
    member_client, org, channel
):
    url = reverse("accounting:channel-payment-accounts", args=[channel.pk])
    member_client.post(url, {"refresh": ""}, follow=True)
    sales = account_id(org, "200")  # a revenue account: Xero would refuse payments to it

    answer = member_client.post(
        url, {"save": "", "account_0": account_id(org, "090"), "new_method": "Gift voucher", "new_account": sales},
        follow=True,
    )  # fmt: skip

    assert [str(m) for m in answer.context["messages"]] == [
        "The account chosen for “gift voucher” is not an active bank or payment-enabled account of the organisation."
    ]
    assert not ChannelPaymentAccount.objects.filter(channel=channel).exists()
    assert answer.context["payments"]["new_method"] == "Gift voucher"
    assert answer.context["payments"]["rows"][0]["selected"] == account_id(org, "090")


def test_the_admin_saves_through_the_same_rule(client, org, channel):
    admin = User.objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    from accounting.books.payment_accounts import channel_payment_accounts_refresh

    channel_payment_accounts_refresh(channel=channel)
    add = reverse("admin:accounting_channelpaymentaccount_add")

    refused = client.post(add, {"channel": channel.pk, "method": "", "account_id": account_id(org, "200")})
    saved = client.post(add, {"channel": channel.pk, "method": "Card", "account_id": account_id(org, "605")})

    assert refused.status_code == 200 and "not an active bank or payment-enabled account" in refused.content.decode()
    assert saved.status_code == 302
    [row] = ChannelPaymentAccount.objects.filter(channel=channel)
    assert (row.method, row.account_code, row.account_name) == ("card", "605", "Card Payments Clearing")


def test_payout_accounts_are_chosen_on_the_card_and_bad_ones_refused_with_nothing_saved(member_client, org, channel):
    url = reverse("accounting:channel-payment-accounts", args=[channel.pk])
    member_client.post(url, {"refresh": ""}, follow=True)
    channel_chart_refresh(channel=channel)  # the fees accounts and their tax types come from the chart
    card = page_of(member_client, channel).context["payments"]
    assert [b["label"] for b in card["payout_banks"]] == ["Business Bank Account (090, Bank)",
                                                          "Business Savings Account (091, Bank)"]  # fmt: skip
    assert {"code": "404", "label": "404 Bank Fees"} in card["fees_accounts"]
    assert {"tax_type": "EXEMPTINPUT", "label": "Exempt Expenses (EXEMPTINPUT)"} in card["fees_tax_types"]

    clearing = account_id(org, "605")
    refused = member_client.post(
        url, {"save": "", "account_0": clearing, "payout_account_0": clearing, "fees_account_0": "404",
              "fees_tax_account_0": ""}, follow=True,
    )  # fmt: skip
    assert [str(m) for m in refused.context["messages"]] == [
        "The payout account of the default is not an active bank account of the organisation. The payout account "
        "of the default is its payments' account: choose the bank account the gateway pays into. Choose the tax "
        "type of the fees of the default (one of the organisation's purchase tax types)."
    ]
    assert not ChannelPaymentAccount.objects.filter(channel=channel).exists()
    assert refused.context["payments"]["rows"][0]["payout"]["fees_account"] == "404"

    member_client.post(
        url, {"save": "", "account_0": clearing, "payout_account_0": account_id(org, "090"), "fees_account_0": "404",
              "fees_tax_account_0": "EXEMPTINPUT"}, follow=True,
    )  # fmt: skip
    saved = ChannelPaymentAccount.objects.get(channel=channel, method="")
    assert (saved.account_code, saved.payout_account_name, saved.fees_account, saved.fees_tax_type) == (
        "605", "Business Bank Account", "404", "EXEMPTINPUT",
    )  # fmt: skip
    page = page_of(member_client, channel).content.decode()
    assert "Reconnect to allow payouts." in page  # the test organisation's consent lacks the bank permission
