"""Tracking categories and options, and the Tracking of invoice and credit note lines, through the
official SDK over real HTTP (raw HTTP where the SDK itself refuses to send a value)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import requests
from xero_python.accounting import (
    Contact,
    CreditNote,
    CreditNotes,
    Invoice,
    Invoices,
    LineItem,
    LineItemTracking,
    TrackingCategory,
    TrackingOption,
)
from xero_python.exceptions import HTTPStatusException

from tests.xero_sandbox.conftest import Sdk
from xero_sandbox import testing

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
T = 20
ZERO_ID = "00000000-0000-0000-0000-000000000000"
TWO_ACTIVE = "A Xero organisation can have a maximum of two ACTIVE tracking categories."


def _category(sdk, tenant, name: str, *options: str) -> TrackingCategory:
    created = sdk.accounting.create_tracking_category(tenant, TrackingCategory(name=name), _request_timeout=T)
    category = created.tracking_categories[0]
    for option in options:
        sdk.accounting.create_tracking_options(
            tenant, category.tracking_category_id, TrackingOption(name=option), _request_timeout=T
        )
    return sdk.accounting.get_tracking_category(
        tenant, category.tracking_category_id, _request_timeout=T
    ).tracking_categories[0]


def _refusal(call) -> tuple[int, list[str]]:
    """Run an SDK call expected to fail; return its status and the ValidationErrors messages."""
    with pytest.raises(HTTPStatusException) as refused:
        call()
    body = json.loads(refused.value.body)
    messages = [e["Message"] for element in body.get("Elements", []) for e in element.get("ValidationErrors", [])]
    return refused.value.status, messages


def _raw(sdk, base: str, tenant: str, method: str, path: str, **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {sdk.token['access_token']}", "xero-tenant-id": tenant}
    return requests.request(method, f"{base}/api/api.xro/2.0{path}", headers=headers, timeout=T, **kwargs)


def _line(*tracking: LineItemTracking, amount: float = 10.0) -> LineItem:
    return LineItem(
        description="Mug",
        quantity=1.0,
        unit_amount=amount,
        account_code="200",
        tax_type="OUTPUT2",
        tracking=list(tracking),
    )


def _invoice(number: str, *tracking: LineItemTracking, status: str = "AUTHORISED") -> Invoice:
    return Invoice(
        type="ACCREC", contact=Contact(name="Jane Buyer"), date=dt.date(2026, 11, 2), invoice_number=number,
        status=status, line_items=[_line(*tracking)],
    )  # fmt: skip


def _tracked(name: str, option: str) -> LineItemTracking:
    return LineItemTracking(name=name, option=option)


def _messages(element) -> list[str]:
    return [e.message for e in element.validation_errors or []]


def test_categories_are_created_listed_and_read_by_id_with_their_options(sdk, tenant):
    region = _category(sdk, tenant, "Region", "North", "South")
    assert (region.name, region.status) == ("Region", "ACTIVE")
    assert [(o.name, o.status) for o in region.options] == [("North", "ACTIVE"), ("South", "ACTIVE")]
    _category(sdk, tenant, "Salesperson", "Daniel")
    listed = sdk.accounting.get_tracking_categories(tenant, _request_timeout=T).tracking_categories
    assert [(c.name, [o.name for o in c.options]) for c in listed] == [
        ("Region", ["North", "South"]),
        ("Salesperson", ["Daniel"]),
    ]
    by_where = sdk.accounting.get_tracking_categories(tenant, where='Name=="Salesperson"', _request_timeout=T)
    assert [c.name for c in by_where.tracking_categories] == ["Salesperson"]
    ordered = sdk.accounting.get_tracking_categories(tenant, order="Name DESC", _request_timeout=T)
    assert [c.name for c in ordered.tracking_categories] == ["Salesperson", "Region"]
    renamed = sdk.accounting.update_tracking_category(
        tenant, region.tracking_category_id, TrackingCategory(name="Area"), _request_timeout=T
    ).tracking_categories[0]
    assert (renamed.name, renamed.tracking_category_id) == ("Area", region.tracking_category_id)
    option = region.options[0]
    updated = sdk.accounting.update_tracking_options(
        tenant, region.tracking_category_id, option.tracking_option_id, TrackingOption(name="Northside"),
        _request_timeout=T,
    )  # fmt: skip
    assert [(o.name, o.tracking_option_id) for o in updated.options] == [("Northside", option.tracking_option_id)]


def _use_and_archive(sdk, tenant, category: TrackingCategory, number: str) -> None:
    """Put the category's first option on an invoice line, then archive the category (only a used one can be)."""
    line = _tracked(category.name, category.options[0].name)
    sdk.accounting.create_invoices(tenant, Invoices(invoices=[_invoice(number, line)]), _request_timeout=T)
    sdk.accounting.update_tracking_category(
        tenant, category.tracking_category_id, TrackingCategory(status="ARCHIVED"), _request_timeout=T
    )


def test_at_most_two_active_categories_and_four_in_all(sdk, tenant):
    region = _category(sdk, tenant, "Region", "North")
    person = _category(sdk, tenant, "Salesperson", "Daniel")

    def create(name: str):
        return lambda: sdk.accounting.create_tracking_category(tenant, TrackingCategory(name=name), _request_timeout=T)

    assert _refusal(create("Channel")) == (400, [TWO_ACTIVE])
    # Archived, a category leaves room for another active one; restoring it then is refused.
    _use_and_archive(sdk, tenant, region, "INV-T1")
    channel = _category(sdk, tenant, "Channel", "Web")
    restore = lambda: sdk.accounting.update_tracking_category(  # noqa: E731
        tenant, region.tracking_category_id, TrackingCategory(status="ACTIVE"), _request_timeout=T
    )
    assert _refusal(restore) == (400, [TWO_ACTIVE])
    _use_and_archive(sdk, tenant, channel, "INV-T2")
    _category(sdk, tenant, "Department", "Sales")
    _use_and_archive(sdk, tenant, person, "INV-T3")
    # Region, Channel and Salesperson archived, Department active: four kept, a fifth is refused.
    assert _refusal(create("Project")) == (
        400,
        ["A Xero organisation can have a maximum of four tracking categories total (ACTIVE and ARCHIVED)."],
    )
    statuses = [(c["Name"], c["Status"]) for c in testing.tracking_categories(organisation=tenant)]
    assert statuses == [
        ("Region", "ARCHIVED"),
        ("Salesperson", "ARCHIVED"),
        ("Channel", "ARCHIVED"),
        ("Department", "ACTIVE"),
    ]


def test_names_are_required_at_most_100_characters_and_unique(sdk, xero_sandbox, tenant):
    region = _category(sdk, tenant, "Region", "North")
    path = f"/TrackingCategories/{region.tracking_category_id}/Options"
    top = "/TrackingCategories"
    cases = [
        (top, {"Name": "x" * 101}, "Tracking Category Name must not be more than 100 characters long."),
        (top, {"Name": " "}, "Tracking Category Name is required."),
        (top, {"Name": "REGION"}, "For each specified tracking category the name must be unique."),
        (path, {"Name": "y" * 101}, "Tracking Option Name must not be more than 100 characters long."),
        (path, {"Name": "north"}, "For each specified tracking option the name must be unique."),
    ]
    for where, body, message in cases:
        answer = _raw(sdk, xero_sandbox, tenant, "PUT", where, json=body)
        assert answer.status_code == 400, (body, answer.text)
        assert answer.json()["Type"] == "ValidationException"
        assert answer.json()["Elements"][0]["ValidationErrors"] == [{"Message": message}]
    both = _raw(sdk, xero_sandbox, tenant, "PUT", path, json={"Options": [{"Name": "z" * 100}, {"Name": "Z" * 100}]})
    assert both.status_code == 400
    assert [e.get("ValidationErrors") for e in both.json()["Elements"]] == [
        [{"Message": "For each specified tracking option the name must be unique."}]
    ]
    names = [o["Name"] for o in testing.tracking_categories(organisation=tenant)[0]["Options"]]
    assert names == ["North", "z" * 100]  # 100 characters are fine; the valid element is written


def test_archived_categories_and_options_leave_the_default_list(sdk, tenant):
    region = _category(sdk, tenant, "Region", "North", "South", "West Coast")
    north, south, west = region.options
    sdk.accounting.create_invoices(tenant, Invoices(invoices=[_invoice("INV-A1", _tracked("Region", "North"))]))
    archive_unused = lambda: sdk.accounting.update_tracking_options(  # noqa: E731
        tenant, region.tracking_category_id, south.tracking_option_id, TrackingOption(status="ARCHIVED"),
        _request_timeout=T,
    )  # fmt: skip
    assert _refusal(archive_unused) == (400, ["Tracking Option cannot be archived because it is not in use."])
    sdk.accounting.update_tracking_options(
        tenant, region.tracking_category_id, north.tracking_option_id, TrackingOption(status="ARCHIVED")
    )
    listed = sdk.accounting.get_tracking_categories(tenant, _request_timeout=T).tracking_categories
    assert [o.name for o in listed[0].options] == ["South", "West Coast"]
    everything = sdk.accounting.get_tracking_categories(tenant, include_archived=True, _request_timeout=T)
    assert [(o.name, o.status) for o in everything.tracking_categories[0].options] == [
        ("North", "ARCHIVED"), ("South", "ACTIVE"), ("West Coast", "ACTIVE"),
    ]  # fmt: skip
    sdk.accounting.update_tracking_category(
        tenant, region.tracking_category_id, TrackingCategory(status="ARCHIVED"), _request_timeout=T
    )
    assert sdk.accounting.get_tracking_categories(tenant, _request_timeout=T).tracking_categories == []
    archived = sdk.accounting.get_tracking_categories(tenant, include_archived=True, _request_timeout=T)
    assert [(c.name, c.status) for c in archived.tracking_categories] == [("Region", "ARCHIVED")]
    unused = _category(sdk, tenant, "Salesperson", "Daniel")
    archive_category = lambda: sdk.accounting.update_tracking_category(  # noqa: E731
        tenant, unused.tracking_category_id, TrackingCategory(status="ARCHIVED"), _request_timeout=T
    )
    assert _refusal(archive_category) == (400, ["Tracking Category cannot be archived because it is not in use."])
    assert west.status == "ACTIVE"


def test_a_line_with_an_active_option_is_accepted_and_rendered_back_with_ids(sdk, tenant):
    region = _category(sdk, tenant, "Region", "North", "South")
    person = _category(sdk, tenant, "Salesperson", "Daniel")
    north, south = region.options
    by_ids = LineItemTracking(
        tracking_category_id=person.tracking_category_id, tracking_option_id=person.options[0].tracking_option_id
    )
    created = sdk.accounting.create_invoices(
        tenant, Invoices(invoices=[_invoice("INV-L1", _tracked("region", "NORTH"), by_ids)]), _request_timeout=T
    ).invoices[0]
    expected = [
        (region.tracking_category_id, north.tracking_option_id, "Region", "North"),
        (person.tracking_category_id, person.options[0].tracking_option_id, "Salesperson", "Daniel"),
    ]
    seen = lambda invoice: [  # noqa: E731
        (t.tracking_category_id, t.tracking_option_id, t.name, t.option) for t in invoice.line_items[0].tracking
    ]
    assert seen(created) == expected
    fetched = sdk.accounting.get_invoice(tenant, created.invoice_id, _request_timeout=T).invoices[0]
    assert seen(fetched) == expected
    # An update without LineItems keeps the lines' tracking; with LineItems it takes the tracking sent.
    kept = sdk.accounting.update_invoice(
        tenant, created.invoice_id, Invoices(invoices=[Invoice(reference="PO 7")]), _request_timeout=T
    ).invoices[0]
    assert seen(kept) == expected
    draft = sdk.accounting.create_invoices(
        tenant, Invoices(invoices=[_invoice("INV-L2", _tracked("Region", "North"), status="DRAFT")]), _request_timeout=T
    ).invoices[0]
    south_line = _line(LineItemTracking(tracking_category_id=region.tracking_category_id, option="South"))
    replaced = sdk.accounting.update_invoice(
        tenant, draft.invoice_id, Invoices(invoices=[Invoice(line_items=[south_line])]), _request_timeout=T
    ).invoices[0]
    assert seen(replaced) == [(region.tracking_category_id, south.tracking_option_id, "Region", "South")]
    # Renaming an option renames it on every line that carries it.
    sdk.accounting.update_tracking_options(
        tenant, region.tracking_category_id, north.tracking_option_id, TrackingOption(name="Northside")
    )
    assert testing.invoices(organisation=tenant)[0]["LineItems"][0]["Tracking"][0]["Option"] == "Northside"
    note = CreditNote(
        type="ACCRECCREDIT", contact=Contact(name="Jane Buyer"), date=dt.date(2026, 11, 10), status="DRAFT",
        line_items=[_line(_tracked("Region", "South"), amount=5.0)],
    )  # fmt: skip
    credited = sdk.accounting.create_credit_notes(tenant, CreditNotes(credit_notes=[note]), _request_timeout=T)
    assert seen(credited.credit_notes[0]) == [
        (region.tracking_category_id, south.tracking_option_id, "Region", "South")
    ]


def test_a_line_naming_an_archived_option_or_unknown_category_is_refused(sdk, tenant):
    region = _category(sdk, tenant, "Region", "North", "South")
    sdk.accounting.create_invoices(tenant, Invoices(invoices=[_invoice("INV-R0", _tracked("Region", "North"))]))
    sdk.accounting.update_tracking_options(
        tenant, region.tracking_category_id, region.options[0].tracking_option_id, TrackingOption(status="ARCHIVED")
    )
    invoices = [
        _invoice("INV-R1", _tracked("Region", "North")),
        _invoice("INV-R2", _tracked("Department", "Sales")),
        _invoice("INV-R3", _tracked("Region", "East")),
        _invoice("INV-R4", _tracked("Region", "South"), _tracked("Region", "South")),
        _invoice("INV-R5", _tracked("Region", "South")),
        _invoice("INV-R6", LineItemTracking(tracking_category_id=ZERO_ID, tracking_option_id=ZERO_ID)),
    ]
    answer = sdk.accounting.create_invoices(
        tenant, Invoices(invoices=invoices), summarize_errors=False, _request_timeout=T
    ).invoices
    assert [_messages(i) for i in answer] == [
        ["There is no ACTIVE tracking option with the name 'North' in the tracking category 'Region'"],
        ["There is no ACTIVE tracking category with the name 'Department'"],
        ["There is no ACTIVE tracking option with the name 'East' in the tracking category 'Region'"],
        ["A line item can have only one option of the tracking category 'Region'."],
        [],
        [f"There is no ACTIVE tracking category with the ID '{ZERO_ID}'"],
    ]
    assert [i.invoice_id for i in answer if i.has_errors] == [ZERO_ID] * 5
    three = [_tracked("Region", "South"), _tracked("A", "B"), _tracked("C", "D")]
    status, messages = _refusal(
        lambda: sdk.accounting.create_invoices(tenant, Invoices(invoices=[_invoice("INV-R7", *three)]))
    )
    assert (status, messages) == (400, ["A line item can have a maximum of 2 tracking categories."])


def test_only_what_was_never_used_is_deleted(sdk, tenant):
    region = _category(sdk, tenant, "Region", "North", "South")
    north, south = region.options
    sdk.accounting.create_invoices(tenant, Invoices(invoices=[_invoice("INV-D1", _tracked("Region", "North"))]))
    gone = sdk.accounting.delete_tracking_options(
        tenant, region.tracking_category_id, south.tracking_option_id, _request_timeout=T
    ).options[0]
    assert (gone.name, gone.status) == ("South", "DELETED")
    used = lambda: sdk.accounting.delete_tracking_options(  # noqa: E731
        tenant, region.tracking_category_id, north.tracking_option_id, _request_timeout=T
    )
    assert _refusal(used) == (400, ["Tracking Option cannot be deleted because it is in use. Archive it instead."])
    in_use = lambda: sdk.accounting.delete_tracking_category(tenant, region.tracking_category_id)  # noqa: E731
    assert _refusal(in_use) == (
        400,
        ["Tracking Category cannot be deleted because it is in use. Archive it instead."],
    )
    spare = _category(sdk, tenant, "Salesperson", "Daniel")
    deleted = sdk.accounting.delete_tracking_category(tenant, spare.tracking_category_id, _request_timeout=T)
    assert [(c.name, c.status, c.options) for c in deleted.tracking_categories] == [("Salesperson", "DELETED", [])]
    again = sdk.accounting.get_tracking_category(tenant, spare.tracking_category_id, _request_timeout=T)
    assert again.tracking_categories[0].status == "DELETED"
    listed = sdk.accounting.get_tracking_categories(tenant, include_archived=True, _request_timeout=T)
    assert [c.name for c in listed.tracking_categories] == ["Region"]
    # A deleted name may be used again.
    assert _category(sdk, tenant, "Salesperson").status == "ACTIVE"


def test_reading_needs_a_settings_scope_and_writing_accounting_settings(xero_sandbox, sandbox_app, sandbox_org, tenant):
    testing.limits_reset()
    testing.tracking_category_add(organisation=sandbox_org, name="Region", options=["North"])
    invoices_only = testing.token_issue(app=sandbox_app, organisations=[sandbox_org], scopes=["accounting.invoices"])
    sdk = Sdk(base=xero_sandbox, app=sandbox_app, token=invoices_only)
    with pytest.raises(HTTPStatusException) as refused:
        sdk.accounting.get_tracking_categories(tenant, _request_timeout=T)
    assert (refused.value.status, json.loads(refused.value.body)["Detail"]) == (401, "AuthorizationUnsuccessful")
    reader = Sdk(
        base=xero_sandbox,
        app=sandbox_app,
        token=testing.token_issue(app=sandbox_app, organisations=[sandbox_org], scopes=["accounting.settings.read"]),
    )
    [region] = reader.accounting.get_tracking_categories(tenant, _request_timeout=T).tracking_categories
    assert [o.name for o in region.options] == ["North"]
    for write in (
        lambda: reader.accounting.create_tracking_category(tenant, TrackingCategory(name="Channel")),
        lambda: reader.accounting.delete_tracking_category(tenant, region.tracking_category_id),
        lambda: reader.accounting.create_tracking_options(
            tenant, region.tracking_category_id, TrackingOption(name="South")
        ),
    ):
        with pytest.raises(HTTPStatusException) as refused:
            write()
        assert refused.value.status == 401
    assert [c["Name"] for c in testing.tracking_categories(organisation=tenant)] == ["Region"]
