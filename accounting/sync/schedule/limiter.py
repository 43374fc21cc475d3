"""The one rate limiter every Xero call of every worker passes (DESIGN invariant 5).

Per Xero organisation: 5 calls in flight, 60 per minute, and the day limit Xero's headers show
(1,000 on the Starter tier until an `X-DayLimit-Remaining` proves more; see `facts`); per Xero
app: 10,000 per minute. Xero's remaining count also corrects the day counter, so calls made by
other apps or processes on the same organisation are planned for. State lives in Redis and
every decision is one Lua script, so workers on any machine agree. A refused call raises
`XeroBudgetExhausted` with the wait: callers reschedule, never sleep.

The minute windows are sliding and a call counts from when it is granted until a full window
after its answer arrived: Xero counts a call when it arrives, somewhere in between, so no window
of Xero's, whatever its phase, can see more than the limit. Windows scale with
`settings.XERO_RATE_TIME_SCALE` (10 → a minute lasts 6 seconds), like the sandbox's.

Without Redis (`settings.REDIS_URL` empty, a local portal) the same rules run against the
database: see `accounting.sync.limiter_db`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import redis
from django.conf import settings

from accounting.books.facts import day_remaining_of, facts_day_report
from accounting.providers.xero.errors import XeroBudgetExhausted


@dataclass(frozen=True)
class Limits:
    in_flight: int = 5
    per_minute: int = 60
    per_day: int = 1000  # until Xero's headers say otherwise (accounting.sync.facts)
    app_per_minute: int = 10_000


LIMITS = Limits()
# How long a granted call may stay in flight before its slot is presumed lost (a dead worker).
LEASE_SECONDS = 120.0
# How soon to look again when only the in-flight limit refused (a call ends in well under a second).
IN_FLIGHT_WAIT = 0.3


def minute_seconds() -> float:
    return 60.0 / float(settings.XERO_RATE_TIME_SCALE)


def day_seconds() -> float:
    return 86400.0 / float(settings.XERO_RATE_TIME_SCALE)


ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local token, window, day_window, lease = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local max_flight, max_min, max_day, max_app = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local in_wait = tonumber(ARGV[9])
local paused = tonumber(redis.call('GET', KEYS[4]) or '0')
if paused > now then return {0, tostring(paused - now), 'paused'} end
local app_paused = tonumber(redis.call('GET', KEYS[6]) or '0')
if app_paused > now then return {0, tostring(app_paused - now), 'app paused'} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now)
if redis.call('ZCARD', KEYS[2]) >= max_min then
  local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  return {0, tostring(math.max(tonumber(first[2]) - now, 0.01)), 'minute'}
end
if redis.call('ZCARD', KEYS[1]) >= max_flight then return {0, tostring(in_wait), 'in flight'} end
local day = tonumber(redis.call('GET', KEYS[3]) or '0')
if day >= max_day then
  return {0, tostring(math.max(redis.call('PTTL', KEYS[3]) / 1000, 0.01)), 'day'}
end
if redis.call('ZCARD', KEYS[5]) >= max_app then
  local first = redis.call('ZRANGE', KEYS[5], 0, 0, 'WITHSCORES')
  return {0, tostring(math.max(tonumber(first[2]) - now, 0.01)), 'app minute'}
end
redis.call('ZADD', KEYS[1], now + lease, token)
redis.call('ZADD', KEYS[2], now + lease + window, token)
redis.call('ZADD', KEYS[5], now + lease + window, token)
redis.call('PEXPIRE', KEYS[1], math.ceil((lease + window) * 1000))
redis.call('PEXPIRE', KEYS[2], math.ceil((lease + window) * 1000))
redis.call('PEXPIRE', KEYS[5], math.ceil((lease + window) * 1000))
if redis.call('INCR', KEYS[3]) == 1 then redis.call('PEXPIRE', KEYS[3], math.ceil(day_window * 1000)) end
return {1, '0', 'ok'}
"""

RELEASE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local token, window = ARGV[1], tonumber(ARGV[2])
redis.call('ZREM', KEYS[1], token)
redis.call('ZADD', KEYS[2], 'XX', now + window, token)
redis.call('ZADD', KEYS[3], 'XX', now + window, token)
return 1
"""

CANCEL = """
redis.call('ZREM', KEYS[1], ARGV[1])
if redis.call('ZREM', KEYS[2], ARGV[1]) == 1 then
  if tonumber(redis.call('GET', KEYS[3]) or '0') > 0 then redis.call('DECR', KEYS[3]) end
end
redis.call('ZREM', KEYS[4], ARGV[1])
return 1
"""

PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local untill = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if untill > current then
  redis.call('SET', KEYS[1], tostring(untill), 'PX', math.ceil(tonumber(ARGV[1]) * 1000) + 1000)
end
if ARGV[2] == '1' then redis.call('INCR', KEYS[2]) end
return 1
"""


DAY_USED = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
  else redis.call('SET', KEYS[1], ARGV[1], 'PX', math.ceil(tonumber(ARGV[2]) * 1000)) end
end
return 1
"""


@lru_cache(maxsize=4)
def _redis_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def _keys(tenant_id: str, app_key: str) -> dict[str, str]:
    org = f"xero-limit:org:{tenant_id}"
    app = f"xero-limit:app:{app_key}"
    return {
        "in_flight": f"{org}:in-flight",
        "minute": f"{org}:minute",
        "day": f"{org}:day",
        "pause": f"{org}:paused-until",
        "app_minute": f"{app}:minute",
        "app_pause": f"{app}:paused-until",
    }


STATS_429 = "xero-limit:stats:429"


class RedisLimiter:
    """The limiter state in Redis, shared by every process that reaches the same server."""

    def __init__(self, url: str):
        self.redis = _redis_for(url)
        self._acquire = self.redis.register_script(ACQUIRE)
        self._release = self.redis.register_script(RELEASE)
        self._pause = self.redis.register_script(PAUSE)
        self._cancel = self.redis.register_script(CANCEL)
        self._day_used = self.redis.register_script(DAY_USED)

    def acquire(self, *, tenant_id: str, app_key: str, day_limit: int | None = None) -> str:
        """Return a permit for one call; raise XeroBudgetExhausted with the wait otherwise."""
        keys = _keys(tenant_id, app_key)
        token = uuid.uuid4().hex
        granted, wait, reason = self._acquire(
            keys=[keys["in_flight"], keys["minute"], keys["day"], keys["pause"], keys["app_minute"], keys["app_pause"]],
            args=[
                token,
                minute_seconds(),
                day_seconds(),
                LEASE_SECONDS,
                LIMITS.in_flight,
                LIMITS.per_minute,
                day_limit or LIMITS.per_day,
                LIMITS.app_per_minute,
                IN_FLIGHT_WAIT,
            ],
        )
        if not granted:
            reason_text = reason.decode() if isinstance(reason, bytes) else str(reason)
            raise XeroBudgetExhausted(f"Xero {reason_text} limit: waiting.", retry_after=float(wait))
        return token

    def release(self, *, tenant_id: str, app_key: str, permit: str) -> None:
        keys = _keys(tenant_id, app_key)
        self._release(keys=[keys["in_flight"], keys["minute"], keys["app_minute"]], args=[permit, minute_seconds()])

    def cancel(self, *, tenant_id: str, app_key: str, permit: str) -> None:
        """Forget a permit that was never used for a call."""
        keys = _keys(tenant_id, app_key)
        self._cancel(keys=[keys["in_flight"], keys["minute"], keys["day"], keys["app_minute"]], args=[permit])

    def day_used(self, *, tenant_id: str, used: int) -> None:
        """Raise the organisation's day count to `used` (its day limit less Xero's remaining count)."""
        self._day_used(keys=[_keys(tenant_id, "")["day"]], args=[used, day_seconds()])

    def pause(self, *, tenant_id: str, app_key: str, seconds: float, app_wide: bool = False, count: bool) -> None:
        """Stop every worker from calling this organisation (or app) for `seconds`."""
        keys = _keys(tenant_id, app_key)
        key = keys["app_pause"] if app_wide else keys["pause"]
        self._pause(keys=[key, STATS_429], args=[max(seconds, 0.001), "1" if count else "0"])


def remaining_pause(headers: Mapping[str, str]) -> tuple[float, bool] | None:
    """Return (seconds, app_wide) to pause for when Xero says a budget is spent, else None.

    The minute budget needs no header: the sliding window above is already stricter than Xero's.
    """
    lowered = {k.lower(): v for k, v in headers.items()}

    def spent(name: str) -> bool:
        value = lowered.get(name)
        try:
            return value is not None and int(value) <= 0
        except ValueError:
            return False

    if spent("x-applimit-remaining") or spent("x-appminlimit-remaining"):
        return minute_seconds(), True
    if spent("x-daylimit-remaining"):
        # Xero does not say when its day window ends; its next 429 carries the exact Retry-After.
        return minute_seconds(), False
    return None


class LimiterGate:
    """The client's view of the limiter for one organisation of one Xero app."""

    def __init__(self, *, limiter: Any, tenant_id: str, app_key: str, day_limit: int | None = None):
        """`day_limit`: the organisation's, as learnt from Xero (`facts.day_limit_of`)."""
        self.limiter = limiter
        self.tenant_id = tenant_id
        self.app_key = app_key
        self.day_limit = day_limit or LIMITS.per_day

    def acquire(self) -> object:
        return self.limiter.acquire(tenant_id=self.tenant_id, app_key=self.app_key, day_limit=self.day_limit)

    def release(self, permit: object, *, headers: Mapping[str, str]) -> None:
        self.limiter.release(tenant_id=self.tenant_id, app_key=self.app_key, permit=permit)
        remaining = day_remaining_of(headers)
        if remaining is not None:
            # Xero's count is the truth: it sees every app's calls to the organisation.
            minute = day_remaining_of(headers, header="x-minlimit-remaining")
            self.day_limit = facts_day_report(tenant_id=self.tenant_id, remaining=remaining, minute_remaining=minute)
            self.limiter.day_used(tenant_id=self.tenant_id, used=self.day_limit - remaining)
        pause = remaining_pause(headers)
        if pause is not None:
            seconds, app_wide = pause
            self.limiter.pause(
                tenant_id=self.tenant_id, app_key=self.app_key, seconds=seconds, app_wide=app_wide, count=False
            )

    def cancel(self, permit: object) -> None:
        self.limiter.cancel(tenant_id=self.tenant_id, app_key=self.app_key, permit=permit)

    def pause(self, *, seconds: float, problem: str) -> None:
        app_wide = "app" in problem.lower()
        self.limiter.pause(
            tenant_id=self.tenant_id, app_key=self.app_key, seconds=seconds, app_wide=app_wide, count=True
        )


def limiter() -> Any:
    """Return the limiter for this deployment: Redis when configured, else the database."""
    if settings.REDIS_URL:
        return RedisLimiter(settings.REDIS_URL)
    from accounting.sync.schedule.limiter_db import DatabaseLimiter

    return DatabaseLimiter()
