"""Drill 5 on the portal's forms: a refusal re-renders the page with an error and keeps what was
typed; nothing is saved."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drills.bad_input_bodies import (
    EXISTING_NUMBER,
    EXISTING_SKU,
    body,
    currencies,
    dates,
    extreme_lines,
    ids,
    numbers,
    one_field_off,
    texts,
)
from drills.bad_input_world import Figures, World, _judge, snapshot


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
