"""The store's reconciliation with Xero through the Billing API, against the sandbox over real HTTP.

A client asks for a range: 202 with a Location while it runs (the worker's turn runs here, as a
worker would), then 200 with the totals per day and currency and the differences; bad ranges are a
400 that saves nothing, another organization's store a 404.
"""

from __future__ import annotations

import datetime as dt

import pytest

from accounting.checks.reconcile.run import reconciliation_run
from accounting.sync.models import Reconciliation
from stores.services import invoice_create
from tests.accounting.sync.conftest import clean_redis, connect_channel, sandbox, sandbox_org  # noqa: F401
from tests.accounting.sync.turns import drain, one_line

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("sandbox", "clean_redis"),
]

DAY = dt.date(2026, 11, 2)


def sold(store, number: str, price: str, day: dt.date = DAY):
    return invoice_create(
        store=store, number=number, customer_name="Ada", customer_email="ada@example.com", issue_date=day,
        due_date=day, lines=one_line("Mug", price),
    )  # fmt: skip


def test_a_reconciliation_runs_in_the_background_and_answers_totals_and_differences(api, store):
    channel = connect_channel(org=sandbox_org("Api Books Ltd"), store=store)
    sold(store, "R-1", "20.00")
    sold(store, "R-2", "5.50", DAY + dt.timedelta(days=1))
    drain(channel)
    sold(store, "R-3", "7.00")  # recorded, not sent yet
    url = f"/api/v1/stores/{store.pk}/reconciliation/?date_from=2026-11-01&date_to=2026-11-30"

    running = api.get(url)

    assert running.status_code == 202, running.json()
    location = running["Location"]
    assert location == f"/api/v1/reconciliations/{running.json()['id']}/"
    assert (running.json()["state"], running.json()["estimate_calls"], running.json()["records"]) == ("queued", 1, 3)
    assert api.get(url).json()["id"] == running.json()["id"]  # asked again: the same one, not a second read

    reconciliation_run(reconciliation_id=running.json()["id"])
    done = api.get(location)

    assert done.status_code == 200
    answer = done.json()
    assert (answer["state"], answer["calls"]) == ("done", 1)
    assert answer["bytes_read"] > 500
    assert [(t["date"], t["store"]["invoices"], t["xero"]["invoices"], t["differs"]) for t in answer["totals"]] == [
        ("2026-11-02", "27.00", "20.00", True),
        ("2026-11-03", "5.50", "5.50", False),
    ]
    [missing] = answer["differences"]
    assert missing["kind"] == "missing_in_xero"
    assert missing["record"] == {
        "type": "invoice",
        "id": missing["record"]["id"],
        "number": "R-3",
        "date": "2026-11-02",
    }
    assert (missing["store"]["total"], missing["xero"], missing["actions"]) == ("7.00", {}, ["send"])


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("date_from=2026-11-01", {"date_to": ["This field is required."]}),
        ("date_from=2026-11-31&date_to=2026-12-01",
         {"date_from": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}),
        ("date_from=2026-11-05&date_to=2026-11-01",
         {"non_field_errors": ["The range ends before it starts: 'to' must be on or after 'from'."]}),
        ("date_from=2025-01-01&date_to=2026-11-01",
         {"non_field_errors": ["A reconciliation covers at most 366 days: split the range."]}),
    ],
)  # fmt: skip
def test_a_bad_range_is_a_400_that_saves_nothing(api, store, query, error):
    connect_channel(org=sandbox_org("Range Books Ltd"), store=store)

    answer = api.get(f"/api/v1/stores/{store.pk}/reconciliation/?{query}")

    assert (answer.status_code, answer.json()) == (400, error)
    assert not Reconciliation.objects.exists()


def test_without_a_connected_channel_or_for_another_organization_nothing_runs(api, store, other_store):
    query = "date_from=2026-11-01&date_to=2026-11-30"

    unconnected = api.get(f"/api/v1/stores/{store.pk}/reconciliation/?{query}")
    foreign = api.get(f"/api/v1/stores/{other_store.pk}/reconciliation/?{query}")

    assert (unconnected.status_code, unconnected.json()) == (
        400, {"non_field_errors": ["The store has no accounting channel connected to Xero."]}
    )  # fmt: skip
    assert foreign.status_code == 404
    assert not Reconciliation.objects.exists()
