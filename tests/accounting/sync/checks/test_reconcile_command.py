"""`manage.py reconcile --channel ID --from --to`: the same reconciliation from a shell or a scheduler,
against the sandbox over real HTTP; bad input is a clear error that saves nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from accounting.sync.models import Reconciliation
from stores.services import invoice_create
from tests.accounting.sync.conftest import connect_channel
from tests.accounting.sync.turns import drain, one_line

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

DAY = dt.date(2026, 11, 2)


def sold(channel, number: str, price: str):
    return invoice_create(
        store=channel.store, number=number, customer_name="Ada", customer_email="ada@example.com", issue_date=DAY,
        due_date=DAY, lines=one_line("Mug", price),
    )  # fmt: skip


def test_the_command_prints_totals_and_exits_0_when_nothing_differs_then_1_listing_what_does(org):
    channel = connect_channel(org=org)
    sold(channel, "C-1", "20.00")
    drain(channel)
    out = io.StringIO()

    call_command("reconcile", "--channel", str(channel.pk), "--from", "2026-11-01", "--to", "2026-11-30", stdout=out)

    text = out.getvalue()
    assert "1 store record(s), about 1 call(s) to Xero." in text
    assert "Read 1 call(s)," in text
    assert "2026-11-02  GBP       20.00 / 20.00" in text
    assert text.strip().endswith("No difference: Xero holds what the store says.")

    sold(channel, "C-2", "5.00")  # recorded, not sent yet
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_code:
        call_command("reconcile", "--channel", str(channel.pk), "--from", "2026-11-01", "--to", "2026-11-30",
                     stdout=out)  # fmt: skip
    assert exit_code.value.code == 1
    assert "missing_in_xero: invoice C-2 (2026-11-02): Not in Xero: waiting to be sent" in out.getvalue()
    assert "1 difference(s)." in out.getvalue()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--channel", "987654", "--from", "2026-11-01", "--to", "2026-11-30"],
         "There is no accounting channel 987654."),
        (["--from", "2026-11-31", "--to", "2026-12-01"], "“2026-11-31” is not a date: write it as YYYY-MM-DD."),
        (["--from", "2026-11-30", "--to", "2026-11-01"],
         "The range ends before it starts: 'to' must be on or after 'from'."),
    ],
)  # fmt: skip
def test_bad_input_is_a_clear_error_that_saves_nothing(org, arguments, message):
    channel = connect_channel(org=org)
    if "--channel" not in arguments:
        arguments = ["--channel", str(channel.pk), *arguments]

    with pytest.raises(CommandError) as error:
        call_command("reconcile", *arguments)

    assert str(error.value) == message
    assert not Reconciliation.objects.exists()
