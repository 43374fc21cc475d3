"""`manage.py xero_check --channel ID`: read-only probes of a channel's Xero organisation.

Real sandbox over HTTP; the command is run as an operator would, and the sandbox's request log
shows what it asked.
"""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from accounting.models import ChannelTaxMapping
from stores.services import invoice_create
from tests.accounting.sync.conftest import connect_channel
from tests.factories import AccountingChannelFactory, StoreFactory
from xero_sandbox.models import RequestLog

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

GRANTED = " ".join(
    [
        "openid profile email offline_access",
        "accounting.invoices accounting.payments accounting.contacts accounting.settings",
    ]
)


def xero_check(channel_id: int) -> tuple[int, list[str]]:
    out = io.StringIO()
    try:
        call_command("xero_check", "--channel", str(channel_id), stdout=out)
    except CommandError as exc:
        return exc.returncode, [*out.getvalue().splitlines(), f"error: {exc}"]
    return 0, out.getvalue().splitlines()


def invoice_at(channel, *, number: str, rate: str, currency: str = "GBP"):
    import datetime as dt

    line = {"description": "Tea", "quantity": Decimal("1"), "unit_price": Decimal("10"), "tax_rate": Decimal(rate)}
    return invoice_create(
        store=channel.store, number=number, customer_name="Ada", customer_email="", currency=currency,
        issue_date=dt.date(2026, 3, 2), due_date=dt.date(2026, 4, 1), lines=[line],
    )  # fmt: skip


def requests_of(org) -> list[tuple[str, str]]:
    rows = RequestLog.objects.filter(organisation__tenant_id=org.tenant_id).order_by("pk")
    return [(row.method, row.path.rsplit("/", 1)[-1]) for row in rows]


def test_a_channel_ready_to_send_passes_every_probe_with_gets_only(org):
    channel = connect_channel(org=org, account_nominal_code="200", scopes=GRANTED)
    invoice_at(channel, number="C-1", rate="20")
    invoice_at(channel, number="C-2", rate="0")
    mappings_before = list(ChannelTaxMapping.objects.filter(channel=channel).values_list("rate", "tax_type"))

    code, lines = xero_check(channel.pk)

    assert code == 0, lines
    assert lines[0] == f"Xero check of channel {channel.pk} “{channel.name}” (store {channel.store.name})"
    assert lines[1] == "[ok]   Organisation: Acme Books Ltd (GB, base currency GBP, ACTIVE)"
    assert lines[2] == "[ok]   Sales account: Account 200 “Sales” (SALES, REVENUE) suits sales lines"
    assert lines[3:6] == [
        "[ok]   Tax 0% (goods): mapped to ZERORATEDOUTPUT",
        "[ok]   Tax 5% (goods): mapped to RROUTPUT",
        "[ok]   Tax 20% (goods): mapped to OUTPUT2",
    ]
    assert lines[6] == "[ok]   Currencies: store uses GBP; Xero has GBP enabled"
    scopes = "offline_access accounting.invoices accounting.payments accounting.contacts accounting.settings"
    assert lines[7] == f"[ok]   Scopes: granted: {scopes}"
    assert lines[8].startswith("[ok]   Limits: ") and "calls left today" in lines[8]
    assert lines[9:] == ["All probes passed."]
    # Read-only: GETs only, and nothing of the channel changed.
    assert requests_of(org) == [
        ("GET", "Organisation"),
        ("GET", "Accounts"),
        ("GET", "TaxRates"),
        ("GET", "Currencies"),
    ]
    assert list(ChannelTaxMapping.objects.filter(channel=channel).values_list("rate", "tax_type")) == mappings_before


def test_each_problem_is_named_and_the_exit_code_is_not_zero(org):
    channel = connect_channel(
        org=org, account_nominal_code="999", scopes="offline_access accounting.invoices accounting.settings",
        tax_mapping={"20": "OUTPUT2"}, store=StoreFactory.create(currency="GBP"),
    )  # fmt: skip
    invoice_at(channel, number="C-3", rate="0", currency="EUR")

    code, lines = xero_check(channel.pk)

    assert code == 1
    failed = [line for line in lines if line.startswith("[FAIL]")]
    assert failed[0] == "[FAIL] Sales account: Account 999 does not exist in Xero"
    assert failed[1].startswith("[FAIL] Tax 0% (goods): not mapped; choose one of ")
    assert "ZERORATEDOUTPUT" in failed[1] and failed[1].endswith("under Tax mapping on the channel page")
    assert failed[2:] == [
        "[FAIL] Currencies: store uses EUR, GBP; Xero has GBP enabled; enable EUR in Xero",
        "[FAIL] Scopes: not granted: accounting.payments accounting.contacts; reconnect the channel to grant them",
    ]
    assert lines[-2:] == ["4 probes failed.", "error: 4 probes failed."]
    assert {method for method, _path in requests_of(org)} == {"GET"}


def test_an_unknown_or_unconnected_channel_gets_a_clear_message_and_nothing_is_asked(org):
    unconnected = AccountingChannelFactory.create(name="Not yet")

    assert xero_check(999999) == (2, ["error: No accounting channel has the id 999999."])
    assert xero_check(unconnected.pk) == (
        2,
        [f"error: Channel {unconnected.pk} “Not yet” is not connected: connect it to Xero first."],
    )
    assert RequestLog.objects.count() == 0
