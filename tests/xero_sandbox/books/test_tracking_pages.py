"""Tracking categories through Django's test client (no live server, so these also run on SQLite):
the demo company's "Region", tracked lines in the request log's answers, the organisation page."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from xero_sandbox import testing
from xero_sandbox.services.organisations import organisation_seed_demo_records

pytestmark = pytest.mark.django_db
API = "/xero-sandbox/api/api.xro/2.0"


@pytest.fixture
def demo(db, settings):
    settings.XERO_SANDBOX_RATE_LIMITS = False
    app = testing.app_create()
    organisation = testing.organisation_create(name="Demo Company (UK)")
    organisation_seed_demo_records(organisation=organisation)
    token = testing.token_issue(app=app, organisations=[organisation])
    headers = {
        "HTTP_AUTHORIZATION": f"Bearer {token['access_token']}",
        "HTTP_XERO_TENANT_ID": str(organisation.tenant_id),
    }
    return organisation, headers


def test_the_demo_company_tracks_by_region_and_a_line_picks_one(client, demo):
    organisation, headers = demo
    listed = client.get(f"{API}/TrackingCategories", **headers).json()["TrackingCategories"]
    assert [(c["Name"], [o["Name"] for o in c["Options"]]) for c in listed] == [
        ("Region", ["Eastside", "North", "South", "West Coast"])
    ]
    organisation_seed_demo_records(organisation=organisation)  # idempotent
    assert len(testing.tracking_categories(organisation=organisation)[0]["Options"]) == 4
    west = listed[0]["Options"][3]
    line = {"Description": "Mug", "Quantity": 1, "UnitAmount": 5, "AccountCode": "200", "Tracking": []}
    body = {
        "Invoices": [
            {
                "Type": "ACCREC",
                "Contact": {"Name": "Boom FM"},
                "LineItems": [
                    {
                        **line,
                        "Tracking": [{"TrackingCategoryID": listed[0]["TrackingCategoryID"], "Option": "west coast"}],
                    },
                    line,
                ],
            },
            {
                "Type": "ACCREC",
                "Contact": {"Name": "Boom FM"},
                "LineItems": [{**line, "Tracking": {"Name": "Region", "Option": "North"}}],
            },
        ]
    }
    answer = client.put(
        f"{API}/Invoices?summarizeErrors=false", json.dumps(body), content_type="application/json", **headers
    ).json()["Invoices"]
    assert [line["Tracking"] for line in answer[0]["LineItems"]] == [
        [
            {
                "TrackingCategoryID": listed[0]["TrackingCategoryID"],
                "TrackingOptionID": west["TrackingOptionID"],
                "Name": "Region",
                "Option": "West Coast",
            }
        ],
        [],
    ]
    assert answer[1]["ValidationErrors"] == [
        {"Message": "Tracking must be a list of tracking categories, each with a Name and an Option."}
    ]


def test_the_organisation_page_lists_categories_and_options(client, demo):
    organisation, _headers = demo
    client.force_login(UserFactory.create(username="sandbox-staff", is_staff=True))
    page = client.get(reverse("xero_sandbox:organisation", args=[organisation.tenant_id])).content.decode()
    assert "Tracking categories" in page
    assert "Eastside, North, South, West Coast" in page
    region = testing.tracking_categories(organisation=organisation)[0]
    assert region["TrackingCategoryID"] in page
