"""The shared limiter, exercised by several real processes against the real Redis."""

from __future__ import annotations

import multiprocessing
import random
import time
from typing import cast

import pytest
import redis
from django.conf import settings

from accounting.access.limiter import LimiterGate, limiter, remaining_pause
from accounting.access.limiter_db import DatabaseLimiter
from accounting.access.limiter_redis import RedisLimiter
from accounting.access.limits import LIMITS, limit_refusal_message
from accounting.providers.xero.answers import rate_limited
from accounting.providers.xero.errors import XeroBudgetExhausted

pytestmark = pytest.mark.services

SCALE = 60.0  # a minute lasts one second
WINDOW = 60.0 / SCALE
CALLS_KEY = "test-limiter:arrivals"
FLIGHT_KEY = "test-limiter:in-flight"
PEAK_KEY = "test-limiter:peak"


def _hammer(url: str, tenant: str, seconds: float, seed: int) -> None:
    """Take permits as fast as allowed; log when each 'call' reaches 'Xero' (Redis time)."""
    from django.conf import settings as child_settings

    child_settings.XERO_RATE_TIME_SCALE = SCALE
    rng = random.Random(seed)
    store = redis.Redis.from_url(url)
    gate = LimiterGate(limiter=RedisLimiter(url), tenant_id=tenant, app_key="app-1")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            permit = gate.acquire()
        except XeroBudgetExhausted as exc:
            time.sleep(min(exc.retry_after, 0.02))  # the test harness may sleep; workers reschedule
            continue
        # redis-py types the sync client's answers as maybe-awaitable: these are plain values.
        flying = cast(int, store.incr(FLIGHT_KEY))
        store.eval("if tonumber(redis.call('GET', KEYS[1]) or '0') < tonumber(ARGV[1]) then "
                   "redis.call('SET', KEYS[1], ARGV[1]) end", 1, PEAK_KEY, flying)  # fmt: skip
        time.sleep(rng.uniform(0.0, 0.02))  # on the way to Xero
        sec, usec = cast(tuple[int, int], store.time())
        store.rpush(CALLS_KEY, f"{sec}.{usec:06d}")
        time.sleep(rng.uniform(0.0, 0.03))  # Xero working, answer on the way back
        store.decr(FLIGHT_KEY)
        gate.release(permit, headers={})


def _max_in_any_window(arrivals: list[float], window: float) -> int:
    best = 0
    start = 0
    for end, at in enumerate(arrivals):
        while arrivals[start] <= at - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_several_processes_never_exceed_60_calls_in_any_minute_nor_5_in_flight(clean_redis, settings):
    settings.XERO_RATE_TIME_SCALE = SCALE
    context = multiprocessing.get_context("fork")
    seconds = 4 * WINDOW
    processes = [
        context.Process(target=_hammer, args=(settings.REDIS_URL, "tenant-a", seconds, seed)) for seed in range(6)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0

    arrivals = sorted(float(v) for v in clean_redis.lrange(CALLS_KEY, 0, -1))
    assert _max_in_any_window(arrivals, WINDOW) == LIMITS.per_minute
    assert int(clean_redis.get(PEAK_KEY)) <= LIMITS.in_flight
    # The limiter is not merely slow: over 4 windows it lets through at least 3 windows' worth.
    assert len(arrivals) >= 3 * LIMITS.per_minute


def test_a_paused_organisation_refuses_every_worker_until_the_pause_ends(clean_redis, settings):
    settings.XERO_RATE_TIME_SCALE = SCALE
    first = LimiterGate(limiter=RedisLimiter(settings.REDIS_URL), tenant_id="tenant-b", app_key="app-1")
    second = LimiterGate(limiter=RedisLimiter(settings.REDIS_URL), tenant_id="tenant-b", app_key="app-1")
    other_org = LimiterGate(limiter=RedisLimiter(settings.REDIS_URL), tenant_id="tenant-c", app_key="app-1")

    first.pause(error=rate_limited(problem="minute", retry_after=0.5, headers={}))

    with pytest.raises(XeroBudgetExhausted) as refused:
        second.acquire()
    assert 0.3 < refused.value.retry_after <= 0.5
    other_org.release(other_org.acquire(), headers={})  # another organisation is not paused
    time.sleep(0.55)
    second.release(second.acquire(), headers={})
    assert clean_redis.get("xero-limit:stats:429") == b"1"


def test_the_day_budget_refuses_with_the_time_left_in_the_day(clean_redis, settings):
    settings.XERO_RATE_TIME_SCALE = 86400.0  # a day lasts one second
    gate = LimiterGate(limiter=RedisLimiter(settings.REDIS_URL), tenant_id="tenant-d", app_key="app-1")
    clean_redis.set("xero-limit:org:tenant-d:day", LIMITS.per_day, px=800)

    with pytest.raises(XeroBudgetExhausted) as refused:
        gate.acquire()
    assert refused.value.message == limit_refusal_message("day")
    assert 0 < refused.value.retry_after <= 0.8


def test_an_unused_permit_is_given_back_whole(clean_redis, settings):
    settings.XERO_RATE_TIME_SCALE = 1.0
    gate = LimiterGate(limiter=RedisLimiter(settings.REDIS_URL), tenant_id="tenant-e", app_key="app-1")
    permits = [gate.acquire() for _ in range(LIMITS.in_flight)]
    with pytest.raises(XeroBudgetExhausted):
        gate.acquire()
    gate.cancel(permits.pop())
    gate.release(gate.acquire(), headers={})
    assert clean_redis.zcard("xero-limit:org:tenant-e:minute") == LIMITS.in_flight
    assert clean_redis.get("xero-limit:org:tenant-e:day") == str(LIMITS.in_flight).encode()


def test_xero_saying_the_day_is_spent_pauses_the_organisation():
    assert remaining_pause({"X-DayLimit-Remaining": "0", "X-MinLimit-Remaining": "12"}) == (
        60.0 / float(settings.XERO_RATE_TIME_SCALE),
        False,
    )
    assert remaining_pause({"X-AppMinLimit-Remaining": "0"}) == (60.0 / float(settings.XERO_RATE_TIME_SCALE), True)
    assert remaining_pause({"X-DayLimit-Remaining": "4000", "X-MinLimit-Remaining": "0"}) is None


@pytest.mark.django_db(transaction=True)
def test_without_redis_the_database_limiter_applies_the_same_limits(settings):
    settings.REDIS_URL = ""
    settings.XERO_RATE_TIME_SCALE = 1.0
    db_limiter = limiter()
    assert isinstance(db_limiter, DatabaseLimiter)
    gate = LimiterGate(limiter=db_limiter, tenant_id="tenant-f", app_key="app-1")
    permits = [gate.acquire() for _ in range(LIMITS.in_flight)]
    with pytest.raises(XeroBudgetExhausted) as refused:
        gate.acquire()
    assert refused.value.message == limit_refusal_message("in flight")
    for permit in permits:
        gate.release(permit, headers={})
    for _ in range(LIMITS.per_minute - LIMITS.in_flight):
        gate.release(gate.acquire(), headers={})
    with pytest.raises(XeroBudgetExhausted) as refused:
        gate.acquire()
    assert refused.value.message == limit_refusal_message("minute")
    assert 55 < refused.value.retry_after <= 60


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("backend", ["redis", "database"])
def test_xeros_remaining_day_count_is_the_budget_the_limiter_plans_within(backend, clean_redis, settings):
    from accounting.access.facts import day_limit_of

    settings.XERO_RATE_TIME_SCALE = 1.0
    if backend == "database":
        settings.REDIS_URL = ""
    gate = LimiterGate(limiter=limiter(), tenant_id=f"tenant-{backend}", app_key="app-1")
    # Other apps spent most of the organisation's Starter day: Xero says 3 calls are left.
    gate.release(gate.acquire(), headers={"X-DayLimit-Remaining": "3"})
    for _ in range(3):
        gate.release(gate.acquire(), headers={})

    with pytest.raises(XeroBudgetExhausted) as refused:
        gate.acquire()
    assert refused.value.message == limit_refusal_message("day")
    assert refused.value.retry_after > 3600  # the rest of the day, not a minute
    assert day_limit_of(tenant_id=f"tenant-{backend}") == 1000

    # A Xero that reports more than a Starter day proves the larger budget.
    other = LimiterGate(limiter=limiter(), tenant_id=f"big-{backend}", app_key="app-1")
    other.release(other.acquire(), headers={"x-daylimit-remaining": "4999"})
    assert (other.day_limit, day_limit_of(tenant_id=f"big-{backend}")) == (5000, 5000)
