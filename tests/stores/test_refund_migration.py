"""The migration that added `Refund.amount_returned` keeps what refunds recorded before it meant:
with a method, all of the amount went back; without, none."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from stores.models import Refund
from stores.payments import payment_record, refund_record
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("stores", "0002_store_payments_refunds_lines")


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def test_refunds_recorded_before_the_field_returned_their_amount_when_a_method_was_set():
    invoice = InvoiceFactory.create(lines=1)  # 30.00
    day = datetime.date(2026, 11, 2)
    payment_record(invoice=invoice, amount=Decimal("10.00"), date=day, method="card")
    back = refund_record(
        invoice=invoice, amount=Decimal("6.00"), amount_returned=Decimal("2.00"), date=day, method="card"
    )
    credit = refund_record(invoice=invoice, amount=Decimal("3.00"), date=day)
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes("stores")

    _migrate([BEFORE])  # the column goes: the rows stay, as they were before it
    _migrate(latest)

    assert dict(Refund.objects.values_list("pk", "amount_returned")) == {
        back.pk: Decimal("6.00"),
        credit.pk: Decimal("0.00"),
    }
