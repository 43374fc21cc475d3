#!/usr/bin/env python
"""Drill 5, bad input: property tests of the Billing API and the portal's forms, and schemathesis.

Hypothesis sends huge, empty, unicode, negative, over-precise and malformed values, unknown
currencies, duplicate invoice numbers and SKUs, dates out of order and bodies of the wrong type
to the Billing API (create and change products and invoices, list filters) and to the store,
product, invoice and channel forms of the portal. Every answer is judged:

- never a 5xx;
- the API: a refusal is a 4xx whose JSON body names the refused fields (or `detail`);
  an acceptance saved exactly what the answer shows;
- the forms: a refusal re-renders the page with an error message, keeps what was typed;
- a refusal saves nothing (row counts, and the changed object, as before).

Then schemathesis generates valid and invalid requests from the Billing API's own OpenAPI schema
(served by the app at /api/schema/) with an API key, and checks every answer against it: no 5xx,
status codes, content types, headers and bodies as documented. Schema-valid bodies that a business
rule refuses (a duplicate number, a due date before the issue date, another store's product)
answer a documented 400, so schemathesis' "positive data acceptance" check is left out.

    .venv/bin/python drills/bad_input.py --examples 400
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drills.bad_input_bodies import invoice_bodies, product_bodies, texts
from drills.bad_input_forms import form_properties
from drills.bad_input_world import Figures, World, _judge, snapshot, world_create

API_FIELDS = {
    "sku",
    "name",
    "description",
    "unit_price",
    "parent",
    "number",
    "customer_name",
    "customer_email",
    "currency",
    "issue_date",
    "due_date",
    "status",
    "lines",
    "updated_since",
}


def _api_refusal_ok(answer: Any, sent: Any) -> str | None:
    """Return what is wrong with a 4xx answer of the API, or None."""
    try:
        data = json.loads(answer.content)
    except ValueError:
        return f"{answer.status_code} not JSON: {answer.content[:120]!r}"
    if not isinstance(data, dict) or not data:
        return f"{answer.status_code} without field errors: {data!r}"[:300]
    allowed = {"detail", "non_field_errors"} | API_FIELDS | (set(sent) if isinstance(sent, dict) else set())
    unknown = set(data) - allowed
    if unknown:
        return f"{answer.status_code} names fields that were not sent: {sorted(unknown)}"
    return None


def api_properties(*, world: World, figures: Figures, examples: int) -> None:
    from django.db import connection
    from rest_framework.test import APIClient

    from stores.models import Product

    api = APIClient(raise_request_exception=False)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {world.raw_key}")
    options = settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))

    def send(target: str, method: str, url: str, data: Any, accepted: set[int]) -> Any:
        before = snapshot(world)
        raw = json.dumps(data, default=str) if not isinstance(data, bytes) else data
        answer = getattr(api, method)(url, raw, content_type="application/json")
        after = snapshot(world) if answer.status_code not in accepted else before
        _judge(
            figures,
            target,
            answer,
            before=before,
            after=after,
            sent=data,
            refusal_ok=_api_refusal_ok,
            accepted=accepted,
        )
        connection.close_if_unusable_or_obsolete()
        return answer

    store, product_url = world.store, f"/api/v1/products/{world.product.pk}/"

    @options
    @given(data=product_bodies(), other=st.booleans())
    def product_create(data: Any, other: bool) -> None:
        if other and isinstance(data, dict) and "parent" in data:
            data["parent"] = world.other_product.pk  # another organization's product
        answer = send("API product create", "post", f"/api/v1/stores/{store.pk}/products/", data, {201})
        if answer.status_code == 201:
            saved = Product.objects.get(pk=answer.json()["id"])
            if saved.sku != answer.json()["sku"] or Decimal(answer.json()["unit_price"]) != saved.unit_price:
                figures.fail("API product create", f"answer differs from the saved row for {data!r}"[:300])
            saved.delete()

    @options
    @given(data=product_bodies(), method=st.sampled_from(["put", "patch"]))
    def product_update(data: Any, method: str) -> None:
        send("API product update", method, product_url, data, {200})

    @options
    @given(data=invoice_bodies())
    def invoice_create(data: Any) -> None:
        from stores.models import Invoice

        answer = send("API invoice create", "post", f"/api/v1/stores/{store.pk}/invoices/", data, {201})
        if answer.status_code == 201:
            saved = Invoice.objects.get(pk=answer.json()["id"])
            if str(saved.total) != answer.json()["total"] or saved.lines.count() != len(answer.json()["lines"]):
                figures.fail("API invoice create", f"answer differs from the saved row for {data!r}"[:300])
            saved.delete()

    @options
    @given(data=invoice_bodies(), method=st.sampled_from(["put", "patch"]))
    def invoice_update(data: Any, method: str) -> None:
        send("API invoice update", method, f"/api/v1/invoices/{world.invoice.pk}/", data, {200})

    @options
    @given(
        path=st.sampled_from(["invoices", "products"]),
        query=st.dictionaries(
            st.sampled_from(["number", "sku", "status", "updated_since", "page", "page_size", "x"]), texts(), max_size=3
        ),
    )
    def list_filters(path: str, query: dict[str, str]) -> None:
        answer = api.get(f"/api/v1/stores/{store.pk}/{path}/", {k: v.replace("\x00", "") for k, v in query.items()})
        figures.count("API list filters", answer.status_code)
        if answer.status_code >= 500:
            figures.fail("API list filters", f"{answer.status_code} for {query!r}")
        elif answer.status_code != 200 and _api_refusal_ok(answer, query):
            figures.fail("API list filters", f"{_api_refusal_ok(answer, query)} for {query!r}")

    for prop in (product_create, product_update, invoice_create, invoice_update, list_filters):
        prop()
    # A body that is not JSON, and one over the size cap.
    for raw in (b"{", b"\xff\xfe", b"[1,2", b'{"number": "' + b"9" * 300_000 + b'"}'):
        answer = api.post(f"/api/v1/stores/{store.pk}/invoices/", raw, content_type="application/json")
        figures.count("API malformed bodies", answer.status_code)
        if answer.status_code not in (400, 413):
            figures.fail("API malformed bodies", f"{answer.status_code} for {raw[:20]!r}")


def schema_properties(*, world: World, figures: Figures, examples: int, base_url: str | None) -> None:
    """Schemathesis from the app's own OpenAPI schema, valid and invalid requests, every check but one."""
    import schemathesis
    from schemathesis import GenerationMode
    from schemathesis.config import SchemathesisConfig

    # Like most HTTP APIs, the Billing API ignores query parameters it does not define, so requests
    # with made-up extra parameters are not generated (every documented one is, valid and invalid).
    config = SchemathesisConfig.from_dict({"generation": {"allow-extra-parameters": False}})
    if base_url is None:
        from django.core.wsgi import get_wsgi_application

        schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), config=config)
    else:
        schema = schemathesis.openapi.from_url(f"{base_url}/api/schema/", config=config)
    real = {"store_id": world.store.pk, "product_id": world.product.pk, "invoice_id": world.invoice.pk}
    headers = {"Authorization": f"Bearer {world.raw_key}"}
    options = settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    check_operation = _operation_check(world=world, figures=figures, options=options, headers=headers)
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]
        target = f"schemathesis {operation.label}"
        wanted = {name: value for name, value in real.items() if f"{{{name}}}" in operation.path}
        strategy = st.one_of(
            *(
                operation.as_strategy(generation_mode=mode, path_parameters=wanted)
                if wanted
                else operation.as_strategy(generation_mode=mode)
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
            )
        )

        check_operation(target=target, strategy=strategy)


def _operation_check(*, world: World, figures: Figures, options: Any, headers: dict[str, str]) -> Any:
    from django.db import connection
    from schemathesis.checks import positive_data_acceptance
    from schemathesis.core.failures import FailureGroup

    def check_operation(*, target: str, strategy: Any) -> None:
        @options
        @given(case=strategy)
        def check(case: Any) -> None:
            before = snapshot(world)
            try:
                response = case.call(headers=headers)
            except Exception as exc:
                figures.fail(target, f"no answer: {exc!r}"[:300])
                return
            figures.count(target, response.status_code)
            try:
                case.validate_response(response, excluded_checks=[positive_data_acceptance], headers=headers)
            except FailureGroup as group:
                first = str(group).strip().splitlines()
                figures.fail(target, " / ".join(line.strip() for line in first[:12] if line.strip())[:600])
            if 400 <= response.status_code < 500 and snapshot(world) != before:
                figures.fail(target, f"refused with {response.status_code} but saved")
            connection.close_if_unusable_or_obsolete()

        check()

    return check_operation


def run(*, examples: int, out: TextIO, base_url: str | None = None) -> Figures:
    """Run the drill against the configured database; print and return the figures."""
    import logging

    from django.test.utils import override_settings

    logging.getLogger("django.request").setLevel(logging.ERROR)  # every 4xx is a warning: hundreds
    figures = Figures()
    world = world_create()
    # No request rate limits here: the drill sends far more than an API key may per minute, and
    # schemathesis checks that each operation refuses a request without the key, from one address.
    with override_settings(BILLING_API_KEY_RATE="", BILLING_API_ORGANIZATION_RATE="", BILLING_API_FAILED_AUTH_RATE=""):
        api_properties(world=world, figures=figures, examples=examples)
        form_properties(world=world, figures=figures, examples=max(examples // 2, 10))
        schema_properties(world=world, figures=figures, examples=max(examples // 4, 10), base_url=base_url)
    print(
        f"bad input: {figures.cases} cases; 2xx/3xx: {figures.of_class(2) + figures.of_class(3)}; "
        f"4xx: {figures.of_class(4)}; 5xx: {figures.server_errors}",
        file=out,
    )
    for target, count in sorted(figures.by_target.items()):
        print(f"  {target}: {count}", file=out)
    print(f"failures: {len(figures.failures)}", file=out)
    for failure in figures.failures[:40]:
        print("  " + failure, file=out)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=400, help="hypothesis examples per property")
    parser.add_argument("--database", default="drill_bad_input")
    parser.add_argument("--redis-db", type=int, default=7)
    parser.add_argument("--port", type=int, default=8775)
    args = parser.parse_args()
    from drills.harness import sandbox

    # The served portal too: no request rate limits (the drill sends thousands of requests a minute).
    os.environ.update(BILLING_API_KEY_RATE="", BILLING_API_ORGANIZATION_RATE="", BILLING_API_FAILED_AUTH_RATE="")
    with sandbox(database=args.database, redis_db=args.redis_db, port=args.port) as base_url:
        figures = run(examples=args.examples, out=sys.stdout, base_url=base_url)
    sys.exit(1 if figures.failures or figures.server_errors else 0)


if __name__ == "__main__":
    main()
