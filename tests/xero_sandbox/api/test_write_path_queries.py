"""The write path stays cheap: a 50-invoice batch costs a fixed number of queries, not one per line."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from xero_sandbox import testing

pytestmark = [pytest.mark.services, pytest.mark.django_db]


def _batch(start: int) -> str:
    invoices = [
        {
            "Type": "ACCREC",
            "Contact": {"Name": f"Buyer {n % 5}"},
            "InvoiceNumber": f"INV-{n:05d}",
            "Status": "AUTHORISED",
            "LineItems": [
                {"Description": "Mug", "Quantity": 2, "UnitAmount": 4.5, "AccountCode": "200"},
                {"Description": "Tea", "Quantity": 1, "UnitAmount": 3.2, "AccountCode": "200", "TaxType": "RROUTPUT"},
            ],
        }
        for n in range(start, start + 50)
    ]
    return json.dumps({"Invoices": invoices})


def test_a_50_invoice_put_runs_a_bounded_number_of_queries(client, sandbox_app, sandbox_org, settings):
    settings.XERO_SANDBOX_RATE_LIMITS = False
    token = testing.token_issue(app=sandbox_app, organisations=[sandbox_org])
    headers = {
        "HTTP_AUTHORIZATION": f"Bearer {token['access_token']}",
        "HTTP_XERO_TENANT_ID": str(sandbox_org.tenant_id),
        "HTTP_IDEMPOTENCY_KEY": "batch-1",
    }
    url = "/xero-sandbox/api/api.xro/2.0/Invoices?summarizeErrors=false"
    client.put(url, _batch(0), content_type="application/json", **{**headers, "HTTP_IDEMPOTENCY_KEY": "warm-up"})
    with CaptureQueriesContext(connection) as queries:
        answer = client.put(url, _batch(100), content_type="application/json", **headers)
    assert answer.status_code == 200
    assert {i["StatusAttributeString"] for i in answer.json()["Invoices"]} == {"OK"}
    assert len(testing.invoices(organisation=sandbox_org)) == 100
    assert len(queries) <= 25, [q["sql"][:120] for q in queries.captured_queries]
