"""The OpenAPI schema is a valid OpenAPI 3 document and its docs page works offline."""

from __future__ import annotations

import re
from io import StringIO

import pytest
import yaml
from django.core.management import call_command
from openapi_spec_validator import validate

from api.invoice_serializers import RefundInputSerializer

pytestmark = pytest.mark.django_db

V1_PATHS = {
    "/api/v1/stores/": {"get"},
    "/api/v1/stores/{store_id}/products/": {"get", "post"},
    "/api/v1/stores/{store_id}/invoices/": {"get", "post"},
    "/api/v1/stores/{store_id}/accounting-channels/": {"get"},
    "/api/v1/products/{product_id}/": {"get", "put", "patch"},
    "/api/v1/invoices/{invoice_id}/": {"get", "put", "patch"},
    "/api/v1/invoices/{invoice_id}/payments/": {"post"},
    "/api/v1/invoices/{invoice_id}/refunds/": {"post"},
    "/api/v1/summaries/{summary_id}/": {"get"},
    "/api/v1/stores/{store_id}/payouts/": {"get", "post"},
    "/api/v1/payouts/{payout_id}/": {"get"},
    "/api/v1/stores/{store_id}/reconciliation/": {"get"},
    "/api/v1/reconciliations/{reconciliation_id}/": {"get"},
}


def test_schema_is_a_valid_openapi_3_document(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    validate(schema)
    assert schema["openapi"].startswith("3.")
    assert {path: set(ops) - {"parameters"} for path, ops in schema["paths"].items()} == V1_PATHS
    assert schema["components"]["securitySchemes"] == {
        "ApiKey": {
            "type": "http",
            "scheme": "bearer",
            "description": "An organization API key, created by an owner or admin in the portal "
            "(Organization → API keys). Send it as `Authorization: Bearer cp_…`.",
        }
    }
    for path, operations in schema["paths"].items():
        for name, operation in operations.items():
            assert operation["security"] == [{"ApiKey": []}], (path, name)


def test_schema_generates_without_warnings():
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    assert yaml.safe_load(out.getvalue())["info"]["title"] == "Channels Portal Billing API"


def test_operations_document_their_error_answers(client):
    paths = yaml.safe_load(client.get("/api/schema/").content)["paths"]
    # Lists: bad filters or page size (400), a page past the end (404); every operation: 429.
    assert set(paths["/api/v1/stores/"]["get"]["responses"]) == {"200", "400", "401", "404", "429"}
    assert set(paths["/api/v1/stores/{store_id}/invoices/"]["get"]["responses"]) == {"200", "400", "401", "404", "429"}
    assert set(paths["/api/v1/invoices/{invoice_id}/"]["get"]["responses"]) == {"200", "401", "404", "429"}
    # Writes: field errors (400), the body cap (413), a body that is not JSON (415).
    writes = {"400", "401", "404", "413", "415", "429"}
    assert set(paths["/api/v1/stores/{store_id}/invoices/"]["post"]["responses"]) == {"201", *writes}
    assert set(paths["/api/v1/invoices/{invoice_id}/"]["patch"]["responses"]) == {"200", *writes}
    for money in ("payments", "refunds"):
        post = paths[f"/api/v1/invoices/{{invoice_id}}/{money}/"]["post"]
        assert set(post["responses"]) == {"201", *writes}
        assert post["tags"] == ["Invoices"]


def test_schema_describes_payments_refunds_and_sync_of_invoices(client):
    schemas = yaml.safe_load(client.get("/api/schema/").content)["components"]["schemas"]
    invoice = schemas["Invoice"]["properties"]
    assert {"payments", "refunds", "amount_due", "sync", "tax_mode", "exchange_rate", "customer_id"} <= set(invoice)
    assert set(schemas["ChannelSync"]["properties"]) == {
        "channel",
        "channel_name",
        "state",
        "state_label",
        "xero_id",
        "xero_url",
        "last_error",
        "paid_in_xero",
        "summary",
        "changed_in_xero",
    }
    assert {"amount", "date", "method", "reference"} == set(schemas["PaymentInput"]["properties"])
    refund_input = schemas["RefundInput"]["properties"]
    assert {"amount", "lines", "date", "reason", "method", "amount_returned", "reference"} == set(refund_input)
    help_text = RefundInputSerializer().fields["amount_returned"].help_text
    assert refund_input["amount_returned"]["description"] == help_text
    assert {"amount", "amount_returned", "money_returned"} <= set(schemas["Refund"]["properties"])


def test_operations_are_grouped_by_resource(client):
    paths = yaml.safe_load(client.get("/api/schema/").content)["paths"]
    tags = {(path, method): op["tags"] for path, ops in paths.items() for method, op in ops.items()}
    assert tags[("/api/v1/stores/", "get")] == ["Stores"]
    assert tags[("/api/v1/stores/{store_id}/products/", "post")] == ["Products"]
    assert tags[("/api/v1/invoices/{invoice_id}/", "patch")] == ["Invoices"]
    assert tags[("/api/v1/stores/{store_id}/accounting-channels/", "get")] == ["Accounting channels"]


def test_schema_never_exposes_channel_secrets(client):
    channel = yaml.safe_load(client.get("/api/schema/").content)["components"]["schemas"]["AccountingChannel"]
    assert set(channel["properties"]) == {
        "id",
        "name",
        "provider",
        "account_nominal_code",
        "status",
        "xero_organisation_name",
        "tax_mapping",
    }


def test_invoice_input_has_no_totals(client):
    schemas = yaml.safe_load(client.get("/api/schema/").content)["components"]["schemas"]
    assert {"subtotal", "total_tax", "total"} & set(schemas["InvoiceInput"]["properties"]) == set()
    assert set(schemas["Invoice"]["properties"]) >= {"subtotal", "total_tax", "total", "lines"}


def test_docs_page_loads_no_external_asset(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", html)
    assert assets, html
    assert [a for a in assets if re.match(r"(?i)(https?:)?//", a)] == []
    assert "cdn" not in html.lower()


def test_unknown_api_urls_answer_json_404_and_portal_urls_html(client, api):
    """`/api/v1/invoices/-1/` matches no route: still the API's JSON 404, as its schema documents."""
    answer = api.get("/api/v1/invoices/-1/")
    assert answer.status_code == 404
    assert answer["Content-Type"] == "application/json"
    assert answer.json() == {"detail": "Not found."}
    page = client.get("/stores/-1/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("name", ["page", "page_size"])
def test_a_bad_page_or_page_size_is_refused_instead_of_read_loosely(api, store, name):
    for bad in ("0", "-3", "x", "1.0", "1.5", "true", " 1"):
        answer = api.get(f"/api/v1/stores/{store.pk}/invoices/", {name: bad})
        assert answer.status_code == 400, bad
        assert answer.json() == {name: ["Give a whole number from 1."]}
    assert api.get(f"/api/v1/stores/{store.pk}/invoices/", {name: "1"}).status_code == 200


def test_an_invoice_without_an_e_mail_address_matches_its_documented_shape(client):
    """`customer_email` is an address or "" (blank): a bare `format: email` would refuse ""."""
    schemas = yaml.safe_load(client.get("/api/schema/").content)["components"]["schemas"]
    for name in ("Invoice", "InvoiceInput"):
        email = schemas[name]["properties"]["customer_email"]
        assert "format" not in email, name
        assert email["anyOf"] == [{"format": "email"}, {"maxLength": 0}], name


def test_the_reconciliation_documents_its_query_and_answers(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    operation = schema["paths"]["/api/v1/stores/{store_id}/reconciliation/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"store_id", "date_from", "date_to", "channel"}
    assert set(operation["responses"]) == {"200", "202", "400", "401", "404", "429"}
    assert operation["tags"] == ["Reconciliation"]
    difference = schema["components"]["schemas"]["Difference"]["properties"]
    assert {"kind", "record", "store", "xero", "actions"} <= set(difference)
