"""Xero's limits as typed errors: the limiter's refusals (real Redis, or the database) and Xero's
429 (a scripted Xero over loopback) say which budget is spent by their type, and a 429 pauses the
organisation or, for an app limit, the whole app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from accounting.access.limiter import LimiterGate, limiter
from accounting.access.limiter_redis import RedisLimiter
from accounting.access.limits import LIMITS
from accounting.providers.xero import errors
from accounting.providers.xero.answers import rate_limited
from accounting.providers.xero.client import XeroClient

TENANT = "11111111-2222-3333-4444-555555555555"
OTHER_TENANT = "66666666-7777-8888-9999-000000000000"


@pytest.fixture
def clean_redis(settings) -> Iterator[redis.Redis]:
    """Empty this run's Redis database (its own, by REDIS_URL), as the limiter tests do."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()


def test_a_429_says_which_limit_by_its_type():
    day = rate_limited(problem="day", retry_after=3600.0, headers={})
    app = rate_limited(problem="appminute", retry_after=20.0, headers={})
    minute = rate_limited(problem="minute", retry_after=17.0, headers={})

    assert isinstance(day, errors.XeroDayRateLimited) and isinstance(day, errors.XeroDayLimit)
    assert isinstance(app, errors.XeroAppRateLimited) and isinstance(app, errors.XeroAppLimit)
    assert type(minute) is errors.XeroRateLimited
    assert [(e.decision, e.sent, e.status) for e in (day, app, minute)] == [(errors.Decision.WAIT, True, 429)] * 3
    assert day.message == "Xero rate limit reached (day limit)."


@pytest.mark.services
def test_the_redis_limiters_day_refusal_is_a_day_limit_reached(clean_redis, settings):
    settings.XERO_RATE_TIME_SCALE = 86400.0  # a day lasts one second
    gate = LimiterGate(limiter=RedisLimiter(settings.REDIS_URL), tenant_id="tenant-day", app_key="app-1")
    clean_redis.set("xero-limit:org:tenant-day:day", LIMITS.per_day, px=800)

    with pytest.raises(errors.XeroDayLimitReached) as refused:
        gate.acquire()

    assert isinstance(refused.value, errors.XeroBudgetExhausted) and isinstance(refused.value, errors.XeroDayLimit)
    assert (refused.value.sent, refused.value.decision) == (False, errors.Decision.WAIT)
    assert refused.value.message == "Xero day limit: waiting."
    assert 0 < refused.value.retry_after <= 0.8


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("backend", ["redis", "database"])
def test_a_day_spent_as_xero_reports_it_is_refused_as_a_day_limit_reached(backend, clean_redis, settings):
    settings.XERO_RATE_TIME_SCALE = 1.0
    if backend == "database":
        settings.REDIS_URL = ""
    gate = LimiterGate(limiter=limiter(), tenant_id=f"tenant-{backend}", app_key="app-1")
    gate.release(gate.acquire(), headers={"X-DayLimit-Remaining": "1"})
    gate.release(gate.acquire(), headers={})

    with pytest.raises(errors.XeroDayLimitReached) as refused:
        gate.acquire()

    assert refused.value.retry_after > 3600  # the rest of the day, not a minute
    assert not isinstance(refused.value, errors.XeroAppLimit)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_database_limiters_app_minute_refusal_is_an_app_limit_reached(settings):
    settings.REDIS_URL = ""
    settings.XERO_RATE_TIME_SCALE = 1.0
    first = LimiterGate(limiter=limiter(), tenant_id=TENANT, app_key="app-db")
    other = LimiterGate(limiter=limiter(), tenant_id=OTHER_TENANT, app_key="app-db")

    first.pause(error=rate_limited(problem="appminute", retry_after=30.0, headers={}))

    with pytest.raises(errors.XeroAppLimitReached) as refused:
        other.acquire()
    assert 25 < refused.value.retry_after <= 30


@pytest.mark.services
def test_an_app_429_pauses_every_organisation_of_the_app(xero, clean_redis, settings):
    settings.XERO_RATE_TIME_SCALE = 1.0
    gate = LimiterGate(limiter=RedisLimiter(settings.REDIS_URL), tenant_id=TENANT, app_key="app-2")
    other = LimiterGate(limiter=RedisLimiter(settings.REDIS_URL), tenant_id=OTHER_TENANT, app_key="app-2")
    xero.answers.append((429, {"Retry-After": "20", "X-Rate-Limit-Problem": "AppMinute"}, {"Title": "Too Many"}))

    with pytest.raises(errors.XeroAppRateLimited) as limited:
        XeroClient(access_token="a", tenant_id=TENANT, gate=gate).accounts()

    assert (limited.value.problem, limited.value.retry_after) == ("appminute", 20.0)
    with pytest.raises(errors.XeroAppLimitReached) as refused:
        other.acquire()
    assert refused.value.message == "Xero app paused limit: waiting."
    assert 15 < refused.value.retry_after <= 20


@pytest.mark.services
def test_a_day_429_pauses_the_organisation_alone(xero, clean_redis, settings):
    settings.XERO_RATE_TIME_SCALE = 1.0
    gate = LimiterGate(limiter=RedisLimiter(settings.REDIS_URL), tenant_id=TENANT, app_key="app-3")
    other = LimiterGate(limiter=RedisLimiter(settings.REDIS_URL), tenant_id=OTHER_TENANT, app_key="app-3")
    xero.answers.append((429, {"Retry-After": "600", "X-Rate-Limit-Problem": "day"}, {"Title": "Too Many"}))

    with pytest.raises(errors.XeroDayRateLimited):
        XeroClient(access_token="a", tenant_id=TENANT, gate=gate).accounts()

    other.release(other.acquire(), headers={})  # another organisation of the app goes on
    with pytest.raises(errors.XeroBudgetExhausted) as refused:
        gate.acquire()
    assert refused.value.message == "Xero paused limit: waiting."
    assert 550 < refused.value.retry_after <= 600
