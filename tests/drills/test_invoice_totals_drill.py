"""The invoice-totals property in reduced form: a few hundred generated store invoices, mapped by
the portal and sent to the sandbox over HTTP through the SDK, land in Xero at the store's Total
and AmountDue to the cent (`drills/invoice_totals.py` runs 10,000)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from drills import invoice_totals
from tests.factories import StoreFactory
from xero_sandbox import testing

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def books(xero_sandbox, sandbox_app_org):
    app, org = sandbox_app_org
    token = testing.token_issue(app=app, organisations=[org])
    return invoice_totals.books_prepare(
        tenant_id=str(org.tenant_id), access_token=token["access_token"], store=StoreFactory.create(currency="GBP")
    )


@pytest.fixture
def sandbox_app_org(db):
    testing.limits_reset()
    app = testing.app_create(name="Totals test", redirect_uri="http://localhost:9999/xero/callback/")
    return app, testing.organisation_create(name="Totals Test Ltd")


def test_generated_invoices_reach_xero_at_the_stores_total_and_amount_due_to_the_cent(books):
    tally = invoice_totals.Tally()

    @seed(20261201)
    @settings(max_examples=5, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(invoice_totals.invoice_specs(), min_size=40, max_size=invoice_totals.BATCH))
    def property_holds(specs: list[dict[str, Any]]) -> None:
        invoice_totals.batch_send(books, specs, tally)
        assert tally.refusals == []
        assert tally.differences == []

    property_holds()

    assert tally.sent >= 200
    sent = testing.invoices(organisation=books.client.tenant_id)
    assert len(sent) == tally.sent
    # Every kind of line and every tax mode was exercised, and some invoices needed a rounding line.
    assert {i["LineAmountTypes"] for i in sent} == {"Exclusive", "Inclusive", "NoTax"}
    accounts = {line["AccountCode"] for i in sent for line in i["LineItems"]}
    assert {"200", "250", "260", "835", "860"} <= accounts
    assert tally.rounding_lines > 0
    assert sum(Decimal(str(i["Total"])) for i in sent) > 0
