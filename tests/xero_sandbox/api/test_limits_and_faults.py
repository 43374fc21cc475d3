"""Rate limits with their headers, and the per-organisation faults, seen through the SDK."""

from __future__ import annotations

import datetime as dt
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import urllib3
from xero_python.accounting import Contact, Invoice, Invoices, LineItem
from xero_python.exceptions import HTTPStatusException, RateLimitException

from xero_sandbox import testing
from xero_sandbox.models import Invoice as SandboxInvoice

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
T = 20


def _headers(sdk, tenant):
    return {"Authorization": f"Bearer {sdk.token['access_token']}", "xero-tenant-id": tenant}


def _one_invoice(number: str) -> Invoices:
    return Invoices(
        invoices=[
            Invoice(
                type="ACCREC",
                contact=Contact(name="Jane Buyer"),
                date=dt.date(2026, 11, 2),
                invoice_number=number,
                status="AUTHORISED",
                line_items=[LineItem(description="Widget", quantity=1.0, unit_amount=10.0, account_code="200")],
            )
        ]
    )


def test_61st_call_in_a_minute_is_429_with_the_limit_headers(sdk, xero_sandbox, tenant):
    url = f"{xero_sandbox}/api/api.xro/2.0/Currencies"
    session = requests.Session()
    first = session.get(url, headers=_headers(sdk, tenant), timeout=T)
    assert first.headers["X-MinLimit-Remaining"] == "59"
    assert first.headers["X-DayLimit-Remaining"] == "999"  # a Starter app: 1,000 calls a day
    assert first.headers["X-AppMinLimit-Remaining"] == "9999"
    for _ in range(59):
        last = session.get(url, headers=_headers(sdk, tenant), timeout=T)
        assert last.status_code == 200
    assert last.headers["X-MinLimit-Remaining"] == "0"

    with pytest.raises(RateLimitException) as limited:
        sdk.accounting.get_currencies(tenant, _request_timeout=T)
    assert limited.value.status == 429
    assert limited.value.headers["X-Rate-Limit-Problem"] == "minute"
    assert 1 <= int(limited.value.headers["Retry-After"]) <= 60
    assert limited.value.headers["X-MinLimit-Remaining"] == "0"


def test_minute_window_resets_after_a_scaled_minute(sdk, xero_sandbox, tenant, settings):
    settings.XERO_SANDBOX_TIME_SCALE = 10.0  # a minute lasts six seconds
    url = f"{xero_sandbox}/api/api.xro/2.0/Currencies"

    def call(_=None):
        return requests.get(url, headers=_headers(sdk, tenant), timeout=T)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=4) as pool:  # under the in-flight limit of five
        statuses = [answer.status_code for answer in pool.map(call, range(60))]
    over = call()
    if time.monotonic() - started > 5.5:
        pytest.skip("61 calls took longer than the six-second scaled minute on this machine")
    assert (statuses.count(200), over.status_code, over.headers["X-Rate-Limit-Problem"]) == (60, 429, "minute")
    retry_after = int(over.headers["Retry-After"])
    assert 1 <= retry_after <= 6
    time.sleep(retry_after + 0.2)
    again = call()
    assert (again.status_code, again.headers["X-MinLimit-Remaining"]) == (200, "59")


def test_more_than_five_calls_in_flight_get_429_concurrent(sdk, xero_sandbox, tenant):
    testing.faults_set(organisation=tenant, latency_ms=600)
    url = f"{xero_sandbox}/api/api.xro/2.0/Currencies"

    def call(_):
        answer = requests.get(url, headers=_headers(sdk, tenant), timeout=T)
        return answer.status_code, answer.headers.get("X-Rate-Limit-Problem")

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = sorted(pool.map(call, range(8)), key=str)
    assert outcomes == [(200, None)] * 5 + [(429, "concurrent")] * 3


def test_limits_switched_off_never_answer_429(sdk, xero_sandbox, tenant, settings):
    settings.XERO_SANDBOX_RATE_LIMITS = False
    url = f"{xero_sandbox}/api/api.xro/2.0/Currencies"
    assert {requests.get(url, headers=_headers(sdk, tenant), timeout=T).status_code for _ in range(65)} == {200}


def test_429_storm_refuses_every_call(sdk, tenant):
    testing.faults_set(organisation=tenant, **{"429_storm": True})
    with pytest.raises(RateLimitException) as limited:
        sdk.accounting.get_organisations(tenant, _request_timeout=T)
    assert limited.value.headers["X-Rate-Limit-Problem"] == "minute"
    assert limited.value.headers["Retry-After"] == "60"


@pytest.mark.parametrize(("fault", "status"), [("500_share", 500), ("503_share", 503)])
def test_server_error_share_of_one_fails_every_call(sdk, tenant, fault, status):
    testing.faults_set(organisation=tenant, **{fault: 1.0})
    with pytest.raises(HTTPStatusException) as failed:
        sdk.accounting.get_organisations(tenant, _request_timeout=T)
    assert failed.value.status == status
    testing.faults_clear(organisation=tenant)
    assert sdk.accounting.get_organisations(tenant, _request_timeout=T).organisations[0].name == "Demo Company (UK)"


def test_added_latency_delays_the_answer(sdk, tenant):
    testing.faults_set(organisation=tenant, latency_ms=400)
    started = time.monotonic()
    sdk.accounting.get_currencies(tenant, _request_timeout=T)
    assert time.monotonic() - started >= 0.4


def test_dropped_answer_commits_the_write_but_the_client_sees_a_broken_connection(sdk, tenant):
    testing.faults_set(organisation=tenant, drop_share=1.0)
    with pytest.raises((urllib3.exceptions.ProtocolError, urllib3.exceptions.HTTPError, ConnectionError)):
        sdk.accounting.create_invoices(tenant, _one_invoice("INV-LOST"), idempotency_key="lost-1", _request_timeout=T)
    assert [i["InvoiceNumber"] for i in testing.invoices(organisation=tenant)] == ["INV-LOST"]
    assert testing.request_count(organisation=tenant, method="PUT", status=0) == 1

    testing.faults_clear(organisation=tenant)
    replay = sdk.accounting.create_invoices(
        tenant, _one_invoice("INV-LOST"), idempotency_key="lost-1", _request_timeout=T
    )
    assert replay.invoices[0].invoice_number == "INV-LOST"
    assert SandboxInvoice.objects.count() == 1


def test_ignoring_idempotency_keys_lets_a_retry_write_again(sdk, tenant):
    testing.faults_set(organisation=tenant, ignore_idempotency=True)
    sdk.accounting.create_invoices(tenant, _one_invoice(""), idempotency_key="same", _request_timeout=T)
    sdk.accounting.create_invoices(tenant, _one_invoice(""), idempotency_key="same", _request_timeout=T)
    assert SandboxInvoice.objects.count() == 2


def test_revoked_connection_answers_403(sdk, tenant):
    assert testing.connections_revoke(organisation=tenant) == 1
    with pytest.raises(HTTPStatusException) as refused:
        sdk.accounting.get_organisations(tenant, _request_timeout=T)
    assert refused.value.status == 403


def test_without_redis_the_limits_fall_back_to_the_django_cache(sdk, xero_sandbox, tenant, settings):
    from django.core.cache import cache

    cache.clear()
    settings.REDIS_URL = ""
    url = f"{xero_sandbox}/api/api.xro/2.0/Currencies"
    session = requests.Session()
    answers = [session.get(url, headers=_headers(sdk, tenant), timeout=T) for _ in range(61)]
    assert [a.headers["X-MinLimit-Remaining"] for a in answers[:2]] == ["59", "58"]
    assert [a.status_code for a in answers].count(200) == 60
    assert (answers[-1].status_code, answers[-1].headers["X-Rate-Limit-Problem"]) == (429, "minute")
    cache.clear()
