"""Secrets stay out of error reports, and the pages' query counts do not grow with the channels."""

from __future__ import annotations

import sys

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from accounting.providers.xero.oauth import XeroOAuthError, token_refresh
from accounting.views import channel_create
from tests.factories import AccountingChannelFactory

pytestmark = pytest.mark.django_db


def test_the_client_secret_is_hidden_from_error_reports_of_the_form_post(member, organization, store):
    request = RequestFactory().post(
        reverse("accounting:channel-create", args=[store.pk, "xero"]),
        {"name": "UK books", "client_id": "ABC", "client_secret": "posted-secret-2468"},
    )
    # What the middleware would set (no middleware runs here); the view may add a message.
    request.user = member
    for name, value in {"organization": organization, "membership": None, "session": {}, "_messages": []}.items():
        setattr(request, name, value)
    channel_create(request, store_id=store.pk, provider="xero")
    hidden = SafeExceptionReporterFilter().get_post_parameters(request)
    assert hidden["client_secret"] == "********************"
    assert hidden["name"] == "UK books"


# Split, so that the source lines a report quotes around the call never hold the values themselves.
SECRET, REFRESH_TOKEN = "refresh-secret-" + "1357", "refresh-token-" + "8642"


def credentials() -> dict[str, str]:
    # Built here so that the test's own locals (also in the report) do not hold them.
    return {"client_id": "CLIENT", "client_secret": SECRET, "refresh_token": REFRESH_TOKEN}


def test_a_failed_refresh_report_shows_no_secret_or_token(settings):
    settings.XERO_IDENTITY_URL = "http://127.0.0.1:9/identity"  # connection refused
    try:
        token_refresh(**credentials())
    except XeroOAuthError:
        report = ExceptionReporter(None, *sys.exc_info()).get_traceback_html()
    else:
        pytest.fail("token_refresh should fail when Xero is unreachable")
    assert "token_refresh" in report and "client_secret" in report  # the frame and its variables are shown
    assert SECRET not in report
    assert REFRESH_TOKEN not in report


def test_the_beat_task_is_registered_under_its_scheduled_name(settings):
    from channels_portal.celery import app

    app.loader.import_default_modules()
    assert settings.CELERY_BEAT_SCHEDULE["refresh-idle-tokens"]["task"] == "accounting.tasks.refresh_idle_tokens"
    assert "accounting.tasks.refresh_idle_tokens" in app.tasks


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_channel_tab_does_not_query_per_channel(member_client, store):
    url = reverse("accounting:store-channels", args=[store.pk])
    AccountingChannelFactory.create(store=store)
    count_queries(member_client, url)  # the first visit also stores the organization in the session
    one = count_queries(member_client, url)
    AccountingChannelFactory.create_batch(5, store=store)
    assert count_queries(member_client, url) == one
