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
import datetime as dt
import json
import os
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# Values chosen to break things -----------------------------------------------------------------

EXISTING_SKU = "DUP-SKU-1"
EXISTING_NUMBER = "INV-DUP-1"
HUGE = 10**40


def texts(*, existing: str | None = None) -> st.SearchStrategy[Any]:
    """Strings as a merchant's system might send them: empty, blank, unicode, huge, control chars."""
    options: list[st.SearchStrategy[Any]] = [
        st.text(max_size=30),
        st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=80),
        st.sampled_from(["", " ", "\t\n", "\x00", "é", "💥", "A" * 51, "Z" * 201, "x" * 5000, "<script>x</script>"]),
        st.text(min_size=60, max_size=300),
    ]
    if existing is not None:
        options.append(st.sampled_from([existing, f" {existing} ", existing.lower()]))
    return st.one_of(*options)


def numbers() -> st.SearchStrategy[Any]:
    """Amounts: negative, zero, over-precise, huge, NaN/Infinity, floats, junk strings and non-strings."""
    return st.one_of(
        st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-1000, max_value=1000).map(str),
        st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**15), max_value=10**15).map(str),
        st.sampled_from(
            [
                "0",
                "-0",
                "-1",
                "0.00001",
                "1.123456789",
                "1e5",
                "1E-30",
                "9" * 20,
                "99999999.9999",
                "9999999999.9999",
                "NaN",
                "Infinity",
                "-Infinity",
                "",
                " ",
                "1,5",
                "١٢",
                "12abc",
                str(HUGE),
                "0x10",
            ]
        ),
        st.floats(allow_nan=False, allow_infinity=False),
        st.integers(min_value=-(10**20), max_value=10**20),
        st.none(),
        st.booleans(),
        st.lists(st.integers(), max_size=2),
    )


def currencies() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(["GBP", "EUR", "USD", "gbp", "GB", "GBPX", "ĞBP", "G1P", "", " GBP", "GBP\n", "XXX", "123"]),
        st.text(max_size=5),
        st.integers(),
        st.none(),
    )


def dates() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.dates().map(dt.date.isoformat),
        st.sampled_from(
            [
                "2026-02-30",
                "2026-13-01",
                "0000-01-01",
                "9999-12-31",
                "0001-01-01",
                "",
                "today",
                "1/2/2026",
                "2026-01-01T10:00:00Z",
                "20260101",
            ]
        ),
        st.integers(),
        st.none(),
    )


def ids() -> st.SearchStrategy[Any]:
    return st.one_of(st.integers(min_value=-(2**70), max_value=2**70), st.none(), st.text(max_size=5), st.booleans())


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A value, or a marker that leaves the field out of the body."""
    return st.one_of(strategy, st.just(MISSING))


MISSING = object()


def body(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({name: maybe(value) for name, value in fields.items()}).map(
        lambda data: {name: value for name, value in data.items() if value is not MISSING}
    )


def extreme_lines() -> st.SearchStrategy[dict[str, Any]]:
    """Lines at the edges of each field's own limits, whose products and sums may not fit the columns."""
    return st.fixed_dictionaries(
        {
            "description": st.just("Edge"),
            "quantity": st.sampled_from(["99999999.9999", "9999", "100", "0.0001"]),
            "unit_price": st.sampled_from(["9999999999.9999", "-9999999999.9999", "6000000000", "0.0001"]),
            "tax_rate": st.sampled_from(["0", "100", "99.99"]),
        }
    )


def line_bodies() -> st.SearchStrategy[Any]:
    line = body(
        product=ids(),
        description=texts(),
        quantity=numbers(),
        unit_price=numbers(),
        tax_rate=numbers(),
        discount_rate=numbers(),
    )
    sane = st.fixed_dictionaries(
        {"description": st.just("Widget"), "quantity": st.sampled_from(["1", "2.5"]), "unit_price": numbers()}
    )
    return st.one_of(
        st.lists(st.one_of(line, sane), max_size=4),
        st.lists(extreme_lines(), min_size=1, max_size=3),  # each field fits, the amounts may not
        st.lists(sane, min_size=199, max_size=202),  # around the cap on lines
        st.sampled_from([None, "lines", {}, 5, [None], [[]]]),  # type: ignore[list-item]
    )


def one_field_off(valid: st.SearchStrategy[dict[str, Any]], wild: st.SearchStrategy[dict[str, Any]]) -> Any:
    """A valid body with one or two of its fields replaced by wild values: the request then reaches
    the rules behind the field checks (services, the database), where an all-wild body rarely does."""

    def mix(pair: tuple[dict[str, Any], dict[str, Any]], keep: int) -> dict[str, Any]:
        base, other = pair
        names = sorted(other)[: keep % 3]
        return {**base, **{name: other[name] for name in names}}

    return st.tuples(st.tuples(valid, wild), st.integers(min_value=0, max_value=5)).map(lambda t: mix(*t))


def product_bodies() -> st.SearchStrategy[Any]:
    wild = body(sku=texts(existing=EXISTING_SKU), name=texts(), description=texts(), unit_price=numbers(), parent=ids())
    valid = st.fixed_dictionaries(
        {"sku": st.uuids().map(lambda u: f"P-{u.hex[:12]}"), "name": st.just("Widget"),
         "unit_price": st.sampled_from(["0", "12.50", "9999999999.9999"])}
    )  # fmt: skip
    return st.one_of(wild, one_field_off(valid, wild), st.sampled_from([None, [], "x", 5]))


def invoice_bodies() -> st.SearchStrategy[Any]:
    wild = body(
        number=texts(existing=EXISTING_NUMBER),
        customer_name=texts(),
        customer_email=texts(),
        currency=currencies(),
        issue_date=dates(),
        due_date=dates(),
        status=st.sampled_from(["draft", "issued", "paid", "void", "DRAFT", "", "x"]),
        lines=line_bodies(),
    )
    valid = st.fixed_dictionaries(
        {
            "number": st.uuids().map(lambda u: f"H-{u.hex[:12]}"),
            "customer_name": st.just("Ada"),
            "issue_date": st.just("2026-01-01"),
            "due_date": st.just("2026-01-31"),
            "lines": st.lists(extreme_lines(), min_size=1, max_size=3),
        }
    )
    return st.one_of(wild, valid, one_field_off(valid, wild), st.sampled_from([None, [], "x", 5]))


# The drill --------------------------------------------------------------------------------------


@dataclass
class Figures:
    cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    by_target: Counter[str] = field(default_factory=Counter)

    def count(self, target: str, status: int) -> None:
        self.cases += 1
        self.by_target[target] += 1
        self.statuses[status] += 1

    def fail(self, target: str, message: str) -> None:
        if len(self.failures) < 200:
            self.failures.append(f"{target}: {message}")

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def of_class(self, first: int) -> int:
        return sum(n for status, n in self.statuses.items() if status // 100 == first)


@dataclass
class World:
    """One organization with a member, an API key, a store with a product and an invoice, another store."""

    user: Any
    raw_key: str
    store: Any
    product: Any
    invoice: Any
    other_product: Any


def world_create() -> World:
    from django.contrib.auth import get_user_model

    from organizations.api_keys import api_key_create
    from organizations.models import Membership, Organization, Role
    from stores import services
    from stores.models import Store

    organization = Organization.objects.create(name="Bad Input Drill", slug="bad-input-drill")
    user = get_user_model().objects.create_user(username="bad-input-drill", password="drill-Pa55word-not-secret")  # nosec B106  # a throw-away value of a drill's own database
    Membership.objects.create(user=user, organization=organization, role=Role.OWNER)
    _, raw_key = api_key_create(organization=organization, name="drill", created_by=None)
    store = services.store_create(organization=organization, name="Drill Store", platform="custom", currency="GBP")
    product = services.product_create(store=store, sku=EXISTING_SKU, name="Existing", unit_price=Decimal("5"))
    invoice = services.invoice_create(
        store=store,
        number=EXISTING_NUMBER,
        customer_name="Existing Customer",
        issue_date=dt.date(2026, 1, 1),
        due_date=dt.date(2026, 1, 31),
        lines=[{"product": product, "description": "Existing", "quantity": Decimal("1"), "unit_price": Decimal("5")}],
    )
    rival = Organization.objects.create(name="Other Drill Org", slug="other-drill-org")
    rival_store = Store.objects.create(organization=rival, name="Other", currency="EUR")
    other_product = services.product_create(store=rival_store, sku="OTHER", name="Other", unit_price=Decimal("1"))
    return World(user=user, raw_key=raw_key, store=store, product=product, invoice=invoice, other_product=other_product)


def snapshot(world: World) -> dict[str, Any]:
    """What a refusal must leave as it was: row counts and the objects a request may change."""
    from accounting.models import AccountingChannel
    from stores.models import Invoice, InvoiceLine, Product, Store

    invoice = Invoice.objects.get(pk=world.invoice.pk)
    product = Product.objects.get(pk=world.product.pk)
    return {
        "rows": [model.objects.count() for model in (Store, Product, Invoice, InvoiceLine, AccountingChannel)],
        "invoice": (
            invoice.updated_at,
            invoice.number,
            invoice.total,
            list(invoice.lines.values_list("pk", flat=True)),
        ),
        "product": (product.updated_at, product.sku, product.unit_price),
    }


# The fields of the API's bodies and filters: a refusal may name a required one that was not sent.
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


def _judge(
    figures: Figures,
    target: str,
    answer: Any,
    *,
    before: dict[str, Any],
    after: dict[str, Any],
    sent: Any,
    refusal_ok: Callable[[Any, Any], str | None],
    accepted: set[int],
) -> None:
    figures.count(target, answer.status_code)
    if answer.status_code >= 500:
        figures.fail(target, f"{answer.status_code} for {json.dumps(sent, default=str)[:400]}")
    elif answer.status_code in accepted or answer.status_code == 429:
        return
    else:
        problem = refusal_ok(answer, sent)
        if problem:
            figures.fail(target, f"{problem} for {json.dumps(sent, default=str)[:300]}")
        if before != after:
            figures.fail(target, f"refused with {answer.status_code} but saved: {json.dumps(sent, default=str)[:300]}")


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


def _form_refusal_ok(answer: Any, sent: Any) -> str | None:
    """A refused form re-renders the page (200) with an error and what was typed."""
    page = answer.content.decode(errors="replace")
    if answer.status_code != 200:
        return f"refused with {answer.status_code}, not the page again"
    if "errorlist" not in page and 'class="error' not in page and "invalid-feedback" not in page:
        return "no error message on the page"
    return None


def _html_value(value: Any) -> str:
    from django.utils.html import escape

    return str(escape(value))


def form_properties(*, world: World, figures: Figures, examples: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    client = Client(raise_request_exception=False)
    client.force_login(world.user)
    options = settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    store = world.store

    def post(target: str, url: str, data: dict[str, Any], undo: Callable[[], Any]) -> None:
        clean = {k: ("" if v is None else str(v)).replace("\x00", "") for k, v in data.items()}
        before = snapshot(world)
        answer = client.post(url, clean)
        if answer.status_code == 302:
            figures.count(target, answer.status_code)
            undo()
            return
        after = snapshot(world)
        _judge(
            figures, target, answer, before=before, after=after, sent=clean, refusal_ok=_form_refusal_ok, accepted=set()
        )
        if answer.status_code == 200:
            page = answer.content.decode(errors="replace")
            for name, value in clean.items():
                typed = value.strip()
                if name in {"client_secret", "csrfmiddlewaretoken"} or not typed or len(typed) > 200:
                    continue
                if name.startswith("lines-") or name in {"platform", "status", "parent", "invoice_status"}:
                    continue
                if _html_value(typed) not in page and _html_value(value) not in page:
                    figures.fail(target, f"what was typed in {name} ({typed[:40]!r}) is lost on the refused page")
        connection.close_if_unusable_or_obsolete()

    def undo_new(model: Any, **where: Any) -> Callable[[], None]:
        def undo() -> None:
            model.objects.filter(**where).exclude(pk__in=[world.product.pk, world.invoice.pk]).delete()

        return undo

    from accounting.models import AccountingChannel
    from stores.models import Invoice, Product, Store

    @options
    @given(name=texts(), platform=st.sampled_from(["custom", "shopify", "nope", ""]), currency=currencies())
    def store_form(name: Any, platform: str, currency: Any) -> None:
        post(
            "store form",
            reverse("stores:create"),
            {"name": name, "platform": platform, "currency": currency},
            lambda: Store.objects.exclude(pk=store.pk).filter(organization=store.organization).delete(),
        )

    @options
    @given(sku=texts(existing=EXISTING_SKU), name=texts(), description=texts(), unit_price=numbers(), parent=ids())
    def product_form(sku: Any, name: Any, description: Any, unit_price: Any, parent: Any) -> None:
        data = {"sku": sku, "name": name, "description": description, "unit_price": unit_price, "parent": parent}
        post("product form", reverse("stores:product-create", args=[store.pk]), data, undo_new(Product, store=store))

    @options
    @given(
        invoice=one_field_off(
            st.fixed_dictionaries(
                {
                    "number": st.uuids().map(lambda u: f"F-{u.hex[:12]}"),
                    "customer_name": st.just("Ada"),
                    "currency": st.just("GBP"),
                    "issue_date": st.just("2026-01-01"),
                    "due_date": st.just("2026-01-31"),
                    "status": st.just("issued"),
                }
            ),
            body(
                number=texts(existing=EXISTING_NUMBER),
                customer_name=texts(),
                customer_email=texts(),
                currency=currencies(),
                issue_date=dates(),
                due_date=dates(),
                status=st.sampled_from(["issued", "draft", "paid", ""]),
            ),
        ),
        lines=st.lists(
            st.one_of(
                st.fixed_dictionaries(
                    {
                        "product": ids(),
                        "description": texts(),
                        "quantity": numbers(),
                        "unit_price": numbers(),
                        "tax_rate": numbers(),
                        "discount_rate": numbers(),
                    }
                ),
                extreme_lines(),
            ),
            max_size=3,
        ),
        total_forms=st.sampled_from([None, "1000", "-1", "x"]),
    )
    def invoice_form(invoice: dict[str, Any], lines: list[dict[str, Any]], total_forms: str | None) -> None:
        data: dict[str, Any] = dict(invoice)
        data.update({"lines-TOTAL_FORMS": total_forms or str(len(lines)), "lines-INITIAL_FORMS": "0"})
        for index, line in enumerate(lines):
            data.update({f"lines-{index}-{name}": value for name, value in line.items()})
        post("invoice form", reverse("stores:invoice-create", args=[store.pk]), data, undo_new(Invoice, store=store))

    @options
    @given(
        name=texts(),
        client_id=texts(),
        client_secret=texts(),
        account=texts(),
        status=st.sampled_from(["DRAFT", "AUTHORISED", "x", ""]),
        prefix=texts(),
    )
    def channel_form(name: Any, client_id: Any, client_secret: Any, account: Any, status: str, prefix: Any) -> None:
        data = {
            "name": name,
            "client_id": client_id,
            "client_secret": client_secret,
            "account_nominal_code": account,
            "invoice_status": status,
            "invoice_number_prefix": prefix,
        }
        post(
            "channel form",
            reverse("accounting:channel-create", args=[store.pk, "xero"]),
            data,
            lambda: AccountingChannel.objects.filter(store=store).delete(),
        )

    for prop in (store_form, product_form, invoice_form, channel_form):
        prop()


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
